package webrtc

import (
	"crypto/rand"
	"crypto/subtle"
	_ "embed"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
	"github.com/pion/sdp/v3"
	pion "github.com/pion/webrtc/v4"
)

//go:embed private.html
var privatePage []byte

// ShowState is where a private show is. The zero value is invalid.
type ShowState int

const (
	_           ShowState = iota
	ShowNoLink            // no link yet: Open makes one
	ShowWaiting           // the link is out, its viewer has not come (or is connecting)
	ShowInCall            // the viewer is connected
	ShowEnded             // hung up, by either side, or the viewer vanished; the link is used up
)

func (s ShowState) String() string {
	switch s {
	case ShowNoLink:
		return "no link"
	case ShowWaiting:
		return "waiting"
	case ShowInCall:
		return "in call"
	case ShowEnded:
		return "ended"
	}
	return fmt.Sprintf("ShowState(%d)", int(s))
}

// PrivateConfig sets up a private one-to-one show.
type PrivateConfig struct {
	// Program is what the viewer watches.
	Program *Program
	// ICEServers are STUN and TURN servers for the call (none by default:
	// nothing relayed, the viewer connects to this machine directly).
	ICEServers []pion.ICEServer
	// NewDecoder decodes the viewer's camera (libav's VideoDecoder); nil:
	// their pictures are counted, not decoded.
	NewDecoder func(codec string) (VideoDecoder, error)
	// NewAudioDecoder decodes the viewer's microphone (libav's
	// OpusDecoder); nil: their sound is counted and its level read from
	// the packets' headers, not decoded.
	NewAudioDecoder func() (AudioDecoder, error)
	// OnViewerAudio gets the viewer's sound, 48 kHz stereo, a packet
	// (usually 20 ms) at a time. It must not block.
	OnViewerAudio func(l, r []float32)
	// OnViewerFrame gets each picture of the viewer's camera. It must not
	// block (the window's tile keeps the newest).
	OnViewerFrame func(*image.YCbCr)
	// OnChange is called when the state or the viewer's report changes. It
	// must not block.
	OnChange func()
	// Logf writes a log line (never a token); nil: none.
	Logf func(format string, args ...any)
}

// ViewerReport is what the viewer's page says it receives (once a second):
// how onair knows the viewer sees the show.
type ViewerReport struct {
	At            time.Time `json:"-"`          // when it arrived; zero before the first
	Connection    string    `json:"connection"` // the page's RTCPeerConnection.connectionState
	FramesDecoded int       `json:"framesDecoded"`
	Width         int       `json:"width"`
	Height        int       `json:"height"`
	AudioEnergy   float64   `json:"audioEnergy"` // the program's sound, as the page measures it
	CameraOn      bool      `json:"cameraOn"`    // the page sends its camera
}

// PrivateStats is the show at a glance.
type PrivateStats struct {
	State    ShowState
	Ended    string // why it ended, in words
	Viewer   ViewerReport
	Received ReceiveStats // the viewer's camera and microphone, as onair receives them
}

// PrivateShow is a private one-to-one show: the performer opens a link
// (a token), one viewer opens it in a browser, and the two exchange video
// and sound directly. The viewer receives the program; onair receives the
// viewer's camera and microphone. It is an http.Handler for "/show/".
//
// Only the signalling (offer, answer, the page's reports) passes through
// onair's HTTPS server; media goes browser to onair over DTLS-SRTP, relayed
// only if the performer configures a TURN server. One link, one viewer,
// one call: when it ends the link is used up, and Open makes a new one.
// Close it before the HTTP server (its WebSockets are hijacked connections
// the server does not wait for).
type PrivateShow struct {
	cfg PrivateConfig

	mu     sync.Mutex
	token  string
	state  ShowState
	ended  string
	call   *call
	viewer ViewerReport
	recv   *receiveCounters
	closed bool

	wg   sync.WaitGroup // the calls (their handlers)
	quit chan struct{}  // closed by Close
}

// NewPrivateShow makes a show with no link yet.
func NewPrivateShow(cfg PrivateConfig) *PrivateShow {
	if cfg.Logf == nil {
		cfg.Logf = func(string, ...any) {}
	}
	return &PrivateShow{cfg: cfg, state: ShowNoLink, recv: &receiveCounters{}, quit: make(chan struct{})}
}

