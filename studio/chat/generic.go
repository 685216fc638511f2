package chat

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gorilla/websocket"

	"onair/outputs"
)

// GenericWS reads any chat that speaks JSON over a WebSocket (a bot, a
// bridge, a site's own socket): Fields say where each part of a message is.
type GenericWS struct {
	Name      string            // the platform badge, e.g. "mybot"; default "custom"
	URL       string            // ws:// or wss://
	Header    map[string]string // sent with the handshake; values are secrets: never printed
	Subscribe string            // a text frame sent once connected (optional)
	Fields    GenericFields
	Ping      time.Duration // a WebSocket ping this often; the connection is dead without an answer within as long again. 0: 30 s; below 0: none
	Backoff   outputs.Backoff
	Log       func(string) // skipped input; nil: silent
}

// GenericFields are dot paths into each JSON object ("data.user.name",
// "items.0.text" for an array's first element). Only Text is required.
type GenericFields struct {
	ID       string `json:"id,omitempty"`
	Kind     string `json:"kind,omitempty"`
	Text     string `json:"text"`
	Author   string `json:"author,omitempty"`
	Color    string `json:"color,omitempty"`
	Amount   string `json:"amount,omitempty"`
	Currency string `json:"currency,omitempty"`
	Time     string `json:"time,omitempty"`
	// KindMap maps a value found at Kind to a kind name: "chat", "tip",
	// "follow", "sub", "raid", "deleted", "banned" or "notice". An object
	// whose Kind is not in the map is chat when it has text, else skipped.
	// For "deleted" the ID is the message removed; for "banned" Author is
	// the user banned.
	KindMap map[string]string `json:"kind_map,omitempty"`
}

// Hard cap on a frame: one over maxBodyBytes is read and skipped, one over
// this closes the connection.
const maxGenericFrame = 64 << 20

// Platform is Name, or "custom".
func (g *GenericWS) Platform() string {
	if n := cleanName(strings.TrimSpace(g.Name)); n != "" {
		return n
	}
	return "custom"
}

// ParseKind is the Kind named s ("chat", "tip", …, as Kind.String gives).
func ParseKind(s string) (Kind, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	for k := KindChat; int(k) < len(kindNames); k++ {
		if kindNames[k] == s {
			return k, true
		}
	}
	return 0, false
}

func (g *GenericWS) mask(s string) string {
	secrets := make([]string, 0, len(g.Header))
	for _, v := range g.Header {
		secrets = append(secrets, v)
		if _, tok, ok := strings.Cut(v, " "); ok { // "Bearer <token>"
			secrets = append(secrets, tok)
		}
	}
	return masker(secrets...)(s)
}

// check tells what is wrong with the settings, in words.
func (g *GenericWS) check() error {
	u, err := url.Parse(strings.TrimSpace(g.URL))
	switch {
	case strings.TrimSpace(g.URL) == "":
		return errors.New("the custom chat has no address: give its ws:// or wss:// URL")
	case err != nil || (u.Scheme != "ws" && u.Scheme != "wss") || u.Host == "":
		return errors.New("the custom chat's address must start with ws:// or wss://")
	case strings.TrimSpace(g.Fields.Text) == "":
		return errors.New("the custom chat needs the path of each message's text (Fields.Text)")
	}
	for v, k := range g.Fields.KindMap {
		if _, ok := ParseKind(k); !ok {
			return fmt.Errorf("the custom chat maps %q to %q: a kind is chat, tip, follow, sub, raid, deleted, banned or notice", cleanName(v), cleanName(k))
		}
	}
	return nil
}

// Run reads until ctx ends, reconnecting by itself with the backoff.
func (g *GenericWS) Run(ctx context.Context, emit func(Message), state func(State)) error {
	platform := g.Platform()
	skips := skipLog{log: g.Log}
	return runSessions(ctx, platform, g.Backoff, g.mask, state, func(ctx context.Context) (bool, bool, error) {
		if err := g.check(); err != nil {
			return false, false, errFatal{err}
		}
		return g.session(ctx, platform, emit, state, &skips)
	})
}

