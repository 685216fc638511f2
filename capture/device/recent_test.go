package device

import (
	"testing"
	"time"

	"onair/capture"
)

// A studio composing late (SetSyncDelay) asks for instants just past: the
// camera answers with the picture taken nearest each, black before its first
// picture is due, and lets go of what it will not show again.
func TestLatestPicksByTimeTaken(t *testing.T) {
	pool := capture.NewFramePool(4, 4)
	pic := func(seq int64, at time.Duration) *capture.Frame {
		f := pool.Get()
		f.Seq, f.At = seq, at
		return f
	}
	ms := time.Millisecond
	c := &CameraSource{black: pic(-1, 0), halfFrame: 16 * ms}
	for i := int64(0); i < 4; i++ { // taken at 100, 133, 166, 200 ms
		c.recent = append(c.recent, pic(i, 100*ms+time.Duration(i)*100*ms/3))
	}
	for _, tc := range []struct {
		at   time.Duration
		want int64
	}{
		{50 * ms, -1},  // before the first picture is due: black
		{84 * ms, 0},   // the first, 16 ms on, is the nearest
		{120 * ms, 1},  // 133 is nearer than 100
		{140 * ms, 1},  // 133
		{90 * ms, 1},   // gone back: the oldest kept
		{1000 * ms, 3}, // past them all: the newest
	} {
		f, err := c.Latest(tc.at)
		if err != nil {
			t.Fatal(err)
		}
		if f.Seq != tc.want {
			t.Errorf("Latest(%v) gave picture %d, want %d", tc.at, f.Seq, tc.want)
		}
		f.Release()
	}
	if len(c.recent) != 1 || c.recent[0].Seq != 3 {
		t.Errorf("after showing the newest the camera keeps %d pictures", len(c.recent))
	}
	// A studio that stops asking: the camera keeps at most maxRecent.
	for i := int64(4); i < 4+3*maxRecent; i++ {
		c.keep(pic(i, time.Duration(i)*33*ms))
	}
	if len(c.recent) != maxRecent {
		t.Errorf("keeps %d pictures, want at most %d", len(c.recent), maxRecent)
	}
	c.Close()
}
