package chattest

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// Generic is a WebSocket server that sends whatever frames a test gives it
// to every connected client, and keeps what clients send.
type Generic struct {
	srv *httptest.Server
	wg  sync.WaitGroup // the connections' handlers

	mu       sync.Mutex
	conns    map[*websocket.Conn]*sync.Mutex // each with its write lock
	total    int
	got      []string
	headers  []http.Header
	greeting []string
	need     [2]string // a header the handshake must carry, else 401
	closed   bool

	silent atomic.Bool // pings go unanswered
	pings  atomic.Int64
}

// NewGeneric starts the server; it closes when the test ends.
func NewGeneric(t testing.TB) *Generic {
	g := &Generic{conns: map[*websocket.Conn]*sync.Mutex{}}
	up := websocket.Upgrader{}
	g.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		g.mu.Lock()
		if g.closed {
			g.mu.Unlock()
			http.Error(w, "closed", http.StatusServiceUnavailable)
			return
		}
		g.headers = append(g.headers, r.Header.Clone())
		if g.need[0] != "" && r.Header.Get(g.need[0]) != g.need[1] {
			g.mu.Unlock()
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		g.wg.Add(1)
		g.mu.Unlock()
		defer g.wg.Done()
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		c.SetPingHandler(func(data string) error {
			g.pings.Add(1)
			if g.silent.Load() {
				return nil
			}
			return c.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(time.Second))
		})
		wmu := &sync.Mutex{}
		g.mu.Lock()
		if g.closed {
			g.mu.Unlock()
			return
		}
		g.conns[c] = wmu
		g.total++
		greeting := g.greeting
		wmu.Lock() // the greeting goes before any Send
		g.mu.Unlock()
		for _, f := range greeting {
			c.WriteMessage(websocket.TextMessage, []byte(f))
		}
		wmu.Unlock()
		for {
			_, data, err := c.ReadMessage()
			if err != nil {
				break
			}
			g.mu.Lock()
			g.got = append(g.got, string(data))
			g.mu.Unlock()
		}
		g.mu.Lock()
		delete(g.conns, c)
		g.mu.Unlock()
	}))
	t.Cleanup(g.Close)
	return g
}

// URL is the server's ws:// address.
func (g *Generic) URL() string { return "ws" + strings.TrimPrefix(g.srv.URL, "http") }

// Close drops every client and stops the server.
func (g *Generic) Close() {
	g.mu.Lock()
	g.closed = true
	g.mu.Unlock()
	g.Drop()
	g.srv.Close()
	g.wg.Wait() // hijacked connections are not waited for by srv.Close
}

// Greet sets frames sent to each client as soon as it connects.
func (g *Generic) Greet(frames ...string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.greeting = frames
}

// RequireHeader refuses (HTTP 401) a handshake without header key = value.
func (g *Generic) RequireHeader(key, value string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.need = [2]string{key, value}
}

// SilentPings stops (or resumes) answering the clients' pings.
func (g *Generic) SilentPings(on bool) { g.silent.Store(on) }

// Pings counts the pings the clients sent.
func (g *Generic) Pings() int { return int(g.pings.Load()) }

// Send sends each frame as a text frame to every connected client; it
// returns how many clients there were.
func (g *Generic) Send(frames ...string) int {
	g.mu.Lock()
	conns := make(map[*websocket.Conn]*sync.Mutex, len(g.conns))
	for c, m := range g.conns {
		conns[c] = m
	}
	g.mu.Unlock()
	for c, m := range conns {
		m.Lock()
		for _, f := range frames {
			c.SetWriteDeadline(time.Now().Add(5 * time.Second))
			c.WriteMessage(websocket.TextMessage, []byte(f))
		}
		m.Unlock()
	}
	return len(conns)
}

// Drop closes every client's connection without a close frame.
func (g *Generic) Drop() {
	g.mu.Lock()
	defer g.mu.Unlock()
	for c := range g.conns {
		c.NetConn().Close()
	}
}

// Connected is how many clients are connected now.
func (g *Generic) Connected() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.conns)
}

// Total is how many clients ever connected.
func (g *Generic) Total() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.total
}

// WaitTotal waits up to 10 s for n connections in all, one of them open
// now; false if they did not come.
func (g *Generic) WaitTotal(n int) bool {
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if g.Total() >= n && g.Connected() > 0 {
			return true
		}
	}
	return false
}

// Received are the frames clients sent, all connections, in order.
func (g *Generic) Received() []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]string(nil), g.got...)
}

// Headers are the handshake headers of each connection attempt.
func (g *Generic) Headers() []http.Header {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]http.Header(nil), g.headers...)
}
