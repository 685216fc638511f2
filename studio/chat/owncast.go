package chat

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"onair/outputs"
)

// Owncast reads and writes the chat of an Owncast server as a chat user of
// its own: it registers once (or reuses AccessToken) and joins the chat's
// WebSocket.
type Owncast struct {
	Server      string // the server's address, http(s)://host[:port]: required
	DisplayName string // the name to register as; default "onair"
	AccessToken string // a registration kept from before, a secret; "" registers
	Backoff     outputs.Backoff
	Client      *http.Client // for registering and the missed chat; nil: the default
	Log         func(string) // skipped input; nil: silent

	// Keepalive: a ping every PingEvery, and the connection counted dead
	// after PongWait without a pong or a message. Default 54 s and 60 s,
	// as Owncast's own server.
	PingEvery, PongWait time.Duration

	mu      sync.Mutex
	token   string // the registration in use ("" before the first Run)
	tokenOK bool   // token was taken from AccessToken
	conn    *websocket.Conn
	sendMu  sync.Mutex // one writer at a time, and the pace of sends
	nextOK  time.Time  // the earliest the next send passes Owncast's limit
	seen    seenIDs    // Run's goroutine only
	resumed bool       // a session was live before: fetch what was missed
}

// Owncast lets a user send one message per 2/3 s (a burst of one); a faster
// one earns a 10 s block. Sends are spaced wider: the server counts them as
// they arrive, after the network's jitter.
const (
	owncastSendN     = 3
	owncastSendPer   = 2 * time.Second
	owncastSendSpace = 800 * time.Millisecond
	maxOwncastFrame  = 1 << 20
	// A registration or a history fetch that takes longer has failed (a
	// server that accepts and never answers must not hold the connector).
	owncastHTTPTimeout = 15 * time.Second
)

// Platform is "owncast".
func (o *Owncast) Platform() string { return "owncast" }

// Token is the registration in use: AccessToken, or the one the server gave
// when it registered us. A secret: keep it in the profile, never print it.
func (o *Owncast) Token() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.loadToken()
	return o.token
}

// loadToken takes AccessToken the first time; o.mu held.
func (o *Owncast) loadToken() {
	if !o.tokenOK {
		o.token, o.tokenOK = strings.TrimSpace(o.AccessToken), true
	}
}

func (o *Owncast) setToken(t string) {
	o.mu.Lock()
	o.loadToken()
	o.token = t
	o.mu.Unlock()
}

// mask hides the registrations, old and new, in a line.
func (o *Owncast) mask(s string) string {
	return masker(o.AccessToken, o.Token())(s)
}

// CanSend is true: Owncast lets any registered chat user write.
func (o *Owncast) CanSend() bool { return true }

// SendLimit is Owncast's: 3 messages per 2 s, one at a time.
func (o *Owncast) SendLimit() (int, time.Duration) { return owncastSendN, owncastSendPer }

// Send writes text to the chat on the live connection, waiting its turn
// when the last send was under 2/3 s ago.
func (o *Owncast) Send(ctx context.Context, text string) error {
	text = strings.TrimSpace(cleanText(text, maxTextBytes))
	if text == "" {
		return errors.New("nothing to send")
	}
	frame, _ := json.Marshal(struct {
		Type string `json:"type"`
		Body string `json:"body"`
	}{"CHAT", text})
	if ctx.Err() != nil {
		return errors.New("not sent: cancelled")
	}
	o.sendMu.Lock()
	defer o.sendMu.Unlock()
	o.mu.Lock()
	live := o.conn != nil
	o.mu.Unlock()
	if !live {
		return errors.New("not connected to Owncast chat")
	}
	if wait := time.Until(o.nextOK); wait > 0 {
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return errors.New("not sent: Owncast's chat allows one message per 2/3 s")
		case <-t.C:
		}
	}
	o.mu.Lock()
	conn := o.conn
	o.mu.Unlock()
	if conn == nil {
		return errors.New("not connected to Owncast chat")
	}
	deadline := time.Now().Add(5 * time.Second)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	conn.SetWriteDeadline(deadline)
	if err := conn.WriteMessage(websocket.TextMessage, frame); err != nil {
		return errors.New("not sent: the connection to Owncast chat dropped")
	}
	o.nextOK = time.Now().Add(owncastSendSpace)
	return nil
}

