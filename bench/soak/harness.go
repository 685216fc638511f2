package main

import (
	"fmt"
	"os"
	"sync"
)

// harness owns the peers and the work directory; it is the testpeer.T of a
// program. A peer that fails to start ends the soak: everything started so
// far is stopped (by PID) and the reason printed on one line.
type harness struct {
	tmp  string
	keep bool // leave tmp in place (the peers' logs, the recordings)

	mu       sync.Mutex
	cleanups []func()
	closed   bool
	closing  sync.Mutex // a second close waits for the first to finish
}

func newHarness(keep bool) (*harness, error) {
	dir, err := os.MkdirTemp("", "onair-soak-")
	if err != nil {
		return nil, err
	}
	return &harness{tmp: dir, keep: keep}, nil
}

func (h *harness) Helper()                   {}
func (h *harness) Fatal(a ...any)            { h.die(fmt.Sprint(a...)) }
func (h *harness) Fatalf(f string, a ...any) { h.die(fmt.Sprintf(f, a...)) }
func (h *harness) Skipf(f string, a ...any)  { h.die(fmt.Sprintf(f, a...)) }

// Cleanup runs f when the soak ends; once it has ended, at once (a peer
// restarted while the soak was being stopped is stopped too).
func (h *harness) Cleanup(f func()) {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		f()
		return
	}
	h.cleanups = append(h.cleanups, f)
	h.mu.Unlock()
}

func (h *harness) TempDir() string {
	d, err := os.MkdirTemp(h.tmp, "")
	if err != nil {
		h.die(err.Error())
	}
	return d
}

func (h *harness) die(msg string) {
	h.close()
	fail(msg)
}

// close stops everything in the reverse order of starting.
func (h *harness) close() {
	h.closing.Lock()
	defer h.closing.Unlock()
	h.mu.Lock()
	fs := h.cleanups
	h.cleanups, h.closed = nil, true
	h.mu.Unlock()
	for i := len(fs) - 1; i >= 0; i-- {
		fs[i]()
	}
	if !h.keep {
		os.RemoveAll(h.tmp)
	}
}

// fail ends the soak with its one-line reason.
func fail(reason string) {
	fmt.Println("FAIL soak:", reason)
	os.Exit(1)
}
