package overlay

import (
	"fmt"
	"image"
	"image/color"
	"math"
	"strconv"
	"strings"

	"golang.org/x/image/font"
)

// GoalStyle says how RenderGoal draws the tip goal. Zero fields take the
// defaults noted.
type GoalStyle struct {
	Width, Height int         // px; default 640×48
	Bar           color.NRGBA // the empty part; default black at 63 %
	Fill          color.NRGBA // the reached part; default green
	Text          color.NRGBA // default opaque white, outlined in black
	Font          string      // as TextStyle.Font
	Radius        int         // corner radius in px; default Height/2 (round ends), negative: square
}

func (st GoalStyle) withDefaults() (GoalStyle, error) {
	if st.Width == 0 {
		st.Width = 640
	}
	if st.Height == 0 {
		st.Height = 48
	}
	if st.Bar == (color.NRGBA{}) {
		st.Bar = color.NRGBA{0, 0, 0, 160}
	}
	if st.Fill == (color.NRGBA{}) {
		st.Fill = color.NRGBA{40, 190, 100, 255}
	}
	if st.Text == (color.NRGBA{}) {
		st.Text = color.NRGBA{255, 255, 255, 255}
	}
	switch {
	case st.Width < 16 || st.Width > maxTextSide || st.Height < 8 || st.Height > maxTextSide:
		return st, fmt.Errorf("goal bar size %d×%d px is out of range: use 16 to %d px wide, 8 to %d px high", st.Width, st.Height, maxTextSide, maxTextSide)
	case st.Radius == 0:
		st.Radius = st.Height / 2
	case st.Radius < 0:
		st.Radius = 0
	}
	st.Radius = min(st.Radius, st.Width/2, st.Height/2)
	return st, nil
}

// RenderGoal draws the goal bar: a rounded bar filled in proportion to
// current/target (0 to 100 %; past the goal it stays full), with
// "title — current / target unit (NN %)" centred on it, outlined so it reads
// on both the fill and the bar. The text shrinks to fit, then is cut with
// "…". title and unit are plain text; the caller cleans untrusted text.
func RenderGoal(title string, current, target float64, unit string, st GoalStyle) (*YUVA, error) {
	img, err := renderGoal(title, current, target, unit, st)
	if err != nil {
		return nil, err
	}
	return NewYUVA(img), nil
}

func renderGoal(title string, current, target float64, unit string, st GoalStyle) (*image.NRGBA, error) {
	st, err := st.withDefaults()
	if err != nil {
		return nil, err
	}
	if math.IsNaN(current) || math.IsInf(current, 0) || math.IsNaN(target) || math.IsInf(target, 0) || target <= 0 {
		return nil, fmt.Errorf("goal amounts %v of %v cannot be shown: the goal must be a number above 0", current, target)
	}
	ratio := current / target
	img := goalBar(st, min(1, max(0, ratio)))

	amounts := goalAmounts(current, target, unit)

	// Text inside the rounded ends, shrunk to fit down to 70 %; then the
	// title is shortened, since the amounts are what viewers look for.
	inset := max(st.Radius/2, st.Height/4)
	avail := st.Width - 2*inset
	ts := TextStyle{
		Font: st.Font, Size: float64(st.Height) * 0.5, Color: st.Text,
		Align: AlignCenter, MaxLines: 1,
	}
	label, err := fitGoalLabel(strings.TrimSpace(title), amounts, avail, &ts)
	if err != nil {
		return nil, err
	}
	ts.Outline = max(1, math.Round(ts.Size/10))
	ts.Width = avail // what still does not fit is cut with "…"
	txt, err := renderText(label, ts)
	if err != nil {
		return nil, err
	}
	// Centre the capital letters' height on the bar, not the line box.
	chain, err := newFontChain(st.Font)
	if err != nil {
		return nil, err
	}
	capH := capHeight(chain, ts.Size)
	baseline := int(math.Round((float64(st.Height) + capH) / 2))
	overNRGBA(img, txt.img, image.Pt(inset, baseline-txt.baseline0))
	return img, nil
}

// goalAmounts is "current / target unit (NN %)"; the percentage is rounded
// down, so 100 % means the goal is met.
func goalAmounts(current, target float64, unit string) string {
	s := formatAmount(current) + " / " + formatAmount(target)
	if unit = strings.TrimSpace(unit); unit != "" {
		s += " " + unit
	}
	return s + fmt.Sprintf(" (%d %%)", int(math.Floor(max(0, current/target)*100+1e-9)))
}

