package webrtc

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	pion "github.com/pion/webrtc/v4"

	"onair/capture"
	"onair/internal/testpeer"
)

// monitorServer starts a server on a free loopback port with the monitor
// on; both end with the test.
func monitorServer(t *testing.T, p *Program, dir string) (*Server, *Monitor) {
	t.Helper()
	srv, err := NewServer(ServerConfig{Addr: "127.0.0.1:0", CertDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	m := srv.Monitor(p)
	m.Enable(true)
	t.Cleanup(func() { srv.Close() })
	return srv, m
}

// loopbackURL is the monitor's link on 127.0.0.1 (the test machine's LAN
// address may be anything).
func loopbackURL(srv *Server, m *Monitor) string {
	bases := srv.BaseURLs()
	return m.URLOn(bases[len(bases)-1])
}

// insecure is an HTTP client for the self-signed server.
func insecure() *http.Client {
	return &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}, Timeout: 10 * time.Second}
}

// whepViewer is a pion peer watching the monitor: it offers to receive,
// and counts pictures (RTP marker bits) and sound packets.
type whepViewer struct {
	pc             *pion.PeerConnection
	frames, sounds atomic.Int64
	location       string
}

func watch(t *testing.T, link string) (*whepViewer, *http.Response, string) {
	t.Helper()
	m := &pion.MediaEngine{}
	if err := m.RegisterDefaultCodecs(); err != nil {
		t.Fatal(err)
	}
	var se pion.SettingEngine
	se.SetIncludeLoopbackCandidate(true)
	pc, err := pion.NewAPI(pion.WithMediaEngine(m), pion.WithSettingEngine(se)).NewPeerConnection(pion.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	v := &whepViewer{pc: pc}
	t.Cleanup(func() { pc.Close() })
	for _, k := range []pion.RTPCodecType{pion.RTPCodecTypeVideo, pion.RTPCodecTypeAudio} {
		if _, err := pc.AddTransceiverFromKind(k, pion.RTPTransceiverInit{Direction: pion.RTPTransceiverDirectionRecvonly}); err != nil {
			t.Fatal(err)
		}
	}
	pc.OnTrack(func(tr *pion.TrackRemote, _ *pion.RTPReceiver) {
		for {
			p, _, err := tr.ReadRTP()
			if err != nil {
				return
			}
			if tr.Kind() == pion.RTPCodecTypeAudio {
				v.sounds.Add(1)
			} else if p.Marker {
				v.frames.Add(1)
			}
		}
	})
	offer, err := pc.CreateOffer(nil)
	if err != nil {
		t.Fatal(err)
	}
	gathered := pion.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(offer); err != nil {
		t.Fatal(err)
	}
	<-gathered
	resp, body := post(t, link+"/whep", "application/sdp", pc.LocalDescription().SDP)
	if resp.StatusCode == http.StatusCreated {
		v.location = resp.Header.Get("Location")
		if err := pc.SetRemoteDescription(pion.SessionDescription{Type: pion.SDPTypeAnswer, SDP: body}); err != nil {
			t.Fatal(err)
		}
	}
	return v, resp, body
}

func post(t *testing.T, url, ctype, body string) (*http.Response, string) {
	t.Helper()
	resp, err := insecure().Post(url, ctype, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(b)
}

func get(t *testing.T, url string) (*http.Response, string) {
	t.Helper()
	resp, err := insecure().Get(url)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(b)
}

// The monitor's answers to every kind of visitor: off, a wrong token (never
// echoed), off air, a broken offer, too many viewers; a Go viewer receives
// the program and is counted; a new link drops it within 2 s and refuses
// the old one; DELETE leaves.
func TestMonitorServesTheProgram(t *testing.T) {
	p := &Program{}
	srv, m := monitorServer(t, p, "")
	var changes atomic.Int64
	m.OnChange(func() { changes.Add(1) })
	link := loopbackURL(srv, m)
	base, token := link[:strings.LastIndex(link, "/")], link[strings.LastIndex(link, "/")+1:]

	if resp, body := get(t, link); resp.StatusCode != http.StatusOK || !strings.Contains(body, "RTCPeerConnection") {
		t.Fatalf("the page: %d", resp.StatusCode)
	} else if resp.Header.Get("Referrer-Policy") != "no-referrer" || resp.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("the page may leak its address: %v", resp.Header)
	}
	wrong := base + "/" + strings.Repeat("A", len(token))
	if resp, body := get(t, wrong); resp.StatusCode != http.StatusForbidden || strings.Contains(body, token) {
		t.Errorf("a wrong token: %d %q", resp.StatusCode, body)
	}
	if _, resp, body := watch(t, link); resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(body, "not on air") {
		t.Errorf("off air: %d %q", resp.StatusCode, body)
	}
	if resp, body := post(t, link+"/whep", "application/sdp", "hello"); resp.StatusCode != http.StatusBadRequest || strings.Contains(body, "hello") {
		t.Errorf("a broken offer: %d %q", resp.StatusCode, body)
	}
	if resp, _ := post(t, link+"/whep", "text/plain", "v=0"); resp.StatusCode != http.StatusUnsupportedMediaType {
		t.Errorf("not SDP: %d", resp.StatusCode)
	}

	onAir(t, p)
	v, resp, body := watch(t, link)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("on air: %d %q", resp.StatusCode, body)
	}
	eventually(t, 5*time.Second, "the viewer receives pictures and sound", func() bool { return v.frames.Load() >= 30 && v.sounds.Load() >= 25 })
	if n := m.Viewers(); n != 1 {
		t.Errorf("%d viewers counted, want 1", n)
	}
	// Four may watch; a fifth is told.
	for range maxMonitorViewers - 1 {
		if _, resp, _ := watch(t, link); resp.StatusCode != http.StatusCreated {
			t.Fatalf("another viewer: %d", resp.StatusCode)
		}
	}
	if _, resp, body := watch(t, link); resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(body, "Already 4 viewers") {
		t.Errorf("a fifth viewer: %d %q", resp.StatusCode, body)
	}

	before := changes.Load()
	rotated := time.Now()
	m.Rotate()
	eventually(t, 2*time.Second, "a new link drops the viewer", func() bool {
		s := v.pc.ConnectionState()
		return s == pion.PeerConnectionStateClosed || s == pion.PeerConnectionStateFailed || s == pion.PeerConnectionStateDisconnected
	})
	t.Logf("rotated: the viewer's connection %s after %v", v.pc.ConnectionState(), time.Since(rotated).Round(time.Millisecond))
	eventually(t, 2*time.Second, "nobody counted", func() bool { return m.Viewers() == 0 })
	if changes.Load() == before {
		t.Error("no change told")
	}
	if resp, _ := get(t, link); resp.StatusCode != http.StatusForbidden {
		t.Errorf("the old link after a new one: %d", resp.StatusCode)
	}
	// The new link: watch, then leave with DELETE.
	v2, resp, _ := watch(t, loopbackURL(srv, m))
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("the new link: %d", resp.StatusCode)
	}
	req, _ := http.NewRequest(http.MethodDelete, bases(srv)+v2.location, nil)
	if resp, err := insecure().Do(req); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("DELETE: %v %v", resp, err)
	}
	eventually(t, 2*time.Second, "the viewer left", func() bool { return m.Viewers() == 0 })

	m.Enable(false)
	if resp, _ := get(t, loopbackURL(srv, m)); resp.StatusCode != http.StatusNotFound {
		t.Errorf("off: %d", resp.StatusCode)
	}
}

