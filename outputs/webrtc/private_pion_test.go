package webrtc

import (
	"context"
	"crypto/tls"
	"encoding/binary"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/pion/ice/v4"
	"github.com/pion/rtcp"
	pion "github.com/pion/webrtc/v4"
	"github.com/pion/webrtc/v4/pkg/media"
)

// holeConn is a UDP socket that can stop carrying anything, either way:
// a viewer whose network vanished, with no goodbye.
type holeConn struct {
	net.PacketConn
	dead atomic.Bool
}

func (c *holeConn) ReadFrom(b []byte) (int, net.Addr, error) {
	for {
		n, a, err := c.PacketConn.ReadFrom(b)
		if err != nil || !c.dead.Load() {
			return n, a, err
		}
	}
}

func (c *holeConn) WriteTo(b []byte, a net.Addr) (int, error) {
	if c.dead.Load() {
		return len(b), nil
	}
	return c.PacketConn.WriteTo(b, a)
}

// vp8Frames makes n pictures of VP8 at 640x480, a keyframe every 10.
func vp8Frames(t *testing.T, n int) [][]byte {
	t.Helper()
	ffmpeg, err := exec.LookPath("ffmpeg")
	if err != nil {
		t.Skip("ffmpeg is not installed")
	}
	out := filepath.Join(t.TempDir(), "v.ivf")
	if b, err := exec.Command(ffmpeg, "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=640x480:rate=30", "-frames:v", strconv.Itoa(n),
		"-c:v", "libvpx", "-deadline", "realtime", "-g", "10", "-b:v", "500k", out).CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v\n%s", err, b)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var frames [][]byte
	for off := int(binary.LittleEndian.Uint16(b[6:])); off+12 <= len(b); {
		size := int(binary.LittleEndian.Uint32(b[off:]))
		frames = append(frames, b[off+12:off+12+size])
		off += 12 + size
	}
	return frames
}

// goViewer is a viewer's page played by pion: the test chooses what it
// sends (VP8) and can cut its network with no goodbye.
type goViewer struct {
	t              *testing.T
	ws             *websocket.Conn
	pc             *pion.PeerConnection
	cam            *pion.TrackLocalStaticSample
	hole           *holeConn
	plis           atomic.Int64
	programPackets atomic.Int64
	wg             sync.WaitGroup
	stopReports    context.CancelFunc
	msgs           chan message // what the page is told, read as it comes (as a browser does: pings answered)
}

