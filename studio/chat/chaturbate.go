package chat

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"onair/outputs"
)

// Chaturbate reads a broadcaster's room through Chaturbate's Events API: a
// long poll that always asks for the last answer's nextUrl, so a retry
// resumes where the feed was. Chaturbate has no way to post: read only.
type Chaturbate struct {
	User    string        // the broadcaster's user name
	Token   string        // the Events API token, a secret: never printed
	Server  string        // default ChaturbateServer
	Timeout time.Duration // how long the server holds a poll: default 30 s, at most 90 s
	Backoff outputs.Backoff
	Client  *http.Client // nil: a client of its own
	Log     func(string) // skipped input, rate-limited; nil: silent
}

// ChaturbateServer is Chaturbate's Events API.
const ChaturbateServer = "https://eventsapi.chaturbate.com"

// Bounds on what an event may claim.
const (
	maxTokens     = 10_000_000 // tokens in one tip or purchase
	maxNextURL    = 2048
	minEmptyPoll  = 250 * time.Millisecond // the least time between two empty answers
	clientTimeout = 15 * time.Second       // on top of the poll's own
)

// Platform is "chaturbate".
func (c *Chaturbate) Platform() string { return "chaturbate" }

func (c *Chaturbate) mask(s string) string {
	return masker(c.Token, url.PathEscape(c.Token))(s)
}

// pollTimeout is the timeout= asked of the server.
func (c *Chaturbate) pollTimeout() time.Duration {
	switch {
	case c.Timeout <= 0:
		return 30 * time.Second
	case c.Timeout > 90*time.Second:
		return 90 * time.Second
	}
	return c.Timeout
}

// client is c.Client (or one on tr) with a timeout past the poll's, and
// redirects only within the server: the token is in the path.
func (c *Chaturbate) client(base *url.URL, tr http.RoundTripper) *http.Client {
	cl := http.Client{Transport: tr}
	if c.Client != nil {
		cl = *c.Client
		if cl.Transport == nil {
			cl.Transport = tr
		}
	}
	if cl.Timeout == 0 {
		cl.Timeout = c.pollTimeout() + clientTimeout
	}
	if cl.CheckRedirect == nil {
		cl.CheckRedirect = func(req *http.Request, via []*http.Request) error {
			if !sameServer(base, req.URL) || len(via) >= 5 {
				return errors.New("redirected elsewhere")
			}
			return nil
		}
	}
	return &cl
}

// Run polls the events until ctx ends, resuming after a failure at the same
// position (nothing lost, nothing twice). A refused token or an unknown user
// stops it. emit and state are called from Run's goroutine only.
func (c *Chaturbate) Run(ctx context.Context, emit func(Message), state func(State)) error {
	skips := &skipLog{}
	if c.Log != nil {
		skips.log = func(s string) { c.Log(c.mask(s)) }
	}
	next := "" // the URL to ask next: it carries the position
	// Our own connections, closed when Run ends: none is left behind.
	tr := http.DefaultTransport.(*http.Transport).Clone()
	defer tr.CloseIdleConnections()
	return runSessions(ctx, "chaturbate", c.Backoff, c.mask, state, func(ctx context.Context) (bool, bool, error) {
		base, err := c.check()
		if err != nil {
			return false, false, errFatal{err}
		}
		if next == "" {
			next = fmt.Sprintf("%s/events/%s/%s/?timeout=%d", strings.TrimRight(base.String(), "/"),
				url.PathEscape(c.User), url.PathEscape(c.Token), int(c.pollTimeout()/time.Second))
		}
		live, err := c.session(ctx, base, c.client(base, tr), &next, emit, state, skips)
		return false, live, err
	})
}

