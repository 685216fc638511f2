package chat

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"onair/outputs"
	"onair/studio/chat/chattest"
)

// Events in the shapes Chaturbate sends (after the MountainGod2/cb-events
// and pychaturbate fixtures); the fake gives each its id.
const (
	cbTipJSON       = `{"method":"tip","object":{"broadcaster":"testuser","tip":{"tokens":25,"isAnon":false,"message":"Great show!"},"user":{"username":"testuser1","inFanclub":false,"gender":"f","hasTokens":true,"recentTips":"some","isMod":false,"colorGroup":"p"}}}`
	cbAnonTipJSON   = `{"method":"tip","object":{"broadcaster":"testuser","tip":{"tokens":100,"isAnon":true,"message":""},"user":{"username":"secretfan","inFanclub":false,"gender":"m","hasTokens":true,"recentTips":"lots","isMod":false}}}`
	cbChatJSON      = `{"method":"chatMessage","object":{"broadcaster":"testuser","message":{"color":"#494949","bgColor":null,"message":"Hello everyone!","font":"default"},"user":{"username":"fan_user","inFanclub":true,"gender":"m","hasTokens":true,"recentTips":"none","isMod":false,"colorGroup":"f"}}}`
	cbPrivateJSON   = `{"method":"privateMessage","object":{"broadcaster":"testuser","message":{"color":"","bgColor":null,"message":"Private hello","font":"default","fromUser":"sender","toUser":"testuser"},"user":{"username":"sender","inFanclub":false,"gender":"m","hasTokens":true,"recentTips":"none","isMod":true}}}`
	cbFollowJSON    = `{"method":"follow","object":{"broadcaster":"testuser","user":{"username":"newfollower","inFanclub":false,"gender":"f","hasTokens":false,"recentTips":"none","isMod":false}}}`
	cbUnfollowJSON  = `{"method":"unfollow","object":{"broadcaster":"testuser","user":{"username":"oldfollower","inFanclub":false,"gender":"f","hasTokens":false,"recentTips":"none","isMod":false}}}`
	cbEnterJSON     = `{"method":"userEnter","object":{"broadcaster":"testuser","user":{"username":"ana","inFanclub":true,"gender":"m","hasTokens":true,"recentTips":"none","isMod":false}}}`
	cbLeaveJSON     = `{"method":"userLeave","object":{"broadcaster":"testuser","user":{"username":"ana","inFanclub":true,"gender":"m","hasTokens":true,"recentTips":"none","isMod":false}}}`
	cbFanclubJSON   = `{"method":"fanclubJoin","object":{"broadcaster":"testuser","user":{"username":"bigfan","inFanclub":true,"gender":"f","hasTokens":true,"recentTips":"some","isMod":false}}}`
	cbMediaJSON     = `{"method":"mediaPurchase","object":{"broadcaster":"testuser","media":{"id":"m1","name":"clip","type":"video","tokens":50},"user":{"username":"buyer","inFanclub":false,"gender":"m","hasTokens":true,"recentTips":"none","isMod":false}}}`
	cbStartJSON     = `{"method":"broadcastStart","object":{"broadcaster":"testuser","user":{"username":"testuser","inFanclub":false,"gender":"f","hasTokens":true,"recentTips":"none","isMod":false,"isOwner":true}}}`
	cbStopJSON      = `{"method":"broadcastStop","object":{"broadcaster":"testuser","user":{"username":"testuser","inFanclub":false,"gender":"f","hasTokens":true,"recentTips":"none","isMod":false,"isOwner":true}}}`
	cbSubjectJSON   = `{"method":"roomSubjectChange","object":{"broadcaster":"testuser","subject":"Welcome to my room! #new","user":{"username":"testuser","inFanclub":false,"gender":"f","hasTokens":true,"recentTips":"none","isMod":false}}}`
	cbBadTokensJSON = `{"method":"tip","object":{"tip":{"tokens":"abc"},"user":{"username":"x"}}}`
	cbUnknownJSON   = `{"method":"someNewEvent","object":{"whatever":[1,2,3]}}`
)

