package webrtc

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/base64"
	"image"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	pion "github.com/pion/webrtc/v4"

	"onair/capture"
	"onair/encoder"
	"onair/encoder/libav"
	"onair/internal/testpeer"
	"onair/outputs"
)

// onAir puts a live program on p: a goroutine encodes the test card (30
// fps, 640x360 H.264 Constrained Baseline, its clock strip on) and a tone
// (Opus) in real time
// and writes them to the program's feed, as the broadcast does. Keyframe
// requests from viewers reach the encoder. It stops (the feed ends, off
// air) with the returned function or the test.
func onAir(t *testing.T, p *Program) (offAir func()) {
	t.Helper()
	const w, h, fps = 640, 360, 30
	ve, err := libav.NewVideoEncoder(encoder.VideoConfig{Width: w, Height: h, FPS: fps, BitrateKbps: 1000, KeyframeSec: 2, Preset: "ultrafast", Profile: "baseline"})
	if err != nil {
		t.Fatal(err)
	}
	ae, err := libav.NewOpusEncoder(64)
	if err != nil {
		ve.Close()
		t.Fatal(err)
	}
	card, err := capture.NewTestCard(w, h, fps)
	if err != nil {
		t.Fatal(err)
	}
	card.Clock = true // the wall clock in its top rows: glass-to-glass latency
	conn := p.Connector().(interface {
		WithKeyframeRequests(func()) outputs.Connector
	}).WithKeyframeRequests(ve.RequestKeyframe)
	sink, err := conn.Connect(context.Background(), outputs.Target{}, []encoder.Stream{ve.Stream(), ae.Stream()})
	if err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer ae.Close()
		defer ve.Close()
		defer sink.Close()
		emit := func(pkt *encoder.Packet) {
			pkt.Composed = time.Now()
			sink.Write(pkt)
		}
		start := time.Now()
		var frames, samples int64
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			el := time.Since(start)
			for ; time.Duration(frames)*time.Second/fps <= el; frames++ {
				f, _ := card.Latest(time.Duration(frames) * time.Second / fps)
				err := ve.Encode(f, frames, time.Now(), emit)
				f.Release()
				if err != nil {
					t.Error(err)
					return
				}
			}
			for ; time.Duration(samples)*time.Second/capture.SampleRate <= el; samples += 960 {
				c := &capture.AudioChunk{Start: samples}
				for ch := range c.Samples {
					c.Samples[ch] = make([]float32, 960)
					for i := range c.Samples[ch] {
						c.Samples[ch][i] = float32(0.3 * math.Sin(2*math.Pi*440*float64(samples+int64(i))/capture.SampleRate))
					}
				}
				if err := ae.Encode(c, samples, time.Now(), emit); err != nil {
					t.Error(err)
					return
				}
			}
		}
	}()
	var once sync.Once
	offAir = func() { once.Do(func() { close(stop); <-done }) }
	t.Cleanup(offAir)
	return offAir
}

// privateShow serves a show over HTTPS on loopback, as onair's LAN server
// will; it and the server end with the test.
func privateShow(t *testing.T, cfg PrivateConfig) (*PrivateShow, *httptest.Server) {
	t.Helper()
	if cfg.NewDecoder == nil {
		cfg.NewDecoder = func(codec string) (VideoDecoder, error) { return libav.NewVideoDecoder(codec) }
	}
	if cfg.NewAudioDecoder == nil {
		cfg.NewAudioDecoder = func() (AudioDecoder, error) { return libav.NewOpusDecoder() }
	}
	cfg.Logf = t.Logf
	show := NewPrivateShow(cfg)
	mux := http.NewServeMux()
	mux.Handle("/show/", show)
	srv := httptest.NewTLSServer(mux)
	t.Cleanup(func() {
		show.Close()
		srv.Close()
	})
	return show, srv
}

// viewer opens the link in a headless Chromium with its fake camera (640x480)
// that trusts the test server's certificate.
func viewer(t *testing.T, srv *httptest.Server, link string) *testpeer.Chromium {
	t.Helper()
	spki := sha256.Sum256(srv.Certificate().RawSubjectPublicKeyInfo)
	return testpeer.StartChromium(t, link, testpeer.ChromiumDevTools(),
		testpeer.ChromiumFlags("--ignore-certificate-errors-spki-list="+base64.StdEncoding.EncodeToString(spki[:])))
}

// pageState is the page's window.show.
type pageState struct {
	State  string   `json:"state"`
	Text   string   `json:"text"`
	Errors []string `json:"errors"`
	Stats  *struct {
		Connection    string  `json:"connection"`
		FramesDecoded int     `json:"framesDecoded"`
		Width         int     `json:"width"`
		Height        int     `json:"height"`
		AudioEnergy   float64 `json:"audioEnergy"`
	} `json:"stats"`
}