// Open makes a new link token (128 random bits), ending the call of the
// previous link if there is one.
func (s *PrivateShow) Open() string {
	b := make([]byte, 16)
	rand.Read(b) // never fails (crypto/rand)
	s.mu.Lock()
	if s.call != nil {
		// The old link's call ends on its own; it no longer speaks for the show.
		s.call.end()
		s.call = nil
	}
	s.token = base64.RawURLEncoding.EncodeToString(b)
	s.state, s.ended, s.viewer, s.recv = ShowWaiting, "", ViewerReport{}, &receiveCounters{}
	tok := s.token
	s.mu.Unlock()
	s.changed()
	return tok
}

// Link is the viewer's address under base (say https://192.168.1.20:8443).
func (s *PrivateShow) Link(base string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.token == "" {
		return ""
	}
	return strings.TrimRight(base, "/") + "/show/" + s.token
}

// HangUp ends the call (the viewer's page says the performer ended it), or
// closes a link nobody has opened yet.
func (s *PrivateShow) HangUp() {
	s.mu.Lock()
	c := s.call
	changed := false
	if c == nil && s.state == ShowWaiting {
		s.state, s.ended, changed = ShowEnded, "you closed the link", true
	}
	s.mu.Unlock()
	if c != nil {
		c.end()
	}
	if changed {
		s.changed()
	}
}

// State is where the show is.
func (s *PrivateShow) State() ShowState {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.state
}

// Stats is the show's state, what the viewer reports, and what arrives
// from them.
func (s *PrivateShow) Stats() PrivateStats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return PrivateStats{State: s.state, Ended: s.ended, Viewer: s.viewer, Received: s.recv.snapshot()}
}

// Close ends the call and refuses new ones; it returns when everything the
// show started has stopped.
func (s *PrivateShow) Close() error {
	s.mu.Lock()
	if !s.closed {
		s.closed = true
		close(s.quit)
	}
	c := s.call
	s.mu.Unlock()
	if c != nil {
		c.end()
	}
	s.wg.Wait()
	return nil
}

func (s *PrivateShow) changed() {
	if s.cfg.OnChange != nil {
		s.cfg.OnChange()
	}
}

// ServeHTTP serves /show/{token} (the viewer's page) and /show/{token}/ws
// (its signalling). A token that is not the open link's is refused (403),
// without saying more.
func (s *PrivateShow) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rest, ok := strings.CutPrefix(r.URL.Path, "/show/")
	if !ok {
		http.NotFound(w, r)
		return
	}
	token, sub, _ := strings.Cut(rest, "/")
	s.mu.Lock()
	valid := s.token != "" && subtle.ConstantTimeCompare([]byte(token), []byte(s.token)) == 1
	s.mu.Unlock()
	if !valid {
		http.Error(w, "This show link is not valid. Ask the performer for a new one.", http.StatusForbidden)
		return
	}
	// The token is in the address: no page it links to may learn it.
	w.Header().Set("Referrer-Policy", "no-referrer")
	w.Header().Set("Cache-Control", "no-store")
	switch {
	case sub == "" && r.Method == http.MethodGet:
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Content-Security-Policy", "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; frame-ancestors 'none'")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Write(privatePage)
	case sub == "ws":
		s.serveSignalling(w, r, token)
	default:
		http.NotFound(w, r)
	}
}

// Refusals the page shows as they are.
const (
	msgTaken = "This show already has its viewer."
	msgEnded = "This show has ended."
)

var upgrader = websocket.Upgrader{HandshakeTimeout: 5 * time.Second}

func (s *PrivateShow) serveSignalling(w http.ResponseWriter, r *http.Request, token string) {
	s.mu.Lock()
	refuse := ""
	switch {
	case s.closed || s.token != token || s.state == ShowEnded:
		refuse = msgEnded
	case s.call != nil:
		refuse = msgTaken
	}
	if refuse != "" || !websocket.IsWebSocketUpgrade(r) {
		s.mu.Unlock()
		if refuse == "" {
			http.Error(w, "signalling is over a WebSocket", http.StatusBadRequest)
			return
		}
		s.refuse(w, r, refuse)
		return
	}
	c := &call{s: s, recv: s.recv, hangup: make(chan struct{}), lost: make(chan struct{}), connected: make(chan struct{}),
		in: make(chan message, 16), stop: make(chan struct{}), readDone: make(chan struct{}), loopback: isLoopbackAddr(r.RemoteAddr)}
	s.call = c
	s.wg.Add(1)
	s.mu.Unlock()
	defer s.wg.Done()

	ws, err := upgrader.Upgrade(w, r, nil)
	if err != nil { // the upgrader has answered; the link is free again
		s.mu.Lock()
		if s.call == c {
			s.call = nil
		}
		s.mu.Unlock()
		return
	}
	c.ws = ws
	reason := c.run()
	s.mu.Lock()
	if s.call == c {
		s.call = nil
		s.state, s.ended = ShowEnded, reason
	}
	s.mu.Unlock()
	s.cfg.Logf("private show: the call ended: %s", reason)
	s.changed()
}

