package studio

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"onair/capture"
)

// runnerSource is a picture source with work of its own: it paints its
// frames with one luma level and counts its runs and closes.
type runnerSource struct {
	luma    uint8
	pool    *capture.FramePool
	running atomic.Int32
	runs    atomic.Int32
	closes  atomic.Int32
	latest  atomic.Int32 // Latest calls after Close: must stay 0
	fail    chan error
}

func newRunnerSource(luma uint8) *runnerSource {
	return &runnerSource{luma: luma, pool: capture.NewFramePool(64, 64), fail: make(chan error, 1)}
}

func (r *runnerSource) Run(ctx context.Context, _ *capture.Clock) error {
	r.runs.Add(1)
	r.running.Add(1)
	defer r.running.Add(-1)
	select {
	case <-ctx.Done():
		return ctx.Err()
	case err := <-r.fail:
		return err
	}
}

func (r *runnerSource) Latest(at time.Duration) (*capture.Frame, error) {
	if r.closes.Load() > 0 {
		r.latest.Add(1)
	}
	f := r.pool.Get()
	for i := range f.Pic.Y {
		f.Pic.Y[i] = r.luma
	}
	for i := range f.Pic.Cb {
		f.Pic.Cb[i], f.Pic.Cr[i] = 128, 128
	}
	f.At = at
	return f, nil
}

func (r *runnerSource) Close() {
	if r.running.Load() != 0 {
		panic("closed while running")
	}
	r.closes.Add(1)
}

// The picture source changes while the studio runs: the program shows the
// new one from then on, the old one is stopped, then closed once, and never
// asked for a picture after; a source set but overtaken before it showed is
// closed unused; at the end the current one is closed once.
func TestStudioSetVideoWhileRunning(t *testing.T) {
	a, b, c, d := newRunnerSource(40), newRunnerSource(120), newRunnerSource(200), newRunnerSource(90)
	st := NewStudio(64, 64, 30, a, capture.Tone{})
	frames, _, cancelSub := st.SubscribeVideo(64)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- st.Run(ctx) }()

	waitLuma := func(want uint8) {
		t.Helper()
		deadline := time.After(3 * time.Second)
		for {
			select {
			case f := <-frames:
				y := f.Pic.Y[0]
				f.Release()
				if y >= want-8 && y <= want+8 {
					return
				}
			case <-deadline:
				t.Fatalf("the program never showed luma %d", want)
			}
		}
	}
	waitLuma(40)
	replaced, err := st.SetVideo(b)
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-replaced:
	case <-time.After(3 * time.Second):
		t.Fatal("SetVideo never said the old source was closed")
	}
	if a.closes.Load() != 1 {
		t.Errorf("old source closed %d times when SetVideo said it was", a.closes.Load())
	}
	waitLuma(120)
	if a.closes.Load() != 1 || a.running.Load() != 0 {
		t.Errorf("old source: closed %d times, running %d", a.closes.Load(), a.running.Load())
	}
	// Two changes at once: c may never show; it is closed either way.
	st.SetVideo(c)
	st.SetVideo(d)
	defer func() {
		// After the studio has ended, a source set is closed at once and refused.
		e := newRunnerSource(10)
		if _, err := st.SetVideo(e); err == nil || e.closes.Load() != 1 {
			t.Errorf("SetVideo after Run: %v, closed %d times", err, e.closes.Load())
		}
	}()
	waitLuma(90)
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run = %v", err)
	}
	cancelSub()
	for name, s := range map[string]*runnerSource{"a": a, "b": b, "c": c, "d": d} {
		if s.closes.Load() != 1 || s.running.Load() != 0 || s.latest.Load() != 0 {
			t.Errorf("source %s: closed %d times, running %d, %d pictures asked after Close", name, s.closes.Load(), s.running.Load(), s.latest.Load())
		}
	}
	if b.runs.Load() != 1 || d.runs.Load() != 1 {
		t.Errorf("runs: b %d, d %d", b.runs.Load(), d.runs.Load())
	}
}

// An error of the current source stops the studio, as before the switch;
// set before Run closes the replaced source at once.
func TestStudioVideoSourceErrorStopsIt(t *testing.T) {
	a, b := newRunnerSource(40), newRunnerSource(120)
	st := NewStudio(64, 64, 30, a, capture.Tone{})
	st.SetVideo(b)
	if a.closes.Load() != 1 {
		t.Errorf("replaced before Run: closed %d times", a.closes.Load())
	}
	done := make(chan error, 1)
	go func() { done <- st.Run(context.Background()) }()
	for b.running.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	boom := errors.New("camera unplugged for good")
	b.fail <- boom
	select {
	case err := <-done:
		if !errors.Is(err, boom) {
			t.Errorf("Run = %v, want the source's error", err)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("Run did not stop")
	}
	if b.closes.Load() != 1 {
		t.Errorf("closed %d times", b.closes.Load())
	}
}
