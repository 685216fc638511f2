package wire

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"onair/capture"
	"onair/overlay"
	"onair/studio/chat"
	"onair/studio/chat/chattest"
)

// Events from two real connectors (fake Twitch and YouTube servers) reach
// the scene through the hub: bits, a sub, a gifted sub, a mystery gift, a
// raid and a super chat become alerts in order with their amounts and
// units; the bits fill a goal in bits and the euros leave it; chat lines go
// to the chat box, and one the platform deletes leaves it.
func TestChatEventsReachTheScene(t *testing.T) {
	tw := chattest.NewTwitch(t)
	yt := chattest.NewYouTube(t, "AIzaK3y", "chat1")
	yt.SetPollingInterval(100)
	st, err := overlay.NewStage(320, 180, []overlay.SceneSpec{{Name: "Live", Layers: []overlay.LayerSpec{
		{Name: "goal", Kind: overlay.KindGoal, Width: 300, Height: 20, Goal: &overlay.GoalSpec{Title: "Lights", Target: 1000, Unit: "bits"}},
		{Name: "alerts", Kind: overlay.KindAlert, Alerts: &overlay.AlertSpec{HoldSec: 0.1, EnterSec: 0.05, ExitSec: 0.05, Queue: 20}},
		{Name: "chat", Kind: overlay.KindChat},
	}}})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var shown []overlay.Event
	st.OnAlert(func(ev overlay.Event, _ string) {
		mu.Lock()
		shown = append(shown, ev)
		mu.Unlock()
	})
	h := chat.NewHub(100)
	h.Add(&chat.Twitch{Channel: "cam", URL: tw.URL()})
	h.Add(&chat.YouTube{Key: "AIzaK3y", LiveChatID: "chat1", Server: yt.URL()})
	var notices []string
	FeedStage(h, st, func(s string) { mu.Lock(); notices = append(notices, s); mu.Unlock() })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); h.Run(ctx) }()
	defer func() { cancel(); <-done }()
	wait := func(what string, cond func() bool) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(10 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("waited 10 s for %s", what)
			}
		}
	}
	wait("Twitch joined", func() bool { return tw.Joined() == 1 })

	tw.Say(
		chattest.Chat("cam", "ana", "id=c1;display-name=Ana", "hello"),
		chattest.Chat("cam", "bo", "id=c2;display-name=Bo", "buy followers at spam.example"),
		chattest.Chat("cam", "cy", "id=b1;display-name=Cy;bits=500", "cheer500 lights!"),
		`@id=s1;display-name=Di;login=di;msg-id=resub;msg-param-cumulative-months=7;msg-param-sub-plan=1000;system-msg=Di\ssubscribed\sfor\s7\smonths :tmi.twitch.tv USERNOTICE #cam :still here`,
		`@id=s2;display-name=Ed;login=ed;msg-id=subgift;msg-param-months=1;msg-param-recipient-display-name=Fay;msg-param-recipient-user-name=fay;msg-param-sub-plan=1000;system-msg=Ed\sgifted\sa\ssub\sto\sFay :tmi.twitch.tv USERNOTICE #cam`,
		`@id=s3;display-name=Gus;login=gus;msg-id=submysterygift;msg-param-mass-gift-count=5;msg-param-sub-plan=1000;system-msg=Gus\sis\sgifting\s5\ssubs :tmi.twitch.tv USERNOTICE #cam`,
		`@id=r1;display-name=Hal;login=hal;msg-id=raid;msg-param-viewerCount=42 :tmi.twitch.tv USERNOTICE #cam`,
		chattest.Chat("cam", "cy", "id=b2;display-name=Cy;bits=600", "cheer600 more"),
	)
	wait("the chat lines", func() bool { return len(st.ChatLines()) == 2 })
	yt.Push(`{"kind":"youtube#liveChatMessage","etag":"e","id":"y1","snippet":{"type":"superChatEvent","liveChatId":"chat1","authorChannelId":"UCb","publishedAt":"2026-11-30T12:00:00.000+00:00","hasDisplayContent":true,"displayMessage":"€2.00 from Brian Lough: \"test\"","superChatDetails":{"amountMicros":"2000000","currency":"EUR","amountDisplayString":"€2.00","userComment":"test","tier":2}},"authorDetails":{"channelId":"UCb","displayName":"Brian Lough","isChatOwner":false,"isChatSponsor":false,"isChatModerator":false}}`)
	tw.Say(`@login=bo;target-msg-id=c2 :tmi.twitch.tv CLEARMSG #cam :buy followers at spam.example`)

	// The compositor's ticks play the alerts one after another.
	pool := capture.NewFramePool(320, 180)
	src := pool.Get()
	defer src.Release()
	at := time.Duration(0)
	wait("seven alerts", func() bool {
		f := pool.Get()
		st.Compose(f.Pic, src, at)
		f.Release()
		at += 33 * time.Millisecond
		mu.Lock()
		defer mu.Unlock()
		return len(shown) >= 7
	})
	mu.Lock()
	var got []string
	for _, ev := range shown {
		got = append(got, strings.TrimSpace(ev.Kind+" "+ev.Name+" "+strings.TrimSpace(fmtAmount(ev.Amount)+" "+ev.Unit)+" "+ev.Message))
	}
	mu.Unlock()
	want := []string{
		"tip Cy 500 bits cheer500 lights!",
		"sub Di 7 still here",
		"sub Fay 1 Ed gifted a sub to Fay", // the one subscribed, the giver in the words
		"sub Gus 5 Gus is gifting 5 subs",
		"raid Hal 42",
		"tip Cy 600 bits cheer600 more",
		"tip Brian Lough 2 € test",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("alerts:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// 1100 bits: the 1000-bit goal reached, 100 towards the next round; the
	// euros did not count.
	if title, cur, target, unit := st.Goal(); title != "Lights" || cur != 100 || target != 1000 || unit != "bits" {
		t.Errorf("goal %q %g/%g %s; want Lights 100/1000 bits", title, cur, target, unit)
	}
	wait("the deleted line gone", func() bool { return len(st.ChatLines()) == 1 })
	if l := st.ChatLines(); l[0].Author != "Ana" || l[0].Text != "hello" {
		t.Errorf("chat box %+v", l)
	}
	mu.Lock()
	if len(notices) > 0 {
		t.Errorf("notices %q", notices)
	}
	mu.Unlock()
}

func fmtAmount(v float64) string {
	return strings.TrimRight(strings.TrimRight(strconv.FormatFloat(v, 'f', 2, 64), "0"), ".")
}

// oneShot is a connector that says its messages once and waits.
type oneShot []chat.Message

func (o oneShot) Platform() string { return "test" }

func (o oneShot) Run(ctx context.Context, emit func(chat.Message), state func(chat.State)) error {
	state(chat.State{Phase: chat.Live})
	for _, m := range o {
		emit(m)
	}
	<-ctx.Done()
	return nil
}

// A private message and one the studio's moderation hides never reach the
// chat box on stream; a tip with a hidden user's words shows without them.
func TestPrivateAndHiddenStayOffStream(t *testing.T) {
	st, err := overlay.NewStage(320, 180, []overlay.SceneSpec{{Name: "Live", Layers: []overlay.LayerSpec{
		{Name: "alerts", Kind: overlay.KindAlert},
		{Name: "chat", Kind: overlay.KindChat},
	}}})
	if err != nil {
		t.Fatal(err)
	}
	h := chat.NewHub(10)
	if err := h.SetModeration(chat.Moderation{HiddenUsers: []string{"troll"}}); err != nil {
		t.Fatal(err)
	}
	h.Add(oneShot{
		{ID: "1", Kind: chat.KindChat, Author: chat.Author{Login: "fan"}, Text: "my address is …", Private: true},
		{ID: "2", Kind: chat.KindChat, Author: chat.Author{Login: "troll"}, Text: "nasty"},
		{ID: "3", Kind: chat.KindTip, Author: chat.Author{Login: "troll"}, Text: "nasty words", Amount: 5, Currency: "tokens"},
		{ID: "4", Kind: chat.KindChat, Author: chat.Author{Login: "ok"}, Text: "hi"},
	})
	var got []overlay.Event
	var mu sync.Mutex
	st.OnAlert(func(ev overlay.Event, _ string) { mu.Lock(); got = append(got, ev); mu.Unlock() })
	FeedStage(h, st, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); h.Run(ctx) }()
	defer func() { cancel(); <-done }()
	for deadline := time.Now().Add(10 * time.Second); len(st.ChatLines()) == 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("no chat line within 10 s")
		}
	}
	f := capture.NewFramePool(320, 180).Get()
	defer f.Release()
	st.Compose(f.Pic, f, 0)
	if l := st.ChatLines(); len(l) != 1 || l[0].Text != "hi" {
		t.Errorf("chat box %+v: want only the public, unhidden line", l)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 1 || got[0].Message != "" || got[0].Amount != 5 || got[0].Unit != "tokens" {
		t.Errorf("alerts %+v: want the tip, without the hidden user's words", got)
	}
}
