package webrtc

import (
	"crypto/rand"
	"crypto/subtle"
	_ "embed"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	pion "github.com/pion/webrtc/v4"
)

//go:embed monitor.html
var monitorPage []byte

// Monitor is the phone monitor: a page on the local server that plays the
// program over WebRTC with sub-second latency, so the performer can watch
// their own show as viewers see it. The page offers to receive, WHEP-style
// (POST the offer, 201 with the answer and the session's Location, DELETE
// to leave). Off by default; a random token in the link is the key, and a
// new one (Rotate) drops whoever watches through the old.
type Monitor struct {
	srv  *Server
	prog *Program

	mu       sync.Mutex
	on       bool
	token    string
	viewers  map[string]*monitorViewer
	next     int
	onChange func()
	closed   bool
	wg       sync.WaitGroup // the viewers' watchers
	stop     func()         // stops watching the program
}

// maxMonitorViewers is how many phones (or tabs) may watch at once: each
// costs an encryption of the program and upload on the local network.
const maxMonitorViewers = 4

type monitorViewer struct {
	pc     *pion.PeerConnection
	detach func()
	gone   chan struct{} // closed when the viewer is dropped
	once   sync.Once
}

// Monitor makes the server's phone monitor for prog, served at /watch/.
func (s *Server) Monitor(prog *Program) *Monitor {
	m := &Monitor{srv: s, prog: prog, viewers: map[string]*monitorViewer{}, token: newToken()}
	// A show that ends (or a new one) drops the viewers: their pages ask
	// again and get the new program, or wait for it.
	m.stop = prog.Watch(func(*Feed) { m.dropAll() })
	s.Handle("/watch/", m)
	s.onClose(m.close)
	return m
}

// newToken is 128 random bits, URL-safe.
func newToken() string {
	b := make([]byte, 16)
	rand.Read(b) // crypto/rand never fails
	return base64.RawURLEncoding.EncodeToString(b)
}

// Enable turns the monitor on or off; off drops every viewer.
func (m *Monitor) Enable(on bool) {
	m.mu.Lock()
	m.on = on
	m.mu.Unlock()
	if !on {
		m.dropAll()
	}
	m.changed()
}

// On says whether the monitor is on.
func (m *Monitor) On() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.on
}

// URL is the monitor's link (on the local network's address), token
// included: show it to the performer only.
func (m *Monitor) URL() string { return m.URLOn(m.srv.BaseURLs()[0]) }

// URLOn is the link under another of the server's base URLs.
func (m *Monitor) URLOn(base string) string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return strings.TrimRight(base, "/") + "/watch/" + m.token
}

// Rotate makes a new link: whoever watches through the old one is dropped,
// and the old link is refused from now on.
func (m *Monitor) Rotate() {
	m.mu.Lock()
	m.token = newToken()
	m.mu.Unlock()
	m.dropAll()
	m.changed()
}

// Viewers is how many watch now.
func (m *Monitor) Viewers() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.viewers)
}

// OnChange sets what is called (on any goroutine, not blocking) when the
// viewer count, the link or the switch changes.
func (m *Monitor) OnChange(fn func()) {
	m.mu.Lock()
	m.onChange = fn
	m.mu.Unlock()
}

func (m *Monitor) changed() {
	m.mu.Lock()
	fn := m.onChange
	m.mu.Unlock()
	if fn != nil {
		fn()
	}
}

// dropAll hangs up on every viewer and waits for them to be gone.
func (m *Monitor) dropAll() {
	m.mu.Lock()
	vs := make([]*monitorViewer, 0, len(m.viewers))
	for _, v := range m.viewers {
		vs = append(vs, v)
	}
	m.mu.Unlock()
	for _, v := range vs {
		v.drop()
	}
}

// drop ends the viewer's connection (its watcher then forgets it).
func (v *monitorViewer) drop() { v.once.Do(func() { close(v.gone) }) }

// close ends the monitor with the server.
func (m *Monitor) close() {
	m.mu.Lock()
	m.closed, m.on = true, false
	m.mu.Unlock()
	m.stop()
	m.dropAll()
	m.wg.Wait()
}

// ServeHTTP serves /watch/TOKEN (the page), POST /watch/TOKEN/whep (an
// offer) and DELETE /watch/TOKEN/whep/ID (leaving).
func (m *Monitor) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rest := strings.TrimPrefix(r.URL.Path, "/watch/")
	token, sub, _ := strings.Cut(rest, "/")
	m.mu.Lock()
	on, closed := m.on, m.closed
	valid := subtle.ConstantTimeCompare([]byte(token), []byte(m.token)) == 1
	m.mu.Unlock()
	switch {
	case !on || closed:
		http.Error(w, "The phone monitor is off: turn it on in onair.", http.StatusNotFound)
		return
	case !valid:
		http.Error(w, "This link was replaced: scan the new code in onair.", http.StatusForbidden)
		return
	}
	switch {
	case sub == "" && r.Method == http.MethodGet:
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Content-Security-Policy", "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; media-src 'self' blob:; frame-ancestors 'none'")
		w.Write(monitorPage)
	case sub == "whep" && r.Method == http.MethodPost:
		m.offer(w, r, token)
	case strings.HasPrefix(sub, "whep/") && r.Method == http.MethodDelete:
		m.mu.Lock()
		v := m.viewers[strings.TrimPrefix(sub, "whep/")]
		m.mu.Unlock()
		if v == nil {
			http.Error(w, "no such session", http.StatusNotFound)
			return
		}
		v.drop()
		w.WriteHeader(http.StatusOK)
	default:
		http.Error(w, "not here", http.StatusNotFound)
	}
}

