package chat

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"onair/outputs"
)

func say(c *websocket.Conn, lines ...string) {
	c.WriteMessage(websocket.TextMessage, []byte(strings.Join(lines, "\r\n")+"\r\n"))
}

const joined = ":tmi.twitch.tv 366 justinfan1 #cam :End of /NAMES list"

// Messages arrive in order over three connections — a RECONNECT the server
// asks for, then a dropped socket — with none lost or repeated; PING is
// answered; the login is anonymous without a token.
func TestTwitchReadsAndReconnects(t *testing.T) {
	wait := func(f *fakeWS, prefix string) {
		for i := 0; i < 200 && len(f.sent(prefix)) == 0; i++ {
			time.Sleep(10 * time.Millisecond)
		}
	}
	var f *fakeWS
	f = newFakeWS(t,
		func(c *websocket.Conn) {
			wait(f, "JOIN")
			say(c, joined, "@id=1;display-name=Ana :ana!ana@ana.tmi.twitch.tv PRIVMSG #cam :one", "@id=2;display-name=Bo :bo!bo@bo.tmi.twitch.tv PRIVMSG #cam :two")
			say(c, "PING :tmi.twitch.tv")
			wait(f, "PONG")
			say(c, ":tmi.twitch.tv RECONNECT")
			f.hold(100 * time.Millisecond)
		},
		func(c *websocket.Conn) {
			for i := 0; i < 200 && len(f.sent("JOIN")) < 2; i++ {
				time.Sleep(10 * time.Millisecond)
			}
			say(c, joined, "@id=3;bits=100;display-name=Cy :cy!cy@cy.tmi.twitch.tv PRIVMSG #cam :cheer100 three", "@login=ana;target-msg-id=1 :tmi.twitch.tv CLEARMSG #cam :one")
			f.hold(100 * time.Millisecond)
			// Then the socket drops without a word.
		},
		func(c *websocket.Conn) {
			say(c, joined, "@id=4;display-name=Di :di!di@di.tmi.twitch.tv PRIVMSG #cam :four")
			f.hold(2 * time.Second)
		},
	)
	tw := &Twitch{Channel: "#Cam", URL: f.url(), Backoff: outputs.Backoff{First: 50 * time.Millisecond, Factor: 1.5, Max: time.Second}}
	ctx, cancel := context.WithCancel(context.Background())
	var mu sync.Mutex
	var msgs []Message
	var states []State
	done := make(chan error, 1)
	go func() {
		done <- tw.Run(ctx, func(m Message) {
			mu.Lock()
			msgs = append(msgs, m)
			mu.Unlock()
		}, func(s State) {
			mu.Lock()
			states = append(states, s)
			mu.Unlock()
		})
	}()
	deadline := time.Now().Add(10 * time.Second)
	for {
		mu.Lock()
		n := len(msgs)
		mu.Unlock()
		if n >= 5 || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	var ids []string
	for _, m := range msgs {
		ids = append(ids, m.ID+":"+m.Kind.String())
	}
	if got := strings.Join(ids, " "); got != "1:chat 2:chat 3:tip :deleted 4:chat" {
		t.Errorf("messages %q, want 1:chat 2:chat 3:tip :deleted 4:chat (in order, once each)", got)
	}
	if len(f.sent("PONG :tmi.twitch.tv")) == 0 {
		t.Error("PING was not answered")
	}
	for _, n := range f.sent("NICK") {
		if !strings.HasPrefix(n, "NICK justinfan") {
			t.Errorf("anonymous login sent %q", n)
		}
	}
	for i := 0; i < 200 && len(f.sent("JOIN")) < 3; i++ {
		time.Sleep(10 * time.Millisecond) // the server's reader may lag the client
	}
	if j := f.sent("JOIN"); len(j) != 3 || j[0] != "JOIN #cam" {
		t.Errorf("joins %q, want JOIN #cam on each of 3 connections", j)
	}
	var phases []string
	for _, s := range states {
		phases = append(phases, s.Phase.String())
	}
	if p := strings.Join(phases, " "); !strings.Contains(p, "live") || !strings.Contains(p, "reconnecting") {
		t.Errorf("states %q: want live, and reconnecting after the dropped socket", p)
	}
}

// A refused token is said without the token, and retried at the longest
// wait; a server that stops answering is found by the keepalive.
func TestTwitchRefusedTokenAndDeadServer(t *testing.T) {
	const token = "s3cr3tt0k3n"
	var f *fakeWS
	f = newFakeWS(t, func(c *websocket.Conn) {
		say(c, ":tmi.twitch.tv NOTICE * :Login authentication failed")
		f.hold(200 * time.Millisecond)
	})
	tw := &Twitch{Channel: "cam", Login: "me", Token: token, URL: f.url(), Backoff: outputs.Backoff{First: 10 * time.Millisecond, Factor: 2, Max: 3 * time.Second}}
	ctx, cancel := context.WithCancel(context.Background())
	states := make(chan State, 16)
	done := make(chan error, 1)
	go func() { done <- tw.Run(ctx, func(Message) {}, func(s State) { states <- s }) }()
	refused := waitPhase(t, states, Reconnecting)
	cancel()
	<-done
	if !strings.Contains(refused.Err, "refused the login") || strings.Contains(refused.Err, token) || refused.Retry < 2*time.Second {
		t.Errorf("refused token: %+v; want the refusal in words, no token, the longest wait", refused)
	}
	for i := 0; i < 200 && len(f.sent("PASS")) == 0; i++ {
		time.Sleep(10 * time.Millisecond)
	}
	if p := f.sent("PASS"); len(p) != 1 || p[0] != "PASS oauth:"+token {
		t.Errorf("sent %q", p)
	}

	var silent *fakeWS
	silent = newFakeWS(t, func(c *websocket.Conn) {
		say(c, joined)
		silent.hold(3 * time.Second) // never a word, never a PONG
	})
	tw = &Twitch{Channel: "cam", URL: silent.url(), Idle: 100 * time.Millisecond, Timeout: 100 * time.Millisecond,
		Backoff: outputs.Backoff{First: time.Second, Factor: 1, Max: time.Second}}
	ctx, cancel = context.WithCancel(context.Background())
	states = make(chan State, 16)
	go func() { done <- tw.Run(ctx, func(Message) {}, func(s State) { states <- s }) }()
	start := time.Now()
	dead := waitPhase(t, states, Reconnecting)
	cancel()
	<-done
	if !strings.Contains(dead.Err, "stopped answering") || time.Since(start) > 2*time.Second {
		t.Errorf("a silent server: %+v after %v; want it found by the keepalive within a second", dead, time.Since(start))
	}
	if len(silent.sent("PING")) == 0 {
		t.Error("no keepalive PING was sent")
	}
}

// waitPhase is the first state in phase p, failing the test after 10 s.
func waitPhase(t *testing.T, states <-chan State, p Phase) State {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case s := <-states:
			if s.Phase == p {
				return s
			}
		case <-deadline:
			t.Fatalf("no %v state within 10 s", p)
			return State{}
		}
	}
}

