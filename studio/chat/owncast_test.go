package chat

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/gorilla/websocket"

	"onair/outputs"
	"onair/studio/chat/chattest"
)

// Events in the shapes Owncast's server sends (core/chat/events: the
// payloads' keys, a user as core/user.User marshals, bodies as its
// markdown renderer and sanitizer leave them).
const (
	ocChat       = `{"body":"<p>Test one two three!  I go to <a href=\"http://yahoo.com\" rel=\"nofollow noreferrer noopener\" target=\"_blank\">http://yahoo.com</a> and search for <em>sports</em> &amp; <strong>answers</strong>.</p>","id":"Jg2KQkwnR","timestamp":"2022-03-24T03:53:01.541425474Z","type":"CHAT","user":{"id":"tUzcPd4nR","displayName":"gabek","displayColor":3,"createdAt":"2022-03-24T03:52:37.966584694Z","previousNames":["gabek"],"scopes":["MODERATOR"],"isBot":false,"authenticated":true},"visible":true}`
	ocEmoji      = `{"body":"<p>nice <img class=\"emoji\" alt=\":beerparrot:\" title=\":beerparrot:\" src=\"/img/emoji/beerparrot.gif\"> run</p>","id":"sBHgyyw7g","timestamp":"2022-03-24T03:53:05Z","type":"CHAT","user":{"id":"8dWA0gXng","displayName":"Helpful Hamster","displayColor":6,"createdAt":"2022-03-24T03:50:00Z","previousNames":["Helpful Hamster"],"isBot":false,"authenticated":false},"visible":true}`
	ocSystem     = `{"body":"Welcome to the stream! Be kind.","id":"yb8NQzwnR","timestamp":"2022-03-24T03:53:10Z","type":"SYSTEM","user":{"displayName":"Owncast"}}`
	ocAction     = `{"body":"<p>You are temporarily blocked from sending chat messages due to perceived flooding.</p>","id":"d4dnQzQ7R","timestamp":"2022-03-24T03:53:11Z","type":"CHAT_ACTION","user":{"displayName":"Owncast"}}`
	ocNameChange = `{"id":"Ub-LQkQ7g","oldName":"Helpful Hamster","timestamp":"2022-03-24T03:53:20Z","type":"NAME_CHANGE","user":{"id":"8dWA0gXng","displayName":"hamster","displayColor":6,"createdAt":"2022-03-24T03:50:00Z","previousNames":["Helpful Hamster","hamster"],"isBot":false,"authenticated":false}}`
	ocJoined     = `{"id":"nR-YQzw7R","timestamp":"2022-03-24T03:53:21Z","type":"USER_JOINED","user":{"id":"A1b2C3d4e","displayName":"Quiet Owl","displayColor":1,"createdAt":"2022-03-24T03:53:21Z","previousNames":["Quiet Owl"],"isBot":false,"authenticated":false}}`
	ocHide       = `{"id":"V0lQkQwng","ids":["Jg2KQkwnR","sBHgyyw7g"],"timestamp":"2022-03-24T03:54:00Z","type":"VISIBILITY-UPDATE","visible":false}`
	ocShow       = `{"id":"W1lQkQwng","ids":["Jg2KQkwnR"],"timestamp":"2022-03-24T03:54:30Z","type":"VISIBILITY-UPDATE","visible":true}`
	ocUserInfo   = `{"type":"CONNECTED_USER_INFO","user":{"id":"tUzcPd4nR","displayName":"onair","displayColor":2,"createdAt":"2022-03-24T03:52:37Z","previousNames":["onair"],"isBot":false,"authenticated":false}}`
)

