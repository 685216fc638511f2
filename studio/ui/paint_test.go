package ui

import "testing"

// Updates wait for the next picture while pictures come, a newer one of a
// kind replacing the older; without pictures they go to the UI goroutine
// at once, one hand-over outstanding however many come.
func TestPaintQueue(t *testing.T) {
	var handed []func()
	q := newPaintQueue(func(f func()) { handed = append(handed, f) })
	var shown []string
	q.clocked.Store(true)
	q.set(paintMeters, func() { shown = append(shown, "meters 1") })
	q.set(paintMeters, func() { shown = append(shown, "meters 2") })
	q.set(paintStatusBar, func() { shown = append(shown, "status") })
	if len(handed) != 0 || len(shown) != 0 {
		t.Fatalf("while pictures come, updates ran (%v) or were handed over (%d)", shown, len(handed))
	}
	q.run() // the next picture
	if len(shown) != 2 || shown[0] != "meters 2" || shown[1] != "status" {
		t.Errorf("the picture showed %v, want the newest meters and the status bar", shown)
	}
	q.run()
	if len(shown) != 2 {
		t.Errorf("a second picture ran updates again: %v", shown)
	}

	// The pictures stop: what waits is handed over.
	shown = nil
	q.set(paintLive, func() { shown = append(shown, "live") })
	q.unclocked()
	if len(handed) != 1 {
		t.Fatalf("%d hand-overs after the pictures stopped, want 1", len(handed))
	}
	q.set(paintChat, func() { shown = append(shown, "chat") })
	q.set(paintMeters, func() { shown = append(shown, "meters") })
	if len(handed) != 1 {
		t.Errorf("%d hand-overs outstanding, want 1", len(handed))
	}
	handed[0]()
	if len(shown) != 3 {
		t.Errorf("the hand-over showed %v, want live, meters and chat", shown)
	}
	q.set(paintMeters, func() {})
	if len(handed) != 2 {
		t.Errorf("after the hand-over ran, a new update was not handed over (%d)", len(handed))
	}
}
