package ui

import (
	"context"
	"slices"
	"sync"
	"time"
)

// loopProbe measures how long the UI goroutine takes to run what is handed
// to it: every probeEvery a no-op goes in, and the wait until it runs is
// kept (the last probeKeep of them). A window that stays responsive under a
// slow destination, a reconnect or a chat flood keeps this small.
type loopProbe struct {
	mu    sync.Mutex
	waits []time.Duration // ring
	next  int
	worst time.Duration
	n     int64
}

const (
	probeEvery = 100 * time.Millisecond
	probeKeep  = 600 // a minute
	probeFrom  = 2 * time.Second
)

// run probes until ctx ends; one probe in flight at a time.
func (p *loopProbe) run(ctx context.Context, do func(func())) {
	// The window's first layout and fonts are not a show's load: the
	// probing starts once it is up.
	select {
	case <-ctx.Done():
		return
	case <-time.After(probeFrom):
	}
	t := time.NewTicker(probeEvery)
	defer t.Stop()
	ran := make(chan struct{}, 1)
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		sent := time.Now()
		do(func() { p.note(time.Since(sent)); ran <- struct{}{} })
		select {
		case <-ctx.Done():
			return
		case <-ran:
		}
	}
}

func (p *loopProbe) note(d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.waits) < probeKeep {
		p.waits = append(p.waits, d)
	} else {
		p.waits[p.next] = d
		p.next = (p.next + 1) % probeKeep
	}
	p.worst = max(p.worst, d)
	p.n++
}

// stats is the 99th percentile of the last minute's waits, the worst since
// the start, and how many probes ran.
func (p *loopProbe) stats() (p99, worst time.Duration, n int64) {
	p.mu.Lock()
	w := slices.Clone(p.waits)
	worst, n = p.worst, p.n
	p.mu.Unlock()
	if len(w) == 0 {
		return 0, worst, n
	}
	slices.Sort(w)
	return w[min(len(w)-1, len(w)*99/100)], worst, n
}

// UILatency is how long the window's event loop took to answer: the 99th
// percentile over the last minute, the worst since it opened, and how many
// times it was asked. Safe from any goroutine.
func (w *Window) UILatency() (p99, worst time.Duration, probes int64) { return w.probe.stats() }