// owncastBase checks the server's address: its base URL (no trailing
// slash), WebSocket URL and origin.
func owncastBase(server string) (base, ws, origin string, err error) {
	u, err := url.Parse(strings.TrimSpace(server))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.RawQuery != "" {
		return "", "", "", errFatal{errors.New("the Owncast server's address must look like https://host or http://host:port")}
	}
	origin = u.Scheme + "://" + u.Host
	base = origin + strings.TrimRight(u.EscapedPath(), "/")
	ws = "ws" + strings.TrimPrefix(base, "http") + "/ws"
	return base, ws, origin, nil
}

// Run reads the chat until ctx ends, reconnecting by itself with the
// backoff; after a reconnect the messages missed meanwhile are fetched from
// the server's history. emit and state are called from Run's goroutine
// only.
func (o *Owncast) Run(ctx context.Context, emit func(Message), state func(State)) error {
	log := &skipLog{log: o.Log}
	return runSessions(ctx, "owncast", o.Backoff, o.mask, state, func(ctx context.Context) (bool, bool, error) {
		base, ws, origin, err := owncastBase(o.Server)
		if err != nil {
			return false, false, err
		}
		// A registration the server forgot is renewed once at once;
		// refused again, the backoff decides.
		for try := 0; ; try++ {
			registered := false
			if o.Token() == "" {
				if err := o.register(ctx, base); err != nil {
					return false, false, err
				}
				registered = true
			}
			live, needsReg, err := o.session(ctx, base, ws, origin, emit, state, log)
			if !needsReg {
				return false, live, err
			}
			o.setToken("")
			if registered || try > 0 {
				return false, false, errors.New("Owncast chat asked to register again right after registering")
			}
		}
	})
}

// register asks the server for a chat user and keeps its token.
func (o *Owncast) register(ctx context.Context, base string) error {
	name := strings.TrimSpace(cleanName(o.DisplayName))
	if name == "" {
		name = "onair"
	}
	body, _ := json.Marshal(map[string]string{"displayName": name})
	hctx, cancel := context.WithTimeout(ctx, owncastHTTPTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(hctx, http.MethodPost, base+"/api/chat/register", bytes.NewReader(body))
	if err != nil {
		return errFatal{errors.New("the Owncast server's address is not valid")}
	}
	req.Header.Set("Content-Type", "application/json")
	client := o.Client
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return errors.New("cannot reach the Owncast server (check the address and the network)")
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return errors.New("the Owncast server's answer was cut off")
	}
	switch {
	case resp.StatusCode == http.StatusNotFound:
		return errSlow{errors.New("this server has no Owncast chat (check the address)")}
	case resp.StatusCode != http.StatusOK:
		return fmt.Errorf("the Owncast server refused to register a chat user (HTTP %d)", resp.StatusCode)
	}
	var r struct {
		AccessToken string `json:"accessToken"`
	}
	if json.Unmarshal(data, &r) != nil || r.AccessToken == "" || len(r.AccessToken) > 1024 {
		return errors.New("the Owncast server's answer to registering is not what Owncast sends")
	}
	o.setToken(r.AccessToken)
	return nil
}

