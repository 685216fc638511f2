package studio

import (
	"context"
	"sync"
	"time"

	"onair/capture"
)

// videoSwitch is the studio's picture source, which the performer can
// change while the studio runs (another camera, a file). It runs the current
// source's work (a Runner) under a context of its own; on a change it starts
// showing the new source, stops the old one and closes it. An error of the
// current source is the switch's error, and stops the studio as before.
type videoSwitch struct {
	mu      sync.Mutex
	cur     capture.VideoSource
	running bool
	next    chan capture.VideoSource // sent under mu while running; holds one
}

func newVideoSwitch(src capture.VideoSource) *videoSwitch {
	return &videoSwitch{cur: src, next: make(chan capture.VideoSource, 1)}
}

func (v *videoSwitch) current() capture.VideoSource {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.cur
}

// Latest is the current source's newest picture. It holds the lock: a
// source is never closed while a Latest of it runs (Latest never blocks).
func (v *videoSwitch) Latest(at time.Duration) (*capture.Frame, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.cur.Latest(at)
}

// set makes src the source. Not running, the old source is closed at once;
// running, Run switches at its next turn (a source set in between and never
// shown is closed unused).
func (v *videoSwitch) set(src capture.VideoSource) {
	v.mu.Lock()
	if !v.running {
		old := v.cur
		v.cur = src
		v.mu.Unlock()
		closeSource(old)
		return
	}
	var stale capture.VideoSource
	select {
	case stale = <-v.next:
	default:
	}
	v.next <- src
	v.mu.Unlock()
	if stale != nil {
		closeSource(stale)
	}
}

// Run runs the current source until ctx ends or it fails, switching sources
// as set asks.
func (v *videoSwitch) Run(ctx context.Context, clock *capture.Clock) error {
	v.mu.Lock()
	v.running = true
	v.mu.Unlock()
	defer func() {
		v.mu.Lock()
		v.running = false
		var pending capture.VideoSource
		select {
		case pending = <-v.next:
		default:
		}
		v.mu.Unlock()
		if pending != nil {
			closeSource(pending)
		}
	}()
	for {
		cur := v.current()
		cctx, cancel := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { done <- runSource(cctx, cur, clock) }()
		select {
		case err := <-done:
			cancel()
			return err
		case src := <-v.next:
			// The new source shows from now on; the old one stops, then is freed
			// (the compositor may hold a frame of it: frames own their memory).
			v.mu.Lock()
			v.cur = src
			v.mu.Unlock()
			cancel()
			<-done
			closeSource(cur)
		}
	}
}

// Close closes the current source (the studio calls it once nothing runs).
func (v *videoSwitch) Close() { closeSource(v.current()) }

func runSource(ctx context.Context, src any, clock *capture.Clock) error {
	if r, ok := src.(Runner); ok {
		return r.Run(ctx, clock)
	}
	<-ctx.Done()
	return ctx.Err()
}

func closeSource(src any) {
	if c, ok := src.(interface{ Close() }); ok {
		c.Close()
	}
}
