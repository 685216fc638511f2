package chattest

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"html"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// owncastHistory is how many recent CHAT events the history keeps.
const owncastHistory = 1000

// OwncastUser is a chat user of the fake Owncast server.
type OwncastUser struct {
	ID          string
	DisplayName string
	Color       int  // Owncast's palette index, 0 to 7
	Moderator   bool // the MODERATOR scope
}

// OwncastSent is a frame a client sent.
type OwncastSent struct {
	Token string // the sender's access token
	Type  string // "CHAT", …
	Body  string // as sent
	At    time.Time
}

// Owncast is a fake Owncast server: chat registration (POST
// /api/chat/register), the chat WebSocket (/ws?accessToken=…) and the chat
// history (GET /api/chat?accessToken=…). A CHAT a client sends is
// broadcast to every client as a CHAT event from that user, as Owncast does;
// one faster than Owncast's limit (one per 2/3 s, a burst of one) is counted
// in RateLimited and dropped. The server pings no one and answers pings
// unless Silent.
type Owncast struct {
	t   testing.TB
	srv *httptest.Server
	up  websocket.Upgrader

	mu       sync.Mutex
	users    map[string]OwncastUser // by token
	conns    map[*owncastConn]bool
	history  []json.RawMessage // CHAT events, oldest first
	sent     []OwncastSent
	origins  []string
	regs     int
	limited  int
	nextID   int
	silent   atomic.Bool
	closed   bool
	handlers sync.WaitGroup
}

type owncastConn struct {
	c     *websocket.Conn
	token string
	wmu   sync.Mutex
	last  time.Time // the last CHAT that passed the rate limit
}

func (c *owncastConn) write(data []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.c.SetWriteDeadline(time.Now().Add(5 * time.Second))
	return c.c.WriteMessage(websocket.TextMessage, data)
}

// NewOwncast starts a fake Owncast server on loopback, closed when the test
// ends.
func NewOwncast(t testing.TB) *Owncast {
	o := &Owncast{t: t, users: map[string]OwncastUser{}, conns: map[*owncastConn]bool{}}
	o.up.CheckOrigin = func(*http.Request) bool { return true } // recorded, not judged
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/chat/register", o.register)
	mux.HandleFunc("GET /api/chat", o.chatHistory)
	mux.HandleFunc("/ws", o.ws)
	o.srv = httptest.NewServer(mux)
	t.Cleanup(o.Close)
	return o
}

// URL is the server's base address, http://127.0.0.1:port.
func (o *Owncast) URL() string { return o.srv.URL }

// Close drops every client and stops the server.
func (o *Owncast) Close() {
	o.mu.Lock()
	if o.closed {
		o.mu.Unlock()
		return
	}
	o.closed = true
	o.mu.Unlock()
	o.Drop()
	o.srv.Close()
	o.handlers.Wait() // hijacked connections are not waited for by Close
}

func newToken() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// AddUser makes token a known registration of u.
func (o *Owncast) AddUser(token string, u OwncastUser) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.users[token] = u
}

// ForgetTokens forgets every registration, as a server whose database was
// reset: the next connection is told to register.
func (o *Owncast) ForgetTokens() {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.users = map[string]OwncastUser{}
}

// Registrations is how many users registered.
func (o *Owncast) Registrations() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.regs
}

// Origins is the Origin header of each WebSocket handshake.
func (o *Owncast) Origins() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]string(nil), o.origins...)
}

// Clients is how many clients are connected with a known token.
func (o *Owncast) Clients() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return len(o.conns)
}

// WaitClients waits up to 10 s for n connected clients, failing the test
// when they do not come.
func (o *Owncast) WaitClients(n int) {
	o.t.Helper()
	for deadline := time.Now().Add(10 * time.Second); o.Clients() != n; {
		if time.Now().After(deadline) {
			o.t.Fatalf("owncast fake: %d clients, want %d", o.Clients(), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Sent is every frame clients sent, in order.
func (o *Owncast) Sent() []OwncastSent {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]OwncastSent(nil), o.sent...)
}

// RateLimited is how many CHATs were dropped for coming too fast.
func (o *Owncast) RateLimited() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.limited
}

// Silent stops (true) or resumes answering the clients' pings.
func (o *Owncast) Silent(on bool) { o.silent.Store(on) }

// Drop closes every client's connection without a word.
func (o *Owncast) Drop() {
	o.mu.Lock()
	defer o.mu.Unlock()
	for c := range o.conns {
		c.c.Close()
		delete(o.conns, c)
	}
}

// Broadcast sends events (raw JSON, one object each) to every client in one
// frame, joined by "\n" as Owncast does; CHAT events are kept in the
// history.
func (o *Owncast) Broadcast(events ...string) {
	o.mu.Lock()
	for _, e := range events {
		var head struct{ Type string }
		if json.Unmarshal([]byte(e), &head) == nil && head.Type == "CHAT" {
			o.history = append(o.history, json.RawMessage(e))
		}
	}
	// Like Owncast, the history is the recent messages only.
	if n := len(o.history); n > 2*owncastHistory {
		o.history = append(o.history[:0], o.history[n-owncastHistory:]...)
	}
	conns := make([]*owncastConn, 0, len(o.conns))
	for c := range o.conns {
		conns = append(conns, c)
	}
	o.mu.Unlock()
	frame := []byte(strings.Join(events, "\n"))
	for _, c := range conns {
		c.write(frame)
	}
}

// Chat broadcasts a CHAT event from u with an HTML body (as Owncast's
// sanitizer leaves it) and returns the event's id.
func (o *Owncast) Chat(u OwncastUser, body string) string {
	id := o.newID()
	o.Broadcast(ChatEvent(id, u, body, time.Now()))
	return id
}

func (o *Owncast) newID() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.nextID++
	return "msg" + strconv.Itoa(o.nextID)
}

