package capture

import (
	"image"
	"testing"
)

// Only the holder of a pool frame's one reference may draw on it; a decoder's
// picture (NewFrame) and a view are read-only whoever holds them.
func TestFrameWritableOnlyWhenOwnedAlone(t *testing.T) {
	p := NewFramePool(64, 64)
	f := p.Get()
	if !f.Writable() {
		t.Fatal("a fresh pool frame is not writable")
	}
	f.Retain()
	if f.Writable() {
		t.Error("a shared pool frame is writable")
	}
	v := f.View(1, 0)
	if v.Writable() {
		t.Error("a view is writable")
	}
	v.Release()
	f.Release()
	if !f.Writable() {
		t.Error("a pool frame back to one reference is not writable")
	}
	f.Release()

	freed := 0
	pic := image.NewYCbCr(image.Rect(0, 0, 64, 64), image.YCbCrSubsampleRatio420)
	d := NewFrame(pic, 0, 0, func() { freed++ })
	if d.Writable() {
		t.Error("a frame over someone else's memory is writable")
	}
	dv := d.View(1, 0)
	d.Release()
	if dv.Writable() || freed != 0 {
		t.Errorf("view of a decoder frame: writable %v, freed %d times while viewed", dv.Writable(), freed)
	}
	dv.Release()
	if freed != 1 {
		t.Errorf("decoder frame freed %d times, want once after the last view", freed)
	}
}

// A pooled chunk is handed out again only after its last release.
func TestAudioChunkReusedOnlyWhenReleased(t *testing.T) {
	p := NewAudioPool(480)
	a := p.Get(480)
	a.Retain()
	a.Release()
	if b := p.Get(480); b == a {
		t.Fatal("a chunk still held was handed out again")
	}
	a.Release()
	if c := p.Get(100); c != a || len(c.Samples[0]) != 100 || len(c.Samples[1]) != 100 {
		t.Error("a released chunk was not reused at the length asked")
	}
	lit := &AudioChunk{}
	lit.Retain().Release()
	lit.Release() // a chunk not from a pool: nothing to count
	defer func() {
		if recover() == nil {
			t.Error("releasing a pooled chunk twice did not panic")
		}
	}()
	a.Release()
	a.Release()
}