const cbToken = "tok3nS3cr3tAbc"

// cbRun runs a Chaturbate connector and keeps what it gives.
type cbRun struct {
	mu     sync.Mutex
	msgs   []Message
	states []State
	logs   []string
	cancel context.CancelFunc
	done   chan error
}

func startCB(c *Chaturbate) *cbRun {
	r := &cbRun{done: make(chan error, 1)}
	c.Log = func(s string) { r.mu.Lock(); r.logs = append(r.logs, s); r.mu.Unlock() }
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	go func() {
		r.done <- c.Run(ctx, func(m Message) { r.mu.Lock(); r.msgs = append(r.msgs, m); r.mu.Unlock() },
			func(s State) { r.mu.Lock(); r.states = append(r.states, s); r.mu.Unlock() })
	}()
	return r
}

func (r *cbRun) stop(t *testing.T) {
	t.Helper()
	r.cancel()
	if err := <-r.done; err != nil {
		t.Errorf("Run after cancel: %v", err)
	}
}

// until polls cond (under the lock) for up to 10 s.
func (r *cbRun) until(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		r.mu.Lock()
		ok := cond()
		r.mu.Unlock()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			r.mu.Lock()
			defer r.mu.Unlock()
			t.Fatalf("no %s within 10 s; messages %d, states %v, logs %q", what, len(r.msgs), phases(r.states), r.logs)
		}
	}
}

func phases(ss []State) string {
	var p []string
	for _, s := range ss {
		p = append(p, s.Phase.String())
	}
	return strings.Join(p, " ")
}

func newCB(srv *chattest.Chaturbate) *Chaturbate {
	return &Chaturbate{User: srv.User, Token: srv.Token, Server: srv.URL(),
		Backoff: outputs.Backoff{First: 50 * time.Millisecond, Factor: 1.5, Max: 500 * time.Millisecond}}
}

