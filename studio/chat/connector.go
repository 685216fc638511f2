package chat

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/gorilla/websocket"

	"onair/outputs"
)

// Connector is one platform's chat, read into Messages.
type Connector interface {
	// Platform is the connector's badge: "twitch", "kick", …
	Platform() string
	// Run reads until ctx ends, reconnecting by itself; it returns nil
	// when ctx ends and an error only when it gave up for good (a Failed
	// state said why first). emit and state are called from Run's
	// goroutine only; emit must not block for long.
	Run(ctx context.Context, emit func(Message), state func(State)) error
}

// Sender is a connector that can post in its chat.
type Sender interface {
	Connector
	// CanSend tells whether this connector was set up to send (a token or
	// a registration), not whether it is connected now.
	CanSend() bool
	// Send posts text as one message; the error says why in words (not
	// connected, refused), secrets masked.
	Send(ctx context.Context, text string) error
	// SendLimit is the platform's rate: at most n messages per per.
	SendLimit() (n int, per time.Duration)
}

// Size caps on untrusted input.
const (
	maxTextBytes = 4096    // a message's text, after cleaning
	maxNameBytes = 128     // a name, login, colour, badge or id
	maxBodyBytes = 4 << 20 // an HTTP answer or WebSocket frame
)

// errFatal marks an error no retry can mend (a bad channel name, a token the
// platform says is wrong): the connector fails and stops.
type errFatal struct{ error }

func (e errFatal) Unwrap() error { return e.error }

// errSlow marks an error worth retrying only at the longest wait (a token
// that may be renewed in the meantime).
type errSlow struct{ error }

func (e errSlow) Unwrap() error { return e.error }

// errWait is an error after which the server said how long to wait.
type errWait struct {
	error
	wait time.Duration
}

func (e errWait) Unwrap() error { return e.error }

// sessionFunc is one connection: it returns when the connection ends.
// asked tells that the server asked for the reconnect, live that the
// session got as far as reading the chat.
type sessionFunc func(ctx context.Context) (asked, live bool, err error)

// steadyAfter is how long a session must last to count as working: only
// then does the backoff start over. A server that accepts and drops at once
// (or asks to reconnect every time) meets a growing wait, not a spin.
const steadyAfter = 30 * time.Second

// runSessions is every connector's Run loop: a session, then at once again
// when the server asked after a live session (once: a second ask before a
// steady session waits the backoff), else the backoff, which starts over
// after a session that lasted steadyAfter. Errors are masked before they
// are shown. It returns nil when ctx ends, the error when it is errFatal.
func runSessions(ctx context.Context, platform string, backoff outputs.Backoff, mask func(string) string, state func(State), session sessionFunc) error {
	b := backoff.Filled()
	immediate := false // the last reconnect was at once, at the server's ask
	for attempt := 0; ; {
		state(State{Platform: platform, Phase: Connecting})
		began := time.Now()
		asked, live, err := session(ctx)
		if ctx.Err() != nil {
			return nil
		}
		var fe errFatal
		if errors.As(err, &fe) {
			state(State{Platform: platform, Phase: Failed, Err: mask(err.Error())})
			return errors.New(mask(err.Error()))
		}
		if live && time.Since(began) >= steadyAfter {
			attempt, immediate = 0, false
		}
		if live && asked && !immediate {
			immediate = true
			continue
		}
		attempt++
		wait := b.Delay(attempt)
		var we errWait
		var se errSlow
		switch {
		case errors.As(err, &se):
			wait = b.Max
		case errors.As(err, &we) && we.wait > wait:
			wait = min(we.wait, 10*time.Minute)
		}
		msg := ""
		if err != nil {
			msg = mask(err.Error())
		}
		state(State{Platform: platform, Phase: Reconnecting, Retry: wait, Err: msg})
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			return nil
		case <-timer.C:
		}
	}
}

// Masker is masker for the secrets of a Config, for the lines a program
// prints.
func Masker(secrets []string) func(string) string { return masker(secrets...) }

// masker hides each of secrets in a line.
func masker(secrets ...string) func(string) string {
	return func(s string) string {
		for _, k := range secrets {
			if len(k) >= 4 {
				s = strings.ReplaceAll(s, k, "****")
			}
		}
		return s
	}
}

// cleanText makes untrusted text one safe line: invalid UTF-8 replaced,
// line breaks and tabs made spaces, control and bidirectional-override
// characters dropped, at most max bytes (cut on a character boundary).
func cleanText(s string, max int) string {
	clean := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == 0x7f || c >= 0x80 {
			clean = false
			break
		}
	}
	if clean && len(s) <= max {
		return s
	}
	var b strings.Builder
	b.Grow(min(len(s), max))
	for _, r := range strings.ToValidUTF8(s, "\uFFFD") {
		switch {
		case r == '\n' || r == '\r' || r == '\t':
			r = ' '
		case unicode.IsControl(r), r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
			continue
		}
		if b.Len()+utf8.RuneLen(r) > max {
			break
		}
		b.WriteRune(r)
	}
	return b.String()
}

// cleanName is cleanText for names, ids and colours.
func cleanName(s string) string { return cleanText(s, maxNameBytes) }

// skipLog reports input a connector skipped (malformed, oversized): the
// first at once, then at most one line per minute counting the rest. Used
// from the connector's goroutine only.
type skipLog struct {
	log  func(string)
	last time.Time
	n    int // skipped since the last line
}

