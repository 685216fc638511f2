package overlay

import (
	"image"
	"image/color"
	"math"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	"onair/capture"
)

// The scene of issue 10's micro-benchmark on a 1920x1080 canvas: the camera
// (a test card frame of the canvas's size), a logo and a banner with alpha,
// a clock and a static line (outlined, shadowed), the goal bar and the alert
// box with a tip alert on screen (its image and text).

// benchScene writes the two PNGs into dir and returns the scene.
func benchScene(tb testing.TB, dir string) []SceneSpec {
	tb.Helper()
	logoPath := writeBenchPNG(tb, filepath.Join(dir, "logo.png"), radialLogo(300, 150))
	bannerPath := writeBenchPNG(tb, filepath.Join(dir, "banner.png"), banner(1920, 80))
	outlined := TextSpec{Size: 36, Outline: 3, Shadow: [2]int{3, 3}}
	return []SceneSpec{{Name: "Live", Layers: []LayerSpec{
		{Name: "camera", Kind: KindCamera},
		{Name: "banner", Kind: KindImage, Path: bannerPath, X: 0, Y: 1000},
		{Name: "logo", Kind: KindImage, Path: logoPath, X: 1580, Y: 40},
		{Name: "clock", Kind: KindText, Text: "{clock}", X: 40, Y: 40, Style: outlined},
		{Name: "title", Kind: KindText, Text: "Late-night jazz — requests open, thanks for the tips!", X: 40, Y: 1012,
			Style: TextSpec{Size: 44, Outline: 3, Shadow: [2]int{3, 3}}},
		{Name: "goal", Kind: KindGoal, X: 640, Y: 930, Width: 640, Height: 48,
			Goal: &GoalSpec{Title: "New microphone", Target: 5000, Unit: "tokens"}},
		{Name: "alerts", Kind: KindAlert, Y: 300, Alerts: &AlertSpec{
			HoldSec: 3600, // on screen for the whole benchmark
			Rules:   map[string]AlertRule{"tip": {Image: logoPath, Text: "{name} tipped {amount}!"}},
		}},
	}}}
}

// benchStage is the stage on air with its alert on screen (past its
// entrance, held), the canvas and the camera frame. The camera frame is
// released at the end of the test.
func benchStage(tb testing.TB) (*Stage, *image.YCbCr, *capture.Frame) {
	tb.Helper()
	const w, h = 1920, 1080
	st, err := NewStage(w, h, benchScene(tb, tb.TempDir()))
	if err != nil {
		tb.Fatal(err)
	}
	card, err := capture.NewTestCard(w, h, 30)
	if err != nil {
		tb.Fatal(err)
	}
	src, err := card.Latest(0)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(src.Release)
	if queued, err := st.Alert(Event{Kind: "tip", Amount: 500, Unit: "tokens", Name: "night_owl", Message: "play Autumn Leaves"}); err != nil || !queued {
		tb.Fatalf("the tip alert was not queued (%v)", err)
	}
	dst := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
	st.Compose(dst, src, 0)           // the alert starts
	st.Compose(dst, src, time.Second) // past its entrance; the clock drawn for second 1
	if shown, _ := st.Stats(); shown != 1 {
		tb.Fatalf("%d alerts shown, want 1", shown)
	}
	return st, dst, src
}

// BenchmarkStageCompose1080p is one frame of the scene. steady: frames
// within one second (nothing to render again, only blending); live: the
// studio clock advancing 1/30 s a frame, so {clock} is drawn again once
// every 30 frames and its cost is shared among them.
func BenchmarkStageCompose1080p(b *testing.B) {
	b.Run("steady", func(b *testing.B) {
		st, dst, src := benchStage(b)
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			st.Compose(dst, src, time.Second+time.Duration(i%30)*time.Second/30)
			i++
		}
	})
	b.Run("live", func(b *testing.B) {
		st, dst, src := benchStage(b)
		b.ReportAllocs()
		i := 30
		for b.Loop() {
			st.Compose(dst, src, time.Duration(i)*time.Second/30)
			i++
		}
	})
}

// Within one second a frame allocates nothing: every picture is converted
// once, when what it shows changes. The clock's re-render once a second is
// measured and logged.
func TestStageComposeAllocs(t *testing.T) {
	st, dst, src := benchStage(t)
	i := 0
	allocs := testing.AllocsPerRun(100, func() {
		st.Compose(dst, src, time.Second+time.Duration(i%30)*time.Second/30)
		i++
	})
	if allocs > 0 {
		t.Errorf("a frame within one second allocates %.1f times; want 0", allocs)
	}

	// A new second every frame: each one draws the clock again.
	sec := 2
	reAllocs := testing.AllocsPerRun(20, func() {
		st.Compose(dst, src, time.Duration(sec)*time.Second)
		sec++
	})
	const n = 60
	steady := timeFrames(n, func(k int) { st.Compose(dst, src, time.Second+time.Duration(k%30)*time.Second/30) })
	rerender := timeFrames(n, func(k int) { st.Compose(dst, src, time.Duration(1000+k)*time.Second) })
	t.Logf("a frame: %v within a second, %v with the clock drawn again (%.0f allocations): the re-render costs %v once a second",
		steady, rerender, reAllocs, rerender-steady)
}