// offer answers a page's offer with the program and keeps the viewer
// until it leaves, is dropped, or its connection fails.
func (m *Monitor) offer(w http.ResponseWriter, r *http.Request, token string) {
	if !sameOrigin(r) {
		http.Error(w, "offers come from onair's own page", http.StatusForbidden)
		return
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/sdp") {
		http.Error(w, "send the offer as application/sdp", http.StatusUnsupportedMediaType)
		return
	}
	offer, err := io.ReadAll(io.LimitReader(r.Body, 64<<10))
	if err != nil || !strings.HasPrefix(strings.TrimSpace(string(offer)), "v=0") {
		http.Error(w, "that is not an SDP offer", http.StatusBadRequest)
		return
	}
	feed := m.prog.Current()
	if feed == nil {
		w.Header().Set("Retry-After", "2")
		http.Error(w, "The show is not on air yet.", http.StatusServiceUnavailable)
		return
	}
	m.mu.Lock()
	full := len(m.viewers) >= maxMonitorViewers
	m.mu.Unlock()
	if full {
		w.Header().Set("Retry-After", "5")
		http.Error(w, fmt.Sprintf("Already %d viewers: close one of them first.", maxMonitorViewers), http.StatusServiceUnavailable)
		return
	}
	v, answer, err := m.answer(feed, string(offer), localRemote(r.RemoteAddr) && isLoopbackAddr(r.RemoteAddr))
	if errors.Is(err, ErrFeedEnded) {
		w.Header().Set("Retry-After", "2")
		http.Error(w, "The show is not on air yet.", http.StatusServiceUnavailable)
		return
	}
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	refuse := func(code int, msg string) {
		m.mu.Unlock()
		v.pc.Close()
		v.detach()
		http.Error(w, msg, code)
	}
	m.mu.Lock()
	switch {
	case m.closed || !m.on || subtle.ConstantTimeCompare([]byte(token), []byte(m.token)) != 1:
		refuse(http.StatusForbidden, "This link was replaced: scan the new code in onair.") // while answering
		return
	case feed != m.prog.Current():
		refuse(http.StatusServiceUnavailable, "The show is not on air yet.") // it ended while answering
		return
	case len(m.viewers) >= maxMonitorViewers:
		refuse(http.StatusServiceUnavailable, fmt.Sprintf("Already %d viewers: close one of them first.", maxMonitorViewers))
		return
	}
	m.next++
	id := strconv.Itoa(m.next)
	m.viewers[id] = v
	m.wg.Add(1)
	m.mu.Unlock()
	go m.watch(id, v, feed.Done())
	m.changed()
	w.Header().Set("Content-Type", "application/sdp")
	w.Header().Set("Location", "/watch/"+token+"/whep/"+id)
	w.WriteHeader(http.StatusCreated)
	io.WriteString(w, answer)
}

// watch holds the viewer until it is dropped, then closes its connection
// and forgets it.
func (m *Monitor) watch(id string, v *monitorViewer, ended <-chan struct{}) {
	defer m.wg.Done()
	select {
	case <-v.gone:
	case <-ended: // the show it watches ended (a drop may have missed it while it was being answered)
	}
	v.pc.Close()
	v.detach()
	m.mu.Lock()
	delete(m.viewers, id)
	m.mu.Unlock()
	m.changed()
}

// answer makes the viewer's PeerConnection: the feed's tracks to the
// page's receiving transceivers, nothing received.
func (m *Monitor) answer(feed *Feed, offer string, loopback bool) (*monitorViewer, string, error) {
	// A phone that goes away (locked, out of Wi-Fi) is dropped in seconds.
	pc, err := feed.newAnswerer(m.srv.cfg.ICEServers, loopback, 4*time.Second, nil)
	if err != nil {
		return nil, "", err
	}
	v := &monitorViewer{pc: pc, gone: make(chan struct{})}
	ok := false
	defer func() {
		if !ok {
			pc.Close()
			if v.detach != nil {
				v.detach()
			}
		}
	}()
	pc.OnConnectionStateChange(func(st pion.PeerConnectionState) {
		switch st {
		case pion.PeerConnectionStateConnected:
			feed.RequestKeyframe() // the page starts at once
		case pion.PeerConnectionStateFailed, pion.PeerConnectionStateClosed:
			v.drop()
		}
	})
	// A page that leaves says so (DTLS close): dropped at once.
	pc.SCTP().Transport().OnStateChange(func(st pion.DTLSTransportState) {
		if st == pion.DTLSTransportStateClosed || st == pion.DTLSTransportStateFailed {
			v.drop()
		}
	})
	if err := pc.SetRemoteDescription(pion.SessionDescription{Type: pion.SDPTypeOffer, SDP: offer}); err != nil {
		return nil, "", errors.New("onair could not read the page's offer")
	}
	v.detach, err = feed.Attach(pc)
	if errors.Is(err, ErrFeedEnded) {
		return nil, "", err
	}
	if err != nil {
		return nil, "", errors.New("this browser cannot receive the show (H.264 video, Opus sound)")
	}
	answer, err := pc.CreateAnswer(nil)
	if err != nil {
		return nil, "", errors.New("this browser's offer has no way to receive the show (H.264 video)")
	}
	gathered := pion.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(answer); err != nil {
		return nil, "", errors.New("onair could not answer the page")
	}
	select {
	case <-gathered:
	case <-time.After(5 * time.Second):
	}
	ok = true
	return v, pc.LocalDescription().SDP, nil
}
