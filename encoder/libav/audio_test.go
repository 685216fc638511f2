package libav

import (
	"testing"
	"time"

	"onair/capture"
	"onair/encoder"
)

// Sound skipped in the middle (the encoder fell behind) is replaced by
// silence: the packets stay continuous, and what follows the gap keeps its
// own time instead of being stamped early by the gap's length.
func TestAudioEncoderFillsAGap(t *testing.T) {
	e, err := NewAudioEncoder(128)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	var got []*encoder.Packet
	emit := func(p *encoder.Packet) { got = append(got, p) }
	chunk := func(start, n int64) {
		c := &capture.AudioChunk{Start: start}
		for ch := range c.Samples {
			c.Samples[ch] = make([]float32, n)
		}
		if err := e.Encode(c, start, time.Now(), emit); err != nil {
			t.Fatal(err)
		}
	}
	chunk(0, 1600)
	chunk(1600, 1600)
	chunk(8000, 1600) // 4800 samples (100 ms) skipped
	chunk(9600, 1600)
	if err := e.Flush(emit); err != nil {
		t.Fatal(err)
	}
	for i, p := range got {
		if want := int64(i-1) * 1024; p.PTS != want {
			t.Fatalf("packet %d has pts %d, want %d: continuous frames from -1024", i, p.PTS, want)
		}
	}
	// 11200 samples in all, the gap included, in whole frames after the
	// priming one (a last partial frame is not encoded).
	if end := (int64(len(got)) - 1) * 1024; end != 11200/1024*1024 {
		t.Errorf("%d packets end at sample %d, want 11200 covered", len(got), end)
	}
}