// check tells what is wrong with the settings, the token never in words.
func (c *Chaturbate) check() (*url.URL, error) {
	server := c.Server
	if server == "" {
		server = ChaturbateServer
	}
	base, err := url.Parse(server)
	if err != nil || (base.Scheme != "https" && base.Scheme != "http") || base.Host == "" || base.User != nil {
		return nil, errors.New("the Chaturbate events server is not an http(s) address")
	}
	base.RawQuery, base.Fragment = "", ""
	if !validCBName(c.User) {
		return nil, fmt.Errorf("Chaturbate user %q: a user name is letters, digits and _ (check the events URL)", cleanName(c.User))
	}
	if !validCBToken(c.Token) {
		return nil, errors.New("the Chaturbate events token is missing or malformed (copy the events URL from Chaturbate's settings)")
	}
	return base, nil
}

func validCBName(s string) bool {
	if len(s) < 1 || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_') {
			return false
		}
	}
	return true
}

func validCBToken(s string) bool {
	if len(s) < 4 || len(s) > 256 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-' || r == '.') {
			return false
		}
	}
	return true
}

// ParseChaturbateURL splits the events URL Chaturbate's settings give
// (https://eventsapi.chaturbate.com/events/<user>/<token>/) into the server,
// the user and the token. The error never holds the token.
func ParseChaturbateURL(s string) (server, user, token string, err error) {
	bad := errors.New("not a Chaturbate events URL: it looks like https://eventsapi.chaturbate.com/events/<user>/<token>/")
	u, perr := url.Parse(strings.TrimSpace(s))
	if perr != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil {
		return "", "", "", bad
	}
	parts := strings.Split(strings.Trim(u.EscapedPath(), "/"), "/")
	if len(parts) != 3 || parts[0] != "events" {
		return "", "", "", bad
	}
	for i, p := range parts {
		if parts[i], perr = url.PathUnescape(p); perr != nil {
			return "", "", "", bad
		}
	}
	if !validCBName(parts[1]) {
		return "", "", "", fmt.Errorf("Chaturbate user %q in the events URL: a user name is letters, digits and _", cleanName(parts[1]))
	}
	if !validCBToken(parts[2]) {
		return "", "", "", errors.New("the token in the Chaturbate events URL is malformed (copy the whole URL again)")
	}
	return u.Scheme + "://" + u.Host, parts[1], parts[2], nil
}

// session polls until a poll fails; live tells that the server answered.
func (c *Chaturbate) session(ctx context.Context, base *url.URL, client *http.Client, next *string, emit func(Message), state func(State), skips *skipLog) (live bool, err error) {
	channel := strings.ToLower(c.User)
	goLive := func() {
		if !live {
			live = true
			state(State{Platform: "chaturbate", Phase: Live})
		}
	}
	// The first poll of a session is not held (timeout=0): the connector is
	// live, or the token refused, at once rather than after a quiet
	// room's 30 s.
	first := true
	for {
		start := time.Now()
		var body json.RawMessage
		ask := *next
		if first {
			ask, first = unheld(ask), false
		}
		err := getJSON(ctx, client, ask, nil, &body)
		if ctx.Err() != nil {
			return live, nil
		}
		var se *httpStatusError
		switch {
		case errors.As(err, &se):
			// A poll held too long still says where to go on.
			if nu, ok := waitedTooLong(se); ok {
				if nu, err = resolveNext(base, nu); err != nil {
					return live, err
				}
				goLive()
				*next = nu
				pause(ctx, start)
				continue
			}
			return live, statusError(se, c.User)
		case err != nil:
			// What came but cannot be read is logged; the network is not.
			switch e := err.Error(); {
			case strings.Contains(e, "not the JSON"):
				skips.skip("chaturbate", "an answer that is not JSON")
			case strings.Contains(e, " bytes"):
				skips.skip("chaturbate", e)
			}
			return live, fmt.Errorf("Chaturbate events: %w", err)
		}
		page, err := parseChaturbate(body, channel, time.Now())
		if err != nil {
			skips.skip("chaturbate", err.Error())
			return live, fmt.Errorf("Chaturbate events: %w", err)
		}
		// A bad nextUrl spoils the page: it is asked again from the
		// position before, so its events come once.
		nu, err := resolveNext(base, page.next)
		if err != nil {
			return live, err
		}
		goLive()
		for _, why := range page.skipped {
			skips.skip("chaturbate", why)
		}
		for _, m := range page.msgs {
			emit(m)
		}
		*next = nu
		if len(page.msgs) == 0 {
			pause(ctx, start)
		}
	}
}

