package chattest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Chaturbate is a fake Chaturbate Events API on loopback. It serves
// /events/<User>/<Token>/ as a long poll: the events after the position
// asked (?i=, the id of the last event the client got; none: from the first
// event pushed), held up to the timeout= asked when there are none, and a
// nextUrl pointing back to itself with the new position. A wrong user is
// answered 404, a wrong token 401.
type Chaturbate struct {
	User, Token string

	srv      *httptest.Server
	quit     chan struct{}
	quitOnce sync.Once

	mu        sync.Mutex
	events    [][]byte      // pushed events, each with its id
	wake      chan struct{} // closed on a push
	script    []Answer      // the next polls' answers
	positions []string      // ?i= of each poll ("" for none)
	maxHold   time.Duration
}

// Special Answer statuses.
const (
	// Drop closes the connection without an answer, after the poll was held
	// as usual: the events it would have carried are lost on the way.
	// net/http sends a GET again by itself when a reused connection closes
	// without an answer: drop twice for the client to see it.
	Drop = -1
	// Hang never answers (until the server closes).
	Hang = -2
)

// Answer is a scripted answer to one poll.
type Answer struct {
	Status     int    // an HTTP status, Drop or Hang
	Body       string // "" for a default: for 400, "waited too long" with a nextUrl at the same position
	RetryAfter string // a Retry-After header, when not ""
}

// cbFirstID is the time part of the first event id (ids look like
// "1625274862454-0", as Chaturbate's do).
const cbFirstID = 1625274862454

// NewChaturbate starts a fake Events API for user and token, closed when
// the test ends.
func NewChaturbate(t testing.TB, user, token string) *Chaturbate {
	s := &Chaturbate{User: user, Token: token, quit: make(chan struct{}), wake: make(chan struct{}), maxHold: 90 * time.Second}
	// The handler reads s.srv (its own address for nextUrl): set before
	// the first request can come.
	s.srv = httptest.NewUnstartedServer(http.HandlerFunc(s.serve))
	s.srv.Start()
	t.Cleanup(s.Close)
	return s
}

// URL is the server's address (the connector's Server).
func (s *Chaturbate) URL() string { return s.srv.URL }

// EventsURL is the URL Chaturbate's settings would give the broadcaster.
func (s *Chaturbate) EventsURL() string {
	return fmt.Sprintf("%s/events/%s/%s/", s.srv.URL, s.User, s.Token)
}

// Close ends held polls and stops the server.
func (s *Chaturbate) Close() {
	s.quitOnce.Do(func() { close(s.quit) })
	s.srv.Close()
}

// SetMaxHold bounds how long a poll is held with nothing to send, whatever
// timeout= it asks (tests keep it short).
func (s *Chaturbate) SetMaxHold(d time.Duration) {
	s.mu.Lock()
	s.maxHold = d
	s.mu.Unlock()
}

// Push queues events, each a JSON object such as
// {"method":"tip","object":{"tip":{"tokens":100},"user":{"username":"ana"}}},
// and wakes held polls. Each gets the next id (one it had is replaced: the
// ids are the positions); their ids are returned. Text that is not a JSON
// object is queued as it is (an answer carrying it is then not JSON).
func (s *Chaturbate) Push(events ...string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var ids []string
	for _, e := range events {
		id := fmt.Sprintf("%d-0", cbFirstID+len(s.events))
		ids = append(ids, id)
		var obj map[string]json.RawMessage
		if json.Unmarshal([]byte(e), &obj) != nil || obj == nil {
			s.events = append(s.events, []byte(e))
			continue
		}
		obj["id"], _ = json.Marshal(id)
		b, _ := json.Marshal(obj)
		s.events = append(s.events, b)
	}
	close(s.wake)
	s.wake = make(chan struct{})
	return ids
}