// joinAsGoViewer connects to the link's signalling and sends an offer
// (VP8 camera, receiving video and sound); it returns once the answer is
// applied. Everything ends with the test.
func joinAsGoViewer(t *testing.T, srv *httptest.Server, tok string) *goViewer {
	t.Helper()
	v := &goViewer{t: t}
	d := websocket.Dialer{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}
	ws, _, err := d.Dial("wss"+strings.TrimPrefix(srv.URL, "https")+"/show/"+tok+"/ws", http.Header{"Origin": {srv.URL}})
	if err != nil {
		t.Fatal(err)
	}
	v.ws = ws
	v.msgs = make(chan message, 64)
	v.wg.Add(1)
	go func() {
		defer v.wg.Done()
		defer close(v.msgs)
		for {
			var m message
			if err := ws.ReadJSON(&m); err != nil {
				return
			}
			v.msgs <- m
		}
	}()
	m := &pion.MediaEngine{}
	if err := m.RegisterDefaultCodecs(); err != nil {
		t.Fatal(err)
	}
	udp, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	v.hole = &holeConn{PacketConn: udp}
	mux := ice.NewUDPMuxDefault(ice.UDPMuxParams{UDPConn: v.hole})
	var se pion.SettingEngine
	se.SetICEUDPMux(mux)
	se.SetIncludeLoopbackCandidate(true)
	se.SetNetworkTypes([]pion.NetworkType{pion.NetworkTypeUDP4})
	pc, err := pion.NewAPI(pion.WithMediaEngine(m), pion.WithSettingEngine(se)).NewPeerConnection(pion.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	v.pc = pc
	ctx, cancel := context.WithCancel(context.Background())
	v.stopReports = cancel
	t.Cleanup(func() {
		cancel()
		ws.Close()
		pc.Close()
		v.wg.Wait()
		mux.Close()
	})
	v.cam, err = pion.NewTrackLocalStaticSample(pion.RTPCodecCapability{MimeType: pion.MimeTypeVP8, ClockRate: 90000}, "video", "viewer")
	if err != nil {
		t.Fatal(err)
	}
	tr, err := pc.AddTransceiverFromTrack(v.cam, pion.RTPTransceiverInit{Direction: pion.RTPTransceiverDirectionSendrecv})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pc.AddTransceiverFromKind(pion.RTPCodecTypeAudio, pion.RTPTransceiverInit{Direction: pion.RTPTransceiverDirectionRecvonly}); err != nil {
		t.Fatal(err)
	}
	v.wg.Add(1)
	go func() {
		defer v.wg.Done()
		for {
			pkts, _, err := tr.Sender().ReadRTCP()
			if err != nil {
				return
			}
			for _, p := range pkts {
				if _, ok := p.(*rtcp.PictureLossIndication); ok {
					v.plis.Add(1)
				}
			}
		}
	}()
	pc.OnTrack(func(tr *pion.TrackRemote, _ *pion.RTPReceiver) {
		v.wg.Add(1)
		go func() {
			defer v.wg.Done()
			for {
				if _, _, err := tr.ReadRTP(); err != nil {
					return
				}
				if tr.Kind() == pion.RTPCodecTypeVideo {
					v.programPackets.Add(1)
				}
			}
		}()
	})
	if m := v.read(); m.Type != "config" {
		t.Fatalf("first message %+v", m)
	}
	offer, err := pc.CreateOffer(nil)
	if err != nil {
		t.Fatal(err)
	}
	gathered := pion.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(offer); err != nil {
		t.Fatal(err)
	}
	<-gathered
	if err := ws.WriteJSON(message{Type: "offer", SDP: pc.LocalDescription().SDP}); err != nil {
		t.Fatal(err)
	}
	answer := v.read()
	if answer.Type != "answer" {
		t.Fatalf("got %+v, want the answer", answer)
	}
	if err := pc.SetRemoteDescription(pion.SessionDescription{Type: pion.SDPTypeAnswer, SDP: answer.SDP}); err != nil {
		t.Fatal(err)
	}
	// A page reports once a second, which keeps the signalling alive; only
	// this goroutine writes to ws from here.
	v.wg.Add(1)
	go func() {
		defer v.wg.Done()
		tick := time.NewTicker(500 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				ws.WriteJSON(message{Type: "stats", Stats: &ViewerReport{Connection: "connected"}})
			}
		}
	}()
	return v
}

// read is the next signalling message to the viewer.
func (v *goViewer) read() message {
	v.t.Helper()
	select {
	case m, ok := <-v.msgs:
		if !ok {
			v.t.Fatal("the signalling closed")
		}
		return m
	case <-time.After(10 * time.Second):
		v.t.Fatal("no message in 10 s")
	}
	return message{}
}

