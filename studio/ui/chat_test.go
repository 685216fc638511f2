package ui

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"onair/studio/chat"
)

// feedConn is a connector the test feeds.
type feedConn struct{ msgs chan chat.Message }

func (f feedConn) Platform() string { return "twitch" }

func (f feedConn) Run(ctx context.Context, emit func(chat.Message), state func(chat.State)) error {
	state(chat.State{Phase: chat.Live})
	for {
		select {
		case <-ctx.Done():
			return nil
		case m := <-f.msgs:
			emit(m)
		}
	}
}

// The chat panel shows the merged chat with each platform's state; a flood
// of 5,000 messages costs a handful of redraws, not one per message; Hide
// takes a user's lines away; sending with no platform that can send says
// so in words.
func TestChatPanel(t *testing.T) {
	test.NewTempApp(t)
	loop := &uiLoop{q: make(chan func(), 1024)}
	var queued atomic.Int64
	do := func(f func()) { queued.Add(1); loop.do(f) }
	h := chat.NewHub(500)
	feed := feedConn{msgs: make(chan chat.Message, 64)}
	h.Add(feed)
	p := NewChatPanel(h, do, nil)
	w := test.NewWindow(p.Object())
	defer w.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); h.Run(ctx) }()
	panelDone := make(chan struct{})
	go func() { defer close(panelDone); p.Run(ctx) }()
	defer func() { <-panelDone }()
	defer func() {
		cancel()
		// The hub's last updates may wait on the loop: keep running it.
		for {
			select {
			case <-done:
				return
			case f := <-loop.q:
				f()
			}
		}
	}()

	feed.msgs <- chat.Message{ID: "1", Kind: chat.KindChat, Author: chat.Author{Login: "ana", Name: "Ana"}, Text: "hello"}
	feed.msgs <- chat.Message{ID: "2", Kind: chat.KindTip, Author: chat.Author{Login: "bo", Name: "Bo"}, Amount: 100, Currency: "bits", Text: "cheer100 yay"}
	loop.until(t, 5*time.Second, "two lines", func() bool { return len(p.items) == 2 })
	if got := chat.Describe(&p.items[1].Msg); got != "★ Bo tipped 100 bits: cheer100 yay" {
		t.Errorf("tip line %q", got)
	}
	if !strings.Contains(p.states.Text, "twitch ✓") {
		t.Errorf("states %q", p.states.Text)
	}

	// A flood: the panel redraws when it can, not for every message.
	before := queued.Load()
	go func() {
		for i := 0; i < 5000; i++ {
			feed.msgs <- chat.Message{ID: fmt.Sprint(100 + i), Kind: chat.KindChat, Author: chat.Author{Login: "fan"}, Text: fmt.Sprint("line ", i)}
		}
	}()
	loop.until(t, 20*time.Second, "the flood shown", func() bool {
		return len(p.items) > 0 && p.items[len(p.items)-1].Msg.Text == "line 4999"
	})
	redraws := queued.Load() - before
	t.Logf("5000 messages, %d redraws queued", redraws)
	if redraws > 100 {
		t.Errorf("%d redraws for 5000 messages: the panel does not coalesce", redraws)
	}
	if len(p.items) != chatShown {
		t.Errorf("the panel holds %d lines; want the last %d", len(p.items), chatShown)
	}

	// Hide the author of a selected line.
	p.list.Select(len(p.items) - 1)
	if p.hide.Disabled() || !strings.Contains(p.hide.Text, "fan") {
		t.Fatalf("hide button %q disabled=%v", p.hide.Text, p.hide.Disabled())
	}
	test.Tap(p.hide)
	loop.until(t, 5*time.Second, "fan's lines gone", func() bool {
		for _, it := range p.items {
			if it.Msg.Author.Login == "fan" {
				return false
			}
		}
		return true
	})
	if !strings.Contains(p.say.Text, "hidden") {
		t.Errorf("after Hide: %q", p.say.Text)
	}

	test.Type(p.entry, "hello chat")
	p.send()
	if !strings.Contains(p.say.Text, "Not sent") || !strings.Contains(p.say.Text, "can send") {
		t.Errorf("sending with no sender: %q", p.say.Text)
	}
}
