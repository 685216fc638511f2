package chat

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// fakeWS is a local WebSocket server for the connectors' tests: each
// connection runs the next script in turn (then holds 10 s), and what the
// client sent is kept, one entry per line ("\r\n"-separated in a frame).
type fakeWS struct {
	t       *testing.T
	mu      sync.Mutex
	scripts []func(c *websocket.Conn)
	n       int
	got     []string // lines the client sent, all connections
	srv     *httptest.Server
	quit    chan struct{}  // closed at the test's end: scripts stop waiting
	wg      sync.WaitGroup // the connections' handlers
}

// hold waits d, or less when the test ends.
func (f *fakeWS) hold(d time.Duration) {
	select {
	case <-f.quit:
	case <-time.After(d):
	}
}

func newFakeWS(t *testing.T, scripts ...func(c *websocket.Conn)) *fakeWS {
	f := &fakeWS{t: t, scripts: scripts, quit: make(chan struct{})}
	up := websocket.Upgrader{}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.wg.Add(1)
		defer f.wg.Done()
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		f.mu.Lock()
		i := f.n
		f.n++
		f.mu.Unlock()
		// The client's lines, kept as they come.
		done := make(chan struct{})
		go func() {
			defer close(done)
			for {
				_, data, err := c.ReadMessage()
				if err != nil {
					return
				}
				f.mu.Lock()
				for _, l := range strings.Split(strings.TrimSpace(string(data)), "\r\n") {
					f.got = append(f.got, l)
				}
				f.mu.Unlock()
			}
		}()
		if i < len(f.scripts) {
			f.scripts[i](c)
		} else {
			f.hold(10 * time.Second) // nothing more to say
		}
		c.Close()
		<-done
	}))
	t.Cleanup(func() {
		close(f.quit)
		f.srv.Close()
		f.wg.Wait() // hijacked connections are not waited for by Close
	})
	return f
}

func (f *fakeWS) url() string { return "ws" + strings.TrimPrefix(f.srv.URL, "http") }

func (f *fakeWS) sent(prefix string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, l := range f.got {
		if strings.HasPrefix(l, prefix) {
			out = append(out, l)
		}
	}
	return out
}
