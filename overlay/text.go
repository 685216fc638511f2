package overlay

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"math"
	"slices"
	"unicode"

	"golang.org/x/image/font"
	"golang.org/x/image/font/sfnt"
	"golang.org/x/image/math/fixed"
	"golang.org/x/image/vector"
)

// Align places each line within the text box. The zero value means left.
type Align int

const (
	AlignLeft Align = iota + 1
	AlignCenter
	AlignRight
)

// TextStyle says how RenderText draws. Zero fields take the defaults noted.
type TextStyle struct {
	Font         string      // FontRegular (""), FontBold ("bold") or a TTF/OTF path
	Size         float64     // em size in px; default 32
	Color        color.NRGBA // default opaque white
	Outline      float64     // outline width in px; 0: none
	OutlineColor color.NRGBA // default opaque black
	Shadow       image.Point // shadow offset in px; (0, 0): none
	ShadowColor  color.NRGBA // default black at 60 %
	Width        int         // wrap at word boundaries within this many px; 0: no wrapping
	MaxLines     int         // lines past it are dropped, the last kept one ends with "…"; 0: no limit
	Align        Align       // within Width (or the widest line); default left
	LineSpacing  float64     // line height as a multiple of Size; default 1.2
}

// Limits that keep untrusted text from costing unbounded time or memory.
const (
	maxTextRunes   = 10000
	maxTextSide    = 8192 // px, for the box and the picture
	maxTextPixels  = 4 << 20
	maxTextSize    = 1000 // px
	maxTextOutline = 64   // px
	maxShadow      = 256  // px
)

