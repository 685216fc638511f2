//go:build !race

// The socket flood runs without the race detector: instrumented JSON
// parsing on a 2-core runner cannot take 10,000 messages a second, and the
// test is of the hub's bounds, not of the detector's speed. TestHubFlood
// runs the same rate through the hub under -race.

package chat

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"onair/studio/chat/chattest"
)

// 10,000 messages a second for 10 s over real sockets from three fake
// platforms (Twitch, Kick, Owncast): every message reaches the hub's
// listener once and in each platform's order, the view holds the last
// history, and the heap is the same after 1 s and at the end.
func TestFloodOverSockets(t *testing.T) {
	if testing.Short() {
		t.Skip("10 s")
	}
	const perSecond, seconds, history, tick = 10000, 10, 1000, 10 * time.Millisecond
	tw, kick, oc := chattest.NewTwitch(t), chattest.NewKick(t), chattest.NewOwncast(t)
	h := NewHub(history)
	h.Add(&Twitch{Channel: "cam", URL: tw.URL()})
	h.Add(&Kick{Channel: "cam", ChatroomID: 77, Server: kick.URL()})
	h.Add(&Owncast{Server: oc.URL(), DisplayName: "onair"})

	var mu sync.Mutex
	next := map[string]int{}
	got, bad := 0, ""
	live := map[string]bool{}
	h.OnUpdate(func(u Update) {
		mu.Lock()
		defer mu.Unlock()
		for _, s := range u.States {
			live[s.Platform] = s.Phase == Live
		}
		for _, it := range u.Added {
			var i int
			if _, err := fmt.Sscanf(it.Msg.Text, "n%d ", &i); err != nil {
				continue // Owncast's own notices
			}
			if i != next[it.Msg.Platform] && bad == "" {
				bad = fmt.Sprintf("%s: message %d after %d: lost or out of order", it.Msg.Platform, i, next[it.Msg.Platform]-1)
			}
			next[it.Msg.Platform] = i + 1
			got++
		}
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); h.Run(ctx) }()
	defer func() { cancel(); <-done }()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		mu.Lock()
		ok := live["twitch"] && live["kick"] && live["owncast"] && tw.Joined() == 1 && kick.Subscribers("chatrooms.77.v2") == 1
		mu.Unlock()
		if ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the three connectors were not live within 10 s")
		}
	}

	heap := func() uint64 {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return ms.HeapAlloc
	}
	pad := strings.Repeat("x", 80)
	per := perSecond * int(tick) / int(time.Second) / 3 // each platform's messages a tick
	ticks := seconds * int(time.Second/tick)
	var early uint64
	var wg sync.WaitGroup
	start := time.Now()
	send := func(name string, f func(from, n int)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := 0; k < ticks; k++ {
				time.Sleep(time.Until(start.Add(time.Duration(k) * tick)))
				f(k*per, per)
			}
		}()
	}
	send("twitch", func(from, n int) {
		lines := make([]string, n)
		for i := range lines {
			lines[i] = chattest.Chat("cam", "ana", fmt.Sprintf("id=t%d", from+i), fmt.Sprintf("n%d %s", from+i, pad))
		}
		tw.Say(lines...)
	})
	send("kick", func(from, n int) {
		for i := from; i < from+n; i++ {
			kick.Broadcast("chatrooms.77.v2", "ChatMessageEvent", map[string]any{
				"id": fmt.Sprintf("k%d", i), "chatroom_id": 77, "content": fmt.Sprintf("n%d %s", i, pad), "type": "message",
				"created_at": "2026-11-30T12:00:00+00:00", "sender": map[string]any{"id": 1, "username": "bo", "slug": "bo", "identity": map[string]any{"color": "#BC66FF", "badges": []any{}}},
			})
		}
	})
	send("owncast", func(from, n int) {
		evs := make([]string, n)
		for i := range evs {
			evs[i] = chattest.ChatEvent(fmt.Sprintf("o%d", from+i), chattest.OwncastUser{ID: "u", DisplayName: "cy"}, fmt.Sprintf("n%d %s", from+i, pad), time.Now())
		}
		oc.Broadcast(evs...)
	})
	time.Sleep(time.Second)
	early = heap()
	wg.Wait()
	total := 3 * per * ticks
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		mu.Lock()
		k := got
		mu.Unlock()
		if k >= total || time.Now().After(deadline) {
			break
		}
	}
	elapsed := time.Since(start)
	late := heap()
	mu.Lock()
	if bad != "" || got != total {
		t.Errorf("%d of %d messages reached the hub; %s", got, total, bad)
	}
	mu.Unlock()
	if v := h.View(); len(v) != history {
		t.Errorf("the view holds %d; want the last %d", len(v), history)
	}
	t.Logf("%d messages over 3 sockets in %v; heap after 1 s %.1f MB, at the end %.1f MB", total, elapsed.Round(time.Millisecond), float64(early)/1e6, float64(late)/1e6)
	if late > early+8<<20 {
		t.Errorf("the heap grew from %.1f to %.1f MB", float64(early)/1e6, float64(late)/1e6)
	}
}