// FailNext makes the next n polls answer status (a default body), Drop or
// Hang.
func (s *Chaturbate) FailNext(n, status int) { s.AnswerNext(n, Answer{Status: status}) }

// AnswerNext makes the next n polls get a.
func (s *Chaturbate) AnswerNext(n int, a Answer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.script = append(s.script, a)
	}
}

// Pending is how many scripted answers are not used yet.
func (s *Chaturbate) Pending() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.script)
}

// Requests is how many polls came (with the right user and token).
func (s *Chaturbate) Requests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.positions)
}

// Positions are the ?i= of each poll in order ("" when it had none).
func (s *Chaturbate) Positions() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.positions...)
}

// index is how many events a position has seen.
func (s *Chaturbate) index(pos string) int {
	ms, _, _ := strings.Cut(pos, "-")
	n, err := strconv.ParseInt(ms, 10, 64)
	if err != nil || n < cbFirstID {
		return 0
	}
	return int(min(n-cbFirstID+1, int64(len(s.events))))
}

func (s *Chaturbate) nextURL(pos string, timeout int) string {
	if pos == "" {
		pos = "0-0"
	}
	return fmt.Sprintf("%s?i=%s&timeout=%d", s.EventsURL(), url.QueryEscape(pos), timeout)
}

func (s *Chaturbate) serve(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	switch {
	case len(parts) != 3 || parts[0] != "events" || parts[1] != s.User:
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprint(w, `{"status":"Not Found"}`)
		return
	case parts[2] != s.Token:
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprint(w, `{"status":"Unauthorized"}`)
		return
	}
	pos := r.URL.Query().Get("i")
	timeout, err := strconv.Atoi(r.URL.Query().Get("timeout"))
	if err != nil {
		timeout = 10
	}
	timeout = min(max(timeout, 0), 90)

	s.mu.Lock()
	s.positions = append(s.positions, pos)
	var a *Answer
	if len(s.script) > 0 {
		a = &s.script[0]
		s.script = s.script[1:]
	}
	hold := min(time.Duration(timeout)*time.Second, s.maxHold)
	s.mu.Unlock()

	if a != nil && a.Status != Drop {
		if a.Status == Hang {
			select {
			case <-s.quit:
			case <-r.Context().Done():
			}
			return
		}
		if a.RetryAfter != "" {
			w.Header().Set("Retry-After", a.RetryAfter)
		}
		body := a.Body
		if body == "" && a.Status == http.StatusBadRequest {
			b, _ := json.Marshal(map[string]any{"status": "waited too long for events", "events": []any{}, "nextUrl": s.nextURL(pos, timeout)})
			body = string(b)
		} else if body == "" {
			body = fmt.Sprintf(`{"status":%q}`, http.StatusText(a.Status))
		}
		w.WriteHeader(a.Status)
		fmt.Fprint(w, body)
		return
	}

	// The events after pos, waiting up to hold for some.
	timer := time.NewTimer(hold)
	defer timer.Stop()
	var batch [][]byte
	last := pos
	for {
		s.mu.Lock()
		from := s.index(pos)
		batch = s.events[from:]
		if len(batch) > 0 {
			last = fmt.Sprintf("%d-0", cbFirstID+len(s.events)-1)
		}
		wake := s.wake
		s.mu.Unlock()
		if len(batch) > 0 {
			break
		}
		select {
		case <-wake:
			continue
		case <-timer.C:
		case <-s.quit:
		case <-r.Context().Done():
		}
		break
	}
	if a != nil { // Drop: the answer is lost on the way
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				conn.Close()
			}
		}
		return
	}
	var b strings.Builder
	b.WriteString(`{"events":[`)
	for i, e := range batch {
		if i > 0 {
			b.WriteByte(',')
		}
		b.Write(e)
	}
	next, _ := json.Marshal(s.nextURL(last, timeout))
	fmt.Fprintf(&b, `],"nextUrl":%s}`, next)
	fmt.Fprint(w, b.String())
}