func (st TextStyle) withDefaults() (TextStyle, error) {
	bad := func(v float64) bool { return math.IsNaN(v) || math.IsInf(v, 0) }
	if st.Size == 0 {
		st.Size = 32
	}
	if st.LineSpacing == 0 {
		st.LineSpacing = 1.2
	}
	if st.Color == (color.NRGBA{}) {
		st.Color = color.NRGBA{255, 255, 255, 255}
	}
	if st.OutlineColor == (color.NRGBA{}) {
		st.OutlineColor = color.NRGBA{0, 0, 0, 255}
	}
	if st.ShadowColor == (color.NRGBA{}) {
		st.ShadowColor = color.NRGBA{0, 0, 0, 153}
	}
	if st.Align == 0 {
		st.Align = AlignLeft
	}
	switch {
	case bad(st.Size) || st.Size < 1 || st.Size > maxTextSize:
		return st, fmt.Errorf("text size %v px is out of range: use 1 to %d", st.Size, maxTextSize)
	case bad(st.Outline) || st.Outline < 0 || st.Outline > maxTextOutline:
		return st, fmt.Errorf("text outline %v px is out of range: use 0 to %d", st.Outline, maxTextOutline)
	case abs(st.Shadow.X) > maxShadow || abs(st.Shadow.Y) > maxShadow:
		return st, fmt.Errorf("text shadow offset %v is out of range: use at most %d px each way", st.Shadow, maxShadow)
	case st.Width < 0 || st.Width > maxTextSide:
		return st, fmt.Errorf("text box width %d px is out of range: use 0 (no wrapping) to %d", st.Width, maxTextSide)
	case st.MaxLines < 0:
		return st, fmt.Errorf("text line limit %d is negative: use 0 for no limit", st.MaxLines)
	case st.Align < AlignLeft || st.Align > AlignRight:
		return st, fmt.Errorf("text alignment %d is unknown: use left, center or right", st.Align)
	case bad(st.LineSpacing) || st.LineSpacing <= 0 || st.LineSpacing > 10:
		return st, fmt.Errorf("line spacing %v is out of range: use more than 0, up to 10", st.LineSpacing)
	}
	return st, nil
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

// TextBox is rendered text. The box is the laid-out text: Size.X is Width
// (or the widest line), Size.Y the lines times the line height; it does not
// depend on which glyphs have ink, so a clock placed by its box does not
// move as its digits change. Pic holds only the ink (outline and shadow
// included), with its top-left corner at Offset from the box's: to put the
// box's corner at (x, y), draw Pic at (x+Offset.X, y+Offset.Y).
type TextBox struct {
	Pic    *YUVA
	Offset image.Point
	Size   image.Point
}

// RenderText draws s as plain text (no markup is read: the caller cleans
// untrusted text first, see studio.CleanText) and converts it for the canvas.
// Line feeds break lines; other control characters are left out, as are
// characters no font has. The picture is tight around the ink; see
// RenderTextBox for where the text box lies in it. Blank text gives an empty
// picture that draws nothing.
func RenderText(s string, st TextStyle) (*YUVA, error) {
	b, err := RenderTextBox(s, st)
	if err != nil {
		return nil, err
	}
	return b.Pic, nil
}

// RenderTextBox is RenderText with the text box's size and place.
func RenderTextBox(s string, st TextStyle) (TextBox, error) {
	r, err := renderText(s, st)
	if err != nil {
		return TextBox{}, err
	}
	return TextBox{Pic: NewYUVA(r.img), Offset: r.img.Rect.Min, Size: r.box}, nil
}

// MeasureText is the size of the text box RenderTextBox would give, without
// drawing.
func MeasureText(s string, st TextStyle) (w, h int, err error) {
	st, err = st.withDefaults()
	if err != nil {
		return 0, 0, err
	}
	l, err := layoutText(s, st, &sfnt.Buffer{})
	if err != nil {
		return 0, 0, err
	}
	return l.box.X, l.box.Y, nil
}

// renderedText is text drawn in RGB before conversion: img's bounds are in
// box coordinates (the box's top-left corner at 0, 0).
type renderedText struct {
	img       *image.NRGBA
	box       image.Point
	baseline0 int // the first line's baseline, from the box's top
}

// item is one character laid out: its glyph (f nil: nothing to draw), its
// advance and the kerning towards the next character, in px.
type item struct {
	r         rune
	f         *sfnt.Font
	idx       sfnt.GlyphIndex
	adv, kern float64
}

type textLine struct {
	items []item
	width float64 // to the last non-space character's advance
}

type layout struct {
	lines     []textLine
	box       image.Point
	lineH     float64
	baseline0 int
}

// layoutText shapes s into lines: one glyph per character (no ligatures or
// contextual forms; combining marks have no advance in the fonts we use, so
// they sit on the letter before them), kerning from the font's kern table,
// greedy wrapping at spaces.
func layoutText(s string, st TextStyle, buf *sfnt.Buffer) (layout, error) {
	var l layout
	if n := len([]rune(s)); n > maxTextRunes {
		return l, fmt.Errorf("text is %d characters long, more than the %d one text may have", n, maxTextRunes)
	}
	chain, err := newFontChain(st.Font)
	if err != nil {
		return l, err
	}
	ppem := fixedPx(st.Size)
	m, err := chain.main().Metrics(buf, ppem, font.HintingNone)
	if err != nil {
		return l, fmt.Errorf("font metrics: %w", err)
	}
	asc, desc := f26(m.Ascent), f26(m.Descent)
	l.lineH = st.Size * st.LineSpacing
	l.baseline0 = int(math.Round((l.lineH-(asc+desc))/2 + asc))

	mk := func(r rune) item {
		it := item{r: r}
		if f, idx, ok := chain.glyph(buf, r); ok {
			if adv, err := f.GlyphAdvance(buf, idx, ppem, font.HintingNone); err == nil {
				it.f, it.idx, it.adv = f, idx, f26(adv)
			}
		}
		return it
	}
	var paras [][]item
	var cur []item
	for _, r := range s {
		switch {
		case r == '\n':
			paras, cur = append(paras, cur), nil
		case r == '\t':
			cur = append(cur, mk(' '))
		case unicode.IsControl(r) || r == unicode.ReplacementChar:
		default:
			if it := mk(r); it.f != nil {
				cur = append(cur, it)
			}
		}
	}
	paras = append(paras, cur)
	for _, p := range paras {
		for i := 1; i < len(p); i++ {
			if a, b := &p[i-1], p[i]; a.f == b.f {
				if k, err := a.f.Kern(buf, a.idx, b.idx, ppem, font.HintingNone); err == nil {
					a.kern = f26(k)
				}
			}
		}
		if st.Width > 0 {
			l.lines = append(l.lines, wrap(p, float64(st.Width))...)
		} else {
			l.lines = append(l.lines, newLine(p))
		}
	}
	if st.MaxLines > 0 && len(l.lines) > st.MaxLines {
		l.lines = l.lines[:st.MaxLines]
		last := &l.lines[len(l.lines)-1]
		*last = withEllipsis(last.items, float64(st.Width), mk)
	}
	widest := 0.0
	for _, ln := range l.lines {
		widest = max(widest, ln.width)
	}
	l.box.X = int(math.Ceil(widest))
	if st.Width > 0 {
		l.box.X = st.Width
	}
	l.box.Y = int(math.Ceil(l.lineH * float64(len(l.lines))))
	if err := checkTextSize(l.box); err != nil {
		return l, err
	}
	return l, nil
}

// checkTextSize refuses text larger than any canvas could show: rendering
// it would cost seconds and hundreds of megabytes. A chat box sets MaxLines.
func checkTextSize(sz image.Point) error {
	if sz.X > maxTextSide || sz.Y > maxTextSide || sz.X*sz.Y > maxTextPixels {
		return fmt.Errorf("text would be %d×%d px, larger than a picture may be (%d px a side, %d megapixels): shorten it, or limit its lines", sz.X, sz.Y, maxTextSide, maxTextPixels>>20)
	}
	return nil
}

func f26(v fixed.Int26_6) float64 { return float64(v) / 64 }

func fixedPx(v float64) fixed.Int26_6 { return fixed.Int26_6(math.Round(v * 64)) }

// newLine measures items as one line, trailing spaces excluded.
func newLine(items []item) textLine {
	w, end := 0.0, 0.0
	for i, it := range items {
		w += it.adv
		if !unicode.IsSpace(it.r) {
			end = w
		}
		if i < len(items)-1 {
			w += it.kern
		}
	}
	return textLine{items: items, width: end}
}

// wrap breaks a paragraph into lines no wider than width, at spaces; a word
// wider than width is broken between characters (never before a combining
// mark). Spaces where a line breaks are dropped.
func wrap(p []item, width float64) []textLine {
	var lines []textLine
	isSpace := func(i int) bool { return unicode.IsSpace(p[i].r) }
	// Widths from running sums, so a long paragraph costs linear time.
	sum := make([]float64, len(p)+1)
	for i, it := range p {
		sum[i+1] = sum[i] + it.adv + it.kern
	}
	span := func(a, b int) float64 { // p[a:b] ends with a character that is not a space
		return sum[b] - sum[a] - p[b-1].kern
	}
	start := 0 // first item of the line being filled
	for start < len(p) {
		for start < len(p) && isSpace(start) && len(lines) > 0 {
			start++ // a wrapped line does not begin with the spaces it broke at
		}
		if start == len(p) {
			break
		}
		end := start // the line holds p[start:end]
		pos := start // next item to consider
		for pos < len(p) {
			// The next word with the spaces before it.
			we := pos
			for we < len(p) && isSpace(we) {
				we++
			}
			for we < len(p) && !isSpace(we) {
				we++
			}
			if we == pos || isSpace(we-1) { // only spaces left: they cost no width
				end, pos = we, we
				continue
			}
			if span(start, we) <= width {
				end, pos = we, we
				continue
			}
			if end == start { // the first word alone is too wide: break it
				end = start + 1
				for end < we {
					next := end + 1
					for next < we && isMark(p[next].r) {
						next++
					}
					if span(start, next) > width {
						break
					}
					end = next
				}
				for end < we && isMark(p[end].r) {
					end++
				}
			}
			break
		}
		lines = append(lines, newLine(p[start:end]))
		start = end
	}
	if len(lines) == 0 {
		lines = append(lines, textLine{})
	}
	return lines
}

func isMark(r rune) bool { return unicode.In(r, unicode.Mn, unicode.Me, unicode.Mc) }

// withEllipsis ends a line that more text followed with "…", dropping
// characters until it fits in width (0: any width).
func withEllipsis(items []item, width float64, mk func(rune) item) textLine {
	dots := []item{mk('…')}
	if dots[0].f == nil {
		d := mk('.')
		dots = []item{d, d, d}
	}
	items = slices.Clone(items)
	for {
		for len(items) > 0 && unicode.IsSpace(items[len(items)-1].r) {
			items = items[:len(items)-1]
		}
		if len(items) > 0 {
			items[len(items)-1].kern = 0 // no kerning across the cut
		}
		ln := newLine(append(slices.Clip(items), dots...))
		if len(items) == 0 || width <= 0 || ln.width <= width {
			return ln
		}
		// Drop the last character with the marks on it.
		for len(items) > 1 && isMark(items[len(items)-1].r) {
			items = items[:len(items)-1]
		}
		items = items[:len(items)-1]
	}
}

// placedGlyph is a glyph's outline ready to draw at rect (pixels, box
// coordinates); its outline is in px relative to rect.Min.
type placedGlyph struct {
	segs   sfnt.Segments
	dx, dy float32 // where the glyph's origin falls relative to rect.Min
	rect   image.Rectangle
}

func renderText(s string, st TextStyle) (renderedText, error) {
	st, err := st.withDefaults()
	if err != nil {
		return renderedText{}, err
	}
	buf := &sfnt.Buffer{}
	l, err := layoutText(s, st, buf)
	if err != nil {
		return renderedText{}, err
	}
	out := renderedText{box: l.box, baseline0: l.baseline0}
	ppem := fixedPx(st.Size)

	// Glyphs may reach past the box (accents, descenders, marks), but not
	// far: a pile of combining marks in a chat name must not cover the
	// canvas.
	slack := int(math.Ceil(st.Size / 2))
	var glyphs []placedGlyph
	var ink image.Rectangle
	for n, ln := range l.lines {
		top := int(math.Round(l.lineH * float64(n)))
		band := image.Rect(-slack, top-slack, l.box.X+slack, int(math.Round(l.lineH*float64(n+1)))+slack)
		x := 0.0
		switch st.Align {
		case AlignCenter:
			x = math.Round((float64(l.box.X) - ln.width) / 2)
		case AlignRight:
			x = math.Round(float64(l.box.X) - ln.width)
		}
		y := float64(top + l.baseline0)
		for _, it := range ln.items {
			ox := x
			x += it.adv + it.kern
			if it.f == nil || unicode.IsSpace(it.r) {
				continue
			}
			segs, err := it.f.LoadGlyph(buf, it.idx, ppem, nil)
			if err != nil || len(segs) == 0 {
				continue // a colour (bitmap) glyph, or an empty one
			}
			b := segs.Bounds()
			r := image.Rect(
				int(math.Floor(ox+f26(b.Min.X))), int(math.Floor(y+f26(b.Min.Y))),
				int(math.Ceil(ox+f26(b.Max.X))), int(math.Ceil(y+f26(b.Max.Y))))
			if r.Intersect(band).Empty() {
				continue
			}
			glyphs = append(glyphs, placedGlyph{
				segs: slices.Clone(segs), // buf is reused by the next glyph
				dx:   float32(ox - float64(r.Min.X)), dy: float32(y - float64(r.Min.Y)),
				rect: r,
			})
			ink = ink.Union(r.Intersect(band))
		}
	}
	if ink.Empty() {
		out.img = image.NewNRGBA(image.Rectangle{})
		return out, nil
	}
	// Room for the outline (and its soft edge), then the shadow's copy.
	shape := ink
	if st.Outline > 0 {
		shape = ink.Inset(-(int(math.Ceil(st.Outline)) + 1))
	}
	pic := shape
	if st.Shadow != (image.Point{}) {
		pic = pic.Union(shape.Add(st.Shadow))
	}
	if err := checkTextSize(pic.Size()); err != nil {
		return out, err
	}

	cov := rasterize(glyphs, pic)
	edge := cov
	if st.Outline > 0 {
		edge = dilate(cov, pic.Dx(), pic.Dy(), st.Outline)
	}
	out.img = compose(cov, edge, pic, st)
	return out, nil
}

// rasterize draws the glyphs' coverage (0..1) over rect, clipped to it.
func rasterize(glyphs []placedGlyph, rect image.Rectangle) []float32 {
	w := rect.Dx()
	cov := make([]float32, w*rect.Dy())
	var z vector.Rasterizer
	var scratch image.Alpha
	for _, g := range glyphs {
		gw, gh := g.rect.Dx(), g.rect.Dy()
		z.Reset(gw, gh)
		z.DrawOp = draw.Src
		for _, s := range g.segs {
			p := func(i int) (float32, float32) {
				return float32(s.Args[i].X)/64 + g.dx, float32(s.Args[i].Y)/64 + g.dy
			}
			switch s.Op {
			case sfnt.SegmentOpMoveTo:
				z.MoveTo(p(0))
			case sfnt.SegmentOpLineTo:
				z.LineTo(p(0))
			case sfnt.SegmentOpQuadTo:
				x0, y0 := p(0)
				x1, y1 := p(1)
				z.QuadTo(x0, y0, x1, y1)
			case sfnt.SegmentOpCubeTo:
				x0, y0 := p(0)
				x1, y1 := p(1)
				x2, y2 := p(2)
				z.CubeTo(x0, y0, x1, y1, x2, y2)
			}
		}
		z.ClosePath()
		if n := gw * gh; cap(scratch.Pix) < n {
			scratch.Pix = make([]uint8, n)
		} else {
			clear(scratch.Pix[:n])
		}
		scratch.Pix, scratch.Stride, scratch.Rect = scratch.Pix[:gw*gh], gw, image.Rect(0, 0, gw, gh)
		z.Draw(&scratch, scratch.Rect, image.Opaque, image.Point{})
		// Glyphs that overlap (a mark on its letter) add like paint.
		c := g.rect.Intersect(rect)
		for y := c.Min.Y; y < c.Max.Y; y++ {
			so := (y-g.rect.Min.Y)*gw + c.Min.X - g.rect.Min.X
			src := scratch.Pix[so : so+c.Dx()]
			do := (y-rect.Min.Y)*w + c.Min.X - rect.Min.X
			dst := cov[do : do+c.Dx()]
			for x, a := range src {
				if a != 0 {
					d := dst[x]
					dst[x] = d + float32(a)/255*(1-d)
				}
			}
		}
	}
	return cov
}

// dilate grows the coverage by radius px with a soft edge: each pixel's
// distance to the glyph, found by a Euclidean distance transform
// (Felzenszwalb & Huttenlocher) seeded so a partly covered pixel counts as
// nearer the edge the more it is covered. Cost is linear in the pixels,
// whatever the radius.
func dilate(cov []float32, w, h int, radius float64) []float32 {
	const far = 1e20
	d := make([]float64, len(cov))
	for i, c := range cov {
		switch {
		case c >= 1:
			d[i] = 0
		case c > 0:
			d[i] = float64((1 - c) * (1 - c))
		default:
			d[i] = far
		}
	}
	// Beyond radius+1 a pixel gets no outline: nearer seeds are all that
	// matter.
	limit := (radius + 1) * (radius + 1)
	n := max(w, h)
	f, out := make([]float64, n), make([]float64, n)
	v, z := make([]int, n), make([]float64, n+1)
	for x := range w { // columns
		for y := range h {
			f[y] = d[y*w+x]
		}
		distance1D(f[:h], out[:h], limit, v, z)
		for y := range h {
			d[y*w+x] = out[y]
		}
	}
	edge := make([]float32, len(cov))
	for y := range h { // rows
		row := d[y*w : y*w+w]
		distance1D(row, out[:w], limit, v, z)
		for x := range w {
			// A pixel's centre is half a pixel inside the edge of the
			// covered pixel next to it.
			e := float32(min(1, max(0, radius+1-math.Sqrt(out[x]))))
			edge[y*w+x] = max(e, cov[y*w+x])
		}
	}
	return edge
}

// distance1D is the lower envelope of parabolas: out[q] = min over p of
// (q-p)² + f[p], for the p with f[p] < limit (the others could only give
// distances the caller treats as far); out is limit or more where none is.
func distance1D(f, out []float64, limit float64, v []int, z []float64) {
	k := -1
	for q, fq := range f {
		if fq >= limit {
			continue
		}
		for k >= 0 {
			p := v[k]
			s := ((fq + float64(q*q)) - (f[p] + float64(p*p))) / float64(2*(q-p))
			if s > z[k] {
				k++
				v[k], z[k], z[k+1] = q, s, math.Inf(1)
				break
			}
			k--
		}
		if k < 0 { // the first parabola, or lowest everywhere so far
			k = 0
			v[0], z[0], z[1] = q, math.Inf(-1), math.Inf(1)
		}
	}
	if k < 0 {
		for q := range out {
			out[q] = limit
		}
		return
	}
	k = 0
	for q := range out {
		for z[k+1] < float64(q) {
			k++
		}
		p := v[k]
		out[q] = float64((q-p)*(q-p)) + f[p]
	}
}

// compose paints, bottom up, the shadow (the outlined shape, offset), the
// outline and the fill, and returns straight-alpha pixels over rect.
func compose(cov, edge []float32, rect image.Rectangle, st TextStyle) *image.NRGBA {
	img := image.NewNRGBA(rect)
	w, h := rect.Dx(), rect.Dy()
	type paint struct{ r, g, b, a float32 }
	pt := func(c color.NRGBA) paint {
		return paint{float32(c.R), float32(c.G), float32(c.B), float32(c.A) / 255}
	}
	fill, line, shadow := pt(st.Color), pt(st.OutlineColor), pt(st.ShadowColor)
	sx, sy := st.Shadow.X, st.Shadow.Y
	hasShadow := st.Shadow != (image.Point{})
	for y := range h {
		for x := range w {
			i := y*w + x
			var r, g, b, a float32 // premultiplied, 0..255 and 0..1
			over := func(p paint, cover float32) {
				al := p.a * cover
				if al == 0 {
					return
				}
				r = p.r*al + r*(1-al)
				g = p.g*al + g*(1-al)
				b = p.b*al + b*(1-al)
				a = al + a*(1-al)
			}
			if hasShadow {
				if x2, y2 := x-sx, y-sy; x2 >= 0 && x2 < w && y2 >= 0 && y2 < h {
					over(shadow, edge[y2*w+x2])
				}
			}
			if st.Outline > 0 {
				over(line, edge[i])
			}
			over(fill, cov[i])
			if a <= 0 {
				continue
			}
			px := img.Pix[y*img.Stride+4*x:]
			px[0] = uint8(min(255, r/a+0.5))
			px[1] = uint8(min(255, g/a+0.5))
			px[2] = uint8(min(255, b/a+0.5))
			px[3] = uint8(min(255, a*255+0.5))
		}
	}
	return img
}