// Each kind of Owncast event, as the stream gets it.
func TestParseOwncastEvents(t *testing.T) {
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	frame := strings.Join([]string{ocChat, ocEmoji, ocSystem, ocAction, ocNameChange, ocJoined, ocHide, ocShow, ocUserInfo}, "\n")
	f := parseOwncast([]byte(frame), "live.example", now)
	if !f.connected || f.err != "" || len(f.skipped) != 0 {
		t.Fatalf("connected %v err %q skipped %q", f.connected, f.err, f.skipped)
	}
	var got []string
	for _, m := range f.msgs {
		got = append(got, m.Kind.String()+":"+m.ID+":"+m.TargetID)
		if m.Platform != "owncast" || m.Channel != "live.example" {
			t.Errorf("platform %q channel %q", m.Platform, m.Channel)
		}
	}
	if g := strings.Join(got, " "); g != "chat:Jg2KQkwnR: chat:sBHgyyw7g: notice:yb8NQzwnR: notice:d4dnQzQ7R: notice:Ub-LQkQ7g: deleted::Jg2KQkwnR deleted::sBHgyyw7g" {
		t.Fatalf("messages %s", g)
	}
	chat, emoji, sys, action, name := f.msgs[0], f.msgs[1], f.msgs[2], f.msgs[3], f.msgs[4]
	if chat.Text != "Test one two three!  I go to http://yahoo.com and search for sports & answers." {
		t.Errorf("text %q", chat.Text)
	}
	if a := chat.Author; a.ID != "tUzcPd4nR" || a.Name != "gabek" || a.Role != RoleModerator || a.Color != "#2E8B57" || strings.Join(a.Badges, ",") != "moderator,authenticated" {
		t.Errorf("author %+v", a)
	}
	if !chat.Time.Equal(time.Date(2022, 3, 24, 3, 53, 1, 541425474, time.UTC)) {
		t.Errorf("time %v, want the event's timestamp", chat.Time)
	}
	if emoji.Text != "nice :beerparrot: run" || len(emoji.Emotes) != 1 || emoji.Emotes[0] != (Emote{ID: "/img/emoji/beerparrot.gif", Start: 5, End: 17}) {
		t.Errorf("emoji %q %+v", emoji.Text, emoji.Emotes)
	}
	if emoji.Author.Role != RoleViewer || emoji.Author.Color != "#847CFE" {
		t.Errorf("emoji author %+v", emoji.Author)
	}
	if sys.System != "Welcome to the stream! Be kind." || sys.Author.Name != "Owncast" {
		t.Errorf("system %+v", sys)
	}
	if !strings.HasPrefix(action.System, "You are temporarily blocked") {
		t.Errorf("action %+v", action)
	}
	if name.System != "Helpful Hamster is now hamster" || name.Author.ID != "8dWA0gXng" {
		t.Errorf("name change %+v", name)
	}
}

// Bodies: tags gone, entities undone, images from an older server without
// alt named after their file, breaks made spaces, hostile text made safe.
func TestOwncastText(t *testing.T) {
	for _, tc := range []struct{ body, text string }{
		{`<p><img class="emoji" src="/img/emoji/beerparrot.gif"> test <img src="/img/emoji/beerparrot.gif"></p>`, ":beerparrot: test :beerparrot:"},
		{`<p>line one<br>line two</p>`, "line one line two"},
		{`<p>a</p>` + "\n" + `<p>b</p>`, "a b"},
		{`<p>&lt;script&gt; &#34;hi&#34;</p>`, `<script> "hi"`},
		{"<p>bidi \u202e evil\x07</p>", "bidi  evil"},
		{"<p>broken <em", "broken <em"},
		{"\xff\xfe<p>x</p>", "\uFFFD x"},
		{"<>a< >b</>", "ab"},
	} {
		if got, _ := owncastText(tc.body); got != tc.text {
			t.Errorf("%q: %q, want %q", tc.body, got, tc.text)
		}
	}
	long := "<p>" + strings.Repeat("ab ", 3000) + `<img alt=":late:" src="/img/emoji/late.gif"></p>`
	if text, em := owncastText(long); len(text) > maxTextBytes || len(em) != 0 {
		t.Errorf("a long body: %d bytes, emotes %+v", len(text), em)
	}
}