// Every kind of event arrives mapped; a malformed event is skipped and
// logged, an unknown one skipped quietly; the token is in no log line.
func TestChaturbateEvents(t *testing.T) {
	srv := chattest.NewChaturbate(t, "testuser", cbToken)
	srv.SetMaxHold(200 * time.Millisecond)
	all := []string{cbTipJSON, cbAnonTipJSON, cbChatJSON, cbPrivateJSON, cbFollowJSON, cbUnfollowJSON, cbEnterJSON,
		cbLeaveJSON, cbFanclubJSON, cbMediaJSON, cbStartJSON, cbStopJSON, cbSubjectJSON}
	ids := srv.Push(cbBadTokensJSON, cbUnknownJSON)
	ids = append(ids[:0], srv.Push(all...)...)
	r := startCB(newCB(srv))
	r.until(t, "13 events", func() bool { return len(r.msgs) >= len(all) })
	r.until(t, "the next poll", func() bool { return srv.Requests() >= 2 })
	r.stop(t)

	type want struct {
		kind                Kind
		login, name, text   string
		amount              float64
		currency, tier, sys string
		role                Role
		private             bool
		color               string
	}
	wants := []want{
		{kind: KindTip, login: "testuser1", name: "testuser1", text: "Great show!", amount: 25, currency: "tokens"},
		{kind: KindTip, name: "anonymous", amount: 100, currency: "tokens"},
		{kind: KindChat, login: "fan_user", name: "fan_user", text: "Hello everyone!", role: RoleSubscriber, color: "#494949"},
		{kind: KindChat, login: "sender", name: "sender", text: "Private hello", role: RoleModerator, private: true},
		{kind: KindFollow, login: "newfollower", name: "newfollower"},
		{kind: KindNotice, login: "oldfollower", name: "oldfollower", sys: "oldfollower unfollowed"},
		{kind: KindNotice, login: "ana", name: "ana", sys: "ana entered", role: RoleSubscriber},
		{kind: KindNotice, login: "ana", name: "ana", sys: "ana left", role: RoleSubscriber},
		{kind: KindSub, login: "bigfan", name: "bigfan", tier: "fanclub", role: RoleSubscriber},
		{kind: KindTip, login: "buyer", name: "buyer", amount: 50, currency: "tokens", sys: "bought clip"},
		{kind: KindNotice, login: "testuser", name: "testuser", sys: "the broadcast started", role: RoleBroadcaster},
		{kind: KindNotice, login: "testuser", name: "testuser", sys: "the broadcast stopped", role: RoleBroadcaster},
		{kind: KindNotice, login: "testuser", name: "testuser", sys: "room subject: Welcome to my room! #new"},
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.msgs) != len(wants) {
		t.Fatalf("%d messages, want %d", len(r.msgs), len(wants))
	}
	for i, w := range wants {
		m := r.msgs[i]
		got := want{m.Kind, m.Author.Login, m.Author.Name, m.Text, m.Amount, m.Currency, m.Tier, m.System, m.Author.Role, m.Private, m.Author.Color}
		if got != w {
			t.Errorf("event %d (%s):\n got %+v\nwant %+v", i, m.ID, got, w)
		}
		if m.Platform != "chaturbate" || m.Channel != "testuser" || m.ID != ids[i] || m.Time.IsZero() {
			t.Errorf("event %d: platform %q channel %q id %q (want %q) time %v", i, m.Platform, m.Channel, m.ID, ids[i], m.Time)
		}
	}
	if r.msgs[1].Author.Login != "" || r.msgs[1].Author.ID != "" {
		t.Errorf("an anonymous tip names its tipper: %+v", r.msgs[1].Author)
	}
	if b := r.msgs[0].Author.Badges; len(b) != 1 || b[0] != "colorgroup/p" {
		t.Errorf("badges %q, want the colour group", b)
	}
	if len(r.logs) != 1 || !strings.Contains(r.logs[0], "chaturbate chat: skipped a malformed message: a tip event") {
		t.Errorf("logs %q: want one line for the malformed tip, none for the unknown event", r.logs)
	}
	if p := phases(r.states); !strings.HasPrefix(p, "connecting live") || strings.Contains(p, "reconnecting") {
		t.Errorf("states %q", p)
	}
	for _, l := range r.logs {
		if strings.Contains(l, cbToken) {
			t.Errorf("a log line has the token: %q", l)
		}
	}
	if p := srv.Positions(); p[0] != "" || len(p) < 2 || p[1] != ids[len(ids)-1] {
		t.Errorf("positions asked %q: want none, then the last event's id %s", p, ids[len(ids)-1])
	}
}

