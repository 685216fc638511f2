package webrtc

import (
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/asticode/go-astiav"
	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
	pion "github.com/pion/webrtc/v4"
	"github.com/pion/webrtc/v4/pkg/media/samplebuilder"
)

// endpoint is a WHIP server in the test process: a real pion peer that
// answers the offer and counts what arrives.
type endpoint struct {
	t     *testing.T
	srv   *httptest.Server
	token string
	// answer, when set, replaces the real answer (a broken server);
	// rewrite, when set, changes the real one.
	answer  string
	rewrite func(string) string

	mu      sync.Mutex
	pcs     []*pion.PeerConnection
	auth    []string
	deleted []string
	video   *pion.TrackRemote

	frames, videoPackets, audioPackets atomic.Int64
	paramSets                          atomic.Int64 // RTP packets carrying an SPS (alone or in STAP-A)
	decoded                            atomic.Int64 // pictures FFmpeg's H.264 decoder made of what arrived
	width, height                      atomic.Int64 // of the last decoded picture
}

func newEndpoint(t *testing.T, token string) *endpoint {
	e := &endpoint{t: t, token: token}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /whip", e.offer)
	mux.HandleFunc("DELETE /whip/session/{id}", func(w http.ResponseWriter, r *http.Request) {
		e.mu.Lock()
		e.deleted = append(e.deleted, r.URL.Path)
		pcs := e.pcs
		e.mu.Unlock()
		for _, pc := range pcs {
			pc.Close()
		}
		w.WriteHeader(http.StatusOK)
	})
	e.srv = httptest.NewServer(mux)
	t.Cleanup(e.close)
	return e
}

func (e *endpoint) close() {
	e.srv.Close()
	e.mu.Lock()
	pcs := e.pcs
	e.mu.Unlock()
	for _, pc := range pcs {
		pc.Close()
	}
}

// url is the endpoint as a destination URL with the given token.
func (e *endpoint) url(token string) string {
	u := "whip+" + e.srv.URL + "/whip"
	if token != "" {
		u += "?token=" + token
	}
	return u
}

func (e *endpoint) offer(w http.ResponseWriter, r *http.Request) {
	e.mu.Lock()
	e.auth = append(e.auth, r.Header.Get("Authorization"))
	e.mu.Unlock()
	if r.Header.Get("Authorization") != "Bearer "+e.token {
		http.Error(w, "bad token", http.StatusUnauthorized)
		return
	}
	if r.Header.Get("Content-Type") != "application/sdp" {
		http.Error(w, "not SDP", http.StatusUnsupportedMediaType)
		return
	}
	offer, _ := io.ReadAll(r.Body)
	if e.answer != "" {
		w.Header().Set("Location", "/whip/session/broken")
		w.Header().Set("Content-Type", "application/sdp")
		w.WriteHeader(http.StatusCreated)
		io.WriteString(w, e.answer)
		return
	}
	var se pion.SettingEngine
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	se.SetIncludeLoopbackCandidate(true)
	m := &pion.MediaEngine{}
	if err := m.RegisterDefaultCodecs(); err != nil {
		e.t.Error(err)
		return
	}
	// NACKs, reports and transport-wide congestion feedback, as a browser sends.
	ir := &interceptor.Registry{}
	if err := pion.RegisterDefaultInterceptors(m, ir); err != nil {
		e.t.Error(err)
		return
	}
	pc, err := pion.NewAPI(pion.WithMediaEngine(m), pion.WithSettingEngine(se), pion.WithInterceptorRegistry(ir)).NewPeerConnection(pion.Configuration{})
	if err != nil {
		e.t.Error(err)
		return
	}
	e.mu.Lock()
	e.pcs = append(e.pcs, pc)
	e.mu.Unlock()
	pc.OnTrack(func(tr *pion.TrackRemote, _ *pion.RTPReceiver) {
		// Returns once its PeerConnection closes (goleak checks).
		if tr.Kind() == pion.RTPCodecTypeVideo {
			e.mu.Lock()
			e.video = tr
			e.mu.Unlock()
		}
		var dec *decoder
		if tr.Kind() == pion.RTPCodecTypeVideo {
			dec = newDecoder(e)
			defer dec.close()
		}
		for {
			p, _, err := tr.ReadRTP()
			if err != nil {
				return
			}
			if dec != nil {
				dec.push(p)
			}
			if tr.Kind() == pion.RTPCodecTypeAudio {
				e.audioPackets.Add(1)
				continue
			}
			e.videoPackets.Add(1)
			if p.Marker {
				e.frames.Add(1) // the last packet of an access unit
			}
			if len(p.Payload) > 0 {
				switch p.Payload[0] & 0x1f {
				case 7:
					e.paramSets.Add(1)
				case 24: // STAP-A: the first aggregated unit's header after its length
					if len(p.Payload) > 3 && p.Payload[3]&0x1f == 7 {
						e.paramSets.Add(1)
					}
				}
			}
		}
	})
	if err := pc.SetRemoteDescription(pion.SessionDescription{Type: pion.SDPTypeOffer, SDP: string(offer)}); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	answer, err := pc.CreateAnswer(nil)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	gathered := pion.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(answer); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	<-gathered
	w.Header().Set("Location", "/whip/session/1")
	w.Header().Set("Content-Type", "application/sdp")
	w.WriteHeader(http.StatusCreated)
	sdp := pc.LocalDescription().SDP
	if e.rewrite != nil {
		sdp = e.rewrite(sdp)
	}
	io.WriteString(w, sdp)
}

// pli asks the sender for a keyframe, as a browser does when it cannot decode.
func (e *endpoint) pli() error {
	e.mu.Lock()
	pc, tr := e.pcs[len(e.pcs)-1], e.video
	e.mu.Unlock()
	return pc.WriteRTCP([]rtcp.Packet{&rtcp.PictureLossIndication{MediaSSRC: uint32(tr.SSRC())}})
}

func (e *endpoint) deletes() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]string(nil), e.deleted...)
}

// eventually polls cond every 10 ms until it holds or d has passed.
func eventually(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after %v: %s", d, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// decoder reassembles pictures from RTP as a browser does (pion's sample
// builder) and decodes them with FFmpeg's H.264 decoder.
type decoder struct {
	e   *endpoint
	sb  *samplebuilder.SampleBuilder
	cc  *astiav.CodecContext
	pkt *astiav.Packet
	f   *astiav.Frame
}

func newDecoder(e *endpoint) *decoder {
	c := astiav.FindDecoder(astiav.CodecIDH264)
	d := &decoder{e: e, sb: samplebuilder.New(512, &codecs.H264Packet{}, 90000), cc: astiav.AllocCodecContext(c), pkt: astiav.AllocPacket(), f: astiav.AllocFrame()}
	if err := d.cc.Open(c, nil); err != nil {
		e.t.Error(err)
	}
	return d
}

func (d *decoder) push(p *rtp.Packet) {
	d.sb.Push(p)
	for s := d.sb.Pop(); s != nil; s = d.sb.Pop() {
		if err := d.pkt.FromData(s.Data); err != nil {
			d.e.t.Error(err)
			return
		}
		err := d.cc.SendPacket(d.pkt)
		d.pkt.Unref()
		if err != nil {
			continue // a picture that cannot be decoded is not counted
		}
		for d.cc.ReceiveFrame(d.f) == nil {
			d.e.decoded.Add(1)
			d.e.width.Store(int64(d.f.Width()))
			d.e.height.Store(int64(d.f.Height()))
			d.f.Unref()
		}
	}
}

func (d *decoder) close() {
	d.f.Free()
	d.pkt.Free()
	d.cc.Free()
}
