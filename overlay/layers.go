package overlay

import (
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/gif"
	_ "image/jpeg" // image layers
	_ "image/png"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	xdraw "golang.org/x/image/draw"

	"onair/capture"
)

// building is what one SetScenes collects: the alert box, and the images
// read (shared by the layers that show the same file at the same size).
type building struct {
	box    *alertLayer
	images map[string]*animation
}

// build makes the runtime of one layer.
func (st *Stage) build(l LayerSpec, b *building) (*stageLayer, error) {
	sl := &stageLayer{spec: l}
	sl.visible.Store(!l.Hidden)
	opacity := 1.0
	if l.Opacity != nil {
		opacity = *l.Opacity
	}
	switch l.Kind {
	case KindCamera:
		c := &cameraLayer{spec: l, w: st.w, h: st.h}
		sl.draw = func(_ *Stage, dst *image.YCbCr, src *capture.Frame, _ time.Duration) { c.draw(dst, src) }
	case KindImage:
		anim, err := b.loadImage(l)
		if err != nil {
			return nil, err
		}
		sl.draw = func(_ *Stage, dst *image.YCbCr, _ *capture.Frame, at time.Duration) {
			anim.frame(at).Draw(dst, l.X, l.Y, opacity)
		}
	case KindText:
		style, err := l.Style.textStyle(l.Width)
		if err != nil {
			return nil, err
		}
		if style.Width == 0 && style.Align == AlignCenter {
			style.Width = st.w - l.X // a centred line with no box centres on the canvas
		}
		t := &textLayer{tmpl: l.Text, style: style, x: l.X, y: l.Y, opacity: opacity, fields: strings.Contains(l.Text, "{")}
		for _, f := range timeFields {
			t.dynamic = t.dynamic || strings.Contains(l.Text, f)
		}
		sl.draw = func(st *Stage, dst *image.YCbCr, _ *capture.Frame, at time.Duration) { t.draw(st, dst, at) }
	case KindGoal:
		g := &goalLayer{x: l.X, y: l.Y, opacity: opacity, style: GoalStyle{Width: l.Width, Height: l.Height, Font: l.Style.Font}}
		sl.draw = func(st *Stage, dst *image.YCbCr, _ *capture.Frame, _ time.Duration) { g.draw(st, dst) }
	case KindChat:
		style, err := l.Style.textStyle(l.Width)
		if err != nil {
			return nil, err
		}
		if style.Size == 0 {
			style.Size = 28
		}
		if style.Outline == 0 {
			style.Outline = 2
		}
		style.MaxLines = max(style.MaxLines, 3)
		c := &chatLayer{x: l.X, y: l.Y, opacity: opacity, style: style,
			lines: l.Lines, fade: seconds(l.FadeSec, 30)}
		if c.lines <= 0 {
			c.lines = 8
		}
		if c.style.Width == 0 {
			c.style.Width = max(st.w/3, 200)
		}
		sl.draw = func(st *Stage, dst *image.YCbCr, _ *capture.Frame, at time.Duration) { c.draw(st, dst, at) }
	case KindAlert:
		a, err := newAlertLayer(st, l, opacity, b)
		if err != nil {
			return nil, err
		}
		b.box = a
		sl.draw = func(st *Stage, dst *image.YCbCr, _ *capture.Frame, at time.Duration) { a.draw(st, dst, at) }
	}
	return sl, nil
}

// textStyle turns the profile's text settings into a TextStyle; wrap is the
// layer's width when the style gives none.
func (t TextSpec) textStyle(width int) (TextStyle, error) {
	fill, err := ParseColor(t.Color, color.NRGBA{255, 255, 255, 255})
	if err != nil {
		return TextStyle{}, err
	}
	outline, err := ParseColor(t.OutlineColor, color.NRGBA{0, 0, 0, 255})
	if err != nil {
		return TextStyle{}, err
	}
	st := TextStyle{Font: t.Font, Size: t.Size, Color: fill, Outline: t.Outline, OutlineColor: outline,
		Shadow: image.Pt(t.Shadow[0], t.Shadow[1]), Width: t.Wrap, MaxLines: t.MaxLines, Align: AlignLeft}
	if st.Size <= 0 {
		st.Size = 40
	}
	if st.Width == 0 {
		st.Width = width
	}
	switch t.Align {
	case "center":
		st.Align = AlignCenter
	case "right":
		st.Align = AlignRight
	}
	return st, nil
}

// cameraLayer places the program's picture in its box: cropped, mirrored,
// fitted (bars) or filling (cut), scaled by the nearest source pixel. The
// maps are made again only when the source's size changes.
type cameraLayer struct {
	spec       LayerSpec
	w, h       int
	srcW, srcH int
	box        image.Rectangle // on the canvas, even-aligned
	pic        image.Rectangle // where the picture lands, inside box
	xmap, ymap []int           // canvas column/row in pic → source column/row
}