// A server error, a connection dropped with an answer lost on the way, and
// a server that stops answering: each time the connector comes back at the
// position it had, so every event arrives once, in order.
func TestChaturbateResumes(t *testing.T) {
	srv := chattest.NewChaturbate(t, "cam", cbToken)
	srv.SetMaxHold(200 * time.Millisecond)
	c := newCB(srv)
	c.Client = &http.Client{Timeout: 700 * time.Millisecond}
	r := startCB(c)
	count := func(n int) func() bool { return func() bool { return len(r.msgs) >= n } }
	reconnects := func() int {
		n := 0
		for _, s := range r.states {
			if s.Phase == Reconnecting {
				n++
			}
		}
		return n
	}
	tip := func(user string) string {
		return fmt.Sprintf(`{"method":"tip","object":{"tip":{"tokens":10,"isAnon":false,"message":""},"user":{"username":%q}}}`, user)
	}
	var ids []string
	ids = append(ids, srv.Push(tip("a"), tip("b"))...)
	r.until(t, "2 tips", count(2))

	srv.AnswerNext(1, chattest.Answer{Status: 502, RetryAfter: "0"})
	r.until(t, "a reconnect after HTTP 502", func() bool { return reconnects() == 1 })
	ids = append(ids, srv.Push(tip("c"), tip("d"))...)
	r.until(t, "4 tips", count(4))

	// The poll that gets Drop is held; what is pushed now is lost with it.
	// net/http sends a GET again at once when a reused connection closes
	// without an answer: the second Drop is what the connector sees.
	srv.FailNext(2, chattest.Drop)
	for i := 0; i < 1000 && srv.Pending() > 1; i++ {
		time.Sleep(5 * time.Millisecond)
	}
	lost := srv.Push(tip("e"))
	ids = append(ids, lost...)
	r.until(t, "5 tips", count(5))

	srv.FailNext(1, chattest.Hang)
	for i := 0; i < 1000 && srv.Pending() > 0; i++ {
		time.Sleep(5 * time.Millisecond)
	}
	ids = append(ids, srv.Push(tip("f"))...)
	r.until(t, "6 tips", count(6))
	r.until(t, "live again", func() bool { return r.states[len(r.states)-1].Phase == Live })
	r.stop(t)

	r.mu.Lock()
	defer r.mu.Unlock()
	var got []string
	for _, m := range r.msgs {
		got = append(got, m.ID)
	}
	if strings.Join(got, " ") != strings.Join(ids, " ") {
		t.Errorf("ids %q, want %q: once each, in order", got, ids)
	}
	if p := phases(r.states); !strings.HasPrefix(p, "connecting live reconnecting connecting live reconnecting connecting live reconnecting connecting live") {
		t.Errorf("states %q: want live, then reconnecting and live again three times", p)
	}
	if n := reconnects(); n < 3 || n > 4 {
		t.Errorf("%d reconnects, want 3 or 4 (502, the dropped answers, the silent server)", n)
	}
	if s := r.states[len(r.states)-2]; s.Phase != Connecting || !strings.Contains(r.states[len(r.states)-3].Err, "cannot reach the server") {
		t.Errorf("the silent server: %+v", r.states[len(r.states)-3])
	}
	for _, s := range r.states {
		if s.Phase == Reconnecting && (s.Err == "" || strings.Contains(s.Err, cbToken)) {
			t.Errorf("reconnecting state %+v: want why, never the token", s)
		}
	}
	if !strings.Contains(r.states[2].Err, "HTTP 502") {
		t.Errorf("after a 502: %q", r.states[2].Err)
	}
	// The position before the lost answer was asked again.
	pos := srv.Positions()
	before := ids[3]
	n := 0
	for _, p := range pos {
		if p == before {
			n++
		}
	}
	if n < 2 {
		t.Errorf("position %s asked %d times (%q); want again after the lost answer", before, n, pos)
	}
}

// A 400 "waited too long" carries nextUrl: followed at once, no reconnect.
// A nextUrl to another server is not followed: the page is refused and asked
// again from the position before.
func TestChaturbateNextURL(t *testing.T) {
	srv := chattest.NewChaturbate(t, "cam", cbToken)
	srv.SetMaxHold(100 * time.Millisecond)
	srv.FailNext(3, http.StatusBadRequest)
	r := startCB(newCB(srv))
	r.until(t, "3 waits followed", func() bool { return srv.Pending() == 0 && srv.Requests() >= 5 })
	srv.AnswerNext(1, chattest.Answer{Status: 200, Body: `{"events":[{"method":"tip","id":"1625274862454-0","object":{"tip":{"tokens":5},"user":{"username":"evil"}}}],"nextUrl":"http://elsewhere.example/events/cam/` + cbToken + `/?i=1625274862454-0&timeout=10"}`})
	r.until(t, "the refused page", func() bool { return len(r.states) > 0 && r.states[len(r.states)-1].Phase == Reconnecting })
	id := srv.Push(cbTipJSON)
	r.until(t, "the tip", func() bool { return len(r.msgs) >= 1 })
	r.stop(t)

	r.mu.Lock()
	defer r.mu.Unlock()
	if p := phases(r.states); !strings.HasPrefix(p, "connecting live reconnecting connecting live") || strings.Count(p, "reconnecting") != 1 {
		t.Errorf("states %q: want the waits followed without a reconnect, one for the page pointing elsewhere", p)
	}
	var bad State
	for _, s := range r.states {
		if s.Phase == Reconnecting {
			bad = s
		}
	}
	if !strings.Contains(bad.Err, "another server (http://elsewhere.example)") || strings.Contains(bad.Err, cbToken) {
		t.Errorf("refused nextUrl: %q", bad.Err)
	}
	if len(r.msgs) != 1 || r.msgs[0].ID != id[0] || r.msgs[0].Author.Login != "testuser1" {
		t.Errorf("messages %+v: want only the real tip (not the refused page's)", r.msgs)
	}
}

