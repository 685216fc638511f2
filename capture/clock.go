package capture

import "time"

// Clock is the studio clock: monotonic, zero when the studio starts.
// Every frame and audio chunk is stamped on it so that sources stay in sync.
type Clock struct {
	start time.Time
}

// NewClock starts a clock at zero now.
func NewClock() *Clock { return &Clock{start: time.Now()} }

// Now is the time elapsed on the studio clock.
func (c *Clock) Now() time.Duration { return time.Since(c.start) }

// Wall turns a studio time back into a wall-clock instant (for latency figures).
func (c *Clock) Wall(at time.Duration) time.Time { return c.start.Add(at) }

// SleepUntil waits until the studio clock reads at least at, or done closes.
// It reports false when done closed first.
func (c *Clock) SleepUntil(at time.Duration, done <-chan struct{}) bool {
	d := at - c.Now()
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-done:
		return false
	}
}