func (c *cameraLayer) layout(sw, sh int) {
	c.srcW, c.srcH = sw, sh
	s := c.spec
	bw, bh := s.Width, s.Height
	if bw == 0 {
		bw = c.w
	}
	if bh == 0 {
		bh = c.h
	}
	c.box = image.Rect(s.X&^1, s.Y&^1, (s.X+bw)&^1, (s.Y+bh)&^1)
	cr := image.Rect(s.Crop[0], s.Crop[1], sw-s.Crop[2], sh-s.Crop[3]).Intersect(image.Rect(0, 0, sw, sh))
	if cr.Empty() {
		cr = image.Rect(0, 0, sw, sh)
	}
	cw, ch := cr.Dx(), cr.Dy()
	bw, bh = c.box.Dx(), c.box.Dy()
	pw, ph := bw, ch*bw/cw
	if (ph > bh) != s.Fill { // fit: inside the box; fill: over it
		pw, ph = cw*bh/ch, bh
	}
	pw, ph = max(pw&^1, 2), max(ph&^1, 2)
	x0, y0 := c.box.Min.X+((bw-pw)/2)&^1, c.box.Min.Y+((bh-ph)/2)&^1
	c.pic = image.Rect(x0, y0, x0+pw, y0+ph)
	c.xmap, c.ymap = make([]int, pw), make([]int, ph)
	for i := range c.xmap {
		sx := cr.Min.X + i*cw/pw
		if s.Mirror {
			sx = cr.Max.X - 1 - i*cw/pw
		}
		c.xmap[i] = sx
	}
	for i := range c.ymap {
		c.ymap[i] = cr.Min.Y + i*ch/ph
	}
}

func (c *cameraLayer) draw(d *image.YCbCr, src *capture.Frame) {
	if src == nil {
		return
	}
	s := src.Pic
	if s.Rect.Dx() != c.srcW || s.Rect.Dy() != c.srcH {
		c.layout(s.Rect.Dx(), s.Rect.Dy())
	}
	canvas := d.Rect
	box := c.box.Intersect(canvas)
	vis := c.pic.Intersect(box)
	// Bars: the box outside the picture, filled by runs (testing every
	// pixel of the box cost more than the copy of the picture itself). A
	// chroma sample is a bar when its top-left luma pixel is.
	fillOutside(d.Y, d.YStride, box, vis, 16)
	cbox := image.Rect(box.Min.X/2, box.Min.Y/2, box.Max.X/2, box.Max.Y/2)
	cvis := image.Rect((vis.Min.X+1)/2, (vis.Min.Y+1)/2, (vis.Max.X+1)/2, (vis.Max.Y+1)/2)
	fillOutside(d.Cb, d.CStride, cbox, cvis, 128)
	fillOutside(d.Cr, d.CStride, cbox, cvis, 128)
	if vis.Empty() {
		return
	}
	// Same size, no crop or mirror: row copies.
	if c.pic.Dx() == c.srcW && c.pic.Dy() == c.srcH && !c.spec.Mirror && c.spec.Crop == [4]int{} {
		for y := vis.Min.Y; y < vis.Max.Y; y++ {
			sy := y - c.pic.Min.Y
			copy(d.Y[y*d.YStride+vis.Min.X:y*d.YStride+vis.Max.X], s.Y[sy*s.YStride+vis.Min.X-c.pic.Min.X:])
		}
		for y := vis.Min.Y / 2; y < vis.Max.Y/2; y++ {
			sy := y - c.pic.Min.Y/2
			so := sy*s.CStride + vis.Min.X/2 - c.pic.Min.X/2
			do := y*d.CStride + vis.Min.X/2
			n := vis.Max.X/2 - vis.Min.X/2
			copy(d.Cb[do:do+n], s.Cb[so:])
			copy(d.Cr[do:do+n], s.Cr[so:])
		}
		return
	}
	for y := vis.Min.Y; y < vis.Max.Y; y++ {
		srow := s.Y[c.ymap[y-c.pic.Min.Y]*s.YStride:]
		drow := d.Y[y*d.YStride:]
		for x := vis.Min.X; x < vis.Max.X; x++ {
			drow[x] = srow[c.xmap[x-c.pic.Min.X]]
		}
	}
	for y := vis.Min.Y / 2; y < vis.Max.Y/2; y++ {
		so := c.ymap[y*2-c.pic.Min.Y] / 2 * s.CStride
		do := y * d.CStride
		for x := vis.Min.X / 2; x < vis.Max.X/2; x++ {
			sx := c.xmap[x*2-c.pic.Min.X] / 2
			d.Cb[do+x], d.Cr[do+x] = s.Cb[so+sx], s.Cr[so+sx]
		}
	}
}

