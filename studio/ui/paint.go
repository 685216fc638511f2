package ui

import (
	"sync"
	"sync/atomic"
)

// paintQueue holds the window's periodic updates (the meters, the status bar,
// the live figures, the chat panel) until the next preview picture, so both
// reach the screen in one repaint: Fyne repaints the whole window for any
// change, and a repaint costs far more than the update. Each kind of update
// has a slot; a newer update replaces one of its kind not yet shown, so a
// busy UI meets at most one update of each kind.
//
// While the preview shows pictures (clocked), the preview's show runs the
// queue; otherwise an update is handed to the UI goroutine at once. A
// hand-over is not queued while one is outstanding (a picture's run may
// clear the mark while one still waits: two at most).
type paintQueue struct {
	do func(func())

	mu        sync.Mutex
	slots     [paintKinds]func()
	pending   bool
	scheduled bool // a hand-over to the UI goroutine is queued

	clocked atomic.Bool // the preview is showing pictures

	taken [paintKinds]func() // UI goroutine only: the slots being run
	runFn func()             // q.run, built once
}

func newPaintQueue(do func(func())) *paintQueue {
	q := &paintQueue{do: do}
	q.runFn = q.run
	return q
}

// The kinds of update the queue holds.
const (
	paintMeters = iota
	paintStatusBar
	paintLive
	paintChat
	paintKinds
)

// to returns how to queue updates of one kind: f replaces the one not yet
// shown.
func (q *paintQueue) to(kind int) func(func()) {
	return func(f func()) { q.set(kind, f) }
}

func (q *paintQueue) set(i int, f func()) {
	q.mu.Lock()
	q.slots[i] = f
	q.pending = true
	q.handOver()
}

// drop forgets an update of kind not yet taken.
func (q *paintQueue) drop(kind int) {
	q.mu.Lock()
	q.slots[kind] = nil
	q.mu.Unlock()
}

// unclocked says the preview has stopped showing pictures: what is queued,
// and what comes next, goes to the UI goroutine on its own.
func (q *paintQueue) unclocked() {
	q.clocked.Store(false)
	q.mu.Lock()
	q.handOver()
}

// handOver gives the queue to the UI goroutine when something waits, no
// picture will take it and no hand-over is outstanding. Called with mu
// held; unlocks it.
func (q *paintQueue) handOver() {
	hand := q.pending && !q.clocked.Load() && !q.scheduled
	if hand {
		q.scheduled = true
	}
	q.mu.Unlock()
	if hand {
		q.do(q.runFn)
	}
}

// run applies every queued update. UI goroutine.
func (q *paintQueue) run() {
	q.mu.Lock()
	q.scheduled = false
	if !q.pending {
		q.mu.Unlock()
		return
	}
	q.pending = false
	q.taken = q.slots
	q.slots = [paintKinds]func(){}
	q.mu.Unlock()
	for i, f := range q.taken {
		if f != nil {
			q.taken[i] = nil
			f()
		}
	}
}
