package studio

import (
	"context"
	"errors"
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
	closed  bool          // the studio has ended: nothing more is shown
	next    chan switchTo // sent under mu while running; holds one
}

// switchTo is a change of source; done is closed once it has happened (the
// old source closed) or it was overtaken by a later one.
type switchTo struct {
	src  capture.VideoSource
	done chan struct{}
}

func newVideoSwitch(src capture.VideoSource) *videoSwitch {
	return &videoSwitch{cur: src, next: make(chan switchTo, 1)}
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
// shown is closed unused). The channel returned is closed once the old
// source is closed (or src was overtaken by a later set).
func (v *videoSwitch) set(src capture.VideoSource) (<-chan struct{}, error) {
	req := switchTo{src: src, done: make(chan struct{})}
	v.mu.Lock()
	if v.closed {
		v.mu.Unlock()
		closeSource(src)
		return nil, errStudioEnded
	}
	if !v.running {
		old := v.cur
		v.cur = src
		v.mu.Unlock()
		closeSource(old)
		close(req.done)
		return req.done, nil
	}
	var stale switchTo
	select {
	case stale = <-v.next:
	default:
	}
	v.next <- req
	v.mu.Unlock()
	if stale.src != nil {
		closeSource(stale.src)
		close(stale.done)
	}
	return req.done, nil
}

var errStudioEnded = errors.New("the picture has stopped: nothing more can be shown")

// Run runs the current source until ctx ends or it fails, switching sources
// as set asks.
func (v *videoSwitch) Run(ctx context.Context, clock *capture.Clock) error {
	v.mu.Lock()
	v.running = true
	v.mu.Unlock()
	defer func() {
		v.mu.Lock()
		v.running = false
		var pending switchTo
		select {
		case pending = <-v.next:
		default:
		}
		v.mu.Unlock()
		if pending.src != nil {
			closeSource(pending.src)
			close(pending.done)
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
		case req := <-v.next:
			// The new source shows from now on; the old one stops, then is freed
			// (the compositor may hold a frame of it: frames own their memory).
			v.mu.Lock()
			v.cur = req.src
			v.mu.Unlock()
			cancel()
			<-done
			closeSource(cur)
			close(req.done)
		}
	}
}

// Close closes the current source, once (the studio calls it once nothing
// runs); a source set afterwards is closed at once.
func (v *videoSwitch) Close() {
	v.mu.Lock()
	if v.closed {
		v.mu.Unlock()
		return
	}
	v.closed = true
	cur := v.cur
	v.mu.Unlock()
	closeSource(cur)
}

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
