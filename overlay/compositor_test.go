package overlay

import (
	"image"
	"testing"
	"time"

	"onair/capture"
)

func TestComposePassesThroughACanvasSizedSource(t *testing.T) {
	c := NewCompositor(1280, 720)
	card, _ := capture.NewTestCard(1280, 720, 30)
	src, _ := card.Latest(0)
	out := c.Compose(src, 7, time.Second)
	if out.Pic != src.Pic || out.Seq != 7 || out.At != time.Second {
		t.Fatalf("pass-through copied or mis-stamped the picture: seq %d at %s", out.Seq, out.At)
	}
	if src.Seq != 0 {
		t.Error("composing restamped the source frame")
	}
	if out.Writable() {
		t.Error("a passed-through source is handed out writable")
	}
	src.Release()
	out.Release() // releases the source too; a second release would panic
}

func TestComposeScalesToFitWithBars(t *testing.T) {
	c := NewCompositor(1280, 720)
	card, _ := capture.NewTestCard(640, 480, 30) // 4:3 into 16:9: bars left and right
	src, _ := card.Latest(0)
	defer src.Release()
	out := c.Compose(src, 0, 0)
	defer out.Release()
	p := out.Pic
	if p.Y[360*p.YStride+10] != 16 || p.Y[360*p.YStride+1270] != 16 {
		t.Error("no black bars at the sides")
	}
	// The grey first bar of the card lands just right of the left bar (960 wide, from x=160).
	if got := p.Y[10*p.YStride+200]; got != src.Pic.Y[10*src.Pic.YStride+26] {
		t.Errorf("scaled picture luma %d, want the source's %d", got, src.Pic.Y[10*src.Pic.YStride+26])
	}
}

func BenchmarkComposePassThrough720p(b *testing.B) {
	c := NewCompositor(1280, 720)
	card, _ := capture.NewTestCard(1280, 720, 30)
	src, _ := card.Latest(0)
	b.ReportAllocs()
	for b.Loop() {
		c.Compose(src, 0, 0).Release()
	}
}

func BenchmarkComposeScale480To720p(b *testing.B) {
	c := NewCompositor(1280, 720)
	card, _ := capture.NewTestCard(640, 480, 30)
	src, _ := card.Latest(0)
	b.ReportAllocs()
	b.SetBytes(1280 * 720 * 3 / 2)
	for b.Loop() {
		c.Compose(src, 0, 0).Release()
	}
}

type noLayer struct{}

func (noLayer) Draw(*image.YCbCr, time.Duration) {}

// The price of drawing anything on a canvas-sized source: one copy.
func BenchmarkComposeCopy720p(b *testing.B) {
	c := NewCompositor(1280, 720)
	c.SetLayers(noLayer{})
	card, _ := capture.NewTestCard(1280, 720, 30)
	src, _ := card.Latest(0)
	b.ReportAllocs()
	b.SetBytes(1280 * 720 * 3 / 2)
	for b.Loop() {
		c.Compose(src, 0, 0).Release()
	}
}