// owncastUserJSON is a user as Owncast sends it.
func owncastUserJSON(u OwncastUser) map[string]any {
	m := map[string]any{
		"id": u.ID, "displayName": u.DisplayName, "displayColor": u.Color,
		"createdAt": "2022-03-24T03:52:37.966584694Z", "previousNames": []string{u.DisplayName},
		"isBot": false, "authenticated": false,
	}
	if u.Moderator {
		m["scopes"] = []string{"MODERATOR"}
	}
	return m
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// ChatEvent is a CHAT event as Owncast sends it.
func ChatEvent(id string, u OwncastUser, body string, at time.Time) string {
	return mustJSON(map[string]any{
		"type": "CHAT", "id": id, "timestamp": at.UTC().Format(time.RFC3339Nano),
		"body": body, "user": owncastUserJSON(u), "visible": true,
	})
}

// VisibilityEvent is Owncast's VISIBILITY-UPDATE: the messages ids hidden
// (visible false) or shown again.
func VisibilityEvent(id string, ids []string, visible bool) string {
	return mustJSON(map[string]any{
		"type": "VISIBILITY-UPDATE", "id": id, "timestamp": time.Now().UTC().Format(time.RFC3339Nano),
		"ids": ids, "visible": visible,
	})
}

func (o *Owncast) register(w http.ResponseWriter, r *http.Request) {
	var req struct {
		DisplayName string `json:"displayName"`
	}
	json.NewDecoder(http.MaxBytesReader(w, r.Body, 4096)).Decode(&req)
	o.mu.Lock()
	o.regs++
	o.nextID++
	u := OwncastUser{ID: "user" + strconv.Itoa(o.nextID), DisplayName: req.DisplayName, Color: o.nextID % 8}
	if u.DisplayName == "" {
		u.DisplayName = "Wonderful Tiger"
	}
	token := newToken()
	o.users[token] = u
	o.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.Write([]byte(mustJSON(map[string]string{"id": u.ID, "accessToken": token, "displayName": u.DisplayName})))
}

func (o *Owncast) chatHistory(w http.ResponseWriter, r *http.Request) {
	o.mu.Lock()
	_, ok := o.users[r.URL.Query().Get("accessToken")]
	hist := append([]json.RawMessage{}, o.history...)
	o.mu.Unlock()
	if !ok {
		http.Error(w, `{"message":"invalid user access token"}`, http.StatusUnauthorized)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write([]byte(mustJSON(hist)))
}

func (o *Owncast) ws(w http.ResponseWriter, r *http.Request) {
	o.handlers.Add(1)
	defer o.handlers.Done()
	token := r.URL.Query().Get("accessToken")
	o.mu.Lock()
	o.origins = append(o.origins, r.Header.Get("Origin"))
	u, known := o.users[token]
	o.mu.Unlock()
	c, err := o.up.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	defer c.Close()
	oc := &owncastConn{c: c, token: token}
	if !known {
		oc.write([]byte(`{"type":"ERROR_NEEDS_REGISTRATION"}`))
		c.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
		return
	}
	c.SetPingHandler(func(data string) error {
		if o.silent.Load() {
			return nil
		}
		return c.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(time.Second))
	})
	o.mu.Lock()
	if o.closed {
		o.mu.Unlock()
		return
	}
	o.conns[oc] = true
	o.mu.Unlock()
	defer func() {
		o.mu.Lock()
		delete(o.conns, oc)
		o.mu.Unlock()
	}()
	oc.write([]byte(mustJSON(map[string]any{"type": "CONNECTED_USER_INFO", "user": owncastUserJSON(u)})))
	for {
		_, data, err := c.ReadMessage()
		if err != nil {
			return
		}
		var in struct {
			Type string `json:"type"`
			Body string `json:"body"`
		}
		if json.Unmarshal(data, &in) != nil {
			continue
		}
		now := time.Now()
		o.mu.Lock()
		o.sent = append(o.sent, OwncastSent{Token: token, Type: in.Type, Body: in.Body, At: now})
		pass := in.Type == "CHAT" && (oc.last.IsZero() || now.Sub(oc.last) >= 2*time.Second/3)
		if pass {
			oc.last = now
		} else if in.Type == "CHAT" {
			o.limited++
		}
		o.mu.Unlock()
		if pass {
			o.Chat(u, "<p>"+html.EscapeString(in.Body)+"</p>")
		}
	}
}
