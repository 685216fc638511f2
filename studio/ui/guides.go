package ui

import (
	"image"
	"image/color"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// The safe areas, as shares of the picture (the classic 10 % and 20 %
// margins): action stays inside the first, titles inside the second.
const (
	actionSafe = 0.90
	titleSafe  = 0.80
)

var (
	guideColour = color.NRGBA{0xff, 0xff, 0xff, 0xa0}
	safeColour  = color.NRGBA{0xff, 0xd0, 0x40, 0xc0}
)

// guides are the framing guides drawn over the preview (never into the
// show) and the preview's toggles. They move only when the preview is
// resized or its picture changes shape, never per frame.
type guides struct {
	p             *preview
	thirds        [4]*canvas.Line
	cross         [2]*canvas.Line
	action, title *canvas.Rectangle
	layer         *fyne.Container

	// One button opens the toggles as a menu: four check boxes under the
	// preview were 18 shapes to repaint with every frame, the button is 4.
	button *widget.Button
	menu   *fyne.Menu
	box    fyne.CanvasObject
}

// guideToggle is one entry of the guides' menu.
type guideToggle struct {
	label, short string
	set          func(on bool)
}

func (w *Window) newGuides() *guides {
	g := &guides{p: w.preview}
	var objs []fyne.CanvasObject
	for i := range g.thirds {
		g.thirds[i] = canvas.NewLine(guideColour)
		objs = append(objs, g.thirds[i])
	}
	for i := range g.cross {
		g.cross[i] = canvas.NewLine(guideColour)
		objs = append(objs, g.cross[i])
	}
	g.action, g.title = canvas.NewRectangle(color.Transparent), canvas.NewRectangle(color.Transparent)
	for _, r := range []*canvas.Rectangle{g.action, g.title} {
		r.StrokeColor, r.StrokeWidth = safeColour, 1
		objs = append(objs, r)
	}
	g.layer = container.New(g, objs...)
	shows := func(objs ...fyne.CanvasObject) func(bool) {
		for _, o := range objs {
			o.Hide()
		}
		return func(on bool) {
			for _, o := range objs {
				if on {
					o.Show()
				} else {
					o.Hide()
				}
			}
		}
	}
	toggles := []guideToggle{
		{"Rule of thirds", "thirds", shows(g.thirds[0], g.thirds[1], g.thirds[2], g.thirds[3])},
		{"Safe areas (title, action)", "safe areas", shows(g.action, g.title)},
		{"Centre cross", "centre", shows(g.cross[0], g.cross[1])},
		{"Mirror my preview (not the show)", "mirrored", func(on bool) { g.p.mirror.Store(on) }},
	}
	g.menu = fyne.NewMenu("")
	for _, t := range toggles {
		item := fyne.NewMenuItem(t.label, nil)
		item.Action = func() {
			item.Checked = !item.Checked
			t.set(item.Checked)
			g.menu.Refresh()
			g.label(toggles)
		}
		g.menu.Items = append(g.menu.Items, item)
	}
	g.button = widget.NewButtonWithIcon("", theme.MenuDropDownIcon(), func() {
		c := fyne.CurrentApp().Driver().CanvasForObject(g.button)
		if c == nil {
			return
		}
		pos := fyne.CurrentApp().Driver().AbsolutePositionForObject(g.button)
		widget.ShowPopUpMenuAtPosition(g.menu, c, pos.AddXY(0, g.button.Size().Height))
	})
	g.button.Alignment = widget.ButtonAlignLeading
	g.button.IconPlacement = widget.ButtonIconTrailingText
	g.button.Importance = widget.LowImportance
	g.label(toggles)
	g.p.onShape = g.layer.Refresh
	g.box = container.NewStack(g.p.img, g.layer) // the button goes in the window's bar
	return g
}

// label says on the button which guides are on.
func (g *guides) label(toggles []guideToggle) {
	var on []string
	for i, it := range g.menu.Items {
		if it.Checked {
			on = append(on, toggles[i].short)
		}
	}
	if len(on) == 0 {
		g.button.SetText("Guides: none")
		return
	}
	g.button.SetText("Guides: " + strings.Join(on, ", "))
}

// MinSize is the preview's: the guides ask for no room of their own.
func (g *guides) MinSize([]fyne.CanvasObject) fyne.Size { return fyne.NewSize(0, 0) }

// Layout places the guides on the picture as the preview draws it (fitted,
// aspect kept, centred).
func (g *guides) Layout(_ []fyne.CanvasObject, size fyne.Size) {
	r := pictureRect(size, g.p.aspect)
	at := func(fx, fy float32) fyne.Position {
		return fyne.NewPos(r.Min.X+fx*(r.Max.X-r.Min.X), r.Min.Y+fy*(r.Max.Y-r.Min.Y))
	}
	for i, f := range []float32{1.0 / 3, 2.0 / 3} {
		g.thirds[i].Position1, g.thirds[i].Position2 = at(f, 0), at(f, 1)
		g.thirds[2+i].Position1, g.thirds[2+i].Position2 = at(0, f), at(1, f)
	}
	g.cross[0].Position1, g.cross[0].Position2 = at(0.47, 0.5), at(0.53, 0.5)
	g.cross[1].Position1, g.cross[1].Position2 = at(0.5, 0.5-0.03*aspectOr(g.p.aspect)), at(0.5, 0.5+0.03*aspectOr(g.p.aspect))
	for _, s := range []struct {
		r     *canvas.Rectangle
		share float32
	}{{g.action, actionSafe}, {g.title, titleSafe}} {
		m := (1 - s.share) / 2
		s.r.Move(at(m, m))
		s.r.Resize(fyne.NewSize(s.share*(r.Max.X-r.Min.X), s.share*(r.Max.Y-r.Min.Y)))
	}
	for _, l := range append(g.thirds[:], g.cross[:]...) {
		l.Refresh()
	}
}

func aspectOr(a float32) float32 {
	if a <= 0 {
		return 16.0 / 9
	}
	return a
}

// rectF is a rectangle in Fyne's units.
type rectF struct{ Min, Max fyne.Position }

// pictureRect is where a picture of aspect (width/height; 0: 16:9) lands
// in size, fitted and centred as canvas.ImageFillContain draws it.
func pictureRect(size fyne.Size, aspect float32) rectF {
	a := aspectOr(aspect)
	w, h := size.Width, size.Height
	if h <= 0 || w <= 0 {
		return rectF{}
	}
	if w/h > a {
		w = h * a
	} else {
		h = w / a
	}
	x, y := (size.Width-w)/2, (size.Height-h)/2
	return rectF{fyne.NewPos(x, y), fyne.NewPos(x+w, y+h)}
}

// mirrorRGBA flips img left to right in place: the performer's own view,
// like a mirror; the show is never touched.
func mirrorRGBA(img *image.RGBA) {
	w := img.Rect.Dx()
	for y := 0; y < img.Rect.Dy(); y++ {
		row := img.Pix[y*img.Stride : y*img.Stride+4*w]
		for l, r := 0, 4*(w-1); l < r; l, r = l+4, r-4 {
			row[l], row[r] = row[r], row[l]
			row[l+1], row[r+1] = row[r+1], row[l+1]
			row[l+2], row[r+2] = row[r+2], row[l+2]
			row[l+3], row[r+3] = row[r+3], row[l+3]
		}
	}
}
