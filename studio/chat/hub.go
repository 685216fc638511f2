package chat

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
)

// Item is a message in the merged view.
type Item struct {
	Seq    uint64  // order of arrival in the hub, from 1
	Msg    Message // as shown: masked words masked
	Hidden bool    // moderation hides it

	orig  Message   // as it came
	order time.Time // where it sits: the platform's time, within reason
}

// Update is what one batch changed, given to the hub's listeners.
type Update struct {
	Added   []Item  // in order of arrival; hidden ones included (Hidden set)
	Removed []Item  // removed by the platform (a deletion, a ban), or hidden by a new moderation
	States  []State // connectors' new states
	Held    []string
}

// Hub merges the connectors' chats: one time-ordered view with a bounded
// history, de-duplicated (a message a server replays after a reconnect is
// shown once), moderated, and the sending to the platforms that allow it
// at their own rates.
type Hub struct {
	history int

	mu        sync.Mutex
	conns     []*hubConn
	items     []*Item // ordered by order, then Seq; at most history (2× before a trim)
	byKey     map[string]*Item
	seen      map[string]struct{}
	seenRing  []string
	seenNext  int
	seq       uint64
	mod       *moderator
	modSpec   Moderation
	listeners []func(Update)
	states    map[string]State
	running   bool

	in     chan hubInput
	notice chan string // held-back and send-result lines
}

type hubInput struct {
	msg     *Message
	state   *State
	removed []Item // lines a new moderation hides: to take off screens
}

type hubConn struct {
	c     Connector
	queue chan string // the sender's waiting messages (nil: cannot send)
}

// DefaultHistory is how many messages the view keeps.
const DefaultHistory = 1000

// NewHub makes a hub keeping history messages (DefaultHistory when ≤ 0).
func NewHub(history int) *Hub {
	if history <= 0 {
		history = DefaultHistory
	}
	mo, _ := Moderation{}.compile()
	return &Hub{
		history: history,
		byKey:   map[string]*Item{},
		seen:    map[string]struct{}{},
		// The de-duplication remembers 4 histories of ids: a server replays
		// what it sent shortly before.
		seenRing: make([]string, 4*history),
		mod:      mo,
		states:   map[string]State{},
		in:       make(chan hubInput, 1024),
		notice:   make(chan string, 64),
	}
}

// Add puts a connector in the hub; before Run only.
func (h *Hub) Add(c Connector) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.running {
		panic("chat: Hub.Add after Run")
	}
	hc := &hubConn{c: c}
	if s, ok := c.(Sender); ok && s.CanSend() {
		hc.queue = make(chan string, maxQueued)
	}
	h.conns = append(h.conns, hc)
}

// OnUpdate adds a listener, called after each batch from the hub's
// goroutine (in order, one call at a time, no lock held: it may call the
// hub). A slow listener slows the chats down, it loses nothing.
func (h *Hub) OnUpdate(f func(Update)) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.listeners = append(h.listeners, f)
}

// SetModeration replaces the moderation; the view is judged again. Errors
// (a bad regular expression) leave the old one in place.
func (h *Hub) SetModeration(m Moderation) error {
	mo, err := m.compile()
	if err != nil {
		return err
	}
	h.mu.Lock()
	h.mod, h.modSpec = mo, m
	var hidden []Item
	for _, it := range h.items {
		was := it.Hidden
		it.Msg = it.orig
		it.Hidden = mo.judge(&it.Msg)
		if it.Hidden && !was {
			hidden = append(hidden, *it)
		}
	}
	h.mu.Unlock()
	// The listeners hear it from the hub's goroutine, as everything else
	// (dropped when the hub is far behind: those lines fade out anyway).
	if len(hidden) > 0 {
		select {
		case h.in <- hubInput{removed: hidden}:
		default:
		}
	}
	return nil
}

// Moderation is the moderation in force.
func (h *Hub) Moderation() Moderation {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.modSpec
}

// HideUser hides a user's messages ("login", or "platform:login").
func (h *Hub) HideUser(user string) error {
	m := h.Moderation()
	m.HiddenUsers = append(append([]string(nil), m.HiddenUsers...), user)
	return h.SetModeration(m)
}

// View is the messages shown, oldest first: at most the history, hidden ones
// left out.
func (h *Hub) View() []Item {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]Item, 0, min(len(h.items), h.history))
	start := max(0, len(h.items)-h.history)
	for _, it := range h.items[start:] {
		if !it.Hidden {
			out = append(out, *it)
		}
	}
	return out
}

// Tail is the last n messages shown, oldest first (a panel's worth of
// View, without copying the whole history).
func (h *Hub) Tail(n int) []Item {
	h.mu.Lock()
	defer h.mu.Unlock()
	start := max(0, len(h.items)-h.history)
	var out []Item
	for i := len(h.items) - 1; i >= start && len(out) < n; i-- {
		if it := h.items[i]; !it.Hidden {
			out = append(out, *it)
		}
	}
	slices.Reverse(out)
	return out
}

