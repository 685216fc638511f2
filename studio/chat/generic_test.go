package chat

import (
	"math"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"onair/outputs"
	"onair/studio/chat/chattest"
)

// A bot's events, as a Streamer.bot-like socket might send them.
var genericFields = GenericFields{
	ID: "data.id", Kind: "event.type", Text: "data.message", Author: "data.user.name", Color: "data.user.color",
	Amount: "data.amount", Currency: "data.currency", Time: "data.time",
	KindMap: map[string]string{"Cheer": "tip", "Follow": "follow", "Sub": "sub", "Raid": "raid", "Deleted": "deleted", "Ban": "banned", "Notice": "notice"},
}

func TestParseGeneric(t *testing.T) {
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name, frame string
		want        string // kind:id:author:text:amount currency, one per message
		skipped     int
	}{
		{"chat", `{"event":{"type":"ChatMessage"},"data":{"id":"a1","message":"hi there","user":{"name":"Ana","color":"#ff00aa"},"time":"2026-11-30T11:00:00Z"}}`, "chat:a1:Ana:hi there:0 ", 0},
		{"tip, amount a string", `{"event":{"type":"Cheer"},"data":{"id":"a2","message":"take it","user":{"name":"Bo"},"amount":"12.50","currency":"USD"}}`, "tip:a2:Bo:take it:12.5 USD", 0},
		{"follow without text", `{"event":{"type":"Follow"},"data":{"id":"a3","user":{"name":"Cy"}}}`, "follow:a3:Cy::0 ", 0},
		{"raid, amount a number", `{"event":{"type":"Raid"},"data":{"id":"a4","user":{"name":"Di"},"amount":42}}`, "raid:a4:Di::42 ", 0},
		{"deleted", `{"event":{"type":"Deleted"},"data":{"id":"a1"}}`, "deleted::::0 ", 0},
		{"banned", `{"event":{"type":"Ban"},"data":{"user":{"name":"Troll"}}}`, "banned::Troll::0 ", 0},
		{"notice", `{"event":{"type":"Notice"},"data":{"message":"stream starting"}}`, "notice::::0 ", 0},
		{"array", `[{"data":{"id":"1","message":"one"}},{"data":{"id":"2","message":"two"}}]`, "chat:1::one:0 |chat:2::two:0 ", 0},
		{"lines", "{\"data\":{\"id\":\"1\",\"message\":\"one\"}}\n{\"data\":{\"id\":\"2\",\"message\":\"two\"}}\n", "chat:1::one:0 |chat:2::two:0 ", 0},
		{"a bad line among good", "{\"data\":{\"id\":\"1\",\"message\":\"one\"}}\n{oops\n{\"data\":{\"id\":\"2\",\"message\":\"two\"}}", "chat:1::one:0 |chat:2::two:0 ", 1},
		{"nothing to show", `{"event":{"type":"Heartbeat"}}`, "", 0},
		{"not objects", `[1,"x",null]`, "", 3},
		{"not UTF-8", "{\"data\":{\"message\":\"\xff\"}}", "", 1},
		{"bad amount", `{"event":{"type":"Cheer"},"data":{"message":"x","amount":"-5"}}`, "tip:::x:0 ", 0},
		{"empty", "  \n ", "", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			msgs, skipped := parseGeneric([]byte(tc.frame), genericFields, "mybot", now)
			var got []string
			for _, m := range msgs {
				txt := m.Text
				if m.Kind == KindNotice {
					txt = ""
				}
				got = append(got, strings.Join([]string{m.Kind.String(), m.ID, m.Author.Name, txt, strconv.FormatFloat(m.Amount, 'f', -1, 64)}, ":")+" "+m.Currency)
				if m.Platform != "mybot" {
					t.Errorf("platform %q", m.Platform)
				}
			}
			if g := strings.Join(got, "|"); g != tc.want || len(skipped) != tc.skipped {
				t.Errorf("got %q, %d skipped %q; want %q, %d skipped", g, len(skipped), skipped, tc.want, tc.skipped)
			}
		})
	}
	msgs, _ := parseGeneric([]byte(`{"event":{"type":"Deleted"},"data":{"id":"a1"}}{"x":1}`), genericFields, "b", now)
	if len(msgs) != 0 {
		t.Errorf("two objects on a line: %+v", msgs)
	}
	msgs, _ = parseGeneric([]byte(`{"data":{"message":"hi","user":{"color":"#ff00aa"},"time":"2026-11-30T11:00:00Z"}}`), genericFields, "b", now)
	if m := msgs[0]; m.Author.Color != "#FF00AA" || !m.Time.Equal(time.Date(2026, 11, 30, 11, 0, 0, 0, time.UTC)) {
		t.Errorf("colour %q time %v", m.Author.Color, m.Time)
	}
	msgs, _ = parseGeneric([]byte(`{"data":{"message":"hi","user":{"color":"red"},"time":1764500000123}}`), genericFields, "b", now)
	if m := msgs[0]; m.Author.Color != "" || !m.Time.Equal(time.UnixMilli(1764500000123)) {
		t.Errorf("colour %q time %v", m.Author.Color, m.Time)
	}
	f := GenericFields{Text: "items.1.text", Author: "items.1.by"}
	msgs, _ = parseGeneric([]byte(`{"items":[{"text":"no"},{"text":"yes\u0007","by":"Ed"}]}`), f, "b", now)
	if len(msgs) != 1 || msgs[0].Text != "yes" || msgs[0].Author.Name != "Ed" || !msgs[0].Time.Equal(now) {
		t.Errorf("array paths: %+v", msgs)
	}
	for s, want := range map[string]Kind{"chat": KindChat, " Tip ": KindTip, "notice": KindNotice, "banned": KindBanned} {
		if k, ok := ParseKind(s); !ok || k != want {
			t.Errorf("ParseKind(%q) = %v %v", s, k, ok)
		}
	}
	for _, s := range []string{"", "unknown", "bits"} {
		if _, ok := ParseKind(s); ok {
			t.Errorf("ParseKind(%q) ok", s)
		}
	}
}

