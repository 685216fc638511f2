package overlay

import (
	"bytes"
	"image"
	"slices"
	"testing"
	"time"

	"onair/capture"
)

// box is a layer that paints a white square at (16, 16).
type box struct{}

func (box) Draw(dst *image.YCbCr, _ time.Duration) {
	for y := 16; y < 48; y++ {
		for x := 16; x < 48; x++ {
			dst.Y[y*dst.YStride+x] = 235
		}
	}
}

// decoderFrame stands for a decoder's picture: memory the frame does not own,
// rows padded past the width as libav pads them.
func decoderFrame(w, h int) (*capture.Frame, *image.YCbCr) {
	ys, cs := w+32, w/2+16
	pic := &image.YCbCr{
		Y: make([]uint8, ys*h), Cb: make([]uint8, cs*h/2), Cr: make([]uint8, cs*h/2),
		YStride: ys, CStride: cs, SubsampleRatio: image.YCbCrSubsampleRatio420,
		Rect: image.Rect(0, 0, w, h),
	}
	for i := range pic.Y {
		pic.Y[i] = uint8(i * 7)
	}
	for i := range pic.Cb {
		pic.Cb[i], pic.Cr[i] = uint8(i*3), uint8(i*5)
	}
	return capture.NewFrame(pic, 0, 0, func() {}), pic
}

// With nothing drawn a decoder's picture goes through as it is, read-only.
func TestComposePassThroughIsReadOnly(t *testing.T) {
	c := NewCompositor(128, 96)
	src, pic := decoderFrame(128, 96)
	defer src.Release()
	out := c.Compose(src, 1, 0)
	defer out.Release()
	if out.Pic != pic {
		t.Error("nothing drawn, yet the picture was copied")
	}
	if out.Writable() || src.Writable() {
		t.Errorf("decoder memory handed out writable: program %v, source %v", out.Writable(), src.Writable())
	}
}

// Drawing on a canvas-sized decoder picture draws on a copy: the decoder's
// memory is left as it was, and the program shows the source under the layer.
func TestComposeDrawsOnACopyOfADecoderFrame(t *testing.T) {
	c := NewCompositor(128, 96)
	c.SetLayers(box{})
	src, pic := decoderFrame(128, 96)
	defer src.Release()
	before := [3][]uint8{slices.Clone(pic.Y), slices.Clone(pic.Cb), slices.Clone(pic.Cr)}
	out := c.Compose(src, 1, time.Second)
	defer out.Release()
	if !bytes.Equal(pic.Y, before[0]) || !bytes.Equal(pic.Cb, before[1]) || !bytes.Equal(pic.Cr, before[2]) {
		t.Fatal("drawing the layer wrote into the decoder's memory")
	}
	if out.Pic == pic || !out.Writable() || out.Seq != 1 || out.At != time.Second {
		t.Fatalf("program frame: same picture %v, writable %v, seq %d, at %s", out.Pic == pic, out.Writable(), out.Seq, out.At)
	}
	p := out.Pic
	if p.Y[20*p.YStride+20] != 235 {
		t.Error("the layer is not on the program frame")
	}
	for _, xy := range [][2]int{{0, 0}, {100, 10}, {127, 95}, {5, 60}} {
		x, y := xy[0], xy[1]
		if p.Y[y*p.YStride+x] != pic.Y[y*pic.YStride+x] || p.Cb[y/2*p.CStride+x/2] != pic.Cb[y/2*pic.CStride+x/2] {
			t.Errorf("at %d,%d the program differs from the source outside the layer", x, y)
		}
	}
}