// unheld is a poll URL asking the server not to hold the answer.
func unheld(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return s
	}
	q := u.Query()
	q.Set("timeout", "0")
	u.RawQuery = q.Encode()
	return u.String()
}

// pause keeps empty answers at least minEmptyPoll apart: a server that does
// not hold the poll is not asked in a busy loop.
func pause(ctx context.Context, since time.Time) {
	d := minEmptyPoll - time.Since(since)
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// waitedTooLong is the nextUrl of a 400 that says the poll waited too long.
func waitedTooLong(se *httpStatusError) (string, bool) {
	if se.Status != http.StatusBadRequest {
		return "", false
	}
	var a struct {
		Status  string `json:"status"`
		NextURL string `json:"nextUrl"`
	}
	if json.Unmarshal(se.Body, &a) != nil || a.NextURL == "" || !strings.Contains(strings.ToLower(a.Status), "waited too long") {
		return "", false
	}
	return a.NextURL, true
}

// statusError says an HTTP status in words.
func statusError(se *httpStatusError, user string) error {
	switch s := se.Status; {
	case s == http.StatusUnauthorized || s == http.StatusForbidden:
		return errFatal{fmt.Errorf("Chaturbate refused the events token (HTTP %d: make a new events URL in Chaturbate's settings)", s)}
	case s == http.StatusNotFound:
		return errFatal{fmt.Errorf("Chaturbate has no events feed for user %q (check the user name in the events URL)", cleanName(user))}
	case s == http.StatusTooManyRequests:
		return withRetryAfter(se, errors.New("Chaturbate asks to poll less often (HTTP 429)"))
	case s >= 500:
		return withRetryAfter(se, fmt.Errorf("Chaturbate's events server is in trouble (HTTP %d)", s))
	}
	return fmt.Errorf("Chaturbate's events server answered HTTP %d", se.Status)
}

// withRetryAfter is err as an errWait when the answer's Retry-After (seconds
// or a date) says how long to wait.
func withRetryAfter(se *httpStatusError, err error) error {
	v := strings.TrimSpace(se.Header.Get("Retry-After"))
	if v == "" {
		return err
	}
	var wait time.Duration
	if n, perr := strconv.Atoi(v); perr == nil {
		wait = time.Duration(min(max(n, 0), 3600)) * time.Second
	} else if t, perr := http.ParseTime(v); perr == nil {
		wait = min(time.Until(t), time.Hour)
	}
	if wait <= 0 {
		return err
	}
	return errWait{err, wait}
}

// sameServer tells that u is on base's scheme and host.
func sameServer(base, u *url.URL) bool {
	return u.Scheme == base.Scheme && strings.EqualFold(u.Host, base.Host)
}

// resolveNext is the URL a nextUrl (maybe relative) names, only when it is
// on the server: the token is in it and must not go elsewhere.
func resolveNext(base *url.URL, s string) (string, error) {
	if s == "" || len(s) > maxNextURL {
		return "", errors.New("Chaturbate's answer has no usable nextUrl; asking again from the same position")
	}
	u, err := base.Parse(s)
	if err != nil || u.User != nil {
		return "", errors.New("Chaturbate's answer has a nextUrl that is not a URL; asking again from the same position")
	}
	if !sameServer(base, u) {
		return "", fmt.Errorf("Chaturbate's answer pointed to another server (%s); not followed, to keep the token safe", cleanName(u.Scheme+"://"+u.Host))
	}
	u.Fragment = ""
	return u.String(), nil
}
