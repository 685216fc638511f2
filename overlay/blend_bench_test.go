package overlay

import (
	"image"
	"image/color"
	"math"
	"testing"

	"onair/capture"
)

// logo is a w×h picture with a transparent border: an opaque rounded core,
// an antialiased edge band and clear corners and margins (about 60 %
// transparent, 30 % opaque, 10 % partial at 400×200).
func logo(w, h int) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			// Distance from the centre in units of the half size: an ellipse.
			dx, dy := (float64(x)+0.5-float64(w)/2)/(float64(w)/2), (float64(y)+0.5-float64(h)/2)/(float64(h)/2)
			d := math.Sqrt(dx*dx + dy*dy)
			a := math.Max(0, math.Min(1, (0.715-d)/0.105))
			img.SetNRGBA(x, y, color.NRGBA{uint8(x), uint8(y), uint8(x + y), uint8(a*255 + 0.5)})
		}
	}
	return img
}

func alphaMix(img *image.NRGBA) (clear, opaque, partial float64) {
	n := 0
	for i := 3; i < len(img.Pix); i += 4 {
		switch img.Pix[i] {
		case 0:
			clear++
		case 255:
			opaque++
		default:
			partial++
		}
		n++
	}
	return clear / float64(n), opaque / float64(n), partial / float64(n)
}

func benchDraw(b *testing.B, src image.Image, x, y int, opacity float64) {
	pic := NewYUVA(src)
	canvas := image.NewYCbCr(image.Rect(0, 0, 1920, 1080), image.YCbCrSubsampleRatio420)
	sb := src.Bounds()
	b.SetBytes(int64(sb.Dx() * sb.Dy() * 3 / 2)) // the 4:2:0 bytes the picture covers
	b.ReportAllocs()
	for b.Loop() {
		pic.Draw(canvas, x, y, opacity)
	}
}

func BenchmarkDrawLogo400x200On1080p(b *testing.B) {
	img := logo(400, 200)
	c, o, p := alphaMix(img)
	b.Logf("logo: %.0f %% transparent, %.0f %% opaque, %.0f %% partial", c*100, o*100, p*100)
	b.Run("even", func(b *testing.B) { benchDraw(b, img, 1480, 40, 1) })
	b.Run("odd", func(b *testing.B) { benchDraw(b, img, 1481, 41, 1) })
	b.Run("opacity0.5", func(b *testing.B) { benchDraw(b, img, 1480, 40, 0.5) })
}

func BenchmarkDrawFullCanvas1080p(b *testing.B) {
	half := image.NewNRGBA(image.Rect(0, 0, 1920, 1080))
	for i := 0; i < len(half.Pix); i += 4 {
		half.Pix[i], half.Pix[i+1], half.Pix[i+2], half.Pix[i+3] = uint8(i), uint8(i>>8), uint8(i>>16), 128
	}
	b.Run("halfTransparent", func(b *testing.B) { benchDraw(b, half, 0, 0, 1) })
	opaque := image.NewNRGBA(half.Rect)
	copy(opaque.Pix, half.Pix)
	for i := 3; i < len(opaque.Pix); i += 4 {
		opaque.Pix[i] = 255
	}
	b.Run("opaque", func(b *testing.B) { benchDraw(b, opaque, 0, 0, 1) })
	// Every alpha differs from its neighbour's: no constant run to batch.
	varying := image.NewNRGBA(half.Rect)
	copy(varying.Pix, half.Pix)
	for i := 3; i < len(varying.Pix); i += 4 {
		varying.Pix[i] = uint8(1 + i/4%7*40)
	}
	b.Run("varyingAlpha", func(b *testing.B) { benchDraw(b, varying, 0, 0, 1) })
	// Dithered: alpha 0 and 255 alternating, the worst case for spans.
	dithered := image.NewNRGBA(half.Rect)
	copy(dithered.Pix, half.Pix)
	for i := 3; i < len(dithered.Pix); i += 4 {
		dithered.Pix[i] = uint8(i / 4 % 2 * 255)
	}
	b.Run("dithered", func(b *testing.B) { benchDraw(b, dithered, 0, 0, 1) })
	b.Run("opaqueOpacity0.5", func(b *testing.B) { benchDraw(b, opaque, 0, 0, 0.5) })
}

// A frame around the whole canvas: 40 px opaque, a 4 px antialiased inner
// edge, a transparent middle. It should cost its border, not the canvas.
func BenchmarkDrawFrameBorder1080p(b *testing.B) {
	img := image.NewNRGBA(image.Rect(0, 0, 1920, 1080))
	for y := range 1080 {
		for x := range 1920 {
			d := min(x, y, 1919-x, 1079-y) // distance to the outer edge
			a := max(0, min(255, 255-(d-40)*64))
			img.SetNRGBA(x, y, color.NRGBA{200, 30, 90, uint8(a)})
		}
	}
	c, o, p := alphaMix(img)
	b.Logf("frame: %.1f %% transparent, %.1f %% opaque, %.1f %% partial", c*100, o*100, p*100)
	benchDraw(b, img, 0, 0, 1)
}

func BenchmarkNewYUVALogo400x200(b *testing.B) {
	img := logo(400, 200)
	b.ReportAllocs()
	for b.Loop() {
		NewYUVA(img)
	}
}

// The blending share of a scene on a 1080p canvas-sized camera: the copy
// the compositor makes, a logo, a text line (antialiased: varying alpha), a
// chat box on a translucent panel and an alert fading in. Text is
// stood in for by noise-alpha pictures of its size; no rendering is timed.
func BenchmarkComposeSceneLike1080p(b *testing.B) {
	card, err := capture.NewTestCard(1920, 1080, 30)
	if err != nil {
		b.Fatal(err)
	}
	src, err := card.Latest(0)
	if err != nil {
		b.Fatal(err)
	}
	defer src.Release()
	textLike := func(w, h int, panel uint8) *image.NRGBA {
		img := image.NewNRGBA(image.Rect(0, 0, w, h))
		for i := 0; i < len(img.Pix); i += 4 {
			x, y := i/4%w, i/4/w
			a := panel
			if y%24 > 4 && (x/3+y)%5 < 2 { // glyph-ish strokes with soft edges
				a = uint8(96 + (x*37+y*11)%160)
			}
			img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = 240, 240, 240, a
		}
		return img
	}
	c := NewCompositor(1920, 1080)
	c.SetLayers(
		NewImage(NewYUVA(logo(400, 200)), 1480, 40, 1),
		NewImage(NewYUVA(textLike(600, 80, 0)), 60, 980, 1),
		NewImage(NewYUVA(textLike(500, 600, 140)), 60, 300, 1),
		NewImage(NewYUVA(logo(600, 400)), 660, 200, 0.6),
	)
	b.SetBytes(1920 * 1080 * 3 / 2)
	b.ReportAllocs()
	for b.Loop() {
		c.Compose(src, 0, 0).Release()
	}
}
