package chat

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"onair/outputs"
)

// Phase is where a connector is.
type Phase int

const (
	_            Phase = iota
	Connecting         // dialling, logging in
	Live               // reading
	Reconnecting       // waiting Retry before the next attempt
	Failed             // given up (a refused token): Err says why
)

var phaseNames = [...]string{"", "connecting", "live", "reconnecting", "failed"}

func (p Phase) String() string {
	if p > 0 && int(p) < len(phaseNames) {
		return phaseNames[p]
	}
	return "unknown"
}

// State is a connector's state as the window shows it.
type State struct {
	Platform string
	Phase    Phase
	Retry    time.Duration // Reconnecting: the wait
	Err      string        // what went wrong, secrets masked
}

// Twitch reads a Twitch channel's chat over IRC on WebSocket: anonymously
// (read-only) without a token, as Login with one.
type Twitch struct {
	Channel string
	Login   string // with Token; "" reads anonymously
	Token   string // OAuth token, a secret: never printed
	URL     string // default TwitchURL
	Backoff outputs.Backoff

	// Keepalive: a PING after Idle without a line, and the connection
	// counted dead when no PONG comes within Timeout.
	Idle, Timeout time.Duration

	// Log gets a line (at most one a minute) about input skipped.
	Log   func(string)
	skips skipLog // Run's goroutine only

	// The live session's writer, for Send (nil between sessions).
	writer atomic.Pointer[func(lines ...string) error]
}

// CanSend tells that a login and token are set: anonymous reading cannot
// send.
func (t *Twitch) CanSend() bool { return t.Login != "" && strings.TrimSpace(t.Token) != "" }

// SendLimit is Twitch's: 20 messages per 30 s, 100 in one's own channel
// (the broadcaster, or a moderator).
func (t *Twitch) SendLimit() (int, time.Duration) {
	if strings.EqualFold(t.Login, twitchChannel(t.Channel)) {
		return 100, 30 * time.Second
	}
	return 20, 30 * time.Second
}

// Self is the sender as its own messages show: Twitch does not send them
// back.
func (t *Twitch) Self() Author {
	role := RoleViewer
	if strings.EqualFold(t.Login, twitchChannel(t.Channel)) {
		role = RoleBroadcaster
	}
	return Author{Login: strings.ToLower(t.Login), Name: t.Login, Role: role}
}

// Send posts text in the channel on the live connection.
func (t *Twitch) Send(ctx context.Context, text string) error {
	if !t.CanSend() {
		return errors.New("Twitch chat is read-only without a login and token")
	}
	w := t.writer.Load()
	if w == nil {
		return errors.New("Twitch chat is not connected")
	}
	text = strings.TrimSpace(cleanText(text, 500))
	if text == "" {
		return errors.New("an empty message")
	}
	if err := (*w)("PRIVMSG #" + twitchChannel(t.Channel) + " :" + text); err != nil {
		return errors.New("Twitch chat closed the connection")
	}
	return nil
}

// twitchChannel is a channel name as IRC wants it: lower case, no #.
func twitchChannel(c string) string {
	return strings.ToLower(strings.TrimPrefix(strings.TrimSpace(c), "#"))
}

// TwitchURL is Twitch's chat over WebSocket.
const TwitchURL = "wss://irc-ws.chat.twitch.tv:443"

// maxTwitchFrame bounds a WebSocket message from the server: several lines
// of at most 8 KB each.
const maxTwitchFrame = 1 << 20

// errLoginRefused is a token Twitch refused: retried at the longest wait.
var errLoginRefused = errSlow{errors.New("Twitch refused the login (check the token)")}

// Platform is "twitch".
func (t *Twitch) Platform() string { return "twitch" }

// Run reads the chat until ctx ends, reconnecting by itself: at once when
// the server asks (RECONNECT), with the backoff after a failure, at the
// longest wait after a refused token. emit and state are called from Run's
// goroutine only.
func (t *Twitch) Run(ctx context.Context, emit func(Message), state func(State)) error {
	url := t.URL
	if url == "" {
		url = TwitchURL
	}
	channel := twitchChannel(t.Channel)
	return runSessions(ctx, "twitch", t.Backoff, t.mask, state, func(ctx context.Context) (bool, bool, error) {
		if !validChannel(channel) {
			return false, false, errFatal{fmt.Errorf("Twitch channel %q: a channel name is 1 to 25 letters, digits or _", t.Channel)}
		}
		return t.session(ctx, url, channel, emit, state)
	})
}

// validChannel is a Twitch login: 1 to 25 of a-z, 0-9 and _.
func validChannel(c string) bool {
	if len(c) < 1 || len(c) > 25 {
		return false
	}
	for _, r := range c {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_') {
			return false
		}
	}
	return true
}

