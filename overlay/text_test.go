package overlay

import (
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/goregular"
)

var update = flag.Bool("update", false, "rewrite the golden images in overlay/testdata (go test ./overlay -run Golden -update)")

// inkRect is where img's alpha is above min, in img's coordinates.
func inkRect(img *image.NRGBA, min uint8) image.Rectangle {
	var r image.Rectangle
	b := img.Rect
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if img.NRGBAAt(x, y).A > min {
				r = r.Union(image.Rect(x, y, x+1, y+1))
			}
		}
	}
	return r
}

// glyphRect is the pixel box of r's glyph in Go Regular at size px, drawn
// with its origin at (0, baseline).
func glyphRect(t *testing.T, r rune, size float64, baseline int) image.Rectangle {
	t.Helper()
	f, err := goRegular()
	if err != nil {
		t.Fatal(err)
	}
	idx, err := f.GlyphIndex(nil, r)
	if err != nil || idx == 0 {
		t.Fatalf("Go Regular has no %q", r)
	}
	b, _, err := f.GlyphBounds(nil, idx, fixedPx(size), font.HintingNone)
	if err != nil {
		t.Fatal(err)
	}
	return image.Rect(int(math.Floor(f26(b.Min.X))), int(math.Floor(f26(b.Min.Y)))+baseline,
		int(math.Ceil(f26(b.Max.X))), int(math.Ceil(f26(b.Max.Y)))+baseline)
}

func render(t *testing.T, s string, st TextStyle) renderedText {
	t.Helper()
	r, err := renderText(s, st)
	if err != nil {
		t.Fatalf("%q: %v", s, err)
	}
	return r
}

func TestTextHasInkOnlyWhereTheGlyphIs(t *testing.T) {
	r := render(t, "I", TextStyle{Size: 100})
	want := glyphRect(t, 'I', 100, r.baseline0)
	if got := inkRect(r.img, 0); !got.In(want) || got.Dx() < want.Dx()-1 || got.Dy() < want.Dy()-1 {
		t.Fatalf("ink at %v, the glyph's box is %v", got, want)
	}
	// The stem's middle is solid white.
	c := r.img.NRGBAAt((want.Min.X+want.Max.X)/2, (want.Min.Y+want.Max.Y)/2)
	if c != (color.NRGBA{255, 255, 255, 255}) {
		t.Fatalf("middle of the I is %v, want opaque white", c)
	}
	if r.box != image.Pt(int(math.Ceil(advance(t, 'I', 100))), 120) {
		t.Fatalf("box %v", r.box)
	}

	// Through the YUVA onto a canvas: light where the I is, untouched around.
	tb, err := RenderTextBox("I", TextStyle{Size: 100})
	if err != nil {
		t.Fatal(err)
	}
	cv := canvas(200, 200, 16)
	tb.Pic.Draw(cv, 50+tb.Offset.X, 40+tb.Offset.Y, 1)
	glyph := want.Add(image.Pt(50, 40))
	for y := range 200 {
		for x := range 200 {
			v := cv.Y[y*cv.YStride+x]
			in := image.Pt(x, y).In(glyph)
			if !in && v != 16 {
				t.Fatalf("luma %d at %d,%d outside the glyph %v", v, x, y, glyph)
			}
		}
	}
	mid := image.Pt((glyph.Min.X+glyph.Max.X)/2, (glyph.Min.Y+glyph.Max.Y)/2)
	if v := cv.Y[mid.Y*cv.YStride+mid.X]; v != 235 {
		t.Fatalf("luma %d in the I, want 235", v)
	}
}

func advance(t *testing.T, r rune, size float64) float64 {
	t.Helper()
	f, _ := goRegular()
	idx, _ := f.GlyphIndex(nil, r)
	a, err := f.GlyphAdvance(nil, idx, fixedPx(size), font.HintingNone)
	if err != nil {
		t.Fatal(err)
	}
	return f26(a)
}

// canvas is a w×h 4:2:0 picture of one grey.
func canvas(w, h int, luma uint8) *image.YCbCr {
	c := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
	for i := range c.Y {
		c.Y[i] = luma
	}
	for i := range c.Cb {
		c.Cb[i], c.Cr[i] = 128, 128
	}
	return c
}