// A refused token or an unknown user stops with a clear Failed state, the
// token nowhere; settings that cannot be right fail at once; HTTP 429 waits
// what Retry-After says; an answer that is not JSON is skipped and logged.
func TestChaturbateRefusals(t *testing.T) {
	srv := chattest.NewChaturbate(t, "cam", cbToken)
	srv.SetMaxHold(100 * time.Millisecond)
	for _, tc := range []struct {
		name, user, token, server string
		want                      string
	}{
		{"bad token", "cam", "wrongT0kenX", srv.URL(), "Chaturbate refused the events token (HTTP 401: make a new events URL in Chaturbate's settings)"},
		{"unknown user", "nobody", cbToken, srv.URL(), `Chaturbate has no events feed for user "nobody" (check the user name in the events URL)`},
		{"token with a slash", "cam", cbToken + "/x", srv.URL(), "the Chaturbate events token is missing or malformed (copy the events URL from Chaturbate's settings)"},
		{"no token", "cam", "", srv.URL(), "the Chaturbate events token is missing or malformed (copy the events URL from Chaturbate's settings)"},
		{"bad user", "ca m", cbToken, srv.URL(), `Chaturbate user "ca m": a user name is letters, digits and _ (check the events URL)`},
		{"bad server", "cam", cbToken, "ftp://x", "the Chaturbate events server is not an http(s) address"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &Chaturbate{User: tc.user, Token: tc.token, Server: tc.server}
			var states []State
			err := c.Run(context.Background(), func(Message) {}, func(s State) { states = append(states, s) })
			last := states[len(states)-1]
			if err == nil || last.Phase != Failed || last.Err != tc.want || err.Error() != tc.want {
				t.Errorf("got %v, state %+v; want Failed with %q", err, last, tc.want)
			}
			if strings.Contains(last.Err, cbToken) || strings.Contains(err.Error(), cbToken) {
				t.Errorf("the token shows: %q", last.Err)
			}
		})
	}

	srv.AnswerNext(1, chattest.Answer{Status: http.StatusTooManyRequests, RetryAfter: "3"})
	r := startCB(newCB(srv))
	r.until(t, "a wait after 429", func() bool { return len(r.states) > 0 && r.states[len(r.states)-1].Phase == Reconnecting })
	r.stop(t)
	if s := r.states[len(r.states)-1]; s.Retry < 3*time.Second || s.Err != "Chaturbate asks to poll less often (HTTP 429)" {
		t.Errorf("after 429 with Retry-After 3: %+v", s)
	}

	srv.AnswerNext(1, chattest.Answer{Status: 200, Body: "<html>Cloudflare</html>"})
	r = startCB(newCB(srv))
	r.until(t, "a retry after an answer not JSON", func() bool { return len(r.states) > 0 && r.states[len(r.states)-1].Phase == Reconnecting })
	id := srv.Push(cbFollowJSON)
	r.until(t, "the follow after it", func() bool { return len(r.msgs) == 1 })
	r.stop(t)
	if r.msgs[0].ID != id[0] || len(r.logs) != 1 || !strings.Contains(r.logs[0], "skipped a malformed message: an answer that is not JSON") {
		t.Errorf("messages %+v, logs %q", r.msgs, r.logs)
	}
}

