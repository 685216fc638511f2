package overlay

import (
	"bytes"
	"image"
	"image/color"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"onair/capture"
)

func TestDiv255IsExact(t *testing.T) {
	for v := 0; v <= 255*255; v++ {
		if got, want := div255(v), uint8(math.Floor(float64(v)/255+0.5)); got != want {
			t.Fatalf("div255(%d) = %d, want %d", v, got, want)
		}
	}
}

func TestConversionMatchesCapture(t *testing.T) {
	for r := 0; r < 256; r += 5 {
		for g := 0; g < 256; g += 3 {
			for b := 0; b < 256; b += 7 {
				yf, cbf, crf := ycbcr709(float64(r)/255, float64(g)/255, float64(b)/255)
				y, cb, cr := capture.YUV709(uint8(r), uint8(g), uint8(b))
				if clamp8(yf) != y || clamp8(cbf) != cb || clamp8(crf) != cr {
					t.Fatalf("rgb %d,%d,%d: %d,%d,%d here, capture.YUV709 says %d,%d,%d",
						r, g, b, clamp8(yf), clamp8(cbf), clamp8(crf), y, cb, cr)
				}
			}
		}
	}
}

// refPixel is a source pixel as the reference sees it: exact Y'CbCr, alpha 0..1.
type refPixel struct{ y, cb, cr, a float64 }

func refPixels(img image.Image) [][]refPixel {
	b := img.Bounds()
	px := make([][]refPixel, b.Dy())
	for y := range px {
		px[y] = make([]refPixel, b.Dx())
		for x := range px[y] {
			c := color.NRGBAModel.Convert(img.At(b.Min.X+x, b.Min.Y+y)).(color.NRGBA)
			if rgba, ok := img.(*image.RGBA); ok { // un-premultiply exactly
				p := rgba.RGBAAt(b.Min.X+x, b.Min.Y+y)
				if p.A == 0 {
					continue
				}
				fa := float64(p.A)
				yf, cbf, crf := ycbcr709(float64(p.R)/fa, float64(p.G)/fa, float64(p.B)/fa)
				px[y][x] = refPixel{yf, cbf, crf, fa / 255}
				continue
			}
			yf, cbf, crf := ycbcr709(float64(c.R)/255, float64(c.G)/255, float64(c.B)/255)
			px[y][x] = refPixel{yf, cbf, crf, float64(c.A) / 255}
		}
	}
	return px
}

// refDraw blends in float64 with straight alpha in Y'CbCr: each luma sample
// over its pixel; each chroma sample as the mean of the blends of the four
// pixel positions it covers (the canvas's own chroma where no picture is).
func refDraw(dst *image.YCbCr, src [][]refPixel, x0, y0 int, opacity float64) {
	r := dst.Rect
	at := func(x, y int) (refPixel, bool) {
		sx, sy := x-x0, y-y0
		if sy < 0 || sy >= len(src) || sx < 0 || sx >= len(src[sy]) {
			return refPixel{}, false
		}
		return src[sy][sx], true
	}
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if p, ok := at(x, y); ok && p.a > 0 {
				i := dst.YOffset(x, y)
				a := p.a * opacity
				dst.Y[i] = clamp8(p.y*a + float64(dst.Y[i])*(1-a))
			}
		}
	}
	for cy := r.Min.Y >> 1; cy < (r.Max.Y+1)>>1; cy++ {
		for cx := r.Min.X >> 1; cx < (r.Max.X+1)>>1; cx++ {
			i := dst.COffset(2*cx, 2*cy)
			db, dr := float64(dst.Cb[i]), float64(dst.Cr[i])
			var sb, sr float64
			for k := range 4 {
				p, _ := at(2*cx+k&1, 2*cy+k>>1)
				a := p.a * opacity
				sb += p.cb*a + db*(1-a)
				sr += p.cr*a + dr*(1-a)
			}
			dst.Cb[i], dst.Cr[i] = clamp8(sb/4), clamp8(sr/4)
		}
	}
}