func (g *GenericWS) session(ctx context.Context, platform string, emit func(Message), state func(State), skips *skipLog) (asked, live bool, err error) {
	h := http.Header{}
	for k, v := range g.Header {
		h.Set(k, v)
	}
	dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	conn, resp, err := websocket.DefaultDialer.DialContext(dctx, strings.TrimSpace(g.URL), h)
	cancel()
	if err != nil {
		if resp != nil && (resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden) {
			return false, false, errSlow{fmt.Errorf("the custom chat refused the connection (HTTP %d): check its token", resp.StatusCode)}
		}
		if resp != nil {
			return false, false, fmt.Errorf("the custom chat refused the connection (HTTP %d)", resp.StatusCode)
		}
		return false, false, errors.New("cannot reach the custom chat (check the address and the network)")
	}
	conn.SetReadLimit(maxGenericFrame)
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	defer conn.Close()
	if g.Subscribe != "" {
		conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
		if err := conn.WriteMessage(websocket.TextMessage, []byte(g.Subscribe)); err != nil {
			return false, false, errors.New("the custom chat closed the connection at once")
		}
	}
	state(State{Platform: platform, Phase: Live})

	ping := g.Ping
	if ping == 0 {
		ping = 30 * time.Second
	}
	// Keepalive: any frame or pong pushes the read's deadline out; pings
	// come from a goroutine of their own (WriteControl may run beside reads).
	extend := func() {
		if ping > 0 {
			conn.SetReadDeadline(time.Now().Add(2 * ping))
		}
	}
	extend()
	if ping > 0 {
		conn.SetPongHandler(func(string) error { extend(); return nil })
		stopPings := pingEvery(conn, ping)
		defer func() {
			conn.Close() // first: a ping stuck in a write returns at once
			stopPings()
		}()
	}
	for {
		ended := func(err error) (bool, bool, error) {
			if ctx.Err() != nil {
				return false, true, nil
			}
			var ne interface{ Timeout() bool }
			if errors.As(err, &ne) && ne.Timeout() {
				return false, true, errors.New("the custom chat stopped answering")
			}
			return false, true, errors.New("the custom chat closed the connection")
		}
		_, r, err := conn.NextReader()
		if err != nil {
			return ended(err)
		}
		// A big frame on a slow link is progress, not a dead connection.
		r = extendReader{r, extend}
		data, err := io.ReadAll(io.LimitReader(r, maxBodyBytes+1))
		if err == nil && len(data) > maxBodyBytes {
			_, err = io.Copy(io.Discard, r)
			if err == nil {
				skips.skip(platform, fmt.Sprintf("a frame over %d bytes", maxBodyBytes))
				extend()
				continue
			}
		}
		if err != nil {
			return ended(err)
		}
		extend()
		msgs, skipped := parseGeneric(data, g.Fields, platform, time.Now())
		for _, why := range skipped {
			skips.skip(platform, why)
		}
		for _, m := range msgs {
			emit(m)
		}
	}
}

// extendReader calls extend after each read.
type extendReader struct {
	r      io.Reader
	extend func()
}

func (e extendReader) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	e.extend()
	return n, err
}

// Bounds on a generic frame's claims.
const (
	maxGenericObjects = 1000
	maxGenericAmount  = 1e12
)

// parseGeneric reads one frame: a JSON object, an array of them, or several
// on lines of their own. What is malformed is skipped and said in skipped.
func parseGeneric(frame []byte, f GenericFields, platform string, now time.Time) (msgs []Message, skipped []string) {
	if !utf8.Valid(frame) {
		return nil, []string{"a frame that is not UTF-8 text"}
	}
	var values []any
	decode := func(b []byte) bool {
		d := json.NewDecoder(bytes.NewReader(b))
		d.UseNumber()
		var v any
		if d.Decode(&v) != nil || d.InputOffset() != int64(len(bytes.TrimRight(b, " \t\r\n"))) {
			return false
		}
		if a, ok := v.([]any); ok {
			values = append(values, a...)
		} else {
			values = append(values, v)
		}
		return true
	}
	if len(bytes.TrimSpace(frame)) == 0 {
		return nil, nil
	}
	if !decode(frame) {
		for _, line := range bytes.Split(frame, []byte("\n")) {
			if len(bytes.TrimSpace(line)) > 0 && !decode(line) {
				skipped = append(skipped, "a line that is not JSON")
			}
		}
	}
	for i, v := range values {
		if i >= maxGenericObjects {
			skipped = append(skipped, fmt.Sprintf("%d objects past the first %d in a frame", len(values)-i, maxGenericObjects))
			break
		}
		obj, ok := v.(map[string]any)
		if !ok {
			skipped = append(skipped, "a JSON value that is not an object")
			continue
		}
		if m, ok := genericMessage(obj, f, platform, now); ok {
			msgs = append(msgs, m)
		}
	}
	return msgs, skipped
}