func TestOutlineWidensTheInkByItsWidth(t *testing.T) {
	plain := render(t, "I", TextStyle{Size: 100})
	for _, w := range []float64{1, 2.5, 4, 10} {
		out := render(t, "I", TextStyle{Size: 100, Outline: w, OutlineColor: color.NRGBA{255, 0, 0, 255}})
		// Half covered is where an edge is.
		p, o := inkRect(plain.img, 127), inkRect(out.img, 127)
		grow := [4]int{p.Min.X - o.Min.X, p.Min.Y - o.Min.Y, o.Max.X - p.Max.X, o.Max.Y - p.Max.Y}
		for _, g := range grow {
			if math.Abs(float64(g)-w) > 1 {
				t.Errorf("outline %v px: the ink grew by %v px (left, top, right, bottom)", w, grow)
				break
			}
		}
		// Red just outside the white stem, white inside (the I has
		// serifs: measure the stem on its middle row).
		mid := (p.Min.Y + p.Max.Y) / 2
		stem := p.Min.X
		for plain.img.NRGBAAt(stem, mid).A <= 127 {
			stem++
		}
		if c := out.img.NRGBAAt(stem-int(math.Ceil(w/2)), mid); c.R != 255 || c.G > 64 || c.A < 200 { // mostly red: the fill's soft edge may be mixed in
			t.Errorf("outline %v px: %v left of the stem, want red", w, c)
		}
		if c := out.img.NRGBAAt((p.Min.X+p.Max.X)/2, mid); c != (color.NRGBA{255, 255, 255, 255}) {
			t.Errorf("outline %v px: %v in the stem, want white", w, c)
		}
	}
}

func TestShadowIsTheShapeAtItsOffset(t *testing.T) {
	red := color.NRGBA{255, 0, 0, 255}
	plain := render(t, "Hi", TextStyle{Size: 60})
	off := image.Pt(5, 7)
	sh := render(t, "Hi", TextStyle{Size: 60, Shadow: off, ShadowColor: red})
	if want := plain.img.Rect.Union(plain.img.Rect.Add(off)); sh.img.Rect != want {
		t.Fatalf("picture %v with the shadow, want %v", sh.img.Rect, want)
	}
	seen := 0
	for y := sh.img.Rect.Min.Y; y < sh.img.Rect.Max.Y; y++ {
		for x := sh.img.Rect.Min.X; x < sh.img.Rect.Max.X; x++ {
			fill := plain.img.NRGBAAt(x, y).A
			under := plain.img.NRGBAAt(x-off.X, y-off.Y).A
			got := sh.img.NRGBAAt(x, y)
			switch {
			case fill == 255 && got != plain.img.NRGBAAt(x, y):
				t.Fatalf("%d,%d: %v, the text itself is %v", x, y, got, plain.img.NRGBAAt(x, y))
			case fill == 0 && under == 255:
				seen++
				if got != red {
					t.Fatalf("%d,%d: %v where only the shadow is, want %v", x, y, got, red)
				}
			case fill == 0 && under == 0 && got.A != 0:
				t.Fatalf("%d,%d: %v where neither text nor shadow is", x, y, got)
			}
		}
	}
	if seen < 100 {
		t.Fatalf("only %d pixels of shadow", seen)
	}
}

const sentence = "The quick brown fox jumps over the lazy dog while the performer reads the chat aloud"