// States is each connector's last state, by platform.
func (h *Hub) States() map[string]State {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make(map[string]State, len(h.states))
	for k, v := range h.states {
		out[k] = v
	}
	return out
}

// Run runs every connector and the senders until ctx ends, and applies what
// they give to the view in batches. It returns when every goroutine it
// started has ended.
func (h *Hub) Run(ctx context.Context) {
	h.mu.Lock()
	h.running = true
	conns := h.conns
	h.mu.Unlock()

	var wg sync.WaitGroup
	for _, hc := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			hc.c.Run(ctx, func(m Message) {
				select {
				case h.in <- hubInput{msg: &m}:
				case <-ctx.Done():
				}
			}, func(s State) {
				if s.Platform == "" {
					s.Platform = hc.c.Platform()
				}
				select {
				case h.in <- hubInput{state: &s}:
				case <-ctx.Done():
				}
			})
		}()
		if hc.queue != nil {
			wg.Add(1)
			go func() {
				defer wg.Done()
				h.sendLoop(ctx, hc)
			}()
		}
	}
	h.applyLoop(ctx)
	wg.Wait()
}

// applyLoop takes what the connectors give, a batch at a time.
func (h *Hub) applyLoop(ctx context.Context) {
	batch := make([]hubInput, 0, 256)
	for {
		batch = batch[:0]
		select {
		case <-ctx.Done():
			return
		case in := <-h.in:
			batch = append(batch, in)
		case n := <-h.notice:
			h.publish(Update{Held: []string{n}})
			continue
		}
	more:
		for len(batch) < cap(batch) {
			select {
			case in := <-h.in:
				batch = append(batch, in)
			default:
				break more
			}
		}
		h.publish(h.apply(batch, time.Now()))
	}
}

func (h *Hub) publish(u Update) {
	if len(u.Added)+len(u.Removed)+len(u.States)+len(u.Held) == 0 {
		return
	}
	h.mu.Lock()
	ls := h.listeners
	h.mu.Unlock()
	for _, f := range ls {
		f(u)
	}
}

// key names a message for de-duplication: platform, channel and id.
func key(m *Message) string {
	if m.ID == "" {
		return ""
	}
	return m.Platform + "\x00" + m.Channel + "\x00" + m.ID
}

// remember notes a key as seen, forgetting the oldest past the ring.
func (h *Hub) remember(k string) {
	if old := h.seenRing[h.seenNext]; old != "" {
		delete(h.seen, old)
	}
	h.seenRing[h.seenNext] = k
	h.seenNext = (h.seenNext + 1) % len(h.seenRing)
	h.seen[k] = struct{}{}
}

// orderSkew is how far a platform's clock is believed: a message is placed
// by its own time unless that is off from its arrival by more.
const orderSkew = 10 * time.Second

// apply puts a batch in the view.
func (h *Hub) apply(batch []hubInput, now time.Time) Update {
	h.mu.Lock()
	defer h.mu.Unlock()
	var u Update
	for _, in := range batch {
		if in.state != nil {
			h.states[in.state.Platform] = *in.state
			u.States = append(u.States, *in.state)
			continue
		}
		if in.msg == nil {
			u.Removed = append(u.Removed, in.removed...)
			continue
		}
		m := in.msg
		cleanMessage(m) // whatever the connector did
		if h.mod.bot(m) {
			continue
		}
		k := key(m)
		if k != "" {
			if _, dup := h.seen[k]; dup {
				continue
			}
			h.remember(k)
		}
		switch m.Kind {
		case KindDeleted:
			if it := h.byKey[m.Platform+"\x00"+m.Channel+"\x00"+m.TargetID]; it != nil && m.TargetID != "" {
				u.Removed = append(u.Removed, *it)
				h.drop(it)
			}
			continue
		case KindBanned:
			u.Removed = h.dropUser(m, u.Removed)
			// The ban itself is shown, as a notice.
		}
		h.seq++
		it := &Item{Seq: h.seq, orig: *m, Msg: *m}
		it.Hidden = h.mod.judge(&it.Msg)
		it.order = m.Time
		if it.order.IsZero() || it.order.Before(now.Add(-orderSkew)) || it.order.After(now) {
			it.order = now
		}
		h.insert(it, k)
		u.Added = append(u.Added, *it)
	}
	if len(h.items) >= 2*h.history {
		cut := len(h.items) - h.history
		for _, it := range h.items[:cut] {
			if k := key(&it.orig); k != "" && h.byKey[k] == it {
				delete(h.byKey, k)
			}
		}
		h.items = append(h.items[:0], h.items[cut:]...)
		clear(h.items[len(h.items):cap(h.items)])
	}
	return u
}