// fitGoalLabel joins title and amounts, shrinking ts.Size (to 70 % at most)
// and then the title until the label fits in avail px.
func fitGoalLabel(title, amounts string, avail int, ts *TextStyle) (string, error) {
	join := func(t string) string {
		if t == "" {
			return amounts
		}
		return t + " — " + amounts
	}
	width := func(s string) (int, error) {
		w, _, err := MeasureText(s, *ts)
		return w, err
	}
	label := join(title)
	w, err := width(label)
	if err != nil || w <= avail {
		return label, err
	}
	ts.Size = max(ts.Size*0.7, ts.Size*float64(avail)/float64(w))
	if w, err = width(label); err != nil || w <= avail || title == "" {
		return label, err
	}
	// The longest start of the title that fits, found by halving.
	r := []rune(title)
	lo, hi := 0, len(r) // r[:lo] fits (or is empty), r[:hi] does not
	for hi-lo > 1 {
		mid := (lo + hi) / 2
		w, err := width(join(strings.TrimSpace(string(r[:mid])) + "…"))
		if err != nil {
			return "", err
		}
		if w <= avail {
			lo = mid
		} else {
			hi = mid
		}
	}
	if lo == 0 {
		return amounts, nil
	}
	return join(strings.TrimSpace(string(r[:lo])) + "…"), nil
}

// formatAmount prints an amount without useless decimals: 100, 12.5, 0.33.
func formatAmount(v float64) string {
	s := strconv.FormatFloat(v, 'f', 2, 64)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	if s == "-0" {
		s = "0"
	}
	return s
}

// capHeight is the height of capital letters at size px, from the font's
// table or, failing that, its "H".
func capHeight(c fontChain, size float64) float64 {
	f := c.main()
	ppem := fixedPx(size)
	if m, err := f.Metrics(nil, ppem, font.HintingNone); err == nil && m.CapHeight > 0 {
		return f26(m.CapHeight)
	}
	if idx, err := f.GlyphIndex(nil, 'H'); err == nil && idx != 0 {
		if b, _, err := f.GlyphBounds(nil, idx, ppem, font.HintingNone); err == nil {
			return -f26(b.Min.Y)
		}
	}
	return size * 0.7
}

// goalBar is the bar's rounded shape, antialiased, with the fill drawn over
// the bar colour up to ratio of its width.
func goalBar(st GoalStyle, ratio float64) *image.NRGBA {
	w, h := st.Width, st.Height
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	r := float64(st.Radius)
	hw, hh := float64(w)/2, float64(h)/2
	fillW := ratio * float64(w)
	for y := range h {
		for x := range w {
			// Signed distance from the pixel centre to the rounded rectangle.
			qx := math.Abs(float64(x)+0.5-hw) - (hw - r)
			qy := math.Abs(float64(y)+0.5-hh) - (hh - r)
			sd := math.Hypot(max(qx, 0), max(qy, 0)) + min(max(qx, qy), 0) - r
			shape := min(1, max(0, 0.5-sd))
			if shape == 0 {
				continue
			}
			// The part of this pixel's column left of the fill's edge.
			fill := min(1, max(0, fillW-float64(x)))
			px := mix(st.Bar, st.Fill, fill)
			px.A = uint8(float64(px.A)*shape + 0.5)
			img.SetNRGBA(x, y, px)
		}
	}
	return img
}

// mix paints top at coverage k over bottom, straight alpha in and out.
func mix(bottom, top color.NRGBA, k float64) color.NRGBA {
	ta := float64(top.A) / 255 * k
	ba := float64(bottom.A) / 255
	a := ta + ba*(1-ta)
	if a <= 0 {
		return color.NRGBA{}
	}
	ch := func(t, b uint8) uint8 {
		return uint8((float64(t)*ta+float64(b)*ba*(1-ta))/a + 0.5)
	}
	return color.NRGBA{ch(top.R, bottom.R), ch(top.G, bottom.G), ch(top.B, bottom.B), uint8(a*255 + 0.5)}
}

// overNRGBA paints src over dst with src's point 0,0 at dst's point at;
// both straight alpha. What falls outside dst is clipped.
func overNRGBA(dst, src *image.NRGBA, at image.Point) {
	r := src.Rect.Add(at).Intersect(dst.Rect)
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			s := src.NRGBAAt(x-at.X, y-at.Y)
			if s.A == 0 {
				continue
			}
			dst.SetNRGBA(x, y, mix(dst.NRGBAAt(x, y), s, 1))
		}
	}
}