func TestWrapKeepsLinesInsideTheWidth(t *testing.T) {
	st := TextStyle{Size: 24, Width: 200}
	l, err := layoutText(sentence, mustDefaults(t, st), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(l.lines) < 3 {
		t.Fatalf("%d lines", len(l.lines))
	}
	var words []string
	for _, ln := range l.lines {
		if ln.width > 200 {
			t.Errorf("line %q is %.1f px wide", lineText(ln), ln.width)
		}
		words = append(words, strings.Fields(lineText(ln))...)
	}
	if got := strings.Join(words, " "); got != sentence {
		t.Fatalf("the lines hold %q", got)
	}
	// Drawn: ink only within the box (the glyphs' side bearings aside),
	// in as many bands of rows as there are lines.
	r := render(t, sentence, st)
	if ink := inkRect(r.img, 0); ink.Min.X < -1 || ink.Max.X > 201 {
		t.Fatalf("ink spans x %d..%d, the box 0..200", ink.Min.X, ink.Max.X)
	}
	if n := inkBands(r.img); n != len(l.lines) {
		t.Fatalf("%d bands of ink for %d lines", n, len(l.lines))
	}
	if w, h, err := MeasureText(sentence, st); err != nil || w != 200 || h != r.box.Y || h != int(math.Ceil(24*1.2*float64(len(l.lines)))) {
		t.Fatalf("MeasureText %d×%d (%v), rendered box %v", w, h, err, r.box)
	}

	// A word wider than the box is broken between letters.
	l, _ = layoutText("Supercalifragilisticexpialidocious", mustDefaults(t, TextStyle{Size: 24, Width: 100}), nil)
	if len(l.lines) < 3 {
		t.Fatalf("a long word made %d lines", len(l.lines))
	}
	for _, ln := range l.lines {
		if ln.width > 100 || len(ln.items) == 0 {
			t.Fatalf("line %q is %.1f px wide", lineText(ln), ln.width)
		}
	}
}

func TestWrapKeepsMarksOnTheirLetters(t *testing.T) {
	word := strings.Repeat("e\u0301a\u0308", 12) // decomposed é and ä
	l, err := layoutText(word, mustDefaults(t, TextStyle{Size: 24, Width: 60}), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(l.lines) < 3 {
		t.Fatalf("%d lines", len(l.lines))
	}
	var all strings.Builder
	for _, ln := range l.lines {
		if isMark(ln.items[0].r) {
			t.Fatalf("line %q begins with a combining mark", lineText(ln))
		}
		all.WriteString(lineText(ln))
	}
	if all.String() != word {
		t.Fatalf("the lines hold %q", all.String())
	}
}

func mustDefaults(t *testing.T, st TextStyle) TextStyle {
	t.Helper()
	st, err := st.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func lineText(ln textLine) string {
	var b strings.Builder
	for _, it := range ln.items {
		b.WriteRune(it.r)
	}
	return b.String()
}

// inkBands counts runs of rows that have ink.
func inkBands(img *image.NRGBA) int {
	n, prev := 0, false
	for y := img.Rect.Min.Y; y < img.Rect.Max.Y; y++ {
		row := false
		for x := img.Rect.Min.X; x < img.Rect.Max.X && !row; x++ {
			row = img.NRGBAAt(x, y).A != 0
		}
		if row && !prev {
			n++
		}
		prev = row
	}
	return n
}

func TestMaxLinesCutsWithAnEllipsis(t *testing.T) {
	for _, width := range []int{0, 200} {
		st := TextStyle{Size: 24, Width: width, MaxLines: 2}
		s := sentence
		if width == 0 {
			s = "first line\nsecond line\nthird line"
		}
		l, err := layoutText(s, mustDefaults(t, st), nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(l.lines) != 2 {
			t.Fatalf("width %d: %d lines", width, len(l.lines))
		}
		last := lineText(l.lines[1])
		if !strings.HasSuffix(last, "…") || strings.HasSuffix(last, " …") {
			t.Fatalf("width %d: last line %q", width, last)
		}
		if width > 0 && l.lines[1].width > float64(width) {
			t.Fatalf("the cut line is %.1f px wide", l.lines[1].width)
		}
		if r := render(t, s, st); inkBands(r.img) != 2 || r.box.Y != int(math.Ceil(2*24*1.2)) {
			t.Fatalf("width %d: %d bands, box %v", width, inkBands(r.img), r.box)
		}
	}
	// Text that fits is not cut.
	if l, _ := layoutText("short", mustDefaults(t, TextStyle{MaxLines: 1}), nil); lineText(l.lines[0]) != "short" {
		t.Fatalf("%q", lineText(l.lines[0]))
	}
}

func TestAlignPlacesLinesInTheBox(t *testing.T) {
	var left, right []int
	for _, a := range []Align{AlignLeft, AlignCenter, AlignRight} {
		r := render(t, "ab", TextStyle{Size: 30, Width: 300, Align: a})
		ink := inkRect(r.img, 0)
		left, right = append(left, ink.Min.X), append(right, 300-ink.Max.X)
	}
	if left[0] > 3 || right[2] > 3 || math.Abs(float64(left[1]-right[1])) > 3 {
		t.Fatalf("left margins %v, right margins %v (left, center, right)", left, right)
	}
}

func TestCyrillicAndGreekRender(t *testing.T) {
	for _, s := range []string{"Привет", "Γειά σου"} {
		r := render(t, s, TextStyle{})
		if r.box.X <= 0 || inkRect(r.img, 0).Dx() < r.box.X/2 {
			t.Fatalf("%q: box %v, ink %v", s, r.box, inkRect(r.img, 0))
		}
	}
	// From the bundled font, not a fallback that may be missing elsewhere.
	chain, _ := newFontChain("")
	reg, _ := goRegular()
	for _, r := range "ПриветΓειά" {
		if f, _, ok := chain.glyph(nil, r); !ok || f != reg {
			t.Fatalf("%q does not come from Go Regular", r)
		}
	}
}

// Characters no font has leave no box and no gap: the text renders as if
// they were not there.
func TestMissingGlyphsAreDropped(t *testing.T) {
	chain, _ := newFontChain("")
	has := func(r rune) bool { _, _, ok := chain.glyph(nil, r); return ok }
	missing := 0
	with, without := "", ""
	for _, r := range "ok 你好 \U0001FAE0 done \U000F0000 é!" {
		with += string(r)
		if !has(r) {
			missing++
			continue
		}
		without += string(r)
	}
	if missing == 0 {
		t.Skip("the installed fonts have every character of the test text")
	}
	a := render(t, with, TextStyle{Outline: 2, Shadow: image.Pt(2, 2)})
	b := render(t, without, TextStyle{Outline: 2, Shadow: image.Pt(2, 2)})
	if a.box != b.box || a.img.Rect != b.img.Rect || !slices.Equal(a.img.Pix, b.img.Pix) {
		t.Fatalf("%q and %q (%d characters no font has) differ: boxes %v %v", with, without, missing, a.box, b.box)
	}
	// Only unrenderable characters: blank, but not an error.
	if r := render(t, "\U0001FAE0\U000F0000", TextStyle{}); !r.img.Rect.Empty() {
		t.Fatalf("picture %v", r.img.Rect)
	}
}

func TestBlankTextDrawsNothing(t *testing.T) {
	for _, s := range []string{"", "   ", "\n\n", "\x00\x07"} {
		pic, err := RenderText(s, TextStyle{Outline: 3, Shadow: image.Pt(3, 3)})
		if err != nil {
			t.Fatalf("%q: %v", s, err)
		}
		if !pic.Bounds().Empty() {
			t.Fatalf("%q: picture %v", s, pic.Bounds())
		}
		cv := canvas(64, 64, 100)
		before := slices.Clone(cv.Y)
		for _, at := range []image.Point{{0, 0}, {1, 1}, {63, 63}, {-5, 7}} {
			pic.Draw(cv, at.X, at.Y, 1)
		}
		if !slices.Equal(before, cv.Y) {
			t.Fatalf("%q drew something", s)
		}
	}
}

func TestFontErrorsAreWords(t *testing.T) {
	dir := t.TempDir()
	garbage := filepath.Join(dir, "garbage.ttf")
	if err := os.WriteFile(garbage, []byte("this is not a font at all, just words"), 0o644); err != nil {
		t.Fatal(err)
	}
	truncated := filepath.Join(dir, "truncated.ttf")
	if err := os.WriteFile(truncated, goregular.TTF[:len(goregular.TTF)/3], 0o644); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{filepath.Join(dir, "nope.ttf"), garbage, truncated, dir} {
		_, err := RenderText("hello", TextStyle{Font: path})
		if err == nil {
			t.Fatalf("%s: no error", path)
		}
		if !strings.Contains(err.Error(), path) {
			t.Fatalf("%s: %q does not name the file", path, err)
		}
		if _, _, err := MeasureText("hello", TextStyle{Font: path}); err == nil {
			t.Fatalf("%s: MeasureText gave no error", path)
		}
	}
}

func TestBadStylesAreRefused(t *testing.T) {
	for _, st := range []TextStyle{
		{Size: math.NaN()}, {Size: -3}, {Size: 5000}, {Outline: -1}, {Outline: math.Inf(1)},
		{Width: -1}, {Width: 100000}, {MaxLines: -1}, {Align: 7}, {LineSpacing: math.NaN()},
		{Shadow: image.Pt(1000, 0)},
	} {
		if _, err := RenderText("x", st); err == nil {
			t.Errorf("%+v: no error", st)
		}
	}
	if _, err := RenderText(strings.Repeat("a", maxTextRunes+1), TextStyle{Width: 500}); err == nil {
		t.Error("text past the length limit: no error")
	}
	if _, err := RenderText(strings.Repeat("W", 2000), TextStyle{}); err == nil || !strings.Contains(err.Error(), "px") {
		t.Errorf("an 80000 px line: %v", err)
	}
	if _, err := RenderText(strings.Repeat("W", 9999), TextStyle{Width: 1920}); err == nil || !strings.Contains(err.Error(), "limit its lines") {
		t.Errorf("a 1920×6000 px text: %v", err)
	}
	if _, err := RenderText(strings.Repeat("W", 9999), TextStyle{Width: 1920, MaxLines: 20}); err != nil {
		t.Errorf("the same, 20 lines at most: %v", err)
	}
}

// A pile of combining marks (allowed through by CleanText) stays near its line.
func TestCombiningMarkTowerIsClipped(t *testing.T) {
	r := render(t, "Ze"+strings.Repeat("\u0301\u0300", 300)+"d", TextStyle{Size: 32, Outline: 2})
	if h := r.img.Rect.Dy(); h > 39+32+2*3+2 { // line, slack above and below, outline
		t.Fatalf("picture %v is %d px high", r.img.Rect, h)
	}
}

func TestUserFontIsParsedOnceAndSharedSafely(t *testing.T) {
	path := filepath.Join(t.TempDir(), "font.ttf")
	if err := os.WriteFile(path, goregular.TTF, 0o644); err != nil {
		t.Fatal(err)
	}
	want := render(t, "Same text", TextStyle{Font: path, Outline: 1})
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := range 8 {
		wg.Go(func() {
			r, err := renderText("Same text", TextStyle{Font: path, Outline: 1})
			switch {
			case err != nil:
				errs <- err
			case !slices.Equal(r.img.Pix, want.img.Pix):
				errs <- fmt.Errorf("render %d differs", i)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	// Gone from disk, still rendered from memory: it was read once.
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if _, err := RenderText("x", TextStyle{Font: path}); err != nil {
		t.Fatalf("after the file went: %v", err)
	}
	// The same text in the bundled regular font looks the same.
	if reg := render(t, "Same text", TextStyle{Outline: 1}); !slices.Equal(reg.img.Pix, want.img.Pix) {
		t.Fatal("Go Regular from a file renders differently from the bundled one")
	}
}

func TestGolden(t *testing.T) {
	// The references must not depend on which fonts the machine has.
	const text = "Live from onair — Привет, 12:34!\nSecond line, centred"
	chain, _ := newFontChain("")
	reg, _ := goRegular()
	for _, r := range text + "New camera — 37.5 / 120 tokens (31 %)…" {
		if f, _, ok := chain.glyph(nil, r); r != '\n' && (!ok || f != reg) {
			t.Fatalf("%q is not drawn from the bundled font", r)
		}
	}
	for _, c := range []struct {
		name         string
		w, h         int
		text, goal   image.Point
		goalW, goalH int
	}{
		{"1280x720", 1280, 720, image.Pt(96, 64), image.Pt(320, 600), 640, 48},
		{"853x479", 853, 479, image.Pt(41, 33), image.Pt(107, 401), 600, 40},
	} {
		t.Run(c.name, func(t *testing.T) {
			cv := canvas(c.w, c.h, 126)
			tb, err := RenderTextBox(text, TextStyle{
				Size: 40, Outline: 3, Shadow: image.Pt(4, 5), Color: color.NRGBA{255, 220, 60, 255},
				Width: 700, Align: AlignCenter,
			})
			if err != nil {
				t.Fatal(err)
			}
			tb.Pic.Draw(cv, c.text.X+tb.Offset.X+1, c.text.Y+tb.Offset.Y+1, 1) // odd places
			goal, err := RenderGoal("New camera", 37.5, 120, "tokens", GoalStyle{Width: c.goalW, Height: c.goalH})
			if err != nil {
				t.Fatal(err)
			}
			goal.Draw(cv, c.goal.X+1, c.goal.Y, 0.9)
			compareGolden(t, filepath.Join("testdata", "text-golden-"+c.name+".png"), cv)
		})
	}
}

// planes lays a 4:2:0 picture out as one grey image: Y on top, Cb and Cr
// side by side below it (the I420 layout), so a reference PNG holds the
// samples exactly.
func planes(c *image.YCbCr) *image.Gray {
	w, h := c.Rect.Dx(), c.Rect.Dy()
	cw, ch := (w+1)/2, (h+1)/2
	g := image.NewGray(image.Rect(0, 0, max(w, 2*cw), h+ch))
	for y := range h {
		copy(g.Pix[y*g.Stride:], c.Y[y*c.YStride:y*c.YStride+w])
	}
	for y := range ch {
		copy(g.Pix[(h+y)*g.Stride:], c.Cb[y*c.CStride:y*c.CStride+cw])
		copy(g.Pix[(h+y)*g.Stride+cw:], c.Cr[y*c.CStride:y*c.CStride+cw])
	}
	return g
}

// compareGolden fails when more than 0.1 % of the samples differ from the
// reference by more than 2 levels; the picture and the differences (×16) are
// then written to a directory the error names.
func compareGolden(t *testing.T, path string, c *image.YCbCr) {
	t.Helper()
	got := planes(c)
	if *update {
		if err := writePNG(path, got); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s", path)
		return
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("%v (run go test ./overlay -run Golden -update to make it)", err)
	}
	defer f.Close()
	ref, err := png.Decode(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	want, ok := ref.(*image.Gray)
	if !ok || want.Rect != got.Rect {
		t.Fatalf("%s is a %T of %v, want a grey image of %v", path, ref, ref.Bounds(), got.Rect)
	}
	diff := image.NewGray(got.Rect)
	off, worst := 0, 0
	for i := range got.Pix {
		d := abs(int(got.Pix[i]) - int(want.Pix[i]))
		worst = max(worst, d)
		if d > 2 {
			off++
		}
		diff.Pix[i] = uint8(min(255, d*16))
	}
	if limit := len(got.Pix) / 1000; off > limit {
		dir, err := os.MkdirTemp("", "onair-golden-")
		if err == nil {
			err = writePNG(filepath.Join(dir, "got.png"), got)
		}
		if err == nil {
			err = writePNG(filepath.Join(dir, "diff.png"), diff)
		}
		t.Fatalf("%d samples differ from %s by more than 2 (limit %d), the most by %d; got.png and diff.png are in %s (%v)",
			off, path, limit, worst, dir, err)
	}
}

func writePNG(path string, img image.Image) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := png.Encode(f, img); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// The outline's distance transform against the definition, on random
// coverage: min over covered pixels of distance² plus the seed's own term.
func TestDilateMatchesBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for round := range 20 {
		w, h := 1+rng.IntN(40), 1+rng.IntN(30)
		cov := make([]float32, w*h)
		for i := range cov {
			switch rng.IntN(12) {
			case 0:
				cov[i] = 1
			case 1:
				cov[i] = rng.Float32()
			}
		}
		radius := []float64{1, 2.5, 6}[round%3]
		got := dilate(cov, w, h, radius)
		for y := range h {
			for x := range w {
				best := math.Inf(1)
				for y2 := range h {
					for x2 := range w {
						if c := cov[y2*w+x2]; c > 0 {
							seed := float64((1 - c) * (1 - c))
							best = min(best, float64((x-x2)*(x-x2)+(y-y2)*(y-y2))+seed)
						}
					}
				}
				want := float32(min(1, max(0, radius+1-math.Sqrt(best))))
				want = max(want, cov[y*w+x])
				if math.Abs(float64(got[y*w+x]-want)) > 1e-5 {
					t.Fatalf("%d×%d, radius %v: %v at %d,%d, want %v", w, h, radius, got[y*w+x], x, y, want)
				}
			}
		}
	}
}
