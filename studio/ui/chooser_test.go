package ui

import (
	"sync"
	"testing"
)

// Choices made while one is being applied are applied after it, the newest
// only, and only the last outcome is reported: a camera chosen and then its
// mode never ends with the camera's first opening in place.
func TestChooserAppliesInOrderNewestLast(t *testing.T) {
	var c chooser[int]
	var wg sync.WaitGroup
	spawn := func(f func()) bool { wg.Add(1); go func() { defer wg.Done(); f() }(); return true }
	var mu sync.Mutex
	var applied, reported []int
	started, release := make(chan struct{}), make(chan struct{})
	apply := func(v int) func() {
		if v == 1 {
			close(started)
			<-release // the first opening takes its time
		}
		mu.Lock()
		applied = append(applied, v)
		mu.Unlock()
		return func() { mu.Lock(); reported = append(reported, v); mu.Unlock() }
	}
	c.choose(1, spawn, apply)
	<-started
	c.choose(2, spawn, apply)
	c.choose(3, spawn, apply)
	close(release)
	wg.Wait()
	if len(applied) != 2 || applied[0] != 1 || applied[1] != 3 {
		t.Errorf("applied %v, want [1 3]: in order, 2 replaced by 3 before it began", applied)
	}
	if len(reported) != 1 || reported[0] != 3 {
		t.Errorf("reported %v, want [3]", reported)
	}
	// A window that has stopped spawns nothing: the chooser is free again.
	c.choose(4, func(func()) bool { return false }, apply)
	c.choose(5, spawn, apply)
	wg.Wait()
	if applied[len(applied)-1] != 5 {
		t.Errorf("after a refused spawn, applied %v", applied)
	}
}