func page(t *testing.T, c *testpeer.Chromium) pageState {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var s pageState
	if err := c.Eval(ctx, "window.show || {}", &s); err != nil {
		t.Logf("reading the page: %v", err)
	}
	return s
}

// The call itself: Chromium with its fake camera opens the link; onair
// decodes the viewer's camera at its size and the page decodes the
// program at its; the viewer's sound arrives. A second browser with the
// same link is refused, and says so. The page's Hang up ends the call on
// onair's side within 2 s.
func TestPrivateShowCall(t *testing.T) {
	p := &Program{}
	onAir(t, p)
	var tile atomic.Pointer[image.YCbCr]
	var changes, samples atomic.Int64
	show, srv := privateShow(t, PrivateConfig{Program: p,
		OnViewerAudio: func(l, r []float32) { samples.Add(int64(len(l))) },
		OnViewerFrame: func(img *image.YCbCr) { tile.Store(img) },
		OnChange:      func() { changes.Add(1) }})
	if s := show.State(); s != ShowNoLink {
		t.Fatalf("state %v before Open, want no link", s)
	}
	tok := show.Open()
	if len(tok) < 22 {
		t.Fatalf("token %q: want at least 128 bits", tok)
	}
	link := show.Link(srv.URL)
	chrome := viewer(t, srv, link)
	eventually(t, 20*time.Second, "the call connects", func() bool { return show.State() == ShowInCall })
	eventually(t, 15*time.Second, "onair decodes 60 pictures of the viewer's camera and the page 60 of the program", func() bool {
		st := show.Stats()
		return st.Received.FramesDecoded >= 60 && st.Viewer.FramesDecoded >= 60
	})
	st := show.Stats()
	t.Logf("onair received: %+v", st.Received)
	t.Logf("the viewer reports: %+v", st.Viewer)
	if st.Received.Width != 640 || st.Received.Height != 480 {
		t.Errorf("the viewer's camera decoded at %dx%d, want the fake camera's 640x480", st.Received.Width, st.Received.Height)
	}
	if img := tile.Load(); img == nil || img.Rect.Dx() != 640 {
		t.Errorf("the tile got %v", img)
	}
	if st.Viewer.Width != 640 || st.Viewer.Height != 360 {
		t.Errorf("the viewer decodes the program at %dx%d, want 640x360", st.Viewer.Width, st.Viewer.Height)
	}
	eventually(t, 5*time.Second, "the viewer's sound arrives and decodes, and the program's sound reaches them", func() bool {
		st := show.Stats()
		return st.Received.AudioDecoded > 50 && st.Viewer.AudioEnergy > 0 && samples.Load() >= 50*960
	})
	// Chromium's fake microphone beeps: the meter shows it.
	eventually(t, 3*time.Second, "the viewer's beep moves the meter", func() bool { return show.Stats().Received.AudioPeak > 0.05 })
	if pg := page(t, chrome); pg.State != "incall" || pg.Stats == nil || pg.Stats.FramesDecoded < 60 {
		t.Errorf("the page: %+v", pg)
	}

	// A second browser with the same link.
	second := viewer(t, srv, link)
	eventually(t, 15*time.Second, "the second browser is refused", func() bool { return page(t, second).State == "refused" })
	if pg := page(t, second); pg.Text != "This show already has its viewer." {
		t.Errorf("the second page says %q", pg.Text)
	}
	second.Stop()
	if s := show.State(); s != ShowInCall {
		t.Fatalf("the refused browser disturbed the call: %v", s)
	}

	// The viewer hangs up.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	clicked := time.Now()
	if err := chrome.Eval(ctx, `document.getElementById("hangup").click()`, nil); err != nil {
		t.Fatal(err)
	}
	eventually(t, 2*time.Second, "onair's side ends within 2 s of the viewer's Hang up", func() bool { return show.State() == ShowEnded })
	t.Logf("the viewer's Hang up → ended in onair after %v (%s)", time.Since(clicked).Round(time.Millisecond), show.Stats().Ended)
	if why := show.Stats().Ended; why != "the viewer hung up" {
		t.Errorf("ended because %q", why)
	}
	if pg := page(t, chrome); pg.State != "ended" {
		t.Errorf("the page after its Hang up: %+v", pg)
	}
	if changes.Load() < 3 {
		t.Errorf("%d OnChange calls, want at least waiting, in call, ended", changes.Load())
	}
}

