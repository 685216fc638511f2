package media

import (
	"context"
	"image"
	"slices"
	"testing"
	"time"

	"onair/capture"
	"onair/overlay"
)

// playUntilDecoded runs f until Latest hands out a decoder's own picture,
// stops it, and returns that picture (the caller's reference).
func playUntilDecoded(t *testing.T, f *File) *capture.Frame {
	t.Helper()
	clock := capture.NewClock()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- f.Run(ctx, clock) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		fr, err := f.Latest(clock.Now())
		if err != nil {
			t.Fatal(err)
		}
		if fr.Native != nil {
			return fr
		}
		fr.Release()
	}
	t.Fatal("no decoded picture within 10 s")
	return nil
}

// Close frees every decoded picture it still holds; one held elsewhere is
// freed on its last Release.
func TestFileCloseFreesPictures(t *testing.T) {
	base := livePictures.Load()
	f, err := Open(clip(t, "320x240", "1", false), 320, 240, 30)
	if err != nil {
		t.Fatal(err)
	}
	held := playUntilDecoded(t, f)
	f.Close()
	if n := livePictures.Load() - base; n != 1 {
		t.Errorf("%d decoded pictures alive after Close, want the 1 still held", n)
	}
	held.Release()
	if n := livePictures.Load() - base; n != 0 {
		t.Errorf("%d decoded pictures leaked", n)
	}
}

type whiteCanvas struct{}

func (whiteCanvas) Draw(dst *image.YCbCr, _ time.Duration) {
	for i := range dst.Y {
		dst.Y[i] = 235
	}
}

// A decoder's picture is read-only: the compositor passes it through only
// when it draws nothing, and draws on a copy otherwise, leaving FFmpeg's
// buffer as the decoder wrote it.
func TestDecodedPicturesAreNeverDrawnOn(t *testing.T) {
	f, err := Open(clip(t, "320x240", "1", false), 320, 240, 30)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fr := playUntilDecoded(t, f)
	defer fr.Release()
	if fr.Writable() {
		t.Fatal("a decoded picture is handed out writable")
	}
	before := slices.Clone(fr.Pic.Y)
	c := overlay.NewCompositor(320, 240)
	through := c.Compose(fr, 0, 0)
	if through.Native != fr.Native || through.Writable() {
		t.Errorf("pass-through: same native picture %v, writable %v", through.Native == fr.Native, through.Writable())
	}
	through.Release()
	c.SetLayers(whiteCanvas{})
	drawn := c.Compose(fr, 1, 0)
	defer drawn.Release()
	if !slices.Equal(fr.Pic.Y, before) {
		t.Fatal("drawing wrote into the decoder's picture")
	}
	if drawn.Native != nil || drawn.Pic.Y[0] != 235 {
		t.Errorf("drawn frame: native %v, luma %d; want a copy of the compositor's with the layer", drawn.Native != nil, drawn.Pic.Y[0])
	}
}
