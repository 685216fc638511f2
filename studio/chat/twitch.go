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
}

// TwitchURL is Twitch's chat over WebSocket.
const TwitchURL = "wss://irc-ws.chat.twitch.tv:443"

// maxTwitchFrame bounds a WebSocket message from the server: several lines
// of at most 8 KB each.
const maxTwitchFrame = 1 << 20

// errLoginRefused is a token Twitch refused: retried at the longest wait.
var errLoginRefused = errors.New("Twitch refused the login (check the token)")

// Run reads the chat until ctx ends, reconnecting by itself: at once when
// the server asks (RECONNECT), with the backoff after a failure. emit and
// state are called from Run's goroutine only.
func (t *Twitch) Run(ctx context.Context, emit func(Message), state func(State)) error {
	url := t.URL
	if url == "" {
		url = TwitchURL
	}
	b := t.Backoff
	if b == (outputs.Backoff{}) {
		b = outputs.DefaultBackoff
	}
	for attempt := 0; ; {
		state(State{Platform: "twitch", Phase: Connecting})
		asked, err := t.session(ctx, url, emit, state)
		if ctx.Err() != nil {
			return nil
		}
		if asked { // the server's own reconnect: no wait
			attempt = 0
			continue
		}
		if err == nil {
			attempt = 0 // it was live: start the backoff over
		}
		wait := b.Delay(attempt)
		if errors.Is(err, errLoginRefused) {
			wait = b.Delay(1 << 10) // the cap: a token does not fix itself
		}
		attempt++
		msg := ""
		if err != nil {
			msg = t.mask(err.Error())
		}
		state(State{Platform: "twitch", Phase: Reconnecting, Retry: wait, Err: msg})
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			return nil
		case <-timer.C:
		}
	}
}

// mask hides the token in a message.
func (t *Twitch) mask(s string) string {
	if t.Token != "" {
		s = strings.ReplaceAll(s, t.Token, "****")
	}
	return s
}

// session is one connection: log in, join, read until it ends. asked tells
// that the server asked for the reconnect.
func (t *Twitch) session(ctx context.Context, url string, emit func(Message), state func(State)) (asked bool, err error) {
	dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	conn, _, err := websocket.DefaultDialer.DialContext(dctx, url, nil)
	cancel()
	if err != nil {
		return false, fmt.Errorf("connecting to Twitch chat: %w", err)
	}
	defer conn.Close()
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
	nick, pass := t.Login, "oauth:"+strings.TrimPrefix(t.Token, "oauth:")
	if t.Token == "" || nick == "" {
		nick, pass = fmt.Sprintf("justinfan%d", 10000+rand.IntN(80000)), "SCHMOOPIIE"
	}
	channel := strings.ToLower(strings.TrimPrefix(t.Channel, "#"))
	if err := send("CAP REQ :twitch.tv/tags twitch.tv/commands", "PASS "+pass, "NICK "+nick, "JOIN #"+channel); err != nil {
		return false, fmt.Errorf("logging in to Twitch chat: %w", err)
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
	// Keepalive: after idle without a line, a PING; the read's deadline
	// (idle + timeout from the last line) then ends a dead connection. A
	// timed-out read cannot be retried with gorilla/websocket, hence the
	// PING from a goroutine of its own rather than from the reader.
	var lastRead atomic.Int64
	lastRead.Store(time.Now().UnixNano())
	kaDone, kaStop := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(kaDone)
		tick := time.NewTicker(max(idle/4, 10*time.Millisecond))
		defer tick.Stop()
		var pingedAt int64
		for {
			select {
			case <-kaStop:
				return
			case <-tick.C:
			}
			last := lastRead.Load()
			if time.Since(time.Unix(0, last)) >= idle && pingedAt < last {
				send("PING :tmi.twitch.tv") // a failure shows on the read
				pingedAt = time.Now().UnixNano()
			}
		}
	}()
	defer func() { close(kaStop); <-kaDone }()
	live := false
	for {
		conn.SetReadDeadline(time.Unix(0, lastRead.Load()).Add(idle + timeout))
		_, data, err := conn.ReadMessage()
		if err != nil {
			if ctx.Err() != nil {
				return false, nil
			}
			var ne interface{ Timeout() bool }
			if errors.As(err, &ne) && ne.Timeout() {
				return false, errors.New("Twitch chat stopped answering")
			}
			return false, fmt.Errorf("Twitch chat: %w", err)
		}
		lastRead.Store(time.Now().UnixNano())
		for _, line := range strings.Split(string(data), "\n") {
			line = strings.TrimRight(line, "\r")
			if line == "" {
				continue
			}
			if strings.Contains(line, "Login authentication failed") || strings.Contains(line, "Improperly formatted auth") {
				return false, errLoginRefused
			}
			ev := parseTwitch(line, time.Now())
			switch {
			case ev.ping != "":
				if err := send("PONG :" + ev.ping); err != nil {
					return false, fmt.Errorf("Twitch chat: %w", err)
				}
			case ev.reconnect:
				return true, nil
			case ev.msg != nil:
				emit(*ev.msg)
			}
			if !live && isJoined(line, channel) {
				live = true
				state(State{Platform: "twitch", Phase: Live})
			}
		}
	}
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
