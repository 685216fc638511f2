package chat

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"onair/outputs"
)

// memConn is a connector fed by the test through a channel.
type memConn struct {
	name    string
	msgs    chan Message
	canSend bool
	n       int
	per     time.Duration

	mu     sync.Mutex
	sent   []string
	sentAt []time.Time
}

func newMemConn(name string) *memConn { return &memConn{name: name, msgs: make(chan Message, 64)} }

func (c *memConn) Platform() string { return c.name }

func (c *memConn) Run(ctx context.Context, emit func(Message), state func(State)) error {
	state(State{Phase: Live})
	for {
		select {
		case <-ctx.Done():
			return nil
		case m := <-c.msgs:
			if m.Platform == "" {
				m.Platform = c.name
			}
			emit(m)
		}
	}
}

func (c *memConn) CanSend() bool { return c.canSend }

func (c *memConn) Send(ctx context.Context, text string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sent = append(c.sent, text)
	c.sentAt = append(c.sentAt, time.Now())
	return nil
}

func (c *memConn) SendLimit() (int, time.Duration) { return c.n, c.per }

// runHub runs h until the test ends, collecting its updates.
type hubRun struct {
	h       *Hub
	mu      sync.Mutex
	added   []Item
	removed []Item
	held    []string
	states  []State
}

