package chat

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"onair/outputs"
)

// Kick reads a Kick channel's chat, read-only, over the Pusher WebSocket
// Kick's own web page uses (Kick's official API delivers chat by webhooks
// only, which need a public address).
type Kick struct {
	Channel    string // the channel's name, shown with its messages
	ChatroomID int64  // required: the channel's chatroom id (not its channel id)
	AppKey     string // Pusher app key; default KickAppKey (Kick has changed it before)
	Server     string // default KickServer
	Backoff    outputs.Backoff
	Log        func(string) // skipped malformed input; nil: silent

	// Keepalive: a pusher:ping after Idle without a message (default the
	// server's activity_timeout), and the connection counted dead when
	// nothing comes within Timeout (default 30 s) after it.
	Idle, Timeout time.Duration
}

// The Pusher app and server Kick's web page uses (2026).
const (
	KickAppKey = "32cbd69e4b950bf97679"
	KickServer = "wss://ws-us2.pusher.com"
)

// maxKickFrame bounds a frame from the server: Kick's are a few KB.
const maxKickFrame = 256 << 10

// Platform is "kick".
func (k *Kick) Platform() string { return "kick" }

// mask hides the app key: public, but not worth showing.
func (k *Kick) mask(s string) string { return masker(k.AppKey)(s) }

// Run reads the chat until ctx ends, reconnecting by itself: at once when
// the server asks (Pusher error 4200–4299), after a wait on 4100–4199,
// with the backoff after a failure; it gives up on 4000–4099 (a refused
// app key) and on a missing chatroom id.
func (k *Kick) Run(ctx context.Context, emit func(Message), state func(State)) error {
	key := k.AppKey
	if key == "" {
		key = KickAppKey
	}
	server := strings.TrimRight(k.Server, "/")
	if server == "" {
		server = KickServer
	}
	channel := k.Channel
	if channel == "" {
		channel = strconv.FormatInt(k.ChatroomID, 10)
	}
	skips := &skipLog{log: k.Log}
	return runSessions(ctx, "kick", k.Backoff, k.mask, state, func(ctx context.Context) (bool, bool, error) {
		if k.ChatroomID <= 0 {
			return false, false, errFatal{errors.New("Kick chat needs the channel's chatroom id (a number) in Kick settings")}
		}
		if !strings.HasPrefix(server, "ws://") && !strings.HasPrefix(server, "wss://") {
			return false, false, errFatal{errors.New("the Kick chat server must be a ws:// or wss:// address")}
		}
		u := server + "/app/" + url.PathEscape(key) + "?protocol=7&client=js&version=8.4.0&flash=false"
		return k.session(ctx, u, channel, emit, state, skips)
	})
}