// session is one connection. needsReg tells that the server does not know
// the token; live that the chat was joined.
func (o *Owncast) session(ctx context.Context, base, ws, origin string, emit func(Message), state func(State), log *skipLog) (live, needsReg bool, err error) {
	token := o.Token()
	dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	conn, resp, err := websocket.DefaultDialer.DialContext(dctx, ws+"?accessToken="+url.QueryEscape(token), http.Header{"Origin": {origin}})
	cancel()
	if resp != nil && resp.Body != nil {
		resp.Body.Close()
	}
	if err != nil {
		if resp != nil {
			return false, false, fmt.Errorf("Owncast chat refused the connection (HTTP %d)", resp.StatusCode)
		}
		return false, false, errors.New("cannot reach Owncast chat (check the address and the network)")
	}
	channel := strings.TrimPrefix(strings.TrimPrefix(origin, "https://"), "http://")
	ping, pongWait := o.PingEvery, o.PongWait
	if pongWait <= 0 {
		pongWait = 60 * time.Second
	}
	if ping <= 0 {
		ping = pongWait * 9 / 10
	}
	conn.SetReadDeadline(time.Now().Add(pongWait))
	conn.SetPongHandler(func(string) error { return conn.SetReadDeadline(time.Now().Add(pongWait)) })

	// The keepalive pings beside Send's writes; closing the connection
	// (ctx's end) ends the read.
	stopPings := pingEvery(conn, ping)
	stopClose := context.AfterFunc(ctx, func() { conn.Close() })
	defer func() {
		stopClose()
		o.mu.Lock()
		if o.conn == conn {
			o.conn = nil
		}
		o.mu.Unlock()
		conn.Close()
		stopPings()
	}()

	goLive := func() {
		if live {
			return
		}
		live = true
		o.mu.Lock()
		o.conn = conn
		o.mu.Unlock()
		state(State{Platform: "owncast", Phase: Live})
		// Resumed: what was said while away, once each.
		if o.resumed {
			o.catchUp(ctx, base, token, channel, emit, log)
		}
		o.resumed = true
	}
	for {
		_, r, err := conn.NextReader()
		if err != nil {
			if ctx.Err() != nil {
				return live, false, nil
			}
			var ne interface{ Timeout() bool }
			if errors.As(err, &ne) && ne.Timeout() {
				return live, false, errors.New("Owncast chat stopped answering")
			}
			return live, false, errors.New("Owncast chat closed the connection")
		}
		data, err := io.ReadAll(io.LimitReader(r, maxOwncastFrame+1))
		if err != nil {
			continue // the read's error comes again on the next frame
		}
		conn.SetReadDeadline(time.Now().Add(pongWait))
		if len(data) > maxOwncastFrame {
			io.Copy(io.Discard, r)
			log.skip("owncast", fmt.Sprintf("a frame over %d bytes", maxOwncastFrame))
			continue
		}
		f := parseOwncast(data, channel, time.Now())
		for _, why := range f.skipped {
			log.skip("owncast", why)
		}
		switch f.err {
		case "":
		case "ERROR_NEEDS_REGISTRATION":
			return live, true, nil
		case "ERROR_USER_DISABLED":
			return live, false, errFatal{errors.New("this Owncast server has banned onair's chat user")}
		case "ERROR_MAX_CONNECTIONS_EXCEEDED":
			return live, false, errSlow{errors.New("the Owncast server's chat is full")}
		}
		if f.connected || len(f.msgs) > 0 {
			goLive()
		}
		for _, m := range f.msgs {
			if o.seen.add(m.ID) {
				emit(m)
			}
		}
	}
}

// catchUp emits the server's recent chat that was not seen yet.
func (o *Owncast) catchUp(ctx context.Context, base, token, channel string, emit func(Message), log *skipLog) {
	var hist []json.RawMessage
	hctx, cancel := context.WithTimeout(ctx, owncastHTTPTimeout)
	defer cancel()
	if err := getJSON(hctx, o.Client, base+"/api/chat?accessToken="+url.QueryEscape(token), nil, &hist); err != nil {
		if ctx.Err() == nil && o.Log != nil {
			o.Log(o.mask("owncast chat: the messages missed while reconnecting could not be fetched: " + err.Error()))
		}
		return
	}
	for _, raw := range hist {
		f := parseOwncast(raw, channel, time.Now())
		for _, why := range f.skipped {
			log.skip("owncast", why)
		}
		for _, m := range f.msgs {
			if m.ID != "" && o.seen.add(m.ID) {
				emit(m)
			}
		}
	}
}

// seenIDs is the ids of the last messages emitted, so a message fetched
// again after a reconnect is not shown twice.
type seenIDs struct {
	set  map[string]struct{}
	ring []string
	next int
}

const maxSeenIDs = 2000

// add tells whether id is new, and keeps it. "" is always new.
func (s *seenIDs) add(id string) bool {
	if id == "" {
		return true
	}
	if _, ok := s.set[id]; ok {
		return false
	}
	if s.set == nil {
		s.set = map[string]struct{}{}
	}
	if len(s.ring) < maxSeenIDs {
		s.ring = append(s.ring, id)
	} else {
		delete(s.set, s.ring[s.next])
		s.ring[s.next] = id
		s.next = (s.next + 1) % maxSeenIDs
	}
	s.set[id] = struct{}{}
	return true
}

