package chattest

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// Kick is a fake of Kick's chat server: Pusher protocol 7 over WebSocket.
// A client gets pusher:connection_established with ActivityTimeout, its
// pusher:subscribe is answered with pusher_internal:subscription_succeeded,
// its pusher:ping with pusher:pong (unless SetPong(false)). A client whose
// app key is not AppKey (when set) gets Pusher's error 4001 and is closed.
type Kick struct {
	srv *httptest.Server

	mu              sync.Mutex
	activityTimeout int
	appKey          string
	pong            bool
	conns           map[*kickConn]bool
	dials           int
	got             []string // frames clients sent, all connections
	paths           []string // request URIs, in order
	wg              sync.WaitGroup
	closed          bool
}

type kickConn struct {
	ws   *websocket.Conn
	wmu  sync.Mutex
	subs map[string]bool // guarded by Kick.mu
}

func (c *kickConn) write(frame string) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.ws.SetWriteDeadline(time.Now().Add(5 * time.Second))
	return c.ws.WriteMessage(websocket.TextMessage, []byte(frame))
}

// NewKick starts a fake Kick chat server on loopback, closed when the test
// ends. Its activity_timeout is 120 s, Pusher's usual.
func NewKick(t testing.TB) *Kick {
	k := &Kick{activityTimeout: 120, pong: true, conns: map[*kickConn]bool{}}
	k.srv = httptest.NewServer(http.HandlerFunc(k.serve))
	t.Cleanup(k.Close)
	return k
}

// URL is the server's address for a client's Server setting ("ws://…").
func (k *Kick) URL() string { return "ws" + strings.TrimPrefix(k.srv.URL, "http") }

// Close drops every client and stops the server.
func (k *Kick) Close() {
	k.mu.Lock()
	if k.closed {
		k.mu.Unlock()
		return
	}
	k.closed = true
	k.mu.Unlock()
	k.DropAll()
	k.srv.Close()
	k.wg.Wait() // hijacked connections are not waited for by Close
}

// SetActivityTimeout sets the seconds sent to the next clients.
func (k *Kick) SetActivityTimeout(seconds int) {
	k.mu.Lock()
	k.activityTimeout = seconds
	k.mu.Unlock()
}

// SetAppKey makes the server refuse other app keys, as Pusher does.
func (k *Kick) SetAppKey(key string) {
	k.mu.Lock()
	k.appKey = key
	k.mu.Unlock()
}

// SetPong turns the answer to pusher:ping on or off (off: a dead server).
func (k *Kick) SetPong(on bool) {
	k.mu.Lock()
	k.pong = on
	k.mu.Unlock()
}

func (k *Kick) serve(w http.ResponseWriter, r *http.Request) {
	k.wg.Add(1)
	defer k.wg.Done()
	up := websocket.Upgrader{}
	ws, err := up.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	defer ws.Close()
	c := &kickConn{ws: ws, subs: map[string]bool{}}
	k.mu.Lock()
	k.paths = append(k.paths, r.URL.RequestURI())
	key, timeout := k.appKey, k.activityTimeout
	appKey := strings.TrimPrefix(r.URL.Path, "/app/")
	if k.closed {
		k.mu.Unlock()
		return
	}
	k.conns[c] = true
	k.dials++
	k.mu.Unlock()
	defer func() {
		k.mu.Lock()
		delete(k.conns, c)
		k.mu.Unlock()
	}()
	if key != "" && appKey != key {
		// What Pusher says to an unknown key, then it closes with the code.
		c.write(envelope("pusher:error", map[string]any{"code": 4001, "message": "App key " + appKey + " not in this cluster. Did you forget to specify the cluster?"}, ""))
		c.close(4001, "App key not in this cluster")
		return
	}
	c.write(envelope("pusher:connection_established", dataString(map[string]any{"socket_id": "189245.1234567", "activity_timeout": timeout}), ""))
	for {
		_, data, err := ws.ReadMessage()
		if err != nil {
			return
		}
		k.mu.Lock()
		k.got = append(k.got, string(data))
		pong := k.pong
		k.mu.Unlock()
		var msg struct {
			Event string `json:"event"`
			Data  struct {
				Channel string `json:"channel"`
			} `json:"data"`
		}
		if json.Unmarshal(data, &msg) != nil {
			continue
		}
		switch msg.Event {
		case "pusher:subscribe":
			k.mu.Lock()
			c.subs[msg.Data.Channel] = true
			k.mu.Unlock()
			c.write(envelope("pusher_internal:subscription_succeeded", "{}", msg.Data.Channel))
		case "pusher:unsubscribe":
			k.mu.Lock()
			delete(c.subs, msg.Data.Channel)
			k.mu.Unlock()
		case "pusher:ping":
			if pong {
				c.write(`{"event":"pusher:pong","data":"{}"}`)
			}
		}
	}
}