// session is one connection: wait for the server's welcome, subscribe to
// the chatroom, read until it ends. asked tells that the server asked for
// the reconnect, live that the subscription was confirmed.
func (k *Kick) session(ctx context.Context, u, channel string, emit func(Message), state func(State), skips *skipLog) (asked, live bool, err error) {
	// Kick's page subscribes to both: chat and most events come on the
	// first, gift subs (2026) on the second.
	room := fmt.Sprintf("chatrooms.%d.v2", k.ChatroomID)
	room2 := fmt.Sprintf("chatroom_%d", k.ChatroomID)
	var lastGift kickGift
	dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	conn, resp, err := websocket.DefaultDialer.DialContext(dctx, u, nil)
	cancel()
	if err != nil {
		if resp != nil {
			return false, false, fmt.Errorf("Kick chat refused the connection (HTTP %d)", resp.StatusCode)
		}
		return false, false, errors.New("cannot reach Kick chat (check the network)")
	}
	// One writer at a time: the reader answers pings, the keepalive sends its own.
	var wmu sync.Mutex
	send := func(frame string) error {
		wmu.Lock()
		defer wmu.Unlock()
		conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
		return conn.WriteMessage(websocket.TextMessage, []byte(frame))
	}
	// Closing the connection ends the read below when ctx ends.
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()

	idle, timeout := k.Idle, k.Timeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	// Keepalive as Twitch's (idle after the last message a ping), from
	// when the server has said its activity_timeout.
	ka := newIdleKeepalive()
	defer func() {
		conn.Close() // first: a keepalive stuck in a write returns at once
		ka.stop()
	}()
	// Until the welcome: a short wait.
	readWait := 10*time.Second + timeout
	conn.SetReadDeadline(time.Now().Add(readWait))
	established := false
	for {
		data, err := readKickFrame(conn)
		if errors.Is(err, errKickFrameSize) {
			skips.skip("kick", fmt.Sprintf("a message over %d KB", maxKickFrame>>10))
			ka.seen()
			conn.SetReadDeadline(time.Now().Add(readWait))
			continue
		}
		if err != nil {
			if ctx.Err() != nil {
				return false, live, nil
			}
			var ce *websocket.CloseError
			if errors.As(err, &ce) && ce.Code >= 4000 && ce.Code <= 4299 {
				return kickRefusal(ce.Code, cleanText(ce.Text, 200), live)
			}
			var ne interface{ Timeout() bool }
			if errors.As(err, &ne) && ne.Timeout() {
				return false, live, errors.New("Kick chat stopped answering")
			}
			return false, live, errors.New("Kick chat closed the connection")
		}
		ka.seen()
		conn.SetReadDeadline(time.Now().Add(readWait)) // the keepalive pulls it in
		ev := parseKick(data, time.Now())
		switch {
		case ev.bad != "":
			skips.skip("kick", ev.bad)
		case ev.established && !established:
			established = true
			if idle <= 0 {
				idle = ev.activity
			}
			if idle <= 0 {
				idle = 120 * time.Second // Pusher's default
			}
			readWait = idle + timeout
			conn.SetReadDeadline(time.Now().Add(readWait))
			ka.run(conn, idle, timeout, func() { send(`{"event":"pusher:ping","data":{}}`) })
			for _, c := range []string{room, room2} {
				if err := send(`{"event":"pusher:subscribe","data":{"auth":"","channel":"` + c + `"}}`); err != nil {
					return false, false, errors.New("Kick chat closed the connection while subscribing")
				}
			}
		case ev.subscribed && ev.channel == room && !live:
			live = true
			state(State{Platform: "kick", Phase: Live})
		case ev.ping:
			if err := send(`{"event":"pusher:pong","data":{}}`); err != nil {
				return false, live, errors.New("Kick chat closed the connection")
			}
		case ev.isError:
			if ev.errCode >= 4000 && ev.errCode <= 4299 {
				return kickRefusal(ev.errCode, ev.errText, live)
			}
			skips.skip("kick", "an error from the server: "+ev.errText)
		case ev.msg != nil && (ev.channel == room || ev.channel == room2):
			if lastGift.repeats(ev) {
				continue
			}
			ev.msg.Channel = channel
			emit(*ev.msg)
		}
	}
}

// kickRefusal is what a Pusher error code asks: 4000–4099 stop (the app
// key or the request is wrong), 4100–4199 come back later, 4200–4299
// reconnect at once.
func kickRefusal(code int, text string, live bool) (asked, stillLive bool, err error) {
	if text == "" {
		text = "no reason given"
	}
	switch {
	case code < 4100:
		return false, live, errFatal{fmt.Errorf("Kick chat refused the connection: %s (error %d; check the app key in Kick settings)", text, code)}
	case code < 4200:
		return false, live, errWait{fmt.Errorf("Kick chat is busy: %s (error %d)", text, code), 5 * time.Second}
	default:
		return true, live, fmt.Errorf("Kick chat asked to reconnect (error %d)", code)
	}
}

// kickGift is the last gift-subs event: Kick has sent them on either of
// its two channels, and an event twice would count the gifts twice.
type kickGift struct {
	channel, key string
	at           time.Time
}

// repeats tells that ev is the last gift event again, come on the other
// channel within 5 s; it remembers ev when it is a gift.
func (g *kickGift) repeats(ev kickEvent) bool {
	m := ev.msg
	if m.Kind != KindSub || m.Gifts == 0 {
		return false
	}
	key := fmt.Sprintf("%s/%d/%s", m.GiftedBy, m.Gifts, m.ID)
	if key == g.key && ev.channel != g.channel && time.Since(g.at) < 5*time.Second {
		return true
	}
	*g = kickGift{channel: ev.channel, key: key, at: time.Now()}
	return false
}

var errKickFrameSize = errors.New("frame over the size cap")

// readKickFrame reads one message, skipping the rest of one over
// maxKickFrame (errKickFrameSize) instead of dropping the connection.
func readKickFrame(conn *websocket.Conn) ([]byte, error) {
	_, r, err := conn.NextReader()
	if err != nil {
		return nil, err
	}
	data, err := io.ReadAll(io.LimitReader(r, maxKickFrame+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxKickFrame {
		if _, err := io.Copy(io.Discard, r); err != nil {
			return nil, err
		}
		return nil, errKickFrameSize
	}
	return data, nil
}