// fillOutside sets the samples of outer that are not in inner to v.
func fillOutside(p []uint8, stride int, outer, inner image.Rectangle, v uint8) {
	inner = inner.Intersect(outer)
	fill := func(row []uint8) {
		for i := range row {
			row[i] = v
		}
	}
	for y := outer.Min.Y; y < outer.Max.Y; y++ {
		row := p[y*stride:]
		if inner.Empty() || y < inner.Min.Y || y >= inner.Max.Y {
			fill(row[outer.Min.X:outer.Max.X])
			continue
		}
		fill(row[outer.Min.X:inner.Min.X])
		fill(row[inner.Max.X:outer.Max.X])
	}
}

// animation is an image layer's pictures: one, or an animated GIF's frames
// with when each ends in the loop.
type animation struct {
	frames []*YUVA
	ends   []time.Duration
	loop   time.Duration
}

func (a *animation) frame(at time.Duration) *YUVA {
	if len(a.frames) == 1 || a.loop <= 0 {
		return a.frames[0]
	}
	t := at % a.loop
	for i, e := range a.ends {
		if t < e {
			return a.frames[i]
		}
	}
	return a.frames[len(a.frames)-1]
}

// maxImageSide bounds an image layer: a larger one is refused in words.
const maxImageSide = 8192

// maxAnimationPixels bounds an animated GIF: frames × width × height (about
// 200 MB once converted).
const maxAnimationPixels = 40 << 20

// loadImage reads an image layer's file, scaled by its Scale or to its
// size, and converts it (every frame of an animated GIF) once per SetScenes:
// a file the performer replaced is read anew with the next scene change.
// The size is checked before the pictures are decoded.
func (b *building) loadImage(l LayerSpec) (*animation, error) {
	key := fmt.Sprintf("%s|%g|%dx%d", l.Path, l.Scale, l.Width, l.Height)
	if a := b.images[key]; a != nil {
		return a, nil
	}
	name := filepath.Base(l.Path)
	f, err := os.Open(l.Path)
	if err != nil {
		return nil, fmt.Errorf("image %s: %w", name, err)
	}
	defer f.Close()
	cfg, _, err := image.DecodeConfig(f)
	if err != nil {
		return nil, fmt.Errorf("image %s is not a PNG, JPEG or GIF onair can read: %w", name, err)
	}
	if cfg.Width > maxImageSide || cfg.Height > maxImageSide || cfg.Width < 1 || cfg.Height < 1 {
		return nil, fmt.Errorf("image %s is %dx%d: onair takes 1 to %d pixels a side", name, cfg.Width, cfg.Height, maxImageSide)
	}
	if cfg.Width*cfg.Height > maxAnimationPixels {
		return nil, fmt.Errorf("image %s is %dx%d: too large for an overlay (at most %d megapixels)", name, cfg.Width, cfg.Height, maxAnimationPixels>>20)
	}
	isGIF := strings.EqualFold(filepath.Ext(l.Path), ".gif")
	if isGIF {
		// Every frame is kept decoded: count them from the file's blocks
		// before decoding any.
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return nil, fmt.Errorf("image %s: %w", name, err)
		}
		px, err := gifPixels(io.LimitReader(f, maxGIFBytes))
		if err != nil {
			return nil, fmt.Errorf("image %s is not a GIF onair can read: %w", name, err)
		}
		if px > maxAnimationPixels {
			return nil, fmt.Errorf("image %s holds %d megapixels of frames: too much for an overlay (at most %d)", name, px>>20, maxAnimationPixels>>20)
		}
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, fmt.Errorf("image %s: %w", name, err)
	}
	var pics []image.Image
	var delays []int
	if isGIF {
		g, err := gif.DecodeAll(f)
		if err != nil {
			return nil, fmt.Errorf("image %s is not a GIF onair can read: %w", name, err)
		}
		if len(g.Image)*cfg.Width*cfg.Height > maxAnimationPixels { // the whole screen each, once rendered
			return nil, fmt.Errorf("image %s has %d frames of %dx%d: too much for an overlay (at most %d megapixels in all)", name, len(g.Image), cfg.Width, cfg.Height, maxAnimationPixels>>20)
		}
		pics, delays = gifFrames(g)
	} else {
		img, _, err := image.Decode(f)
		if err != nil {
			return nil, fmt.Errorf("image %s is not a PNG, JPEG or GIF onair can read: %w", filepath.Base(l.Path), err)
		}
		pics = []image.Image{img}
	}
	if len(pics) == 0 {
		return nil, fmt.Errorf("image %s: %w", filepath.Base(l.Path), errNoPicture)
	}
	a := &animation{}
	for i, p := range pics {
		b := p.Bounds()
		if b.Dx() > maxImageSide || b.Dy() > maxImageSide {
			return nil, fmt.Errorf("image %s is %dx%d: the largest onair takes is %d a side", filepath.Base(l.Path), b.Dx(), b.Dy(), maxImageSide)
		}
		w, h := b.Dx(), b.Dy()
		switch {
		case l.Width > 0 && l.Height > 0:
			w, h = l.Width, l.Height
		case l.Width > 0:
			w, h = l.Width, max(1, h*l.Width/w)
		case l.Height > 0:
			w, h = max(1, w*l.Height/h), l.Height
		case l.Scale > 0 && l.Scale != 1:
			w, h = max(1, int(float64(w)*l.Scale+0.5)), max(1, int(float64(h)*l.Scale+0.5))
		}
		w, h = min(w, maxImageSide), min(h, maxImageSide)
		if w != b.Dx() || h != b.Dy() {
			dst := image.NewNRGBA(image.Rect(0, 0, w, h))
			xdraw.CatmullRom.Scale(dst, dst.Bounds(), p, b, xdraw.Src, nil)
			p = dst
		}
		a.frames = append(a.frames, NewYUVA(p))
		if delays != nil {
			d := time.Duration(max(delays[i], 2)) * 10 * time.Millisecond // browsers treat <2 as 10
			a.loop += d
			a.ends = append(a.ends, a.loop)
		}
	}
	b.images[key] = a
	return a, nil
}