// A quiet channel whose server answers each PING stays up through several
// idle periods; a viewer writing Twitch's refusal words is only chat; a bad
// channel name fails at once in words; the token never shows.
func TestTwitchQuietChannelAndBadInput(t *testing.T) {
	var f *fakeWS
	f = newFakeWS(t, func(c *websocket.Conn) {
		say(c, joined, "@id=9 :v!v@v PRIVMSG #cam :Login authentication failed lol")
		deadline := time.Now().Add(1500 * time.Millisecond)
		answered := 0
		for time.Now().Before(deadline) {
			if n := len(f.sent("PING")); n > answered {
				f.hold(30 * time.Millisecond) // a slow PONG
				say(c, ":tmi.twitch.tv PONG tmi.twitch.tv :tmi.twitch.tv")
				answered = n
			}
			f.hold(5 * time.Millisecond)
		}
		f.hold(time.Second)
	})
	tw := &Twitch{Channel: "cam", URL: f.url(), Idle: 200 * time.Millisecond, Timeout: 600 * time.Millisecond}
	ctx, cancel := context.WithCancel(context.Background())
	states := make(chan State, 64)
	done := make(chan error, 1)
	var got []Message
	var mu sync.Mutex
	go func() {
		done <- tw.Run(ctx, func(m Message) { mu.Lock(); got = append(got, m); mu.Unlock() }, func(s State) { states <- s })
	}()
	waitPhase(t, states, Live)
	time.Sleep(1200 * time.Millisecond)
	cancel()
	<-done
	close(states)
	for s := range states {
		if s.Phase == Reconnecting {
			t.Errorf("a quiet channel answering its PINGs was dropped: %+v", s)
		}
	}
	if n := len(f.sent("PING")); n < 3 {
		t.Errorf("%d PINGs in 1.2 s with 200 ms idle; want several", n)
	}
	mu.Lock()
	if len(got) != 1 || got[0].Text != "Login authentication failed lol" {
		t.Errorf("the viewer's line: %+v", got)
	}
	mu.Unlock()

	bad := &Twitch{Channel: "#no such channel\r\nPRIVMSG", URL: f.url(), Token: "t0k3n"}
	var last State
	if err := bad.Run(context.Background(), func(Message) {}, func(s State) { last = s }); err == nil || last.Phase != Failed || !strings.Contains(last.Err, "1 to 25") {
		t.Errorf("a bad channel: %v, state %+v", err, last)
	}
	tok := &Twitch{Token: "abc123secret"}
	if m := tok.mask("dial wss://x?token=abc123secret failed"); strings.Contains(m, "abc123secret") {
		t.Errorf("mask left the token: %q", m)
	}
}

