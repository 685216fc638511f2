package ui

import "sync"

// chooser applies a series of choices (a camera, a microphone) off the UI
// goroutine one at a time and in order: opening a device takes a while, and
// two openings racing could leave the older choice in place. A choice that
// a newer one replaced before it began is skipped; only the last one's
// outcome is reported.
type chooser[T any] struct {
	mu   sync.Mutex
	next *T
	busy bool // a goroutine is applying
}

// choose queues v; spawn starts the goroutine that applies it (when none
// runs), apply applies one choice and returns what reports its outcome,
// called only when no newer choice is waiting.
func (c *chooser[T]) choose(v T, spawn func(func()) bool, apply func(T) (report func())) {
	c.mu.Lock()
	c.next = &v
	start := !c.busy
	c.busy = true
	c.mu.Unlock()
	if !start {
		return
	}
	if !spawn(func() { c.run(apply) }) {
		c.mu.Lock()
		c.busy, c.next = false, nil
		c.mu.Unlock()
	}
}

func (c *chooser[T]) run(apply func(T) func()) {
	for {
		c.mu.Lock()
		v := c.next
		c.next = nil
		if v == nil {
			c.busy = false
			c.mu.Unlock()
			return
		}
		c.mu.Unlock()
		report := apply(*v)
		c.mu.Lock()
		newer := c.next != nil
		c.mu.Unlock()
		if !newer && report != nil {
			report()
		}
	}
}