func bases(srv *Server) string { b := srv.BaseURLs(); return b[len(b)-1] }

// Only this computer's networks are served.
func TestLocalRemote(t *testing.T) {
	for addr, want := range map[string]bool{
		"127.0.0.1:5000": true, "[::1]:5000": true, "192.168.1.20:1": true, "10.0.0.7:1": true,
		"172.16.3.4:1": true, "[fd12::1]:1": true, "[fe80::1%eth0]:1": true, "100.64.1.2:1": true,
		"8.8.8.8:53": false, "[2001:db8::1]:1": false, "203.0.113.9:1": false, "nonsense": false,
	} {
		if got := localRemote(addr); got != want {
			t.Errorf("%s: %v, want %v", addr, got, want)
		}
	}
}

// The certificate is kept: the same fingerprint on the next launch; a
// broken one is made again; the key file is the owner's only.
func TestServerCertificateKept(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "webrtc")
	a, err := NewServer(ServerConfig{CertDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	b, err := NewServer(ServerConfig{CertDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if a.Fingerprint() != b.Fingerprint() || len(strings.Split(a.Fingerprint(), ":")) != 32 {
		t.Errorf("fingerprints %s and %s", a.Fingerprint(), b.Fingerprint())
	}
	if fi, err := os.Stat(filepath.Join(dir, "key.pem")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("key file: %v %v", fi, err)
	}
	os.WriteFile(filepath.Join(dir, "cert.pem"), []byte("broken"), 0o644)
	c, err := NewServer(ServerConfig{CertDir: dir})
	if err != nil || c.Fingerprint() == a.Fingerprint() {
		t.Errorf("a broken certificate: %v, fingerprint %s", err, c.Fingerprint())
	}
}

// A port another program holds is said in words.
func TestServerPortTaken(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	srv, err := NewServer(ServerConfig{Addr: ln.Addr().String()})
	if err != nil {
		t.Fatal(err)
	}
	err = srv.Start()
	if err == nil || !strings.Contains(err.Error(), "is taken by another program") {
		t.Errorf("%v", err)
	}
	if errors.Is(err, syscall.EADDRINUSE) {
		t.Errorf("the error carries the system's: %v", err)
	}
	srv.Close()
}

// The phone monitor in a real browser: headless Chromium opens the link
// (trusting the server's certificate by its key, as a performer accepts the
// phone's warning); the video plays at the program's size; the test card's
// burned-in clock, read from each frame Chromium decodes, against the time
// the frame's last packet arrived: glass-to-glass ≤ 300 ms on loopback. A
// new link drops the page, which says the link was replaced.
func TestMonitorInChromium(t *testing.T) {
	p := &Program{}
	srv, m := monitorServer(t, p, "")
	onAir(t, p)
	c := testpeer.StartChromium(t, loopbackURL(srv, m), testpeer.ChromiumDevTools(),
		testpeer.ChromiumFlags("--ignore-certificate-errors-spki-list="+srv.SPKIHash()))
	eval := func(js string, out any) error {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return c.Eval(ctx, js, out)
	}
	var st struct {
		Status  string `json:"status"`
		Conn    string `json:"conn"`
		Decoded int    `json:"decoded"`
		W       int    `json:"w"`
		H       int    `json:"h"`
	}
	state := `(async () => {
		const s = {status: document.getElementById('status').textContent, conn: pc ? pc.connectionState : 'none', decoded: 0, w: 0, h: 0};
		if (pc) (await pc.getStats()).forEach((r) => { if (r.type === 'inbound-rtp' && r.kind === 'video') { s.decoded = r.framesDecoded || 0; s.w = r.frameWidth || 0; s.h = r.frameHeight || 0; } });
		return s;
	})()`
	eventually(t, 15*time.Second, "the page plays the program", func() bool {
		if err := eval(state, &st); err != nil {
			return false
		}
		return st.Conn == "connected" && st.Decoded >= 30
	})
	if st.W != 640 || st.H != 360 || !strings.HasPrefix(st.Status, "Live") {
		t.Errorf("the page: %+v, want 640x360 playing and saying so", st)
	}
	if n := m.Viewers(); n != 1 {
		t.Errorf("%d viewers counted, want 1", n)
	}
	// Each frame Chromium decodes: its clock strip against when it
	// arrived and when it was to be shown.
	mctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	lat, err := c.MeasureClock(mctx, "video", capture.ClockBits, 3*time.Second)
	cancel()
	if err != nil {
		t.Fatal(err)
	}
	if len(lat.Receive) < 60 {
		t.Fatalf("%d frames measured in 3 s (%d without a receive time)", len(lat.Receive), lat.Unread)
	}
	recv, disp := testpeer.Summary(lat.Receive), testpeer.Summary(lat.Display)
	t.Logf("glass-to-glass over %d frames: to receive min/median/max %.0f/%.0f/%.0f ms; to display %.0f/%.0f/%.0f ms",
		len(lat.Receive), recv[0], recv[1], recv[2], disp[0], disp[1], disp[2])
	if p := lat.Plausible(); p < 0.9 {
		t.Errorf("only %.0f %% of the frames' clock strips read as a plausible age", p*100)
	}
	if recv[1] > 300 {
		t.Errorf("glass-to-glass (to receive) median %.0f ms, want ≤ 300", recv[1])
	}
	if disp[1] > 1000 {
		t.Errorf("glass-to-glass (to display) median %.0f ms, want sub-second", disp[1])
	}

	m.Rotate()
	rotated := time.Now()
	eventually(t, 2*time.Second, "a new link drops the page", func() bool {
		return eval(state, &st) == nil && st.Conn != "connected"
	})
	t.Logf("the page left 'connected' %v after the new link (now %q)", time.Since(rotated).Round(time.Millisecond), st.Conn)
	eventually(t, 5*time.Second, "the page says its link was replaced", func() bool {
		return eval(state, &st) == nil && strings.Contains(st.Status, "link was replaced")
	})
	if n := m.Viewers(); n != 0 {
		t.Errorf("%d viewers after the new link, want 0", n)
	}
}

// The monitor answers the local network only; a route served open (the
// private show's) answers anyone.
func TestServerLocalOnly(t *testing.T) {
	srv, err := NewServer(ServerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusTeapot) })
	srv.Handle("/watch/", ok)
	srv.HandleOpen("/show/", ok)
	h := srv.guard(srv.mux)
	for _, c := range []struct {
		path, remote string
		want         int
	}{
		{"/watch/x", "192.168.1.9:5000", http.StatusTeapot},
		{"/watch/x", "203.0.113.9:5000", http.StatusForbidden},
		{"/show/x", "203.0.113.9:5000", http.StatusTeapot},
	} {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodGet, c.path, nil)
		req.RemoteAddr = c.remote
		h.ServeHTTP(rec, req)
		if rec.Code != c.want {
			t.Errorf("%s from %s: %d, want %d", c.path, c.remote, rec.Code, c.want)
		}
		if rec.Header().Get("Referrer-Policy") != "no-referrer" {
			t.Errorf("%s: no referrer policy", c.path)
		}
	}
}