func (s *skipLog) skip(platform, why string) {
	s.n++
	if s.log == nil || (!s.last.IsZero() && time.Since(s.last) < time.Minute) {
		return
	}
	if s.n > 1 {
		s.log(fmt.Sprintf("%s chat: skipped %d malformed messages; the last: %s", platform, s.n, why))
	} else {
		s.log(fmt.Sprintf("%s chat: skipped a malformed message: %s", platform, why))
	}
	s.last, s.n = time.Now(), 0
}

// httpStatusError is an HTTP answer other than 200.
type httpStatusError struct {
	Status int
	Body   []byte      // at most 4 KB of it
	Header http.Header // the answer's headers (Retry-After)
}

func (e *httpStatusError) Error() string { return fmt.Sprintf("HTTP %d", e.Status) }

// getJSON GETs url and decodes a 200 answer of at most maxBodyBytes into v.
// Any other status is an *httpStatusError carrying the start of the body;
// a body over the cap or not JSON is an error in words.
func getJSON(ctx context.Context, client *http.Client, url string, header http.Header, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return errFatal{errors.New("not a valid URL")}
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return errors.New("cannot reach the server (check the network)")
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBodyBytes+1))
	if err != nil {
		return errors.New("the server's answer was cut off")
	}
	if resp.StatusCode != http.StatusOK {
		return &httpStatusError{Status: resp.StatusCode, Body: body[:min(len(body), 4096)], Header: resp.Header}
	}
	if len(body) > maxBodyBytes {
		return fmt.Errorf("the server's answer is over %d bytes", maxBodyBytes)
	}
	if err := json.Unmarshal(body, v); err != nil {
		return errors.New("the server's answer is not the JSON expected")
	}
	return nil
}

// pingEvery sends a WebSocket ping on conn every d from a goroutine of its
// own (WriteControl may run beside other writes; a failure shows on the
// read). stop ends it and waits; close the connection first, so a ping
// stuck in a write returns at once.
func pingEvery(conn *websocket.Conn, d time.Duration) (stop func()) {
	quit, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(d)
		defer t.Stop()
		for {
			select {
			case <-quit:
				return
			case <-t.C:
				conn.WriteControl(websocket.PingMessage, nil, time.Now().Add(5*time.Second))
			}
		}
	}()
	return func() {
		close(quit)
		<-done
	}
}

// idleKeepalive keeps a WebSocket whose server may say nothing for long:
// after idle without a message it pings (once per silence) and pulls the
// read's deadline in to timeout after the ping; any message (the pong)
// pushes it out again (the reader calls seen). A timed-out read cannot be
// retried with gorilla/websocket, hence the ping from a goroutine of its
// own. Times are on the monotonic clock. stop ends the goroutine and waits
// for it; close the connection first, so a ping stuck in a write returns.
type idleKeepalive struct {
	start    time.Time
	lastRead atomic.Int64 // since start
	quit     chan struct{}
	done     chan struct{}
}

func newIdleKeepalive() *idleKeepalive { return &idleKeepalive{start: time.Now()} }

// seen notes a message read.
func (k *idleKeepalive) seen() { k.lastRead.Store(int64(time.Since(k.start))) }

// run starts the pinging; once only.
func (k *idleKeepalive) run(conn *websocket.Conn, idle, timeout time.Duration, ping func()) {
	k.quit, k.done = make(chan struct{}), make(chan struct{})
	go func() {
		defer close(k.done)
		timer := time.NewTimer(idle)
		defer timer.Stop()
		pingedFor := int64(-1) // the lastRead the last ping was for
		for {
			select {
			case <-k.quit:
				return
			case <-timer.C:
			}
			last := k.lastRead.Load()
			due := time.Duration(last) + idle
			if now := time.Since(k.start); now < due {
				timer.Reset(due - now)
				continue
			}
			if pingedFor != last {
				pingedFor = last
				conn.SetReadDeadline(time.Now().Add(timeout))
				ping() // a failure shows on the read
			}
			timer.Reset(max(idle/4, 10*time.Millisecond))
		}
	}()
}

// stop ends the pinging, if it started, and waits for it.
func (k *idleKeepalive) stop() {
	if k.quit != nil {
		close(k.quit)
		<-k.done
		k.quit = nil
	}
}

// cleanMessage makes every text of m safe (cleanText, cleanName): the
// connectors' parsers do it field by field; the hub does it again for
// every message, whatever the connector. Emote spans that no longer fit
// the text are dropped.
func cleanMessage(m *Message) {
	if t := cleanText(m.Text, maxTextBytes); t != m.Text {
		m.Text, m.Emotes = t, nil
	}
	m.Platform, m.Channel, m.ID = cleanName(m.Platform), cleanName(m.Channel), cleanName(m.ID)
	a := &m.Author
	a.ID, a.Login, a.Name, a.Color = cleanName(a.ID), cleanName(a.Login), cleanName(a.Name), cleanName(a.Color)
	m.Currency, m.Tier, m.GiftedBy = cleanName(m.Currency), cleanName(m.Tier), cleanName(m.GiftedBy)
	m.TargetID, m.TargetUser = cleanName(m.TargetID), cleanName(m.TargetUser)
	m.System = cleanText(m.System, maxTextBytes)
	if len(m.Author.Badges) > 32 {
		m.Author.Badges = m.Author.Badges[:32]
	}
	for i, b := range m.Author.Badges {
		m.Author.Badges[i] = cleanName(b)
	}
	for _, e := range m.Emotes {
		if e.Start < 0 || e.End > len(m.Text) || e.Start > e.End {
			m.Emotes = nil
			break
		}
	}
}