// A viewer that sends VP8 (a Go peer here, so the test chooses what it
// sends): pictures that cannot be decoded (the first keyframe withheld)
// ask the viewer for a keyframe once, not once per picture; from the next
// keyframe on onair decodes their 640x480 VP8. Then the viewer's network
// vanishes with the signalling still open: the ICE timeouts end the call.
func TestPrivateShowPionViewerVP8(t *testing.T) {
	frames := vp8Frames(t, 60)
	p := &Program{}
	onAir(t, p)
	show, srv := privateShow(t, PrivateConfig{Program: p})
	v := joinAsGoViewer(t, srv, show.Open())
	eventually(t, 10*time.Second, "the call connects", func() bool { return show.State() == ShowInCall })
	for i, f := range frames {
		if i == 0 {
			continue // the keyframe withheld: what follows cannot be decoded
		}
		if err := v.cam.WriteSample(media.Sample{Data: f, Duration: time.Second / 30}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Second / 30) // pacing a live camera
	}
	eventually(t, 2*time.Second, "onair decodes the viewer's VP8 from the second keyframe on", func() bool {
		return show.Stats().Received.FramesDecoded >= 49
	})
	st := show.Stats().Received
	t.Logf("onair received: %+v; the viewer got %d PLIs and %d RTP packets of the program", st, v.plis.Load(), v.programPackets.Load())
	if st.VideoCodec != "VP8" || st.Width != 640 || st.Height != 480 {
		t.Errorf("received %s at %dx%d, want VP8 at 640x480", st.VideoCodec, st.Width, st.Height)
	}
	if st.DecodeErrors < 1 || st.KeyframeAsks != 1 || v.plis.Load() != 1 {
		t.Errorf("%d decode errors made %d keyframe asks (%d PLIs arrived), want some errors and 1 ask (1 a second at most)", st.DecodeErrors, st.KeyframeAsks, v.plis.Load())
	}
	if v.programPackets.Load() == 0 {
		t.Error("the viewer received none of the program")
	}

	lost := time.Now()
	v.hole.dead.Store(true)
	eventually(t, 8*time.Second, "a viewer whose network vanished ends the call", func() bool { return show.State() == ShowEnded })
	t.Logf("network gone → ended after %v (%s)", time.Since(lost).Round(time.Millisecond), show.Stats().Ended)
	if why := show.Stats().Ended; why != "the connection to the viewer was lost" {
		t.Errorf("ended because %q", why)
	}
	if m := v.read(); m.Type != "bye" || m.Text != "The connection was lost." {
		t.Errorf("the page was told %+v", m)
	}
}

// The show going off air mid-call ends the call, and the viewer is told.
func TestPrivateShowGoesOffAir(t *testing.T) {
	p := &Program{}
	offAir := onAir(t, p)
	show, srv := privateShow(t, PrivateConfig{Program: p})
	v := joinAsGoViewer(t, srv, show.Open())
	eventually(t, 10*time.Second, "the call connects and the program flows", func() bool {
		return show.State() == ShowInCall && v.programPackets.Load() > 0
	})
	offAir()
	eventually(t, 2*time.Second, "off air ends the call", func() bool { return show.State() == ShowEnded })
	if why := show.Stats().Ended; why != "the show went off air" {
		t.Errorf("ended because %q", why)
	}
	if m := v.read(); m.Type != "bye" || m.Text != "The show has ended." {
		t.Errorf("the viewer was told %+v", m)
	}
}

// A new link ends the old link's call and makes the old link invalid;
// the new one waits for its viewer.
func TestPrivateShowNewLink(t *testing.T) {
	p := &Program{}
	onAir(t, p)
	show, srv := privateShow(t, PrivateConfig{Program: p})
	old := show.Open()
	v := joinAsGoViewer(t, srv, old)
	eventually(t, 10*time.Second, "the call connects", func() bool { return show.State() == ShowInCall })
	tok := show.Open()
	if tok == old {
		t.Fatal("Open gave the same token twice")
	}
	if m := v.read(); m.Type != "bye" || m.Text != "The performer ended the show." {
		t.Errorf("the old viewer was told %+v", m)
	}
	time.Sleep(300 * time.Millisecond) // the old call's end must not touch the new link
	if st := show.Stats(); st.State != ShowWaiting {
		t.Errorf("the new link is %v (%s), want waiting", st.State, st.Ended)
	}
	resp, err := srv.Client().Get(srv.URL + "/show/" + old)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("the old link: %d, want 403", resp.StatusCode)
	}
	v2 := joinAsGoViewer(t, srv, tok)
	eventually(t, 10*time.Second, "the new link's viewer connects", func() bool { return show.State() == ShowInCall })
	show.HangUp()
	if m := v2.read(); m.Type != "bye" {
		t.Errorf("the new viewer was told %+v", m)
	}
	eventually(t, 2*time.Second, "hung up", func() bool { return show.State() == ShowEnded })
}