func (c *kickConn) close(code int, text string) {
	c.wmu.Lock()
	c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, text), time.Now().Add(time.Second))
	c.wmu.Unlock()
	c.ws.Close()
}

// envelope is a Pusher frame; data a string is sent as a JSON string (how
// Pusher sends events), anything else as JSON.
func envelope(event string, data any, channel string) string {
	m := map[string]any{"event": event, "data": data}
	if channel != "" {
		m["channel"] = channel
	}
	b, _ := json.Marshal(m)
	return string(b)
}

// dataString is v as JSON text, for a data field that is JSON in a string.
func dataString(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// Broadcast sends a Kick event to the clients subscribed to channel
// ("chatrooms.<id>.v2"), with data encoded as JSON in a JSON string as
// Kick does; event is the short name ("ChatMessageEvent") or the full one
// ("App\\Events\\ChatMessageEvent"). data may be a JSON string or a value
// to encode. It returns how many clients it reached.
func (k *Kick) Broadcast(channel, event string, data any) int {
	if !strings.Contains(event, `\`) && !strings.Contains(event, ":") {
		event = `App\Events\` + event
	}
	s, ok := data.(string)
	if !ok {
		s = dataString(data)
	}
	frame := envelope(event, s, channel)
	n := 0
	for _, c := range k.clients(channel) {
		if c.write(frame) == nil {
			n++
		}
	}
	return n
}

// SendRaw sends frame as it is to every client.
func (k *Kick) SendRaw(frame string) {
	for _, c := range k.clients("") {
		c.write(frame)
	}
}

// SendError sends every client a pusher:error with code and message, then
// closes the connection with that code, as Pusher does.
func (k *Kick) SendError(code int, message string) {
	for _, c := range k.clients("") {
		c.write(envelope("pusher:error", map[string]any{"code": code, "message": message}, ""))
		c.close(code, message)
	}
}

// DropAll closes every client's connection without a word.
func (k *Kick) DropAll() {
	for _, c := range k.clients("") {
		c.ws.Close()
	}
}

func (k *Kick) clients(channel string) []*kickConn {
	k.mu.Lock()
	defer k.mu.Unlock()
	var out []*kickConn
	for c := range k.conns {
		if channel == "" || c.subs[channel] {
			out = append(out, c)
		}
	}
	return out
}

// Subscribers is how many connected clients are subscribed to channel.
func (k *Kick) Subscribers(channel string) int { return len(k.clients(channel)) }

// Dials is how many connections clients have made.
func (k *Kick) Dials() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.dials
}

// Sent is the frames clients sent, all connections, in order; with a
// non-empty event only those of that event.
func (k *Kick) Sent(event string) []string {
	k.mu.Lock()
	defer k.mu.Unlock()
	var out []string
	for _, f := range k.got {
		if event == "" || strings.Contains(f, `"event":"`+event+`"`) {
			out = append(out, f)
		}
	}
	return out
}

// Paths is the request URIs clients dialled ("/app/<key>?protocol=7…").
func (k *Kick) Paths() []string {
	k.mu.Lock()
	defer k.mu.Unlock()
	return append([]string(nil), k.paths...)
}