// refuse tells a browser why it cannot join: over the WebSocket (so the
// page can say it), or as 409 to anything else.
func (s *PrivateShow) refuse(w http.ResponseWriter, r *http.Request, why string) {
	code := "taken"
	if why == msgEnded {
		code = "ended"
	}
	if !websocket.IsWebSocketUpgrade(r) {
		http.Error(w, why, http.StatusConflict)
		return
	}
	ws, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	defer ws.Close()
	ws.SetWriteDeadline(time.Now().Add(2 * time.Second))
	ws.WriteJSON(message{Type: "error", Code: code, Text: why})
	ws.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.ClosePolicyViolation, code))
}

// message is one signalling message, either way.
type message struct {
	Type       string           `json:"type"` // offer, answer, wait, bye, stats, error, config
	SDP        string           `json:"sdp,omitempty"`
	Text       string           `json:"text,omitempty"`
	Code       string           `json:"code,omitempty"`
	ICEServers []pion.ICEServer `json:"iceServers,omitempty"`
	Stats      *ViewerReport    `json:"stats,omitempty"`
}

// call is one viewer's connection: its WebSocket, then its PeerConnection.
// Its run loop owns both and writes to the WebSocket alone.
type call struct {
	s        *PrivateShow
	recv     *receiveCounters
	ws       *websocket.Conn
	loopback bool // the browser is on this machine: loopback candidates too

	hangup, lost, connected      chan struct{}
	hangOnce, lostOnce, connOnce sync.Once
	in                           chan message  // from the reader
	stop                         chan struct{} // closed when run ends: the reader gives up sending
	readDone                     chan struct{} // closed when the reader has stopped

	mu      sync.Mutex
	closing bool
	wg      sync.WaitGroup // the reader and the receivers
	pc      *pion.PeerConnection
	detach  func()
}

// end asks the call to hang up (the performer's side).
func (c *call) end() { c.hangOnce.Do(func() { close(c.hangup) }) }

// signallingTimeout is how long a page's WebSocket may stay silent: onair
// pings it four times as often, and a browser answers pings by itself
// (even while its person is still deciding to allow the camera), so only a
// browser that vanished without closing its connection stays silent.
var signallingTimeout = 10 * time.Second