func startHub(t testing.TB, h *Hub) *hubRun {
	r := &hubRun{h: h}
	h.OnUpdate(func(u Update) {
		r.mu.Lock()
		defer r.mu.Unlock()
		r.added = append(r.added, u.Added...)
		r.removed = append(r.removed, u.Removed...)
		r.held = append(r.held, u.Held...)
		r.states = append(r.states, u.States...)
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); h.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	return r
}

// until waits up to 10 s for cond, checked under r.mu.
func (r *hubRun) until(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		r.mu.Lock()
		ok := cond()
		r.mu.Unlock()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("waited 10 s for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func texts(items []Item) string {
	var s []string
	for _, it := range items {
		s = append(s, it.Msg.Platform+":"+it.Msg.Text)
	}
	return strings.Join(s, " ")
}

// Messages from two platforms are merged by their own times (within
// reason), each shown once however often a server replays it; deletions and
// bans remove what they name and nothing else.
func TestHubMergesOrdersDedupsAndRemoves(t *testing.T) {
	a, b := newMemConn("twitch"), newMemConn("kick")
	h := NewHub(100)
	h.Add(a)
	h.Add(b)
	r := startHub(t, h)
	now := time.Now()
	chat := func(id, who, text string, at time.Time) Message {
		return Message{Channel: "cam", ID: id, Kind: KindChat, Author: Author{Login: who, Name: who}, Text: text, Time: at}
	}
	a.msgs <- chat("1", "ana", "a1", now.Add(-3*time.Second))
	a.msgs <- chat("2", "bo", "a2", now.Add(-1*time.Second))
	r.until(t, "two messages", func() bool { return len(r.added) == 2 })
	b.msgs <- chat("1", "cy", "b1", now.Add(-2*time.Second))  // same id, another platform: not a duplicate
	b.msgs <- chat("2", "di", "b2", now.Add(-time.Hour))      // a clock an hour off: placed on arrival
	a.msgs <- chat("1", "ana", "a1", now.Add(-3*time.Second)) // replayed after a reconnect
	r.until(t, "four messages", func() bool { return len(r.added) == 4 })
	if got := texts(h.View()); got != "twitch:a1 kick:b1 twitch:a2 kick:b2" {
		t.Errorf("view %q; want twitch:a1 kick:b1 twitch:a2 kick:b2 (time order, the replay once)", got)
	}

	a.msgs <- Message{Channel: "cam", Kind: KindDeleted, TargetID: "2"}
	a.msgs <- chat("3", "cy", "a3", time.Time{})
	a.msgs <- chat("4", "ana", "a4", time.Time{})
	r.until(t, "the deletion", func() bool { return len(r.removed) == 1 && len(r.added) == 6 })
	b.msgs <- chat("3", "ana", "b3", time.Time{})
	r.until(t, "b3", func() bool { return len(r.added) == 7 })
	a.msgs <- Message{Channel: "cam", Kind: KindBanned, TargetUser: "ANA", System: "ana was banned"}
	r.until(t, "the ban", func() bool { return len(r.removed) == 3 })
	if got := texts(r.removed); got != "twitch:a2 twitch:a1 twitch:a4" {
		t.Errorf("removed %q; want twitch:a2 (deleted), then ana's twitch lines", got)
	}
	if got := texts(h.View()); got != "kick:b1 kick:b2 twitch:a3 kick:b3 twitch:" {
		t.Errorf("view %q: want kick's ana kept, the ban shown as a line", got)
	}
	st := h.States()
	if st["twitch"].Phase != Live || st["kick"].Phase != Live {
		t.Errorf("states %+v", st)
	}
}

// Moderation hides users, filters and masks words, keeps only the trusted
// when asked, ignores bots; changing it judges the view again; a bad
// expression is refused in words and the old moderation stays.
func TestHubModeration(t *testing.T) {
	a := newMemConn("twitch")
	h := NewHub(100)
	h.Add(a)
	r := startHub(t, h)
	if err := h.SetModeration(Moderation{
		HiddenUsers: []string{"kick:troll", "twitch:Pest"},
		Filters:     []Filter{{Pattern: "buy followers"}, {Pattern: `d[a4]mn`, Regex: true, Action: "mask"}},
		Bots:        []string{"nightbot"},
	}); err != nil {
		t.Fatal(err)
	}
	say := func(who string, role Role, kind Kind, text string) {
		a.msgs <- Message{Kind: kind, Author: Author{Login: who, Name: who, Role: role}, Text: text}
	}
	say("pest", RoleViewer, KindChat, "hidden user")
	say("ana", RoleViewer, KindChat, "BUY FOLLOWERS now")
	say("ana", RoleViewer, KindChat, "buyfollowers is one word")
	say("bo", RoleViewer, KindChat, "d4mn that is good")
	say("nightbot", RoleModerator, KindChat, "a bot")
	say("pest", RoleViewer, KindTip, "tip words")
	say("cy", RoleSubscriber, KindChat, "a sub")
	r.until(t, "six", func() bool { return len(r.added) == 6 })
	if got := texts(h.View()); got != "twitch:buyfollowers is one word twitch:**** that is good twitch: twitch:a sub" {
		t.Errorf("view %q", got)
	}
	for _, it := range r.added {
		if it.Msg.Author.Login == "nightbot" {
			t.Error("a bot's line reached the listeners")
		}
		if it.Msg.Kind == KindTip && (it.Hidden || it.Msg.Text != "") {
			t.Errorf("a hidden user's tip: %+v; want it shown without its words", it)
		}
	}
	if err := h.SetModeration(Moderation{TrustedOnly: true, Trusted: []string{"bo"}}); err != nil {
		t.Fatal(err)
	}
	if got := texts(h.View()); got != "twitch:d4mn that is good twitch:tip words twitch:a sub" {
		t.Errorf("trusted-only view %q: want bo (trusted), the sub, the tip, and the unmasked words back", got)
	}
	err := h.SetModeration(Moderation{Filters: []Filter{{Pattern: "(unclosed", Regex: true}}})
	if err == nil || !strings.Contains(err.Error(), "not a valid regular expression") {
		t.Errorf("a bad expression: %v", err)
	}
	if !h.Moderation().TrustedOnly {
		t.Error("a refused moderation replaced the one in force")
	}
	if err := h.HideUser("cy"); err != nil || strings.Contains(texts(h.View()), "a sub") {
		t.Errorf("HideUser: %v, view %q", err, texts(h.View()))
	}
	// The lines a new moderation hides are taken off the screens.
	r.until(t, "cy's line removed", func() bool { return strings.Contains(texts(r.removed), "twitch:a sub") })
}

// Sending goes to every platform that can, each at its own rate: what the
// limit holds back waits (and is said), past the queue it is refused.
func TestHubSendsAtEachPlatformsRate(t *testing.T) {
	fast, slow, mute := newMemConn("owncast"), newMemConn("twitch"), newMemConn("kick")
	fast.canSend, fast.n, fast.per = true, 10, time.Second
	slow.canSend, slow.n, slow.per = true, 2, 300*time.Millisecond
	h := NewHub(100)
	for _, c := range []*memConn{fast, slow, mute} {
		h.Add(c)
	}
	r := startHub(t, h)
	start := time.Now()
	for i := 0; i < 5; i++ {
		got, err := h.Send("", fmt.Sprintf("hello %d", i))
		if err != nil || got != "sending to owncast, twitch" {
			t.Fatalf("send %d: %q, %v", i, got, err)
		}
	}
	if _, err := h.Send("kick", "hi"); err == nil || !strings.Contains(err.Error(), "cannot send") {
		t.Errorf("a platform that cannot send: %v", err)
	}
	if _, err := h.Send("", " \n\t "); err == nil {
		t.Error("an empty message was taken")
	}
	wait := func(c *memConn, n int) {
		deadline := time.Now().Add(10 * time.Second)
		for {
			c.mu.Lock()
			k := len(c.sent)
			c.mu.Unlock()
			if k >= n || time.Now().After(deadline) {
				return
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	wait(slow, 5)
	wait(fast, 5)
	slow.mu.Lock()
	defer slow.mu.Unlock()
	if len(slow.sent) != 5 || slow.sent[4] != "hello 4" {
		t.Fatalf("twitch got %q", slow.sent)
	}
	// Any 3 in a row span at least the window.
	for i := 2; i < len(slow.sentAt); i++ {
		if d := slow.sentAt[i].Sub(slow.sentAt[i-2]); d < 290*time.Millisecond {
			t.Errorf("sends %d..%d within %v: over 2 per 300 ms", i-2, i, d)
		}
	}
	if d := slow.sentAt[4].Sub(start); d < 590*time.Millisecond {
		t.Errorf("5 sends at 2 per 300 ms took %v", d)
	}
	fast.mu.Lock()
	if d := fast.sentAt[4].Sub(start); d > 200*time.Millisecond {
		t.Errorf("owncast waited for twitch's limit: %v", d)
	}
	fast.mu.Unlock()
	r.until(t, "a held-back notice", func() bool { return len(r.held) > 0 })
	if !strings.Contains(r.held[0], "twitch: held back") {
		t.Errorf("notice %q", r.held[0])
	}
	// Past the queue's bound: refused in words.
	var err error
	for i := 0; i < 3*maxQueued && err == nil; i++ {
		_, err = h.Send("twitch", "flood")
	}
	if err == nil || !strings.Contains(err.Error(), "already wait") {
		t.Errorf("a full queue: %v", err)
	}
}

// A flood of 10,000 messages a second for 10 s from three connectors: every
// message reaches the listeners once, in each platform's order; the view
// holds exactly the last history messages; the heap the hub keeps is the
// same after 1 s and after 10 s.
func TestHubFlood(t *testing.T) {
	if testing.Short() {
		t.Skip("10 s")
	}
	const perSecond, seconds, history = 10000, 10, 1000
	conns := []*memConn{newMemConn("twitch"), newMemConn("kick"), newMemConn("owncast")}
	h := NewHub(history)
	for _, c := range conns {
		h.Add(c)
	}
	var mu sync.Mutex
	next := map[string]int{}
	got, bad := 0, ""
	h.OnUpdate(func(u Update) {
		mu.Lock()
		defer mu.Unlock()
		for _, it := range u.Added {
			var ci, i int
			fmt.Sscanf(it.Msg.Text, "%d %d", &ci, &i)
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

	heap := func() uint64 {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return ms.HeapAlloc
	}
	var wg sync.WaitGroup
	start := time.Now()
	n := perSecond * seconds / len(conns)
	for ci, c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < n; i++ {
				// Paced: message i is due at i/rate.
				if due := start.Add(time.Duration(i) * time.Second * time.Duration(len(conns)) / perSecond); time.Until(due) > 0 {
					time.Sleep(time.Until(due))
				}
				c.msgs <- Message{Channel: "cam", ID: fmt.Sprint(i), Kind: KindChat, Author: Author{Login: "u"}, Text: fmt.Sprintf("%d %d %s", ci, i, strings.Repeat("x", 100))}
			}
		}()
	}
	time.Sleep(time.Second)
	early := heap()
	wg.Wait()
	total := n * len(conns)
	deadline := time.Now().Add(10 * time.Second)
	for {
		mu.Lock()
		k := got
		mu.Unlock()
		if k >= total || time.Now().After(deadline) {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	elapsed := time.Since(start)
	late := heap()
	mu.Lock()
	if bad != "" || got != total {
		t.Errorf("%d of %d messages reached the listener; %s", got, total, bad)
	}
	mu.Unlock()
	v := h.View()
	if len(v) != history {
		t.Errorf("view holds %d; want the last %d", len(v), history)
	}
	for i := 1; i < len(v); i++ {
		if v[i].order.Before(v[i-1].order) {
			t.Fatal("the view is out of order")
		}
	}
	t.Logf("%d messages in %v; heap after 1 s %.1f MB, at the end %.1f MB", total, elapsed.Round(time.Millisecond), float64(early)/1e6, float64(late)/1e6)
	if late > early+8<<20 {
		t.Errorf("the heap grew from %.1f to %.1f MB: the hub keeps more than its history", float64(early)/1e6, float64(late)/1e6)
	}
	if elapsed > 13*time.Second {
		t.Errorf("the hub fell behind: %v for %d s of messages", elapsed, seconds)
	}
}

// BenchmarkHubApplyBatch is the time to apply a batch of 256 messages to a
// full view.
func BenchmarkHubApplyBatch(b *testing.B) {
	h := NewHub(DefaultHistory)
	if err := h.SetModeration(Moderation{Filters: []Filter{{Pattern: "spam"}, {Pattern: "d[a4]mn", Regex: true, Action: "mask"}}}); err != nil {
		b.Fatal(err)
	}
	batch := make([]hubInput, 256)
	msgs := make([]Message, len(batch))
	now := time.Now()
	id := 0
	fill := func() {
		for i := range batch {
			id++
			msgs[i] = Message{Platform: "twitch", Channel: "cam", ID: fmt.Sprint(id), Kind: KindChat, Author: Author{Login: "u", Name: "U"}, Text: "hello there, a line of chat like any other", Time: now}
			batch[i] = hubInput{msg: &msgs[i]}
		}
	}
	for range 2 * DefaultHistory / len(batch) {
		fill()
		h.apply(batch, now)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		fill()
		b.StartTimer()
		h.apply(batch, now)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(batch)), "ns/msg")
}

// Word filters find words of any script, and words that start or end with
// a sign, where they stand alone; not inside a longer word.
func TestModerationWordsOfAnyScript(t *testing.T) {
	mo, err := Moderation{Filters: []Filter{
		{Pattern: "сука", Action: "mask"}, {Pattern: "café", Action: "mask"}, {Pattern: "@everyone", Action: "mask"},
		{Pattern: "$$$", Action: "mask"}, {Pattern: "spam", Action: "mask"},
	}}.compile()
	if err != nil {
		t.Fatal(err)
	}
	for in, want := range map[string]string{
		"ты сука!":            "ты ****!",
		"сукаблин":            "сукаблин",
		"un Café noir":        "un **** noir",
		"cafés":               "cafés",
		"hey @everyone look":  "hey ********* look",
		"win $$$ now":         "win *** now",
		"spam spam, spamalot": "**** ****, spamalot",
		"no_spam_here spam_x": "no_spam_here spam_x",
		"SPAM":                "****",
	} {
		m := Message{Kind: KindChat, Text: in}
		mo.judge(&m)
		if m.Text != want {
			t.Errorf("%q masked as %q, want %q", in, m.Text, want)
		}
	}
}

// The reconnect loop does not spin: a server that asks to reconnect at
// every connection gets one immediate retry, then the growing backoff; a
// server that accepts and drops at once meets the same.
func TestRunSessionsDoesNotSpin(t *testing.T) {
	for _, asked := range []bool{true, false} {
		ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
		var waits []time.Duration
		n := 0
		runSessions(ctx, "test", outputs.Backoff{First: 100 * time.Millisecond, Factor: 2, Max: 5 * time.Second}, func(s string) string { return s },
			func(s State) {
				if s.Phase == Reconnecting {
					waits = append(waits, s.Retry)
				}
			}, func(context.Context) (bool, bool, error) {
				n++
				return asked, true, nil
			})
		cancel()
		if n > 6 {
			t.Errorf("asked=%v: %d sessions in 1.5 s (waits %v): the loop spins", asked, n, waits)
		}
		for i := 1; i < len(waits); i++ {
			if waits[i] < waits[i-1] {
				t.Errorf("asked=%v: the waits %v do not grow", asked, waits)
			}
		}
	}
}

// Tail is View's last n.
func TestHubTail(t *testing.T) {
	h := NewHub(10)
	var batch []hubInput
	for i := 0; i < 25; i++ {
		m := Message{Platform: "x", ID: fmt.Sprint(i), Kind: KindChat, Author: Author{Login: "u"}, Text: fmt.Sprint(i)}
		batch = append(batch, hubInput{msg: &m})
	}
	h.apply(batch, time.Now())
	v, tail := h.View(), h.Tail(4)
	if len(v) != 10 || len(tail) != 4 || texts(tail) != texts(v[6:]) {
		t.Errorf("tail %q of view %q", texts(tail), texts(v))
	}
	if len(h.Tail(50)) != 10 {
		t.Error("Tail goes past the history")
	}
}