// A quiet room: polls held by the server, and a server that answers at
// once with nothing is not asked in a busy loop.
func TestChaturbateQuietRoom(t *testing.T) {
	srv := chattest.NewChaturbate(t, "cam", cbToken)
	srv.SetMaxHold(0) // answers at once, nothing in it
	r := startCB(newCB(srv))
	time.Sleep(time.Second)
	r.stop(t)
	if n := srv.Requests(); n < 2 || n > 6 {
		t.Errorf("%d polls in 1 s of empty answers; want about 4", n)
	}
	if p := phases(r.states); p != "connecting live" {
		t.Errorf("states %q", p)
	}
	c := &Chaturbate{}
	if to := c.client(nil, nil).Timeout; to != 45*time.Second {
		t.Errorf("client timeout %v, want the poll's 30 s + 15 s", to)
	}
	c.Timeout = 5 * time.Minute
	if c.pollTimeout() != 90*time.Second {
		t.Errorf("poll timeout %v, want at most 90 s", c.pollTimeout())
	}
}

func TestParseChaturbateURL(t *testing.T) {
	for _, tc := range []struct{ in, server, user, token, err string }{
		{"https://eventsapi.chaturbate.com/events/testuser/AbC123xyz/", "https://eventsapi.chaturbate.com", "testuser", "AbC123xyz", ""},
		{"  https://eventsapi.chaturbate.com/events/test_user/AbC123xyz/?timeout=10 \n", "https://eventsapi.chaturbate.com", "test_user", "AbC123xyz", ""},
		{"https://events.testbed.cb.dev/events/u1/AbC123xyz", "https://events.testbed.cb.dev", "u1", "AbC123xyz", ""},
		{"eventsapi.chaturbate.com/events/u/AbC123xyz/", "", "", "", "not a Chaturbate events URL"},
		{"https://eventsapi.chaturbate.com/events/u/", "", "", "", "not a Chaturbate events URL"},
		{"https://eventsapi.chaturbate.com/events/u/AbC123xyz/more/", "", "", "", "not a Chaturbate events URL"},
		{"https://eventsapi.chaturbate.com/events/u/AbC%2F123xyz/", "", "", "", "token in the Chaturbate events URL is malformed"},
		{"https://eventsapi.chaturbate.com/events/u/AbC%zz123xyz/", "", "", "", "not a Chaturbate events URL"},
		{"https://user:AbC123xyz@eventsapi.chaturbate.com/events/u/AbC123xyz/", "", "", "", "not a Chaturbate events URL"},
		{"https://eventsapi.chaturbate.com/events/b%20d/AbC123xyz/", "", "", "", `Chaturbate user "b d"`},
		{"%zzAbC123xyz", "", "", "", "not a Chaturbate events URL"},
	} {
		s, u, k, err := ParseChaturbateURL(tc.in)
		if s != tc.server || u != tc.user || k != tc.token || (err == nil) != (tc.err == "") || err != nil && !strings.Contains(err.Error(), tc.err) {
			t.Errorf("%q: %q %q %q %v", tc.in, s, u, k, err)
		}
		if err != nil && strings.Contains(err.Error(), "AbC") {
			t.Errorf("%q: the error shows the token: %v", tc.in, err)
		}
	}
}