// gifFrames renders an animated GIF's frames whole (each frame of the file
// may be a patch over the last, per its disposal).
func gifFrames(g *gif.GIF) ([]image.Image, []int) {
	w, h := g.Config.Width, g.Config.Height
	if w <= 0 || h <= 0 {
		if len(g.Image) == 0 {
			return nil, nil
		}
		b := g.Image[0].Bounds()
		w, h = b.Max.X, b.Max.Y
	}
	canvas := image.NewNRGBA(image.Rect(0, 0, w, h))
	var out []image.Image
	for i, fr := range g.Image {
		var prev *image.NRGBA
		if i < len(g.Disposal) && g.Disposal[i] == gif.DisposalPrevious {
			prev = image.NewNRGBA(canvas.Rect)
			copy(prev.Pix, canvas.Pix)
		}
		xdraw.Draw(canvas, fr.Bounds(), fr, fr.Bounds().Min, xdraw.Over)
		snap := image.NewNRGBA(canvas.Rect)
		copy(snap.Pix, canvas.Pix)
		out = append(out, snap)
		if i < len(g.Disposal) {
			switch g.Disposal[i] {
			case gif.DisposalBackground:
				xdraw.Draw(canvas, fr.Bounds(), image.Transparent, image.Point{}, xdraw.Src)
			case gif.DisposalPrevious:
				canvas = prev
			}
		}
	}
	delays := make([]int, len(out))
	copy(delays, g.Delay)
	return out, delays
}

// maxGIFBytes bounds the file an animated GIF layer may be.
const maxGIFBytes = 64 << 20

// gifPixels walks a GIF's blocks without decompressing them and adds up its
// frames' sizes: what decoding it would allocate.
func gifPixels(r io.Reader) (int64, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return 0, err
	}
	bad := errors.New("its blocks are damaged")
	if len(b) < 13 || (string(b[:6]) != "GIF87a" && string(b[:6]) != "GIF89a") {
		return 0, bad
	}
	p := 13
	if b[10]&0x80 != 0 { // global colour table
		p += 3 << (b[10]&7 + 1)
	}
	// subBlocks skips a run of data sub-blocks ending with an empty one.
	subBlocks := func() bool {
		for p < len(b) {
			n := int(b[p])
			p += 1 + n
			if n == 0 {
				return true
			}
		}
		return false
	}
	var px int64
	for p < len(b) {
		switch b[p] {
		case 0x3B: // trailer
			return px, nil
		case 0x21: // extension: label, then sub-blocks
			p += 2
			if !subBlocks() {
				return px, nil // cut short: what is there is decoded
			}
		case 0x2C: // image: descriptor, colour table, LZW code size, data
			if p+10 > len(b) {
				return px, nil
			}
			w, h := int64(b[p+5])|int64(b[p+6])<<8, int64(b[p+7])|int64(b[p+8])<<8
			px += w * h
			flags := b[p+9]
			p += 10
			if flags&0x80 != 0 {
				p += 3 << (flags&7 + 1)
			}
			p++ // LZW minimum code size
			if !subBlocks() {
				return px, nil
			}
		default:
			return px, bad
		}
	}
	return px, nil
}