// owncastFrame is what one frame (or one history entry) said.
type owncastFrame struct {
	msgs      []Message
	connected bool     // CONNECTED_USER_INFO: we are in
	err       string   // an ERROR_… event's type
	skipped   []string // why each malformed event was skipped
}

type owncastUser struct {
	ID            string          `json:"id"`
	DisplayName   string          `json:"displayName"`
	DisplayColor  json.RawMessage `json:"displayColor"`
	Scopes        []string        `json:"scopes"`
	IsBot         bool            `json:"isBot"`
	Authenticated bool            `json:"authenticated"`
}

type owncastEvent struct {
	Type      string       `json:"type"`
	ID        string       `json:"id"`
	Timestamp string       `json:"timestamp"`
	Body      string       `json:"body"`
	User      *owncastUser `json:"user"`
	OldName   string       `json:"oldName"`
	IDs       []string     `json:"ids"`
	Visible   *bool        `json:"visible"`
}

// owncastColors is Owncast's default palette for displayColor 0 to 7.
var owncastColors = [...]string{"#BC1A32", "#B3B3B3", "#96C832", "#2E8B57", "#5F9EA0", "#DAA520", "#847CFE", "#FF4500"}

// Bounds on what an event may claim.
const maxOwncastIDs = 1000 // ids in one VISIBILITY-UPDATE

// parseOwncast reads a frame: JSON events, one a line. Malformed events are
// skipped and said in skipped; the rest still count.
func parseOwncast(frame []byte, channel string, now time.Time) owncastFrame {
	var f owncastFrame
	for _, line := range bytes.Split(frame, []byte("\n")) {
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue
		}
		var e owncastEvent
		if err := json.Unmarshal(line, &e); err != nil {
			f.skipped = append(f.skipped, "not the JSON of an Owncast event")
			continue
		}
		m := Message{Platform: "owncast", Channel: channel, ID: cleanName(e.ID), Time: now}
		if t, err := time.Parse(time.RFC3339Nano, e.Timestamp); err == nil && t.Year() > 2000 && t.Year() < 3000 {
			m.Time = t
		}
		if e.User != nil {
			m.Author = owncastAuthor(e.User)
		}
		switch e.Type {
		case "CHAT":
			if e.User == nil {
				f.skipped = append(f.skipped, "a chat message without its author")
				continue
			}
			if e.Visible != nil && !*e.Visible {
				continue // hidden by a moderator: shown to moderators only
			}
			m.Kind = KindChat
			m.Text, m.Emotes = owncastText(e.Body)
			if m.Text == "" && len(m.Emotes) == 0 {
				continue
			}
		case "SYSTEM", "CHAT_ACTION":
			m.Kind = KindNotice
			m.Text, m.Emotes = owncastText(e.Body)
			m.System = m.Text
			if m.Text == "" {
				continue
			}
		case "NAME_CHANGE":
			if e.User == nil || e.OldName == "" {
				f.skipped = append(f.skipped, "a name change without the names")
				continue
			}
			m.Kind = KindNotice
			m.System = cleanName(e.OldName) + " is now " + m.Author.Name
			m.Text = m.System
		case "VISIBILITY-UPDATE":
			if e.Visible == nil || *e.Visible {
				continue // shown again: the message is not sent again, nothing to add
			}
			if len(e.IDs) > maxOwncastIDs {
				f.skipped = append(f.skipped, "a deletion of too many messages")
				continue
			}
			for _, id := range e.IDs {
				if id = cleanName(id); id != "" {
					d := m
					d.ID, d.Kind, d.TargetID = "", KindDeleted, id
					d.Author = Author{}
					f.msgs = append(f.msgs, d)
				}
			}
			continue
		case "CONNECTED_USER_INFO":
			f.connected = true
			continue
		case "ERROR_NEEDS_REGISTRATION", "ERROR_USER_DISABLED", "ERROR_MAX_CONNECTIONS_EXCEEDED":
			f.err = e.Type
			continue
		default:
			continue // USER_JOINED, PING, fediverse engagement, …: not shown
		}
		f.msgs = append(f.msgs, m)
	}
	return f
}