// Answers as they come, and what the stream gets from them.
func TestParseChaturbate(t *testing.T) {
	now := time.Unix(1700000000, 0)
	page, err := parseChaturbate([]byte(`{"events":[`+
		`{"method":"tip","id":"1625274862454-0","object":{"tip":{"tokens":100,"message":"hi\u202e\r\nthere"},"user":{"username":"test_tipper"}}},`+
		`{"method":"tip","id":"2","object":{"tip":{"tokens":-5},"user":{"username":"x"}}},`+
		`{"method":"tip","id":"3","object":{"tip":{"tokens":1e30},"user":{"username":"x"}}},`+
		`{"method":"chatMessage","id":"4","object":{"message":{"message":"no user"}}},`+
		`{"method":"chatMessage","object":{"message":{"message":"no id"},"user":{"username":"x"}}},`+
		`{"method":"userEnter","id":"5","object":{"user":{"username":"Ana\u0000","colorGroup":"o","isMod":true}}},`+
		`{"method":"privateMessage","id":"6","object":{"message":{"message":"psst","fromUser":"bo","toUser":"cam","color":"#12aBcD"}}},`+
		`{"method":"roomSubjectChange","id":"7","object":{"subject":{"subject":"old shape"}}},`+
		`{"method":"bogus"},"junk",7,null`+
		`],"nextUrl":"https://eventsapi.chaturbate.com/events/u/t/?i=1625274862454-0&timeout=10"}`), "cam", now)
	if err != nil {
		t.Fatal(err)
	}
	if page.next != "https://eventsapi.chaturbate.com/events/u/t/?i=1625274862454-0&timeout=10" {
		t.Errorf("next %q", page.next)
	}
	if len(page.msgs) != 3 {
		t.Fatalf("%d messages: %+v", len(page.msgs), page.msgs)
	}
	if m := page.msgs[0]; m.Text != "hi  there" || m.Amount != 100 || m.Author.Name != "test_tipper" || m.ID != "1625274862454-0" || !m.Time.Equal(now) {
		t.Errorf("tip %+v", m)
	}
	if m := page.msgs[1]; m.System != "Ana entered" || m.Author.Login != "ana" || m.Author.Role != RoleModerator {
		t.Errorf("enter %+v", m)
	}
	if m := page.msgs[2]; !m.Private || m.Author.Name != "bo" || m.Text != "psst" || m.Author.Color != "#12ABCD" {
		t.Errorf("private %+v", m)
	}
	// Skipped and said: bad tokens (2), no user, no id, an old-shaped
	// subject, "junk" and 7; quiet: the unknown method and null.
	if len(page.skipped) != 7 {
		t.Errorf("skipped %q", page.skipped)
	}
	for _, bad := range []string{"", "null", "[]", `{"events":{}}`, `{"events":[],"nextUrl":5}`, "<html>"} {
		if p, err := parseChaturbate([]byte(bad), "cam", now); bad != "null" && err == nil || len(p.msgs) > 0 {
			t.Errorf("%q: %+v, %v", bad, p, err)
		}
	}
}

// Any answer: no panic; what comes out is clean, bounded and sane.
func FuzzParseChaturbate(f *testing.F) {
	for _, s := range []string{cbTipJSON, cbChatJSON, cbPrivateJSON, cbMediaJSON, cbSubjectJSON, cbAnonTipJSON} {
		f.Add([]byte(`{"events":[` + strings.Replace(s, `{"method"`, `{"id":"1625274862454-0","method"`, 1) + `],"nextUrl":"https://eventsapi.chaturbate.com/events/u/t/?i=1625274862454-0&timeout=10"}`))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		page, err := parseChaturbate(body, "cam", time.Unix(0, 0))
		if err != nil && (len(page.msgs) > 0 || len(page.skipped) > 0) {
			t.Fatalf("an error with messages: %v", err)
		}
		for _, m := range page.msgs {
			for _, s := range []string{m.Text, m.System, m.ID, m.Author.Name, m.Author.Login, m.Author.Color, m.Tier} {
				if !utf8.ValidString(s) || strings.ContainsAny(s, "\r\n\x00\u202e") {
					t.Fatalf("unclean %q in %+v", s, m)
				}
			}
			if len(m.Text) > maxTextBytes || len(m.System) > maxTextBytes+len("bought ") || len(m.Author.Name) > maxNameBytes || m.ID == "" {
				t.Fatalf("over its bound: %+v", m)
			}
			if m.Amount < 0 || m.Amount > maxTokens || math.IsNaN(m.Amount) || m.Kind < KindChat || m.Kind > KindNotice {
				t.Fatalf("kind %v amount %v", m.Kind, m.Amount)
			}
			if m.Kind == KindTip && m.Currency != "tokens" || m.Platform != "chaturbate" || m.Channel != "cam" {
				t.Fatalf("%+v", m)
			}
		}
	})
}