// The performer hangs up: the page says the call ended within 2 s.
func TestPrivateShowPerformerHangsUp(t *testing.T) {
	p := &Program{}
	onAir(t, p)
	show, srv := privateShow(t, PrivateConfig{Program: p})
	show.Open()
	chrome := viewer(t, srv, show.Link(srv.URL))
	eventually(t, 20*time.Second, "the call connects and the page decodes the program", func() bool {
		return show.State() == ShowInCall && show.Stats().Viewer.FramesDecoded > 10
	})
	asked := time.Now()
	show.HangUp()
	eventually(t, 2*time.Second, "the page ends within 2 s of the performer's hang-up", func() bool { return page(t, chrome).State == "ended" })
	t.Logf("HangUp → the page ended after %v", time.Since(asked).Round(time.Millisecond))
	if pg := page(t, chrome); pg.Text != "The performer ended the show." {
		t.Errorf("the page says %q", pg.Text)
	}
	if s := show.Stats(); s.State != ShowEnded || s.Ended != "you hung up" {
		t.Errorf("onair: %v (%s)", s.State, s.Ended)
	}
}

// Off air, the page waits ("the show starts soon"); on air, the call
// starts by itself. A viewer whose browser dies ends the call within a few
// seconds.
func TestPrivateShowOffAirThenViewerVanishes(t *testing.T) {
	p := &Program{}
	show, srv := privateShow(t, PrivateConfig{Program: p})
	show.Open()
	chrome := viewer(t, srv, show.Link(srv.URL))
	eventually(t, 15*time.Second, "the page waits for the show", func() bool { return page(t, chrome).State == "waiting" })
	if pg := page(t, chrome); pg.Text != "The show starts soon." {
		t.Errorf("the waiting page says %q", pg.Text)
	}
	if s := show.State(); s != ShowWaiting {
		t.Errorf("onair's state while off air: %v", s)
	}
	onAir(t, p)
	eventually(t, 20*time.Second, "on air, the call starts and the page decodes the program", func() bool {
		return show.State() == ShowInCall && show.Stats().Viewer.FramesDecoded > 10
	})
	killed := time.Now()
	chrome.Kill()
	eventually(t, 5*time.Second, "a vanished viewer ends the call", func() bool { return show.State() == ShowEnded })
	t.Logf("viewer killed → ended after %v (%s)", time.Since(killed).Round(time.Millisecond), show.Stats().Ended)
}

// A malformed offer is an error in words to the page (no stack, no token),
// and the call ends with the reason for the performer: the page offers
// once, so a call left open would keep the link taken with nobody in it.
func TestPrivateShowMalformedOffer(t *testing.T) {
	p := &Program{}
	pr := encodeProgram(t, 1)
	sink, err := p.Connector().Connect(context.Background(), outputs.Target{}, pr.streams)
	if err != nil {
		t.Fatal(err)
	}
	defer sink.Close()
	show, srv := privateShow(t, PrivateConfig{Program: p})
	d := websocket.Dialer{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}
	for _, bad := range []string{"", "hello", "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\n"} {
		tok := show.Open()
		ws, _, err := d.Dial("wss"+strings.TrimPrefix(srv.URL, "https")+"/show/"+tok+"/ws", http.Header{"Origin": {srv.URL}})
		if err != nil {
			t.Fatal(err)
		}
		ws.SetReadDeadline(time.Now().Add(5 * time.Second))
		var m message
		for m.Type != "error" {
			if err := ws.ReadJSON(&m); err != nil {
				t.Fatalf("offer %q: %v", bad, err)
			}
			if m.Type == "config" {
				ws.WriteJSON(message{Type: "offer", SDP: bad})
			}
		}
		if m.Code != "offer" || strings.Contains(m.Text, tok) || strings.Contains(m.Text, "goroutine") || strings.Contains(m.Text, ".go:") {
			t.Errorf("offer %q: %+v", bad, m)
		}
		eventually(t, 2*time.Second, "the call ends", func() bool { return show.State() == ShowEnded })
		if why := show.Stats().Ended; !strings.Contains(why, "could not take the show") {
			t.Errorf("offer %q: ended because %q", bad, why)
		}
		t.Logf("offer %q → %q; the call ended: %s", bad, m.Text, show.Stats().Ended)
		ws.Close()
	}
}