func owncastAuthor(u *owncastUser) Author {
	a := Author{ID: cleanName(u.ID), Name: cleanName(u.DisplayName)}
	if c, err := strconv.Atoi(string(u.DisplayColor)); err == nil && c >= 0 && c < len(owncastColors) {
		a.Color = owncastColors[c]
	}
	for _, s := range u.Scopes {
		if s == "MODERATOR" {
			a.Role = RoleModerator
			a.Badges = append(a.Badges, "moderator")
		}
	}
	if u.IsBot {
		a.Badges = append(a.Badges, "bot")
	}
	if u.Authenticated {
		a.Badges = append(a.Badges, "authenticated")
	}
	return a
}

// owncastText makes a message body, HTML from Owncast's sanitizer, plain
// text: tags dropped, entities undone, line breaks and paragraphs made
// spaces, each emoji image its :name: with an Emote span (ID: the image's
// path on the server).
func owncastText(body string) (string, []Emote) {
	var b strings.Builder
	var emotes []Emote
	full := false
	add := func(s string) {
		s = cleanText(s, maxTextBytes)
		if b.Len() == 0 {
			s = strings.TrimLeft(s, " ")
		}
		if room := maxTextBytes - b.Len(); len(s) > room {
			s, full = cleanText(s, room), true
		}
		b.WriteString(s)
	}
	space := func() {
		if b.Len() > 0 && !strings.HasSuffix(b.String(), " ") {
			add(" ")
		}
	}
	text := func(s string) {
		if s = html.UnescapeString(s); strings.TrimSpace(s) == "" {
			space()
		} else {
			add(s)
		}
	}
	for rest := body; rest != "" && !full; {
		lt := strings.IndexByte(rest, '<')
		gt := -1
		if lt >= 0 {
			gt = strings.IndexByte(rest[lt:], '>')
		}
		if gt < 0 {
			text(rest)
			break
		}
		if lt > 0 {
			text(rest[:lt])
		}
		tag := rest[lt+1 : lt+gt]
		rest = rest[lt+gt+1:]
		name := tag
		if i := strings.IndexAny(name, " \t\n/"); i > 0 {
			name = name[:i]
		}
		switch strings.ToLower(strings.TrimPrefix(name, "/")) {
		case "br", "p", "pre":
			space()
		case "img":
			src := htmlAttr(tag, "src")
			word := htmlAttr(tag, "alt")
			if word == "" {
				word = htmlAttr(tag, "title")
			}
			if word == "" && src != "" {
				base := path.Base(src)
				word = ":" + strings.TrimSuffix(base, path.Ext(base)) + ":"
			}
			word = strings.ReplaceAll(cleanName(word), " ", "")
			if word == "" || word == "::" {
				continue
			}
			id := cleanName(src)
			if id == "" {
				id = word
			}
			start := b.Len()
			add(word)
			if !full && b.Len() > start {
				emotes = append(emotes, Emote{ID: id, Start: start, End: b.Len()})
			}
		}
	}
	out := strings.TrimRight(b.String(), " ")
	kept := emotes[:0]
	for _, e := range emotes {
		if e.End <= len(out) {
			kept = append(kept, e)
		}
	}
	if len(kept) == 0 {
		kept = nil
	}
	return out, kept
}

// htmlAttr is the value of attribute name in a tag's inside (double or
// single quoted, entities undone), or "".
func htmlAttr(tag, name string) string {
	for i := 0; ; {
		j := strings.Index(tag[i:], name+"=")
		if j < 0 {
			return ""
		}
		j += i
		i = j + len(name) + 1
		if j > 0 && tag[j-1] != ' ' && tag[j-1] != '\t' && tag[j-1] != '\n' {
			continue // the end of another attribute's name (data-alt=)
		}
		v := tag[i:]
		if v == "" {
			return ""
		}
		if q := v[0]; q == '"' || q == '\'' {
			end := strings.IndexByte(v[1:], q)
			if end < 0 {
				return ""
			}
			return html.UnescapeString(v[1 : 1+end])
		}
		if end := strings.IndexAny(v, " \t\n/"); end >= 0 {
			v = v[:end]
		}
		return html.UnescapeString(v)
	}
}