// run carries the call from the page's offer to its end, and says why it
// ended. Everything it started has stopped when it returns.
func (c *call) run() string {
	c.wg.Add(1)
	go c.read()
	defer c.cleanup()
	if err := c.send(message{Type: "config", ICEServers: c.s.cfg.ICEServers}); err != nil {
		return "the viewer left"
	}
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	ping := time.NewTicker(signallingTimeout / 4)
	defer ping.Stop()
	connected := c.connected
	var offer string
	var feedDone <-chan struct{}
	waitSent, failed := false, false
	tryAnswer := func() {
		f := c.s.cfg.Program.Current()
		if f == nil {
			if !waitSent {
				waitSent = true
				c.send(message{Type: "wait", Text: "The show starts soon."})
			}
			return
		}
		sdpAnswer, err := c.answer(f, offer)
		if errors.Is(err, ErrFeedEnded) {
			return // the show ended meanwhile: answered when the next one starts
		}
		offer = ""
		if err != nil {
			c.s.cfg.Logf("private show: %v", err)
			c.send(message{Type: "error", Code: "offer", Text: err.Error()})
			failed = true // the page shows it and offers no more: the link must not stay taken
			return
		}
		feedDone = f.Done()
		c.send(message{Type: "answer", SDP: sdpAnswer})
	}
	for {
		select {
		case m, ok := <-c.in:
			if !ok {
				return "the viewer left"
			}
			switch m.Type {
			case "offer":
				if c.pc != nil {
					c.send(message{Type: "error", Code: "offer", Text: "You are already connected."})
					continue
				}
				offer = m.SDP
				if tryAnswer(); failed {
					return "the viewer's browser could not take the show"
				}
			case "stats":
				if m.Stats != nil {
					r := *m.Stats
					r.At = time.Now()
					c.s.mu.Lock()
					if c.s.call == c {
						c.s.viewer = r
					}
					c.s.mu.Unlock()
					c.s.changed()
				}
			case "bye":
				return "the viewer hung up"
			}
		case <-tick.C:
			if offer != "" && c.pc == nil {
				if tryAnswer(); failed {
					return "the viewer's browser could not take the show"
				}
			}
		case <-ping.C:
			c.ws.WriteControl(websocket.PingMessage, nil, time.Now().Add(time.Second))
		case <-connected:
			connected = nil
			c.s.mu.Lock()
			if c.s.call == c {
				c.s.state = ShowInCall
			}
			c.s.mu.Unlock()
			c.s.changed()
		case <-c.hangup:
			c.send(message{Type: "bye", Text: "The performer ended the show."})
			return "you hung up"
		case <-c.s.quit:
			c.send(message{Type: "bye", Text: "The performer ended the show."})
			return "onair closed the show"
		case <-c.lost:
			if c.byeWithin(300 * time.Millisecond) {
				return "the viewer hung up"
			}
			c.send(message{Type: "bye", Text: "The connection was lost."})
			return "the connection to the viewer was lost"
		case <-feedDone:
			c.send(message{Type: "bye", Text: "The show has ended."})
			return "the show went off air"
		}
	}
}

// byeWithin says whether the page's bye arrives within d: a page that hangs
// up says bye and closes its connection at once, and the closing may be
// seen first.
func (c *call) byeWithin(d time.Duration) bool {
	timeout := time.NewTimer(d)
	defer timeout.Stop()
	for {
		select {
		case m, ok := <-c.in:
			if !ok || m.Type == "bye" {
				return ok
			}
		case <-timeout.C:
			return false
		}
	}
}

func (c *call) send(m message) error {
	c.ws.SetWriteDeadline(time.Now().Add(2 * time.Second))
	return c.ws.WriteJSON(m)
}

// read passes the page's messages to run until the WebSocket closes or
// the page falls silent.
func (c *call) read() {
	defer c.wg.Done()
	defer close(c.readDone)
	defer close(c.in)
	c.ws.SetReadLimit(1 << 20) // an offer is a few kB
	c.ws.SetPongHandler(func(string) error { return c.ws.SetReadDeadline(time.Now().Add(signallingTimeout)) })
	for {
		c.ws.SetReadDeadline(time.Now().Add(signallingTimeout))
		_, b, err := c.ws.ReadMessage()
		if err != nil {
			return
		}
		var m message
		if json.Unmarshal(b, &m) != nil {
			continue // not a message of ours: ignored, the connection stays
		}
		select {
		case c.in <- m:
		case <-c.stop:
			// Ending: read on until the page answers our close (the
			// closing handshake), so our bye is not lost to a reset.
		}
	}
}

// cleanup ends the call on our side: the WebSocket, the PeerConnection,
// the feed's binding, and waits for the reader and the receivers.
func (c *call) cleanup() {
	close(c.stop)
	c.ws.SetWriteDeadline(time.Now().Add(time.Second))
	if c.ws.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, "")) == nil {
		select { // the page's answer to our close, or a second
		case <-c.readDone:
		case <-time.After(time.Second):
		}
	}
	c.ws.Close()
	c.mu.Lock()
	c.closing = true
	pc, detach := c.pc, c.detach
	c.mu.Unlock()
	if pc != nil {
		pc.Close()
	}
	if detach != nil {
		detach()
	}
	c.wg.Wait()
}

