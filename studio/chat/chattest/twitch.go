package chattest

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// Twitch is a fake Twitch chat (IRC over WebSocket): it welcomes a client,
// confirms its JOIN, answers PING, and sends every client joined the lines
// given to Say; what clients sent is kept.
type Twitch struct {
	srv  *httptest.Server
	mu   sync.Mutex
	got  []string
	subs map[*twitchClient]bool
	quit chan struct{}
	wg   sync.WaitGroup
}

type twitchClient struct {
	mu      sync.Mutex
	c       *websocket.Conn
	channel string
}

func (c *twitchClient) write(lines ...string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.c.SetWriteDeadline(time.Now().Add(5 * time.Second))
	return c.c.WriteMessage(websocket.TextMessage, []byte(strings.Join(lines, "\r\n")+"\r\n"))
}

// NewTwitch starts the server; the test's end stops it.
func NewTwitch(t testing.TB) *Twitch {
	f := &Twitch{subs: map[*twitchClient]bool{}, quit: make(chan struct{})}
	up := websocket.Upgrader{}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.wg.Add(1)
		defer f.wg.Done()
		conn, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		c := &twitchClient{c: conn}
		stop := make(chan struct{})
		go func() {
			select {
			case <-f.quit:
				conn.Close()
			case <-stop:
			}
		}()
		defer func() {
			close(stop)
			f.mu.Lock()
			delete(f.subs, c)
			f.mu.Unlock()
			conn.Close()
		}()
		for {
			_, data, err := conn.ReadMessage()
			if err != nil {
				return
			}
			for _, l := range strings.Split(strings.TrimSpace(string(data)), "\r\n") {
				f.mu.Lock()
				f.got = append(f.got, l)
				f.mu.Unlock()
				switch {
				case strings.HasPrefix(l, "JOIN #"):
					ch := strings.TrimPrefix(l, "JOIN #")
					c.write(":tmi.twitch.tv 001 justinfan :Welcome, GLHF!",
						":tmi.twitch.tv 366 justinfan #"+ch+" :End of /NAMES list")
					f.mu.Lock()
					c.channel = ch
					f.subs[c] = true
					f.mu.Unlock()
				case strings.HasPrefix(l, "PING"):
					c.write(":tmi.twitch.tv PONG tmi.twitch.tv :tmi.twitch.tv")
				}
			}
		}
	}))
	t.Cleanup(func() {
		close(f.quit)
		f.srv.Close()
		f.wg.Wait()
	})
	return f
}

// URL is the server's ws:// address.
func (f *Twitch) URL() string { return "ws" + strings.TrimPrefix(f.srv.URL, "http") }

// Joined is how many clients have joined a channel and are connected.
func (f *Twitch) Joined() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.subs)
}

// Say sends raw IRC lines (one frame) to every client joined.
func (f *Twitch) Say(lines ...string) {
	f.mu.Lock()
	var cs []*twitchClient
	for c := range f.subs {
		cs = append(cs, c)
	}
	f.mu.Unlock()
	for _, c := range cs {
		c.write(lines...)
	}
}

// Chat is a PRIVMSG line in channel from login with the tags given
// ("id=…;bits=…").
func Chat(channel, login, tags, text string) string {
	if tags != "" {
		tags = "@" + tags + " "
	}
	return tags + ":" + login + "!" + login + "@" + login + ".tmi.twitch.tv PRIVMSG #" + channel + " :" + text
}

// Sent is the lines clients sent that start with prefix.
func (f *Twitch) Sent(prefix string) []string {
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

// Drop closes every client's connection.
func (f *Twitch) Drop() {
	f.mu.Lock()
	var cs []*twitchClient
	for c := range f.subs {
		cs = append(cs, c)
	}
	f.mu.Unlock()
	for _, c := range cs {
		c.c.Close()
	}
}