// randomPicture has runs of transparent, opaque and partial pixels, as a
// logo with antialiased edges has, in one of the image types NewYUVA takes.
func randomPicture(rng *rand.Rand, w, h int) image.Image {
	n := image.NewNRGBA(image.Rect(0, 0, w, h))
	var c color.NRGBA
	varying := false
	for i := 0; i < w*h; i++ {
		if i == 0 || rng.IntN(12) == 0 {
			varying = rng.IntN(2) == 0
			c = color.NRGBA{uint8(rng.IntN(256)), uint8(rng.IntN(256)), uint8(rng.IntN(256)), 0}
			switch rng.IntN(3) {
			case 0:
				c.A = 0
			case 1:
				c.A = 255
			default:
				c.A = uint8(1 + rng.IntN(254))
			}
		}
		if c.A != 0 && c.A != 255 && varying && rng.IntN(2) == 0 {
			c.A = uint8(1 + rng.IntN(254))
		}
		n.SetNRGBA(i%w, i/w, c)
	}
	switch rng.IntN(6) {
	case 1: // premultiplied
		m := image.NewRGBA(n.Rect)
		for y := range h {
			for x := range w {
				m.Set(x, y, n.At(x, y))
			}
		}
		return m
	case 2: // offset bounds
		return n.SubImage(image.Rect(w/3, h/3, w, h))
	case 3:
		p := image.NewPaletted(n.Rect, color.Palette{
			color.NRGBA{}, color.NRGBA{255, 0, 0, 255}, color.NRGBA{0, 200, 50, 128},
			color.RGBA{10, 20, 30, 40}, color.NRGBA{255, 255, 255, 255}})
		for y := range h {
			for x := range w {
				p.Set(x, y, n.At(x, y))
			}
		}
		return p
	case 4: // the generic path, through RGBA64At
		m := image.NewNRGBA64(n.Rect)
		for y := range h {
			for x := range w {
				m.Set(x, y, n.At(x, y))
			}
		}
		return m
	case 5: // the generic path, through At
		return struct{ image.Image }{n}
	}
	return n
}

func randomCanvas(rng *rand.Rand, w, h int) *image.YCbCr {
	c := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
	for i := range c.Y {
		c.Y[i] = uint8(16 + rng.IntN(220))
	}
	for i := range c.Cb {
		c.Cb[i], c.Cr[i] = uint8(16+rng.IntN(225)), uint8(16+rng.IntN(225))
	}
	return c
}

func cloneYCbCr(c *image.YCbCr) *image.YCbCr {
	d := *c
	d.Y, d.Cb, d.Cr = slices.Clone(c.Y), slices.Clone(c.Cb), slices.Clone(c.Cr)
	return &d
}

// Draw against the float reference over random pictures, sizes, positions
// (odd, negative, partly and wholly off the canvas) and opacities.
func TestDrawMatchesFloatReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var maxY, maxC int
	for round := range 3000 {
		cw, ch := 2+rng.IntN(60), 2+rng.IntN(30)
		if round%2 == 0 {
			cw, ch = cw&^1, ch&^1 // the compositor's canvases are even
		}
		pic := randomPicture(rng, 1+rng.IntN(50), 1+rng.IntN(30))
		pb := pic.Bounds()
		x, y := rng.IntN(cw+pb.Dx()+10)-pb.Dx()-5, rng.IntN(ch+pb.Dy()+10)-pb.Dy()-5
		opacity := []float64{0, 1, 1, rng.Float64(), 0.5, 1e-3}[rng.IntN(6)]

		canvas := randomCanvas(rng, cw, ch)
		want := cloneYCbCr(canvas)
		ref := refPixels(pic)
		refDraw(want, ref, x, y, opacity)
		got := cloneYCbCr(canvas)
		NewYUVA(pic).Draw(got, x, y, opacity)

		for i := range got.Y {
			d := absDiff(got.Y[i], want.Y[i])
			maxY = max(maxY, d)
			if d > 1 {
				t.Fatalf("round %d (%dx%d at %d,%d on %dx%d, opacity %g): Y[%d] = %d, reference %d",
					round, pb.Dx(), pb.Dy(), x, y, cw, ch, opacity, i, got.Y[i], want.Y[i])
			}
			px, py := i%got.YStride, i/got.YStride
			sx, sy := px-x, py-y
			if sx < 0 || sy < 0 || sx >= pb.Dx() || sy >= pb.Dy() || ref[sy][sx].a == 0 || opacity == 0 {
				if got.Y[i] != canvas.Y[i] {
					t.Fatalf("round %d: Y at %d,%d changed where nothing is drawn", round, px, py)
				}
			} else if ref[sy][sx].a == 1 && opacity == 1 && got.Y[i] != clamp8(ref[sy][sx].y) {
				t.Fatalf("round %d: opaque Y at %d,%d is %d, the source's is %d", round, px, py, got.Y[i], clamp8(ref[sy][sx].y))
			}
		}
		for i := range got.Cb {
			d := max(absDiff(got.Cb[i], want.Cb[i]), absDiff(got.Cr[i], want.Cr[i]))
			maxC = max(maxC, d)
			if d > 2 {
				t.Fatalf("round %d (%dx%d at %d,%d on %dx%d, opacity %g): chroma %d = %d,%d, reference %d,%d",
					round, pb.Dx(), pb.Dy(), x, y, cw, ch, opacity, i, got.Cb[i], got.Cr[i], want.Cb[i], want.Cr[i])
			}
			// A block the picture leaves transparent stays byte-identical;
			// one it covers opaquely is the picture's own chroma.
			cx, cy := i%got.CStride, i/got.CStride
			var asum float64
			var n int
			for k := range 4 {
				sx, sy := 2*cx+k&1-x, 2*cy+k>>1-y
				if sx >= 0 && sy >= 0 && sx < pb.Dx() && sy < pb.Dy() {
					asum += ref[sy][sx].a
					n++
				}
			}
			if (asum == 0 || opacity == 0) && (got.Cb[i] != canvas.Cb[i] || got.Cr[i] != canvas.Cr[i]) {
				t.Fatalf("round %d: chroma %d,%d changed where nothing is drawn", round, cx, cy)
			}
			if n == 4 && asum == 4 && opacity == 1 && (got.Cb[i] != want.Cb[i] || got.Cr[i] != want.Cr[i]) {
				t.Fatalf("round %d: opaque chroma %d,%d is %d,%d, the source's %d,%d", round, cx, cy, got.Cb[i], got.Cr[i], want.Cb[i], want.Cr[i])
			}
		}
	}
	t.Logf("max error against the float reference: Y %d, chroma %d", maxY, maxC)
}