// Malformed events are skipped with a reason; the rest of the frame counts.
func TestParseOwncastMalformed(t *testing.T) {
	frame := "not json\n{\"type\":\"CHAT\",\"id\":\"x\",\"body\":\"no user\"}\n" +
		`{"type":"CHAT","id":"y","body":"<p>ok</p>","user":{"id":"u","displayName":"A","displayColor":"7"}}` + "\n" +
		`{"type":"CHAT","id":"z","body":"<p>ok</p>","user":{"id":"u","displayName":"A","displayColor":99},"timestamp":"yesterday"}` + "\n" +
		`{"type":"CHAT","id":"h","body":"<p>hidden</p>","user":{"id":"u"},"visible":false}` + "\n" +
		`{"type":"VISIBILITY-UPDATE","ids":[1,2]}`
	now := time.Unix(1700000000, 0)
	f := parseOwncast([]byte(frame), "c", now)
	if len(f.skipped) != 3 {
		t.Errorf("skipped %q, want 3", f.skipped)
	}
	if len(f.msgs) != 2 || f.msgs[0].ID != "y" || f.msgs[1].ID != "z" || f.msgs[1].Author.Color != "" || !f.msgs[1].Time.Equal(now) {
		t.Errorf("messages %+v", f.msgs)
	}
}

