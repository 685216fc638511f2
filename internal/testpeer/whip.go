package testpeer

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	pion "github.com/pion/webrtc/v4"
)

// WHIPEndpoint is a WHIP server on loopback for benchmarks and tests that
// need a receiver lighter than a browser: a pion peer that answers each
// offer (with the interceptors a browser has: NACK, reports, transport-wide
// congestion feedback) and counts what arrives, without decoding.
type WHIPEndpoint struct {
	srv   *httptest.Server
	token string

	mu  sync.Mutex
	pcs []*pion.PeerConnection
	wg  sync.WaitGroup // the track readers

	// Frames counts video pictures (RTP packets with the marker bit),
	// VideoBytes and AudioPackets what came with them.
	Frames, VideoBytes, AudioPackets atomic.Int64
}

// StartWHIPEndpoint serves WHIP at URL(); it ends with the test.
func StartWHIPEndpoint(t T, token string) *WHIPEndpoint {
	t.Helper()
	e := &WHIPEndpoint{token: token}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /whip", e.offer)
	mux.HandleFunc("DELETE /whip/{id}", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusOK) })
	e.srv = httptest.NewServer(mux)
	t.Cleanup(e.Close)
	return e
}

// URL is the endpoint as an onair destination.
func (e *WHIPEndpoint) URL() string { return "whip+" + e.srv.URL + "/whip?token=" + e.token }

// Close stops the server and every session, and waits for their readers.
func (e *WHIPEndpoint) Close() {
	e.srv.Close()
	e.mu.Lock()
	pcs := e.pcs
	e.pcs = nil
	e.mu.Unlock()
	for _, pc := range pcs {
		pc.Close()
	}
	e.wg.Wait()
}

func (e *WHIPEndpoint) offer(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") != "Bearer "+e.token {
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	offer, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var se pion.SettingEngine
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	se.SetIncludeLoopbackCandidate(true)
	m := &pion.MediaEngine{}
	ir := &interceptor.Registry{}
	if err := m.RegisterDefaultCodecs(); err == nil {
		err = pion.RegisterDefaultInterceptors(m, ir)
	}
	pc, err := pion.NewAPI(pion.WithMediaEngine(m), pion.WithSettingEngine(se), pion.WithInterceptorRegistry(ir)).NewPeerConnection(pion.Configuration{})
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	e.mu.Lock()
	e.pcs = append(e.pcs, pc)
	n := len(e.pcs)
	e.wg.Add(1) // released by the track handler or, without tracks, at Close
	e.mu.Unlock()
	var once sync.Once
	done := func() { once.Do(e.wg.Done) }
	pc.OnConnectionStateChange(func(s pion.PeerConnectionState) {
		if s == pion.PeerConnectionStateClosed {
			done()
		}
	})
	pc.OnTrack(func(tr *pion.TrackRemote, _ *pion.RTPReceiver) {
		e.wg.Add(1)
		defer e.wg.Done()
		video := tr.Kind() == pion.RTPCodecTypeVideo
		for {
			p, _, err := tr.ReadRTP()
			if err != nil {
				return
			}
			switch {
			case !video:
				e.AudioPackets.Add(1)
			case p.Marker:
				e.Frames.Add(1)
				fallthrough
			default:
				e.VideoBytes.Add(int64(len(p.Payload)))
			}
		}
	})
	gathered := pion.GatheringCompletePromise(pc)
	if err := pc.SetRemoteDescription(pion.SessionDescription{Type: pion.SDPTypeOffer, SDP: string(offer)}); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	answer, err := pc.CreateAnswer(nil)
	if err == nil {
		err = pc.SetLocalDescription(answer)
	}
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	select {
	case <-gathered:
	case <-time.After(5 * time.Second):
	}
	w.Header().Set("Content-Type", "application/sdp")
	w.Header().Set("Location", "/whip/"+strconv.Itoa(n))
	w.WriteHeader(http.StatusCreated)
	io.WriteString(w, pc.LocalDescription().SDP)
}