// answer makes the PeerConnection for the page's offer: the program's
// tracks on the page's receiving transceivers, the page's camera and
// microphone received. The error is in words for the page.
func (c *call) answer(f *Feed, offer string) (string, error) {
	// The viewer's camera: VP8 or H.264 (the feed's line carries theirs
	// too), and the level in their sound's headers.
	theirs := func(m *pion.MediaEngine) error {
		if err := m.RegisterCodec(pion.RTPCodecParameters{
			RTPCodecCapability: pion.RTPCodecCapability{MimeType: pion.MimeTypeVP8, ClockRate: 90000,
				RTCPFeedback: []pion.RTCPFeedback{{Type: "nack"}, {Type: "nack", Parameter: "pli"}, {Type: "ccm", Parameter: "fir"}}},
			PayloadType: 96,
		}, pion.RTPCodecTypeVideo); err != nil {
			return fmt.Errorf("preparing VP8: %w", err)
		}
		if err := m.RegisterHeaderExtension(pion.RTPHeaderExtensionCapability{URI: sdp.AudioLevelURI}, pion.RTPCodecTypeAudio); err != nil {
			return fmt.Errorf("preparing the audio level: %w", err)
		}
		return nil
	}
	// A vanished browser ends the call within seconds.
	pc, err := f.newAnswerer(c.s.cfg.ICEServers, c.loopback, 3*time.Second, theirs)
	if err != nil {
		return "", err
	}
	var detach func()
	ok := false
	defer func() {
		if !ok { // a failed answer leaves nothing behind: the page may offer again
			pc.Close()
			if detach != nil {
				detach()
			}
		}
	}()
	// Only the call's own PeerConnection speaks for it: one from an offer
	// that failed closes without ending the call.
	mine := func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		return c.pc == pc
	}
	lost := func() {
		if mine() {
			c.lostOnce.Do(func() { close(c.lost) })
		}
	}
	pc.OnConnectionStateChange(func(st pion.PeerConnectionState) {
		switch st {
		case pion.PeerConnectionStateConnected:
			f.RequestKeyframe() // the viewer starts at once
			c.connOnce.Do(func() { close(c.connected) })
		case pion.PeerConnectionStateFailed:
			lost()
		}
	})
	// A browser closing its connection says so (DTLS close_notify): the
	// call ends at once rather than after the ICE timeouts.
	pc.SCTP().Transport().OnStateChange(func(st pion.DTLSTransportState) {
		if st == pion.DTLSTransportStateClosed || st == pion.DTLSTransportStateFailed {
			lost()
		}
	})
	pc.OnTrack(func(t *pion.TrackRemote, r *pion.RTPReceiver) {
		c.mu.Lock()
		defer c.mu.Unlock()
		if c.closing {
			return
		}
		c.wg.Add(1)
		go func() {
			defer c.wg.Done()
			if t.Kind() == pion.RTPCodecTypeVideo {
				receiveVideo(pc, t, c.s.cfg.NewDecoder, c.s.cfg.OnViewerFrame, c.recv, c.s.cfg.Logf)
				return
			}
			ext := 0
			for _, h := range r.GetParameters().HeaderExtensions {
				if h.URI == sdp.AudioLevelURI {
					ext = h.ID
				}
			}
			receiveAudio(t, ext, c.s.cfg.NewAudioDecoder, c.s.cfg.OnViewerAudio, c.recv, c.s.cfg.Logf)
		}()
	})
	if err := pc.SetRemoteDescription(pion.SessionDescription{Type: pion.SDPTypeOffer, SDP: offer}); err != nil {
		c.s.cfg.Logf("private show: the viewer's offer: %v", err)
		return "", errors.New("onair could not read your browser's offer — reload the page, or try another browser")
	}
	detach, err = f.Attach(pc)
	if errors.Is(err, ErrFeedEnded) {
		return "", err // the show ended a moment ago: the caller waits for the next
	}
	if err != nil {
		c.s.cfg.Logf("private show: binding the program: %v", err)
		return "", errors.New("your browser cannot receive the show (H.264 video, Opus sound) — try another browser")
	}
	answer, err := pc.CreateAnswer(nil)
	if err != nil {
		c.s.cfg.Logf("private show: answering: %v", err)
		return "", errors.New("your browser's offer has no way to receive the show (H.264 video) — try another browser")
	}
	gathered := pion.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(answer); err != nil {
		c.s.cfg.Logf("private show: answering: %v", err)
		return "", errors.New("onair could not answer your browser — reload the page")
	}
	select {
	case <-gathered:
	case <-time.After(5 * time.Second):
	}
	// From here cleanup closes pc, then detaches.
	c.mu.Lock()
	c.pc, c.detach = pc, detach
	c.mu.Unlock()
	ok = true
	return pc.LocalDescription().SDP, nil
}

func isLoopbackAddr(hostport string) bool {
	host, _, err := net.SplitHostPort(hostport)
	if err != nil {
		return false
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