func absDiff(a, b uint8) int {
	if a > b {
		return int(a - b)
	}
	return int(b - a)
}

func TestDrawOffCanvasAndZeroOpacityTouchNothing(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	pic := NewYUVA(randomPicture(rng, 20, 10))
	canvas := randomCanvas(rng, 64, 48)
	before := cloneYCbCr(canvas)
	for _, c := range []struct {
		x, y int
		op   float64
	}{{-20, 0, 1}, {64, 0, 1}, {0, -10, 1}, {0, 48, 1}, {-1000, -1000, 1}, {10, 10, 0}, {10, 10, math.NaN()}, {10, 10, -1}} {
		pic.Draw(canvas, c.x, c.y, c.op)
	}
	if !bytes.Equal(canvas.Y, before.Y) || !bytes.Equal(canvas.Cb, before.Cb) || !bytes.Equal(canvas.Cr, before.Cr) {
		t.Error("a picture off the canvas or at opacity 0 changed it")
	}
}

func TestDrawDoesNotAllocate(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	pic := NewYUVA(randomPicture(rng, 33, 21))
	canvas := randomCanvas(rng, 64, 48)
	l := NewImage(pic, -3, 7, 0.7)
	if n := testing.AllocsPerRun(100, func() { l.Draw(canvas, 0) }); n != 0 {
		t.Errorf("Draw allocates %v times", n)
	}
}

// Spans skip long transparent runs, mark long opaque ones and long runs of
// one partial alpha, and blend the rest pixel by pixel.
func TestSpans(t *testing.T) {
	zeros := make([]uint8, 16)
	row0 := slices.Concat([]uint8{0, 0, 255, 255, 7, 0, 255, 3, 3}, zeros, []uint8{1})
	row1 := slices.Concat(bytes.Repeat([]uint8{9}, minConstSpan), []uint8{8}, bytes.Repeat([]uint8{255}, minSkipCopySpan), []uint8{0})
	p := newAlphaPlane(26, 2, append(row0, row1...))
	want := []span{{2, 9, 0}, {25, 26, 0}, {0, 16, 9}, {16, 17, 0}, {17, 25, 255}}
	if !slices.Equal(p.spans, want) || !slices.Equal(p.rows, []int32{0, 2, 5}) {
		t.Errorf("spans %v rows %v, want %v rows [0 2 5]", p.spans, p.rows, want)
	}
}

// The eight-at-a-time constant blend equals the per-pixel one everywhere.
func TestBlendConstMatchesBlendRow(t *testing.T) {
	s, d := make([]uint8, 256*256), make([]uint8, 256*256)
	for i := range s {
		s[i], d[i] = uint8(i), uint8(i>>8)
	}
	for a := range 256 {
		got, want := slices.Clone(d), slices.Clone(d)
		blendConst(got[3:], s[3:], a) // unaligned, with a tail
		blendRow(want[3:], s[3:], bytes.Repeat([]byte{uint8(a)}, len(s)), 256)
		if !bytes.Equal(got, want) {
			t.Fatalf("alpha %d: the constant blend differs from the per-pixel one", a)
		}
	}
}

func TestEmptyPictureDrawsNothing(t *testing.T) {
	canvas := randomCanvas(rand.New(rand.NewPCG(7, 8)), 16, 16)
	before := cloneYCbCr(canvas)
	for _, xy := range [][2]int{{0, 0}, {3, 5}, {-1, -1}, {16, 16}} {
		NewYUVA(image.NewNRGBA(image.Rect(0, 0, 0, 0))).Draw(canvas, xy[0], xy[1], 1)
	}
	if !bytes.Equal(canvas.Y, before.Y) || !bytes.Equal(canvas.Cb, before.Cb) {
		t.Error("an empty picture changed the canvas")
	}
}