func FuzzParseOwncast(f *testing.F) {
	for _, s := range []string{ocChat, ocEmoji, ocHide + "\n" + ocSystem, ocNameChange, ocUserInfo, `{"type":"ERROR_NEEDS_REGISTRATION"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fr := parseOwncast(data, "c", time.Unix(0, 0))
		for _, m := range fr.msgs {
			if len(m.Text) > maxTextBytes || len(m.Author.Name) > maxNameBytes || len(m.ID) > maxNameBytes {
				t.Fatalf("oversized: %d %d %d", len(m.Text), len(m.Author.Name), len(m.ID))
			}
			if !utf8.ValidString(m.Text) || !utf8.ValidString(m.Author.Name) || !utf8.ValidString(m.System) {
				t.Fatalf("invalid UTF-8 in %+v", m)
			}
			for _, r := range m.Text + m.Author.Name {
				if r < 0x20 || r == 0x7f {
					t.Fatalf("control character in %q", m.Text)
				}
			}
			for _, e := range m.Emotes {
				if e.Start < 0 || e.End > len(m.Text) || e.Start >= e.End {
					t.Fatalf("emote %+v outside %q", e, m.Text)
				}
			}
			if m.Kind == KindDeleted && m.TargetID == "" {
				t.Fatal("a deletion without its target")
			}
		}
	})
}

// run starts o.Run and collects what it gives; stop ends it and returns
// Run's error.
type ocRun struct {
	mu     sync.Mutex
	msgs   []Message
	states []State
	logs   []string
	stop   func() error
}

func startOwncast(t *testing.T, o *Owncast) *ocRun {
	r := &ocRun{}
	o.Log = func(s string) { r.mu.Lock(); r.logs = append(r.logs, s); r.mu.Unlock() }
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- o.Run(ctx, func(m Message) {
			r.mu.Lock()
			r.msgs = append(r.msgs, m)
			r.mu.Unlock()
		}, func(s State) {
			r.mu.Lock()
			r.states = append(r.states, s)
			r.mu.Unlock()
		})
	}()
	var once sync.Once
	var err error
	r.stop = func() error {
		once.Do(func() { cancel(); err = <-done })
		return err
	}
	t.Cleanup(func() { r.stop() })
	return r
}

// until polls cond for up to 10 s.
func (r *ocRun) until(t *testing.T, what string, cond func(r *ocRun) bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		r.mu.Lock()
		ok := cond(r)
		r.mu.Unlock()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			r.mu.Lock()
			defer r.mu.Unlock()
			t.Fatalf("no %s within 10 s; states %+v, %d messages, logs %q", what, r.states, len(r.msgs), r.logs)
		}
	}
}

func (r *ocRun) phases() string {
	var p []string
	for _, s := range r.states {
		p = append(p, s.Phase.String())
	}
	return strings.Join(p, " ")
}

func (r *ocRun) ids() string {
	var p []string
	for _, m := range r.msgs {
		p = append(p, m.Kind.String()+":"+m.ID+m.TargetID)
	}
	return strings.Join(p, " ")
}

func liveCount(n int) func(r *ocRun) bool {
	return func(r *ocRun) bool { return strings.Count(r.phases(), "live") >= n }
}

var ocFast = outputs.Backoff{First: 20 * time.Millisecond, Factor: 1.5, Max: 200 * time.Millisecond}

// Registered on first use, events arrive with their fields; a dropped
// connection resumes with what was said meanwhile, once each.
func TestOwncastReadsAndResumes(t *testing.T) {
	srv := chattest.NewOwncast(t)
	o := &Owncast{Server: srv.URL() + "/", DisplayName: "Cam Studio", Backoff: ocFast}
	r := startOwncast(t, o)
	r.until(t, "live state", liveCount(1))
	srv.WaitClients(1)
	if srv.Registrations() != 1 || o.Token() == "" {
		t.Fatalf("%d registrations, token set %v", srv.Registrations(), o.Token() != "")
	}
	if or := srv.Origins(); len(or) != 1 || or[0] != srv.URL() {
		t.Errorf("origins %q, want %q", or, srv.URL())
	}
	ana := chattest.OwncastUser{ID: "ana1", DisplayName: "Ana", Color: 0}
	first := srv.Chat(ana, "<p>one</p>")
	srv.Broadcast(ocChat, ocJoined, ocSystem, ocHide, ocShow)
	r.until(t, "the first messages", func(r *ocRun) bool { return len(r.msgs) >= 5 })

	srv.Drop()
	missed := srv.Chat(ana, "<p>said while away</p>") // no client now: history only
	r.until(t, "a second live state", liveCount(2))
	srv.WaitClients(1)
	after := srv.Chat(ana, "<p>after</p>")
	r.until(t, "the message after the reconnect", func(r *ocRun) bool {
		return len(r.msgs) > 0 && r.msgs[len(r.msgs)-1].ID == after
	})
	if err := r.stop(); err != nil {
		t.Fatal(err)
	}
	want := "chat:" + first + " chat:Jg2KQkwnR notice:yb8NQzwnR deleted:Jg2KQkwnR deleted:sBHgyyw7g chat:" + missed + " chat:" + after
	if got := r.ids(); got != want {
		t.Errorf("messages\n%s\nwant (in order, once each)\n%s", got, want)
	}
	if m := r.msgs[0]; m.Text != "one" || m.Author.Name != "Ana" || m.Author.Color != "#BC1A32" || m.Channel != strings.TrimPrefix(srv.URL(), "http://") || time.Since(m.Time) > time.Minute {
		t.Errorf("first message %+v", m)
	}
	if p := r.phases(); !strings.HasPrefix(p, "connecting live reconnecting connecting live") {
		t.Errorf("phases %q", p)
	}
	if srv.Registrations() != 1 {
		t.Errorf("%d registrations: the token was not kept", srv.Registrations())
	}
}

// Sends go out on the live connection one at a time within Owncast's
// limit, come back as our own chat, and fail in words when not connected.
func TestOwncastSend(t *testing.T) {
	srv := chattest.NewOwncast(t)
	srv.AddUser("known-token-1234", chattest.OwncastUser{ID: "me", DisplayName: "onair"})
	o := &Owncast{Server: srv.URL(), AccessToken: "known-token-1234", Backoff: ocFast}
	if n, per := o.SendLimit(); !o.CanSend() || n != 3 || per != 2*time.Second {
		t.Errorf("CanSend %v, limit %d per %v", o.CanSend(), n, per)
	}
	if err := o.Send(context.Background(), "too early"); err == nil || err.Error() != "not connected to Owncast chat" {
		t.Errorf("send before Run: %v", err)
	}
	r := startOwncast(t, o)
	r.until(t, "live state", liveCount(1))
	var wg sync.WaitGroup
	errs := make(chan error, 3)
	for _, s := range []string{"hello", "two", "three\nlines"} {
		wg.Add(1)
		go func() { defer wg.Done(); errs <- o.Send(context.Background(), s) }()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	r.until(t, "our three messages back", func(r *ocRun) bool { return len(r.msgs) >= 3 })
	if srv.RateLimited() != 0 || srv.Registrations() != 0 {
		t.Errorf("%d sends over the limit, %d registrations", srv.RateLimited(), srv.Registrations())
	}
	var bodies []string
	for _, s := range srv.Sent() {
		bodies = append(bodies, s.Type+":"+s.Body)
	}
	if b := strings.Join(bodies, ","); !strings.Contains(b, "CHAT:hello") || !strings.Contains(b, "CHAT:three lines") || len(bodies) != 3 {
		t.Errorf("sent %q", b)
	}
	if m := r.msgs[0]; m.Author.ID != "me" || m.Kind != KindChat {
		t.Errorf("echo %+v", m)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := o.Send(ctx, "hurry"); err == nil {
		t.Error("a send inside the 2/3 s with ctx ended went out")
	}
	r.stop()
	if err := o.Send(context.Background(), "late"); err == nil || err.Error() != "not connected to Owncast chat" {
		t.Errorf("send after Run: %v", err)
	}
}

// A registration the server forgot is renewed at once, once; a server that
// refuses even a fresh one is retried with the backoff; the tokens never
// show.
func TestOwncastRegistration(t *testing.T) {
	srv := chattest.NewOwncast(t)
	const old = "old-secret-token-99"
	srv.AddUser(old, chattest.OwncastUser{ID: "me", DisplayName: "onair"})
	o := &Owncast{Server: srv.URL(), AccessToken: old, Backoff: ocFast}
	r := startOwncast(t, o)
	r.until(t, "live state", liveCount(1))
	srv.ForgetTokens()
	srv.Drop()
	r.until(t, "live again", liveCount(2))
	if srv.Registrations() != 1 || o.Token() == old || o.Token() == "" {
		t.Errorf("%d registrations; token renewed %v", srv.Registrations(), o.Token() != old)
	}
	r.stop()
	for _, s := range r.states {
		if strings.Contains(s.Err, old) || strings.Contains(s.Err, o.Token()) {
			t.Errorf("a token in %+v", s)
		}
	}

	// Always "register": each attempt registers once, then waits.
	var mu sync.Mutex
	regs := 0
	up := websocket.Upgrader{}
	var handlers sync.WaitGroup
	mux := http.NewServeMux()
	mux.HandleFunc("/api/chat/register", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		regs++
		mu.Unlock()
		w.Write([]byte(`{"id":"x","accessToken":"fresh-secret-token","displayName":"onair"}`))
	})
	mux.HandleFunc("/ws", func(w http.ResponseWriter, r *http.Request) {
		handlers.Add(1)
		defer handlers.Done()
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		c.WriteMessage(websocket.TextMessage, []byte(`{"type":"ERROR_NEEDS_REGISTRATION"}`))
		c.Close()
	})
	hs := httptest.NewServer(mux)
	defer func() { hs.Close(); handlers.Wait() }()
	o = &Owncast{Server: hs.URL, Backoff: outputs.Backoff{First: 300 * time.Millisecond, Factor: 1, Max: 300 * time.Millisecond}}
	r = startOwncast(t, o)
	r.until(t, "reconnecting", func(r *ocRun) bool { return strings.Contains(r.phases(), "reconnecting") })
	r.stop()
	s := r.states[1]
	if s.Phase != Reconnecting || s.Err != "Owncast chat asked to register again right after registering" || strings.Contains(s.Err, "fresh-secret") {
		t.Errorf("state %+v", s)
	}
	mu.Lock()
	if regs != 1 {
		t.Errorf("%d registrations in the first attempt, want 1", regs)
	}
	mu.Unlock()
}

// A bad address fails in words at once; a server without Owncast chat is
// retried at the longest wait; a banned user fails.
func TestOwncastBadConfig(t *testing.T) {
	for _, server := range []string{"", "ftp://host", "live.example.com", "http://host/?accessToken=abc123secret", "http://me:pw@host"} {
		o := &Owncast{Server: server}
		var last State
		err := o.Run(context.Background(), func(Message) {}, func(s State) { last = s })
		if err == nil || last.Phase != Failed || !strings.Contains(last.Err, "https://host") || strings.Contains(last.Err, "abc123secret") {
			t.Errorf("%q: %v, state %+v", server, err, last)
		}
	}

	up := websocket.Upgrader{}
	var handlers sync.WaitGroup
	mux := http.NewServeMux()
	mux.HandleFunc("/ws", func(w http.ResponseWriter, r *http.Request) {
		handlers.Add(1)
		defer handlers.Done()
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		c.WriteMessage(websocket.TextMessage, []byte(`{"type":"ERROR_USER_DISABLED"}`))
		c.Close()
	})
	hs := httptest.NewServer(mux)
	defer func() { hs.Close(); handlers.Wait() }()

	// No register endpoint: 404.
	o := &Owncast{Server: hs.URL, Backoff: outputs.Backoff{First: time.Millisecond, Max: 3 * time.Second}}
	r := startOwncast(t, o)
	r.until(t, "reconnecting", func(r *ocRun) bool { return strings.Contains(r.phases(), "reconnecting") })
	r.stop()
	if s := r.states[1]; s.Err != "this server has no Owncast chat (check the address)" || s.Retry < 3*time.Second {
		t.Errorf("no chat: %+v", s)
	}

	o = &Owncast{Server: hs.URL, AccessToken: "banned-secret-token"}
	var last State
	if err := o.Run(context.Background(), func(Message) {}, func(s State) { last = s }); err == nil || last.Phase != Failed || !strings.Contains(last.Err, "banned") || strings.Contains(last.Err, "banned-secret") {
		t.Errorf("banned: %v, %+v", err, last)
	}
}

// Malformed frames and events are skipped and said once; an oversized
// frame does not drop the connection; chat after them still arrives.
func TestOwncastSkipsMalformed(t *testing.T) {
	srv := chattest.NewOwncast(t)
	o := &Owncast{Server: srv.URL(), Backoff: ocFast}
	r := startOwncast(t, o)
	r.until(t, "live state", liveCount(1))
	srv.WaitClients(1)
	srv.Broadcast("{\"type\":\"CHAT\",\"body\":\"\xff\x00", "[1,2,3]", `{"type":"CHAT","id":"ok1","body":"<p>a\u001b[31mb</p>","user":{"id":"u","displayName":"E\u202evil"}}`)
	srv.Broadcast(`{"type":"SYSTEM","body":"` + strings.Repeat("x", maxOwncastFrame) + `"}`)
	id := srv.Chat(chattest.OwncastUser{ID: "u2", DisplayName: "B"}, "<p>still here</p>")
	r.until(t, "the chat after the bad frames", func(r *ocRun) bool { return len(r.msgs) >= 2 })
	r.stop()
	if got := r.ids(); got != "chat:ok1 chat:"+id {
		t.Errorf("messages %q", got)
	}
	if m := r.msgs[0]; m.Text != "a[31mb" || m.Author.Name != "Evil" {
		t.Errorf("cleaned %q by %q", m.Text, m.Author.Name)
	}
	if len(r.logs) != 1 || !strings.Contains(r.logs[0], "owncast chat: skipped a malformed message") {
		t.Errorf("logs %q: want the first skip said once (the rest counted for later)", r.logs)
	}
	if strings.Contains(r.phases(), "reconnecting") {
		t.Errorf("phases %q: a bad frame dropped the connection", r.phases())
	}
}

// Pings keep a quiet chat up; a server that stops answering is found by
// the pong wait.
func TestOwncastKeepalive(t *testing.T) {
	srv := chattest.NewOwncast(t)
	o := &Owncast{Server: srv.URL(), Backoff: outputs.Backoff{First: time.Second, Factor: 1, Max: time.Second},
		PingEvery: 50 * time.Millisecond, PongWait: 200 * time.Millisecond}
	r := startOwncast(t, o)
	r.until(t, "live state", liveCount(1))
	time.Sleep(800 * time.Millisecond)
	r.mu.Lock()
	quiet := r.phases()
	r.mu.Unlock()
	if quiet != "connecting live" {
		t.Errorf("a quiet chat answering pings: %q", quiet)
	}
	srv.Silent(true)
	start := time.Now()
	r.until(t, "reconnecting", func(r *ocRun) bool { return strings.Contains(r.phases(), "reconnecting") })
	r.stop()
	if s := r.states[2]; s.Err != "Owncast chat stopped answering" || time.Since(start) > time.Second {
		t.Errorf("a silent server: %+v after %v", s, time.Since(start))
	}
}