// timeFrames is the median time of n calls of f.
func timeFrames(n int, f func(k int)) time.Duration {
	d := make([]time.Duration, n)
	for k := range d {
		start := time.Now()
		f(k)
		d[k] = time.Since(start)
	}
	for i := range d { // insertion sort: n is small
		for j := i; j > 0 && d[j] < d[j-1]; j-- {
			d[j], d[j-1] = d[j-1], d[j]
		}
	}
	return d[n/2]
}

// radialLogo is a w×h coloured disc whose alpha falls off from the centre
// to clear at the edge of the ellipse: opaque core, wide soft rim, clear
// corners.
func radialLogo(w, h int) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			dx, dy := (float64(x)+0.5)/float64(w)*2-1, (float64(y)+0.5)/float64(h)*2-1
			a := math.Max(0, math.Min(1, (1-math.Hypot(dx, dy))*2.5))
			img.SetNRGBA(x, y, color.NRGBA{uint8(230 - x/2), uint8(60 + y), 180, uint8(a*255 + 0.5)})
		}
	}
	return img
}

// banner is a w×h lower-third band: a dark panel at 60 % with 8 px soft
// top and bottom edges and an opaque accent line along its top.
func banner(w, h int) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		a := 153
		c := color.NRGBA{20, 20, 40, 0}
		switch {
		case y < 4:
			c, a = color.NRGBA{240, 180, 20, 0}, 255
		case y >= h-8:
			a = 153 * (h - y) / 9
		}
		c.A = uint8(a)
		for x := range w {
			img.SetNRGBA(x, y, c)
		}
	}
	return img
}

func writeBenchPNG(tb testing.TB, path string, img image.Image) string {
	tb.Helper()
	if err := writePNG(path, img); err != nil {
		tb.Fatal(err)
	}
	return path
}

// The camera layer's bars, filled by runs since the benchmark showed the
// per-pixel test cost more than the picture's copy: every sample of the box
// outside the picture is black, every one inside comes from the source,
// and nothing outside the box is touched, on odd canvases too.
func TestCameraBars(t *testing.T) {
	rng := rand.New(rand.NewPCG(10, 1))
	src := image.NewYCbCr(image.Rect(0, 0, 64, 48), image.YCbCrSubsampleRatio420)
	for i := range src.Y {
		src.Y[i] = uint8(17 + i%200)
	}
	for i := range src.Cb {
		src.Cb[i], src.Cr[i] = uint8(20+i%90), uint8(120+i%90)
	}
	frame := &capture.Frame{Pic: src}
	for n := range 500 {
		cw, ch := 16+rng.IntN(80), 16+rng.IntN(80)
		spec := LayerSpec{Kind: KindCamera, X: rng.IntN(cw) - 8, Y: rng.IntN(ch) - 8,
			Width: 1 + rng.IntN(cw), Height: 1 + rng.IntN(ch), Fill: rng.IntN(2) == 0, Mirror: rng.IntN(4) == 0}
		if rng.IntN(3) == 0 {
			spec.Crop = [4]int{rng.IntN(20), rng.IntN(20), rng.IntN(20), rng.IntN(20)}
		}
		if rng.IntN(5) == 0 {
			spec.X, spec.Y, spec.Width, spec.Height = 0, 0, 0, 0
		}
		d := image.NewYCbCr(image.Rect(0, 0, cw, ch), image.YCbCrSubsampleRatio420)
		for _, p := range [][]uint8{d.Y, d.Cb, d.Cr} {
			for i := range p {
				p[i] = 7 // untouched
			}
		}
		c := &cameraLayer{spec: spec, w: cw, h: ch}
		c.draw(d, frame)
		box := c.box.Intersect(d.Rect)
		vis := c.pic.Intersect(box)
		for y := range ch {
			for x := range cw {
				got := d.Y[y*d.YStride+x]
				in := image.Pt(x, y).In(box)
				switch {
				case !in && got != 7:
					t.Fatalf("case %d %+v on %dx%d: (%d,%d) outside the box was drawn on", n, spec, cw, ch, x, y)
				case in && !image.Pt(x, y).In(vis) && got != 16:
					t.Fatalf("case %d %+v on %dx%d: bar (%d,%d) is %d, want 16", n, spec, cw, ch, x, y, got)
				case image.Pt(x, y).In(vis) && (got == 7 || got == 16):
					t.Fatalf("case %d %+v on %dx%d: picture (%d,%d) is %d, not the source's", n, spec, cw, ch, x, y, got)
				}
			}
		}
		for y := range (ch + 1) / 2 {
			for x := range (cw + 1) / 2 {
				got := d.Cb[y*d.CStride+x]
				in := x >= box.Min.X/2 && x < box.Max.X/2 && y >= box.Min.Y/2 && y < box.Max.Y/2
				bar := in && (y*2 < vis.Min.Y || y*2 >= vis.Max.Y || x*2 < vis.Min.X || x*2 >= vis.Max.X)
				switch {
				case !in && got != 7:
					t.Fatalf("case %d %+v on %dx%d: chroma (%d,%d) outside the box was drawn on", n, spec, cw, ch, x, y)
				case bar && (got != 128 || d.Cr[y*d.CStride+x] != 128):
					t.Fatalf("case %d %+v on %dx%d: chroma bar (%d,%d) is %d, want 128", n, spec, cw, ch, x, y, got)
				case in && !bar && (got == 7 || got == 128):
					t.Fatalf("case %d %+v on %dx%d: chroma (%d,%d) is %d, not the source's", n, spec, cw, ch, x, y, got)
				}
			}
		}
	}
}