// An Image is a layer: the compositor draws it where it was placed.
func TestImageLayerOnTheCompositor(t *testing.T) {
	red := image.NewNRGBA(image.Rect(0, 0, 9, 5))
	for i := 0; i < len(red.Pix); i += 4 {
		copy(red.Pix[i:], []uint8{255, 0, 0, 255})
	}
	c := NewCompositor(64, 64)
	c.SetLayers(NewImage(NewYUVA(red), 11, 7, 1))
	card, err := capture.NewTestCard(64, 64, 30)
	if err != nil {
		t.Fatal(err)
	}
	src, err := card.Latest(0)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Release()
	out := c.Compose(src, 0, 0)
	defer out.Release()
	p := out.Pic
	y, cb, cr := capture.YUV709(255, 0, 0)
	if p.Y[7*p.YStride+11] != y || p.Y[11*p.YStride+19] != y || p.Cb[4*p.CStride+6] != cb || p.Cr[4*p.CStride+6] != cr {
		t.Errorf("the red picture is not at (11, 7)-(20, 12): Y %d, Cb %d, Cr %d, want %d, %d, %d",
			p.Y[7*p.YStride+11], p.Cb[4*p.CStride+6], p.Cr[4*p.CStride+6], y, cb, cr)
	}
	if p.Y[7*p.YStride+10] != src.Pic.Y[7*src.Pic.YStride+10] || p.Y[12*p.YStride+11] != src.Pic.Y[12*src.Pic.YStride+11] {
		t.Error("the picture spilled left of or below where it was placed")
	}
}

// Opaque sources (a grey picture, a JPEG's YCbCr) land as the converted
// colour, through the per-type paths.
func TestOpaqueSourceTypes(t *testing.T) {
	g := image.NewGray(image.Rect(0, 0, 4, 4))
	for i := range g.Pix {
		g.Pix[i] = uint8(i * 17)
	}
	yc := image.NewYCbCr(image.Rect(0, 0, 4, 4), image.YCbCrSubsampleRatio444)
	for i := range yc.Y {
		yc.Y[i], yc.Cb[i], yc.Cr[i] = uint8(i*16), 128, 128 // JFIF grey: R=G=B=Y
	}
	for name, img := range map[string]image.Image{"gray": g, "ycbcr": yc} {
		canvas := randomCanvas(rand.New(rand.NewPCG(9, 10)), 8, 8)
		NewYUVA(img).Draw(canvas, 2, 2, 1)
		for i := range 16 {
			v := color.GrayModel.Convert(img.At(i%4, i/4)).(color.Gray).Y
			want, _, _ := capture.YUV709(v, v, v)
			if got := canvas.Y[(2+i/4)*canvas.YStride+2+i%4]; got != want {
				t.Errorf("%s pixel %d: Y %d, want %d", name, i, got, want)
			}
		}
		if canvas.Cb[1*canvas.CStride+1] != 128 || canvas.Cr[1*canvas.CStride+1] != 128 {
			t.Errorf("%s: grey picture has chroma %d,%d", name, canvas.Cb[1*canvas.CStride+1], canvas.Cr[1*canvas.CStride+1])
		}
	}
}

// Positions far off the canvas (animation maths gone to NaN or ±Inf give
// math.MinInt), a canvas that is not 4:2:0, and a palette of more than 256
// colours: nothing drawn, nothing panics.
func TestDrawOddInputsDoNotPanic(t *testing.T) {
	logo := NewYUVA(image.NewNRGBA(image.Rect(0, 0, 40, 20)))
	dst := image.NewYCbCr(image.Rect(0, 0, 64, 48), image.YCbCrSubsampleRatio420)
	for _, p := range [][2]int{{1 << 32, 0}, {0, 1 << 32}, {math.MinInt, 0}, {0, math.MinInt}, {math.MaxInt, math.MaxInt}, {-(1 << 40), 5}} {
		logo.Draw(dst, p[0], p[1], 1)
	}
	logo.Draw(image.NewYCbCr(image.Rect(0, 0, 64, 48), image.YCbCrSubsampleRatio444), 0, 0, 1)
	pal := make(color.Palette, 300)
	for i := range pal {
		pal[i] = color.NRGBA{uint8(i), 0, 0, 255}
	}
	pi := image.NewPaletted(image.Rect(0, 0, 4, 4), pal)
	pi.Pix[0] = 255
	NewYUVA(pi).Draw(dst, 0, 0, 1)
}