const genericSecret = "Bearer s3cr3t-t0k3n"

// Messages arrive with the header and the subscribe frame sent on each
// connection; a dropped socket is redialled and reading goes on.
func TestGenericReadsAndReconnects(t *testing.T) {
	g := chattest.NewGeneric(t)
	g.RequireHeader("Authorization", genericSecret)
	gw := &GenericWS{Name: "mybot", URL: g.URL(), Header: map[string]string{"Authorization": genericSecret}, Subscribe: `{"op":"subscribe","topic":"chat"}`,
		Fields: genericFields, Backoff: outputs.Backoff{First: 20 * time.Millisecond, Factor: 1, Max: time.Second}}
	r := startRun(gw)
	if !g.WaitTotal(1) {
		t.Fatal("no connection")
	}
	r.until(t, "live", func(r *runRec) bool { return strings.Contains(r.phases(), "live") })
	g.Send(`{"event":{"type":"ChatMessage"},"data":{"id":"1","message":"one","user":{"name":"Ana","color":"#112233"}}}`,
		`[{"event":{"type":"Cheer"},"data":{"id":"2","message":"two","amount":100,"currency":"bits","user":{"name":"Bo"}}}]`)
	r.until(t, "two messages", func(r *runRec) bool { return len(r.msgs) == 2 })
	g.Drop()
	if !g.WaitTotal(2) {
		t.Fatal("no reconnection")
	}
	r.until(t, "live again", func(r *runRec) bool { return strings.Count(r.phases(), "live") == 2 })
	g.Send(`{"event":{"type":"Follow"},"data":{"id":"3","user":{"name":"Cy"}}}`)
	r.until(t, "the third message", func(r *runRec) bool { return len(r.msgs) == 3 })
	if err := r.stop(); err != nil {
		t.Fatal(err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if ids := r.ids(); ids != "1 2 3" {
		t.Errorf("messages %q", ids)
	}
	if m := r.msgs[1]; m.Platform != "mybot" || m.Kind != KindTip || m.Amount != 100 || m.Currency != "bits" || m.Author.Name != "Bo" {
		t.Errorf("the tip: %+v", m)
	}
	if m := r.msgs[0]; m.Author.Color != "#112233" || m.Text != "one" {
		t.Errorf("the chat line: %+v", m)
	}
	if p := r.phases(); p != "connecting live reconnecting connecting live" {
		t.Errorf("phases %q", p)
	}
	for _, s := range r.states {
		if strings.Contains(s.Err, "s3cr3t") {
			t.Errorf("the secret shows in %+v", s)
		}
	}
	if rcv := g.Received(); len(rcv) != 2 || rcv[0] != gw.Subscribe || rcv[1] != gw.Subscribe {
		t.Errorf("the server got %q; want the subscribe frame once per connection", rcv)
	}
}

// Settings that cannot work fail at once in words; a refused token is
// retried at the longest wait, without the token in the state.
func TestGenericBadSettings(t *testing.T) {
	for _, tc := range []struct {
		name  string
		gw    GenericWS
		words string
	}{
		{"no URL", GenericWS{Fields: GenericFields{Text: "t"}}, "has no address"},
		{"not ws", GenericWS{URL: "http://example.com", Fields: GenericFields{Text: "t"}}, "ws:// or wss://"},
		{"no text path", GenericWS{URL: "ws://127.0.0.1:1"}, "path of each message's text"},
		{"bad kind", GenericWS{URL: "ws://127.0.0.1:1", Fields: GenericFields{Text: "t", Kind: "k", KindMap: map[string]string{"x": "bits"}}}, `maps "x" to "bits"`},
	} {
		var last State
		err := tc.gw.Run(t.Context(), func(Message) {}, func(s State) { last = s })
		if err == nil || last.Phase != Failed || !strings.Contains(last.Err, tc.words) || last.Platform != "custom" {
			t.Errorf("%s: %v, state %+v; want failed with %q", tc.name, err, last, tc.words)
		}
	}
	g := chattest.NewGeneric(t)
	g.RequireHeader("Authorization", "Bearer right")
	gw := &GenericWS{URL: g.URL(), Header: map[string]string{"Authorization": genericSecret}, Fields: genericFields,
		Backoff: outputs.Backoff{First: 10 * time.Millisecond, Factor: 1, Max: 3 * time.Second}}
	r := startRun(gw)
	r.until(t, "reconnecting", func(r *runRec) bool { return strings.Contains(r.phases(), "reconnecting") })
	r.stop()
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.states[1]
	if s.Phase != Reconnecting || !strings.Contains(s.Err, "HTTP 401") || strings.Contains(s.Err, "s3cr3t") || s.Retry != 3*time.Second {
		t.Errorf("refused: %+v; want HTTP 401 in words, the longest wait, no token", s)
	}
	if h := g.Headers(); len(h) != 1 || h[0].Get("Authorization") != genericSecret {
		t.Errorf("headers %v", h)
	}
	if m := gw.mask("token s3cr3t-t0k3n and Bearer s3cr3t-t0k3n"); strings.Contains(m, "s3cr3t") {
		t.Errorf("mask left the token: %q", m)
	}
}

// Pings that get no pong end the connection; answered pings keep a quiet
// connection up. Malformed and oversized frames are skipped and logged,
// the connection kept.
func TestGenericKeepaliveAndBadFrames(t *testing.T) {
	g := chattest.NewGeneric(t)
	r := &runRec{}
	gw := &GenericWS{URL: g.URL(), Fields: genericFields, Log: r.log}
	r2 := startRun(gw)
	if !g.WaitTotal(1) {
		t.Fatal("no connection")
	}
	g.Send("{not json", "\xff\xfe", strings.Repeat(" ", maxBodyBytes+10)+`{"data":{"message":"lost"}}`, `{"data":{"id":"ok","message":"still here"}}`)
	r2.until(t, "the good message", func(r *runRec) bool { return len(r.msgs) == 1 })
	r2.stop()
	r2.mu.Lock()
	if r2.msgs[0].ID != "ok" || g.Total() != 1 || r2.phases() != "connecting live" {
		t.Errorf("messages %+v after %d connections, phases %q; want the good one on the same connection", r2.msgs, g.Total(), r2.phases())
	}
	r2.mu.Unlock()
	r.mu.Lock()
	if len(r.logs) != 1 || !strings.Contains(r.logs[0], "custom chat: skipped a malformed message") {
		t.Errorf("logs %q; want the first skip said, the rest counted later", r.logs)
	}
	r.mu.Unlock()

	g = chattest.NewGeneric(t)
	gw = &GenericWS{URL: g.URL(), Fields: genericFields, Ping: 100 * time.Millisecond,
		Backoff: outputs.Backoff{First: time.Second, Factor: 1, Max: time.Second}}
	r = startRun(gw)
	if !g.WaitTotal(1) {
		t.Fatal("no connection")
	}
	time.Sleep(600 * time.Millisecond) // several ping periods, all answered
	if p := g.Pings(); p < 3 {
		t.Errorf("%d pings in 600 ms at 100 ms", p)
	}
	g.SilentPings(true)
	start := time.Now()
	r.until(t, "the dead connection", func(r *runRec) bool { return strings.Contains(r.phases(), "reconnecting") })
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("a dead connection found after %v", d)
	}
	r.stop()
	r.mu.Lock()
	defer r.mu.Unlock()
	if p := r.phases(); p != "connecting live reconnecting" || !strings.Contains(r.states[2].Err, "stopped answering") {
		t.Errorf("states %+v; want a quiet connection kept while pings are answered, then found dead", r.states)
	}
}

func FuzzParseGeneric(f *testing.F) {
	f.Add([]byte(`{"event":{"type":"Cheer"},"data":{"id":"a2","message":"take it","user":{"name":"Bo","color":"#ff00aa"},"amount":"12.50","currency":"USD","time":1764500000123}}`))
	f.Add([]byte("[{\"data\":{\"message\":\"one\"}},{\"event\":{\"type\":\"Deleted\"},\"data\":{\"id\":\"1\"}}]\n{oops"))
	f.Fuzz(func(t *testing.T, frame []byte) {
		msgs, _ := parseGeneric(frame, genericFields, "b", time.Unix(0, 0))
		for _, m := range msgs {
			if !utf8.ValidString(m.Text) || !utf8.ValidString(m.Author.Name) || len(m.Text) > maxTextBytes {
				t.Fatalf("unclean %+v", m)
			}
			if m.Amount < 0 || math.IsNaN(m.Amount) || math.IsInf(m.Amount, 0) || m.Kind < KindChat || m.Kind > KindNotice {
				t.Fatalf("amount %v kind %v", m.Amount, m.Kind)
			}
		}
	})
}