// mask hides the token in a message.
func (t *Twitch) mask(s string) string { return masker(t.Token)(s) }

// session is one connection: log in, join, read until it ends. asked tells
// that the server asked for the reconnect, live that the channel was joined.
// emit must not block for long: a read waits on it.
func (t *Twitch) session(ctx context.Context, url, channel string, emit func(Message), state func(State)) (asked, live bool, err error) {
	dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	conn, _, err := websocket.DefaultDialer.DialContext(dctx, url, nil)
	cancel()
	if err != nil {
		return false, false, errors.New("cannot reach Twitch chat (check the network)")
	}
	conn.SetReadLimit(maxTwitchFrame)
	// One writer at a time (gorilla/websocket allows no concurrent writes):
	// the reader answers PINGs, the keepalive sends its own.
	var wmu sync.Mutex
	send := func(lines ...string) error {
		wmu.Lock()
		defer wmu.Unlock()
		conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
		for _, l := range lines {
			if err := conn.WriteMessage(websocket.TextMessage, []byte(l+"\r\n")); err != nil {
				return err
			}
		}
		return nil
	}
	nick, pass := t.Login, "oauth:"+strings.TrimPrefix(strings.TrimSpace(t.Token), "oauth:")
	if t.Token == "" || nick == "" {
		nick, pass = fmt.Sprintf("justinfan%d", 10000+rand.IntN(80000)), "SCHMOOPIIE"
	}
	if err := send("CAP REQ :twitch.tv/tags twitch.tv/commands", "PASS "+pass, "NICK "+nick, "JOIN #"+channel); err != nil {
		conn.Close()
		return false, false, errors.New("Twitch chat closed the connection while logging in")
	}
	// Closing the connection ends the read below when ctx ends.
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()

	idle, timeout := t.Idle, t.Timeout
	if idle <= 0 {
		idle = 15 * time.Second
	}
	if timeout <= 0 {
		timeout = 5 * time.Second
	}
	// Keepalive: idle after the last line, a PING; no line within timeout
	// of it and the connection is dead.
	ka := newIdleKeepalive()
	ka.run(conn, idle, timeout, func() { send("PING :tmi.twitch.tv") })
	defer func() {
		conn.Close() // first: a keepalive stuck in a write returns at once
		ka.stop()
	}()
	conn.SetReadDeadline(time.Now().Add(idle + timeout))
	for {
		_, data, err := conn.ReadMessage()
		if err != nil {
			if ctx.Err() != nil {
				return false, live, nil
			}
			var ne interface{ Timeout() bool }
			if errors.As(err, &ne) && ne.Timeout() {
				return false, live, errors.New("Twitch chat stopped answering")
			}
			return false, live, errors.New("Twitch chat closed the connection")
		}
		ka.seen()
		conn.SetReadDeadline(time.Now().Add(idle + timeout)) // the keepalive pulls it in
		for _, line := range strings.Split(string(data), "\n") {
			line = strings.TrimRight(line, "\r")
			if line == "" {
				continue
			}
			if !live && loginRefused(line) {
				return false, false, errLoginRefused
			}
			ev := parseTwitch(line, time.Now())
			switch {
			case ev.malformed:
				t.skips.log = t.Log
				t.skips.skip("Twitch", fmt.Sprintf("not an IRC line (%d bytes)", len(line)))
			case ev.ping != "":
				if err := send("PONG :" + ev.ping); err != nil {
					return false, live, errors.New("Twitch chat closed the connection")
				}
			case ev.reconnect:
				return true, live, nil
			case ev.msg != nil:
				emit(*ev.msg)
			}
			if !live && isJoined(line, channel) {
				live = true
				state(State{Platform: "twitch", Phase: Live})
				if t.CanSend() {
					t.writer.Store(&send)
					defer t.writer.Store(nil)
				}
			}
		}
	}
}

// loginRefused tells Twitch's refusal of a login: a NOTICE from the server
// to "*" before the channel is joined (a viewer's line saying the same words
// is a PRIVMSG).
func loginRefused(line string) bool {
	l, ok := parseIRC(line)
	if !ok || l.command != "NOTICE" || l.prefix != "tmi.twitch.tv" || len(l.params) < 2 || l.params[0] != "*" {
		return false
	}
	m := l.params[len(l.params)-1]
	return strings.Contains(m, "Login authentication failed") || strings.Contains(m, "Improperly formatted auth")
}

// isJoined tells the server's confirmation that the channel is joined (the
// end of its NAMES list, or ROOMSTATE).
func isJoined(line, channel string) bool {
	l, ok := parseIRC(line)
	if !ok {
		return false
	}
	switch l.command {
	case "366", "ROOMSTATE":
		for _, p := range l.params {
			if strings.EqualFold(strings.TrimPrefix(p, "#"), channel) {
				return true
			}
		}
	}
	return false
}