// With a login and token the hub sends through Twitch, shows the line
// itself (Twitch does not echo it), and says so when not connected.
func TestTwitchSendsThroughTheHub(t *testing.T) {
	var f *fakeWS
	f = newFakeWS(t, func(c *websocket.Conn) {
		say(c, ":tmi.twitch.tv 366 cam #cam :End of /NAMES list")
		f.hold(5 * time.Second)
	})
	tw := &Twitch{Channel: "cam", Login: "Cam", Token: "oauth:tok3n", URL: f.url()}
	if !tw.CanSend() || (&Twitch{Channel: "cam"}).CanSend() {
		t.Fatal("CanSend: a login and token send, anonymous does not")
	}
	if n, per := tw.SendLimit(); n != 100 || per != 30*time.Second {
		t.Errorf("own channel's limit %d per %v; want 100 per 30 s", n, per)
	}
	if err := tw.Send(context.Background(), "early"); err == nil || !strings.Contains(err.Error(), "not connected") {
		t.Errorf("sending before connecting: %v", err)
	}
	h := NewHub(10)
	h.Add(tw)
	r := startHub(t, h)
	r.until(t, "live", func() bool { return h.States()["twitch"].Phase == Live })
	if _, err := h.Send("", "hello\r\nPRIVMSG #other :x"); err != nil {
		t.Fatal(err)
	}
	r.until(t, "the echo", func() bool { return len(r.added) == 1 })
	for i := 0; i < 200 && len(f.sent("PRIVMSG")) == 0; i++ {
		time.Sleep(10 * time.Millisecond)
	}
	if p := f.sent("PRIVMSG"); len(p) != 1 || p[0] != "PRIVMSG #cam :hello  PRIVMSG #other :x" {
		t.Errorf("sent %q: want one line in #cam, the line break made a space", p)
	}
	r.mu.Lock()
	if e := r.added[0].Msg; e.Author.Login != "cam" || e.Author.Role != RoleBroadcaster || e.Text != "hello  PRIVMSG #other :x" {
		t.Errorf("echo %+v", e)
	}
	r.mu.Unlock()
}

// A line that is not IRC (too long, a lone tag block) is skipped and said
// once; the lines around it arrive.
func TestTwitchSkipsMalformedLines(t *testing.T) {
	var f *fakeWS
	f = newFakeWS(t, func(c *websocket.Conn) {
		say(c, joined, "@id=1 :a!a@a PRIVMSG #cam :before", "@only-tags", "@id=2 :a!a@a PRIVMSG #cam :"+strings.Repeat("x", 17000), "@id=3 :a!a@a PRIVMSG #cam :after")
		f.hold(3 * time.Second)
	})
	var mu sync.Mutex
	var logs []string
	tw := &Twitch{Channel: "cam", URL: f.url(), Log: func(s string) { mu.Lock(); logs = append(logs, s); mu.Unlock() }}
	h := NewHub(10)
	h.Add(tw)
	r := startHub(t, h)
	r.until(t, "two lines", func() bool { return len(r.added) == 2 })
	if got := texts(h.View()); got != "twitch:before twitch:after" {
		t.Errorf("view %q", got)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(logs) != 1 || !strings.Contains(logs[0], "skipped a malformed message") {
		t.Errorf("logs %q: want one line about the skipped input", logs)
	}
}
