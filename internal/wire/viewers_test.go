package wire

import (
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"onair/outputs"
	"onair/studio"
)

// fakeLive records what Viewers asks of the broadcast on air.
type fakeLive struct {
	mu      sync.Mutex
	added   []studio.Destination
	removed []int
}

func (f *fakeLive) AddDestination(d studio.Destination) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.added = append(f.added, d)
	return 7, nil
}

func (f *fakeLive) RemoveDestination(i int) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.removed = append(f.removed, i)
	return nil
}

// The monitor turned on while live joins the show (the viewers'
// destination added), and off stops feeding them (removed): its rendition
// costs an encode. A private show keeps the feed while the monitor goes
// off. The links and the certificate's fingerprint are in the state; off
// air nothing is added.
func TestViewersJoinAndLeaveTheShow(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	v := NewViewers(studio.WebRTCSettings{Port: port}, t.TempDir())
	defer v.Close()
	changes := 0
	var mu sync.Mutex
	v.OnChange(func() { mu.Lock(); changes++; mu.Unlock() })
	if v.Wanted() {
		t.Fatal("wanted before anything was turned on")
	}
	live := &fakeLive{}
	fed := func() (added []studio.Destination, removed []int) {
		live.mu.Lock()
		defer live.mu.Unlock()
		return append(added, live.added...), append(removed, live.removed...)
	}
	v.GoingLive(live, -1)
	if err := v.SetMonitor(true); err != nil {
		t.Fatal(err)
	}
	// The feeder follows on its own goroutine, to the state it finds: wait
	// for the join before the next switch (switched off at once, it would
	// rightly add nothing).
	deadline := time.Now().Add(5 * time.Second)
	for a, _ := fed(); len(a) == 0 && time.Now().Before(deadline); a, _ = fed() {
		time.Sleep(10 * time.Millisecond)
	}
	st := v.State()
	if !st.Monitor || !strings.Contains(st.Link, "/watch/") || len(strings.Split(st.Fingerprint, ":")) != 32 {
		t.Errorf("state %+v", st)
	}
	if err := v.OpenPrivate(); err != nil {
		t.Fatal(err)
	}
	if st := v.State(); !st.Private || !strings.Contains(st.PrivateLink, "/show/") || !strings.Contains(st.Call, "Waiting") {
		t.Errorf("state %+v", st)
	}
	if err := v.SetMonitor(false); err != nil {
		t.Fatal(err)
	}
	v.ClosePrivate()
	deadline = time.Now().Add(5 * time.Second)
	for _, r := fed(); len(r) == 0 && time.Now().Before(deadline); _, r = fed() {
		time.Sleep(10 * time.Millisecond)
	}
	if added, removed := fed(); len(added) != 1 || added[0].URL != outputs.ViewersURL || len(removed) != 1 || removed[0] != 7 {
		t.Errorf("added %v, removed %v; want the viewers added once, removed once when neither is wanted", added, removed)
	}
	v.GoingLive(nil, -1)
	if err := v.SetMonitor(true); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond) // nothing to wait for: nothing may happen
	if added, _ := fed(); len(added) != 1 {
		t.Errorf("added while off air")
	}
	// Switched on while the show was being prepared: going live catches up.
	live2 := &fakeLive{}
	v.GoingLive(live2, -1)
	deadline = time.Now().Add(5 * time.Second)
	for {
		live2.mu.Lock()
		n := len(live2.added)
		live2.mu.Unlock()
		if n == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the viewers did not join a show that went live with the monitor on")
		}
		time.Sleep(10 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	if changes < 4 {
		t.Errorf("%d changes told", changes)
	}
}

// A port another program holds is said, and nothing is left half-started.
func TestViewersPortTaken(t *testing.T) {
	ln, err := net.Listen("tcp", ":0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	v := NewViewers(studio.WebRTCSettings{Port: ln.Addr().(*net.TCPAddr).Port}, t.TempDir())
	defer v.Close()
	err = v.SetMonitor(true)
	if err == nil || !strings.Contains(err.Error(), "is taken by another program") {
		t.Fatalf("%v", err)
	}
	if st := v.State(); st.Monitor || !strings.Contains(st.Err, "is taken") {
		t.Errorf("state %+v", st)
	}
}