// genericMessage is obj as a Message; false when it has neither text nor
// a mapped kind.
func genericMessage(obj map[string]any, f GenericFields, platform string, now time.Time) (Message, bool) {
	get := func(path string) string { return jsonString(lookup(obj, path)) }
	m := Message{Platform: platform, ID: cleanName(get(f.ID)), Kind: KindChat, Time: now}
	m.Text = cleanText(get(f.Text), maxTextBytes)
	m.Author.Name = cleanName(get(f.Author))
	mapped := false
	if name, ok := f.KindMap[get(f.Kind)]; ok && f.Kind != "" {
		if k, ok := ParseKind(name); ok {
			m.Kind, mapped = k, true
		}
	}
	if !mapped && m.Text == "" {
		return m, false
	}
	if c := get(f.Color); len(c) == 7 && c[0] == '#' {
		if _, err := strconv.ParseUint(c[1:], 16, 32); err == nil {
			m.Author.Color = strings.ToUpper(c)
		}
	}
	if a, ok := jsonAmount(lookup(obj, f.Amount)); ok {
		m.Amount = a
	}
	m.Currency = cleanName(get(f.Currency))
	if t, ok := jsonTime(lookup(obj, f.Time)); ok {
		m.Time = t
	}
	switch m.Kind {
	case KindDeleted:
		m.TargetID, m.ID = m.ID, "" // the event is not the message it removes
		if m.TargetID == "" {
			return m, false
		}
	case KindBanned:
		m.TargetUser = m.Author.Name
		if m.TargetUser == "" {
			return m, false
		}
	case KindNotice:
		m.System, m.Text = m.Text, ""
	}
	return m, true
}

// lookup follows a dot path ("a.b.0.c") into v; nil when it leads nowhere.
func lookup(v any, path string) any {
	if path == "" {
		return nil
	}
	for _, k := range strings.Split(path, ".") {
		switch x := v.(type) {
		case map[string]any:
			v = x[k]
		case []any:
			i, err := strconv.Atoi(k)
			if err != nil || i < 0 || i >= len(x) {
				return nil
			}
			v = x[i]
		default:
			return nil
		}
	}
	return v
}

// jsonString is a JSON string, number or boolean as text; "" otherwise.
func jsonString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case json.Number:
		return x.String()
	case bool:
		return strconv.FormatBool(x)
	}
	return ""
}

// jsonAmount is a number or numeric string, when finite and in
// [0, maxGenericAmount].
func jsonAmount(v any) (float64, bool) {
	s := strings.TrimSpace(jsonString(v))
	if _, isBool := v.(bool); isBool || s == "" {
		return 0, false
	}
	a, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(a) || a < 0 || a > maxGenericAmount {
		return 0, false
	}
	return a, true
}

// jsonTime is an RFC 3339 string, or Unix seconds or milliseconds.
func jsonTime(v any) (time.Time, bool) {
	s := jsonString(v)
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, true
	}
	n, err := strconv.ParseFloat(s, 64)
	if err != nil || n <= 0 || n > 1e15 || math.IsNaN(n) {
		return time.Time{}, false
	}
	if n > 1e11 { // milliseconds: seconds would be past the year 5000
		return time.UnixMilli(int64(n)), true
	}
	return time.Unix(int64(n), int64((n-math.Floor(n))*1e9)), true
}