// insert puts it in order: at the end unless its time is before the last's.
func (h *Hub) insert(it *Item, k string) {
	if k != "" {
		h.byKey[k] = it
	}
	n := len(h.items)
	if n == 0 || !it.order.Before(h.items[n-1].order) {
		h.items = append(h.items, it)
		return
	}
	i := sort.Search(n, func(i int) bool { return it.order.Before(h.items[i].order) })
	h.items = append(h.items, nil)
	copy(h.items[i+1:], h.items[i:])
	h.items[i] = it
}

// drop removes one item.
func (h *Hub) drop(it *Item) {
	for i := len(h.items) - 1; i >= 0; i-- {
		if h.items[i] == it {
			copy(h.items[i:], h.items[i+1:])
			h.items[len(h.items)-1] = nil
			h.items = h.items[:len(h.items)-1]
			break
		}
	}
	if k := key(&it.orig); k != "" && h.byKey[k] == it {
		delete(h.byKey, k)
	}
}

// dropUser removes a banned user's chat lines on the ban's platform.
func (h *Hub) dropUser(ban *Message, removed []Item) []Item {
	target := strings.ToLower(ban.TargetUser)
	if target == "" {
		return removed
	}
	kept := h.items[:0]
	for _, it := range h.items {
		a := &it.orig.Author
		if it.orig.Platform == ban.Platform && it.orig.Channel == ban.Channel && it.orig.Kind == KindChat &&
			(strings.ToLower(a.Login) == target || strings.ToLower(a.Name) == target || a.ID == ban.TargetUser) {
			removed = append(removed, *it)
			if k := key(&it.orig); k != "" && h.byKey[k] == it {
				delete(h.byKey, k)
			}
			continue
		}
		kept = append(kept, it)
	}
	clear(h.items[len(kept):])
	h.items = kept
	return removed
}

// Sending.

// maxQueued is how many messages may wait for one platform's rate limit.
const maxQueued = 20

// ErrCannotSend is a send no connector can take.
var ErrCannotSend = errors.New("no chat here can send (a token or a registration is needed)")

// Send queues text for platform ("" for every platform that can send). The
// answer says where it went and where it is held back by a rate limit.
func (h *Hub) Send(platform, text string) (string, error) {
	text = strings.TrimSpace(cleanText(text, 500))
	if text == "" {
		return "", errors.New("an empty message")
	}
	h.mu.Lock()
	conns := h.conns
	h.mu.Unlock()
	var to, full []string
	for _, hc := range conns {
		if hc.queue == nil || platform != "" && !strings.EqualFold(platform, hc.c.Platform()) {
			continue
		}
		select {
		case hc.queue <- text:
			to = append(to, hc.c.Platform())
		default:
			full = append(full, hc.c.Platform())
		}
	}
	switch {
	case len(to) == 0 && len(full) == 0:
		if platform != "" {
			return "", fmt.Errorf("%s chat cannot send here (not connected with a token, or the platform allows no sending)", platform)
		}
		return "", ErrCannotSend
	case len(to) == 0:
		return "", fmt.Errorf("not sent: %d messages already wait for %s's rate limit", maxQueued, strings.Join(full, ", "))
	}
	msg := "sending to " + strings.Join(to, ", ")
	if len(full) > 0 {
		msg += "; not to " + strings.Join(full, ", ") + " (too many waiting)"
	}
	return msg, nil
}

// sendLoop sends one platform's queue at its rate: at most n in any window
// of per, saying when a message is held back.
func (h *Hub) sendLoop(ctx context.Context, hc *hubConn) {
	s := hc.c.(Sender)
	n, per := s.SendLimit()
	if n <= 0 || per <= 0 {
		n, per = 1, time.Second
	}
	sent := make([]time.Time, 0, n) // the last n sends
	for {
		var text string
		select {
		case <-ctx.Done():
			return
		case text = <-hc.queue:
		}
		if len(sent) == n {
			if wait := time.Until(sent[0].Add(per)); wait > 0 {
				h.say(fmt.Sprintf("%s: held back %.1f s by its rate limit (%d messages per %v)", s.Platform(), wait.Seconds(), n, per))
				t := time.NewTimer(wait)
				select {
				case <-ctx.Done():
					t.Stop()
					return
				case <-t.C:
				}
			}
			sent = append(sent[:0], sent[1:]...)
		}
		sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		err := s.Send(sctx, text)
		cancel()
		sent = append(sent, time.Now())
		if err != nil {
			if ctx.Err() == nil {
				h.say(fmt.Sprintf("%s: not sent: %v", s.Platform(), err))
			}
			continue
		}
		// A platform that does not send one's own messages back: the hub
		// shows them.
		if e, ok := s.(interface{ Self() Author }); ok {
			m := Message{Platform: s.Platform(), Kind: KindChat, Author: e.Self(), Text: text, Time: time.Now()}
			select {
			case h.in <- hubInput{msg: &m}:
			case <-ctx.Done():
				return
			}
		}
	}
}

// say gives a line to the listeners (dropped when they lag far behind).
func (h *Hub) say(s string) {
	select {
	case h.notice <- s:
	default:
	}
}
