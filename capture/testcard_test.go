package capture

import (
	"testing"
	"time"
)

// The clock strip holds the wall clock the picture was made at: read back
// cell by cell, it is within the time the call took.
func TestTestCardClock(t *testing.T) {
	c, err := NewTestCard(640, 360, 30)
	if err != nil {
		t.Fatal(err)
	}
	c.Clock = true
	before := ClockCode(time.Now())
	f, err := c.Latest(0)
	after := ClockCode(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	defer f.Release()
	cell := 640 / ClockBits &^ 1
	var code uint32
	for k := range ClockBits {
		if f.Pic.Y[8*f.Pic.YStride+k*cell+cell/2] > 128 {
			code |= 1 << k
		}
	}
	if code < before || code > after {
		t.Errorf("clock strip %d, want %d to %d", code, before, after)
	}
}
