package ui

import (
	"fmt"
	"image"
	"testing"

	"onair/capture"
)

func near(a, b uint8, tol int) bool {
	d := int(a) - int(b)
	return d >= -tol && d <= tol
}

func TestPreviewDownscaleTestCardColours(t *testing.T) {
	tc, err := capture.NewTestCard(1280, 720, 30)
	if err != nil {
		t.Fatal(err)
	}
	f, err := tc.Latest(0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Release()
	w, h := PreviewSize(1280, 720, 640)
	if w != 640 || h != 360 {
		t.Fatalf("PreviewSize(1280, 720, 640) = %dx%d, want 640x360", w, h)
	}
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	var d Downscaler
	d.Convert(dst, f.Pic)

	// The seven bars of the card, sampled in the middle of each bar near the
	// top (clear of the moving box and the label).
	bars := [...][3]uint8{
		{191, 191, 191}, {191, 191, 0}, {0, 191, 191}, {0, 191, 0},
		{191, 0, 191}, {191, 0, 0}, {0, 0, 191},
	}
	for i, want := range bars {
		x := (2*i + 1) * w / 14
		c := dst.RGBAAt(x, 20)
		if !near(c.R, want[0], 3) || !near(c.G, want[1], 3) || !near(c.B, want[2], 3) || c.A != 255 {
			t.Errorf("bar %d at (%d,20) = %v, want about %v", i, x, c, want)
		}
	}
	// At time 0 the white box sits at the left of the bars, 1/6 of the height
	// tall, starting at canvas y=180 (preview y=90).
	if c := dst.RGBAAt(30, 120); !near(c.R, 255, 2) || !near(c.G, 255, 2) || !near(c.B, 255, 2) {
		t.Errorf("box at (30,120) = %v, want white", c)
	}
	// The grey ramp below the bars goes from black (Y=16) to white (Y=235).
	if c := dst.RGBAAt(0, 330); c.R > 3 || c.G > 3 || c.B > 3 {
		t.Errorf("ramp start (0,330) = %v, want black", c)
	}
	if c := dst.RGBAAt(w-1, 330); c.R < 250 || c.G < 250 || c.B < 250 {
		t.Errorf("ramp end (%d,330) = %v, want white", w-1, c)
	}
	if c := dst.RGBAAt(w/2, 330); !near(c.R, c.G, 1) || !near(c.G, c.B, 1) || !near(c.R, 128, 4) {
		t.Errorf("ramp middle (%d,330) = %v, want mid grey", w/2, c)
	}
}

func TestPreviewColourRoundTrip(t *testing.T) {
	for _, c := range [][3]uint8{
		{0, 0, 0}, {255, 255, 255}, {255, 0, 0}, {0, 255, 0}, {0, 0, 255},
		{255, 255, 0}, {0, 255, 255}, {255, 0, 255}, {128, 64, 200}, {17, 230, 90},
	} {
		y, cb, cr := capture.YUV709(c[0], c[1], c[2])
		src := image.NewYCbCr(image.Rect(0, 0, 4, 4), image.YCbCrSubsampleRatio420)
		for i := range src.Y {
			src.Y[i] = y
		}
		for i := range src.Cb {
			src.Cb[i], src.Cr[i] = cb, cr
		}
		dst := image.NewRGBA(image.Rect(0, 0, 2, 2))
		var d Downscaler
		d.Convert(dst, src)
		got := dst.RGBAAt(1, 1)
		if !near(got.R, c[0], 2) || !near(got.G, c[1], 2) || !near(got.B, c[2], 2) {
			t.Errorf("RGB %v → YCbCr (%d,%d,%d) → %v", c, y, cb, cr, got)
		}
	}
}

// A sub-picture (non-zero origin) samples its own pixels, not the parent's.
func TestPreviewDownscaleSubImage(t *testing.T) {
	src := image.NewYCbCr(image.Rect(0, 0, 8, 8), image.YCbCrSubsampleRatio420)
	for i := range src.Y {
		src.Y[i] = 16
	}
	for i := range src.Cb {
		src.Cb[i], src.Cr[i] = 128, 128
	}
	y, cb, cr := capture.YUV709(0, 0, 255)
	for row := 4; row < 8; row++ {
		for col := 4; col < 8; col++ {
			src.Y[src.YOffset(col, row)] = y
			src.Cb[src.COffset(col, row)], src.Cr[src.COffset(col, row)] = cb, cr
		}
	}
	sub := src.SubImage(image.Rect(4, 4, 8, 8)).(*image.YCbCr)
	dst := image.NewRGBA(image.Rect(0, 0, 2, 2))
	var d Downscaler
	d.Convert(dst, sub)
	for _, p := range []image.Point{{0, 0}, {1, 1}} {
		if c := dst.RGBAAt(p.X, p.Y); c.B < 250 || c.R > 3 || c.G > 3 {
			t.Errorf("pixel %v = %v, want blue", p, c)
		}
	}
}

func TestPreviewDownscaleAllocatesNothing(t *testing.T) {
	tc, err := capture.NewTestCard(1280, 720, 30)
	if err != nil {
		t.Fatal(err)
	}
	f, err := tc.Latest(0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Release()
	dst := image.NewRGBA(image.Rect(0, 0, 640, 360))
	var d Downscaler
	d.Convert(dst, f.Pic)
	if n := testing.AllocsPerRun(20, func() { d.Convert(dst, f.Pic) }); n != 0 {
		t.Errorf("Convert allocates %.1f times per frame, want 0", n)
	}
}

func BenchmarkPreviewDownscale(b *testing.B) {
	for _, c := range []struct{ w, h int }{{1920, 1080}, {1280, 720}} {
		b.Run(fmt.Sprintf("%dx%d", c.w, c.h), func(b *testing.B) {
			tc, _ := capture.NewTestCard(c.w, c.h, 30)
			f, _ := tc.Latest(0)
			defer f.Release()
			dst := image.NewRGBA(image.Rect(0, 0, 640, 360))
			var d Downscaler
			for b.Loop() {
				d.Convert(dst, f.Pic)
			}
		})
	}
}