// Bad input, no browser needed: a wrong token is refused without echoing
// it; a second signalling connection is refused; messages that are not
// ours change nothing; the call ends cleanly on the viewer's bye.
func TestPrivateShowBadInput(t *testing.T) {
	p := &Program{}
	pr := encodeProgram(t, 1)
	sink, err := p.Connector().Connect(context.Background(), outputs.Target{}, pr.streams)
	if err != nil {
		t.Fatal(err)
	}
	defer sink.Close()
	var logs strings.Builder
	var logMu sync.Mutex
	stun := []pion.ICEServer{{URLs: []string{"stun:stun.example.net:3478"}}}
	show, srv := privateShow(t, PrivateConfig{Program: p, ICEServers: stun})
	show.cfg.Logf = func(f string, a ...any) {
		logMu.Lock()
		defer logMu.Unlock()
		logs.WriteString(strings.TrimSpace(strings.ReplaceAll(f, "%v", "")) + "\n")
		t.Logf(f, a...)
	}
	tok := show.Open()
	client := srv.Client()

	get := func(path string) (int, string) {
		resp, err := client.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	for _, path := range []string{"/show/wrong-" + tok[:10], "/show/wrong-" + tok[:10] + "/ws", "/show/", "/show/" + tok + "x"} {
		code, body := get(path)
		if code != http.StatusForbidden || strings.Contains(body, tok[:10]) {
			t.Errorf("GET %s: %d %q, want 403 without the token", strings.ReplaceAll(path, tok, "TOKEN"), code, body)
		}
	}
	if code, body := get("/show/" + tok); code != 200 || !strings.Contains(body, "Hang up") {
		t.Errorf("the page: %d", code)
	}

	d := websocket.Dialer{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}
	wsURL := "wss" + strings.TrimPrefix(srv.URL, "https") + "/show/" + tok + "/ws"
	ws, _, err := d.Dial(wsURL, http.Header{"Origin": {srv.URL}})
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	read := func(c *websocket.Conn) message {
		t.Helper()
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		var m message
		if err := c.ReadJSON(&m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	if m := read(ws); m.Type != "config" || len(m.ICEServers) != 1 || m.ICEServers[0].URLs[0] != stun[0].URLs[0] {
		t.Fatalf("first message %+v, want config with the STUN server", m)
	}

	// The same link again: refused, over the WebSocket and over plain HTTP.
	ws2, _, err := d.Dial(wsURL, http.Header{"Origin": {srv.URL}})
	if err != nil {
		t.Fatal(err)
	}
	if m := read(ws2); m.Type != "error" || m.Code != "taken" || m.Text != "This show already has its viewer." {
		t.Errorf("second viewer got %+v", m)
	}
	ws2.Close()
	if code, body := get("/show/" + tok + "/ws"); code != http.StatusConflict {
		t.Errorf("a second viewer over plain HTTP: %d %q, want 409", code, body)
	}

	// Messages that are not ours change nothing.
	ws.WriteMessage(websocket.TextMessage, []byte("{not json"))
	ws.WriteMessage(websocket.TextMessage, []byte(`{"type":"stats","stats":{"width":"wide"}}`))
	ws.WriteMessage(websocket.BinaryMessage, []byte{0, 1, 2})
	time.Sleep(100 * time.Millisecond) // the messages are read (nothing to wait on: they change nothing)
	if s := show.State(); s != ShowWaiting {
		t.Errorf("after messages not ours the show is %v, want still waiting", s)
	}
	ws.WriteJSON(message{Type: "bye"})
	eventually(t, 2*time.Second, "the viewer's bye ends the call", func() bool { return show.State() == ShowEnded })
	// The link is used up.
	ws3, _, err := d.Dial(wsURL, http.Header{"Origin": {srv.URL}})
	if err != nil {
		t.Fatal(err)
	}
	if m := read(ws3); m.Code != "ended" {
		t.Errorf("after the call, the link gives %+v", m)
	}
	ws3.Close()
	logMu.Lock()
	defer logMu.Unlock()
	if strings.Contains(logs.String(), tok) {
		t.Errorf("the log shows the token:\n%s", logs.String())
	}
}

// A page whose person has not yet allowed the camera says nothing for a
// while: its browser's answers to our pings keep the link. A browser gone
// silent (not even pongs: its machine vanished) ends the call.
func TestPrivateShowSilentViewer(t *testing.T) {
	was := signallingTimeout
	t.Cleanup(func() { signallingTimeout = was }) // after the show's Close
	signallingTimeout = 400 * time.Millisecond
	show, srv := privateShow(t, PrivateConfig{Program: &Program{}})
	tok := show.Open()
	d := websocket.Dialer{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}
	ws, _, err := d.Dial("wss"+strings.TrimPrefix(srv.URL, "https")+"/show/"+tok+"/ws", http.Header{"Origin": {srv.URL}})
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	// Reading answers pings (gorilla's default handler), as a browser does.
	pongs := make(chan struct{})
	go func() {
		defer close(pongs)
		ws.SetReadDeadline(time.Now().Add(1500 * time.Millisecond))
		for {
			if _, _, err := ws.ReadMessage(); err != nil {
				return
			}
		}
	}()
	<-pongs // 1.5 s of silence but pongs: almost 4 timeouts
	if st := show.Stats(); st.State != ShowWaiting {
		t.Fatalf("a silent page answering pings: %v (%s)", st.State, st.Ended)
	}
	// Now not even pongs.
	eventually(t, 2*time.Second, "a page gone silent ends the call", func() bool { return show.State() == ShowEnded })
	if why := show.Stats().Ended; why != "the viewer left" {
		t.Errorf("ended because %q", why)
	}
}
