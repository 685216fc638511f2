package webrtc

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/sdp/v3"
	pion "github.com/pion/webrtc/v4"

	"onair/encoder"
	"onair/outputs"
)

// Connector opens WHIP sessions.
type Connector struct {
	// OnKeyframeRequest is called when the receiver asks for a keyframe (a
	// PLI or FIR), at most once a second; it must not block.
	OnKeyframeRequest func()
	// Timeout bounds each step of connecting: the answer to our offer, then
	// ICE and DTLS. Default 10 s.
	Timeout time.Duration
	// ICEServers are the STUN and TURN servers to gather candidates from
	// (none: host candidates only).
	ICEServers []pion.ICEServer
}

// defaultTimeout is how long a WHIP server has to answer, and ICE to connect.
const defaultTimeout = 10 * time.Second

// deleteTimeout bounds the DELETE that ends the session.
const deleteTimeout = 5 * time.Second

// Connect offers H.264 and Opus to the WHIP endpoint, applies its answer and
// waits for the media path to be up.
func (c Connector) Connect(ctx context.Context, t outputs.Target, streams []encoder.Stream) (outputs.Sink, error) {
	if t.Protocol != outputs.WHIP {
		return nil, fmt.Errorf("whip: cannot send to %s", t.Protocol)
	}
	video, audio, err := pickStreams(streams)
	if err != nil {
		return nil, outputs.Permanent(err)
	}
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = defaultTimeout
	}
	red := outputs.NewRedactor(t)
	s := &sink{
		target: t, red: red, keys: keyLimiter{ask: c.OnKeyframeRequest}, lost: make(chan struct{}),
		http: &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()},
	}
	if video != nil {
		s.video = newTrackWriter(*video, 90000)
	}
	if audio != nil {
		s.audio = newTrackWriter(*audio, 48000)
	}
	if err := s.open(ctx, t, video, audio, timeout, c.ICEServers); err != nil {
		s.Close()
		return nil, err
	}
	// What was encoded while connecting is stale, and the destination skips
	// it up to a keyframe: ask for one now rather than wait for the next
	// regular one (seconds away) or the receiver's first PLI.
	s.connectedAt = time.Now()
	s.keyframeRequested()
	if s.video == nil {
		s.fresh = true // sound alone: nothing to wait for
	}
	return s, nil
}

func (s *sink) open(ctx context.Context, t outputs.Target, video, audio *encoder.Stream, timeout time.Duration, iceServers []pion.ICEServer) error {
	m, err := mediaEngine(video, audio)
	if err != nil {
		return fmt.Errorf("preparing WebRTC codecs: %w", err)
	}
	ir := &interceptor.Registry{}
	if err := pion.ConfigureNack(m, ir); err != nil {
		return fmt.Errorf("preparing WebRTC retransmission: %w", err)
	}
	if err := pion.ConfigureRTCPReports(ir); err != nil {
		return fmt.Errorf("preparing WebRTC reports: %w", err)
	}
	estimators, err := congestionControl(m, ir, video, audio)
	if err != nil {
		return fmt.Errorf("preparing WebRTC congestion control: %w", err)
	}
	var se pion.SettingEngine
	// No mDNS names: the server needs addresses, and an mDNS responder
	// would outlive nothing of ours but hold a socket while live.
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	se.SetNetworkTypes([]pion.NetworkType{pion.NetworkTypeUDP4, pion.NetworkTypeUDP6})
	se.SetICETimeouts(5*time.Second, timeout, 2*time.Second)
	if isLoopback(t.Host) {
		se.SetIncludeLoopbackCandidate(true)
	}
	api := pion.NewAPI(pion.WithMediaEngine(m), pion.WithInterceptorRegistry(ir), pion.WithSettingEngine(se))
	pc, err := api.NewPeerConnection(pion.Configuration{ICEServers: iceServers})
	if err != nil {
		return fmt.Errorf("starting WebRTC: %w", err)
	}
	s.pc = pc
	select {
	case s.bwe = <-estimators: // made with the PeerConnection
	default:
	}
	connected := make(chan struct{})
	var connectedOnce, lostOnce sync.Once
	pc.OnConnectionStateChange(func(st pion.PeerConnectionState) {
		// pion calls this on a goroutine of its own for each change.
		switch st {
		case pion.PeerConnectionStateConnected:
			connectedOnce.Do(func() { close(connected) })
		case pion.PeerConnectionStateFailed, pion.PeerConnectionStateClosed:
			lostOnce.Do(func() { close(s.lost) })
		}
	})
	for _, w := range []*trackWriter{s.video, s.audio} {
		if w == nil {
			continue
		}
		if err := w.add(pc); err != nil {
			return fmt.Errorf("adding the %s track: %w", w.stream.Kind, err)
		}
		s.wg.Add(1)
		go s.readRTCP(w)
	}

	offer, err := pc.CreateOffer(nil)
	if err != nil {
		return fmt.Errorf("creating the WebRTC offer: %w", err)
	}
	gathered := pion.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(offer); err != nil {
		return fmt.Errorf("applying the WebRTC offer: %w", err)
	}
	// Our candidates go in the offer (no trickle): on a LAN or loopback
	// gathering host candidates takes milliseconds.
	select {
	case <-gathered:
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(timeout):
		return fmt.Errorf("gathering this computer's network addresses took over %s", inWords(timeout))
	}
	answer, err := s.post(ctx, pc.LocalDescription().SDP, timeout)
	if err != nil {
		return err
	}
	if err := pc.SetRemoteDescription(pion.SessionDescription{Type: pion.SDPTypeAnswer, SDP: answer}); err != nil {
		return fmt.Errorf("the WHIP server's answer is not a usable SDP answer: %w", s.redacted(err))
	}
	// A media line the server refused would send nothing while the
	// destination looked live.
	if kind := refusedMedia(answer); kind != "" {
		what := "sound (Opus)"
		if kind == "video" {
			what = "pictures (H.264)"
		}
		return outputs.Permanent(fmt.Errorf("the WHIP server refused our %s: it takes other codecs than onair sends", what))
	}
	select {
	case <-connected:
		return nil
	case <-s.lost:
		return fmt.Errorf("could not reach the WHIP server %s over UDP (ICE failed): a firewall may block WebRTC", t.Host)
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(timeout):
		return fmt.Errorf("no media connection to the WHIP server %s in %s (ICE): a firewall may block UDP", t.Host, inWords(timeout))
	}
}

// post sends the offer and returns the answer; it remembers the session's
// resource (Location) for the DELETE.
func (s *sink) post(ctx context.Context, offer string, timeout time.Duration) (string, error) {
	endpoint, err := url.Parse(s.target.Endpoint())
	if err != nil {
		return "", fmt.Errorf("the WHIP endpoint %s is not a URL", s.target)
	}
	rctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, http.MethodPost, endpoint.String(), strings.NewReader(offer))
	if err != nil {
		return "", fmt.Errorf("preparing the offer to %s: %w", s.target, s.redacted(err))
	}
	req.Header.Set("Content-Type", "application/sdp")
	s.authorize(req)
	resp, err := s.http.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		if errors.Is(err, context.DeadlineExceeded) {
			return "", fmt.Errorf("no answer from the WHIP server %s in %s", s.target.Address(), inWords(timeout))
		}
		return "", fmt.Errorf("sending the offer to the WHIP server %s: %w", s.target.Address(), s.redacted(err))
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return "", fmt.Errorf("no answer from the WHIP server %s in %s", s.target.Address(), inWords(timeout))
		}
		return "", fmt.Errorf("reading the WHIP server's answer: %w", s.redacted(err))
	}
	switch {
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return "", outputs.Refused(fmt.Errorf("the WHIP server refused the token (%d) — check it in Destinations", resp.StatusCode))
	case resp.StatusCode != http.StatusCreated:
		return "", fmt.Errorf("the WHIP server answered %d %s instead of a session%s", resp.StatusCode, http.StatusText(resp.StatusCode), s.quote(body))
	}
	loc := resp.Header.Get("Location")
	if loc == "" {
		return "", errors.New("the WHIP server made a session but gave no Location to end it by: not a WHIP server?")
	}
	// Relative to where the offer landed: a redirect may have moved it.
	base := endpoint
	if resp.Request != nil && resp.Request.URL != nil {
		base = resp.Request.URL
	}
	res, err := base.Parse(loc)
	if err != nil {
		return "", errors.New("the WHIP server's Location for the session is not a URL")
	}
	s.resource = res.String()
	if !bytes.HasPrefix(bytes.TrimSpace(body), []byte("v=0")) {
		return "", fmt.Errorf("the WHIP server's answer is not an SDP answer%s", s.quote(body))
	}
	return string(body), nil
}

// quote is the start of what a server said, masked, for an error line.
func (s *sink) quote(body []byte) string {
	line, _, _ := strings.Cut(strings.TrimSpace(string(body)), "\n")
	if len(line) > 120 {
		line = line[:120] + "…"
	}
	if line == "" {
		return ""
	}
	return fmt.Sprintf(" (%q)", s.red.Redact(line))
}

func (s *sink) authorize(req *http.Request) {
	if s.target.Token != "" {
		req.Header.Set("Authorization", "Bearer "+s.target.Token)
	}
}

// redacted is err with every secret of the target masked in its words.
func (s *sink) redacted(err error) error {
	return redactedError{msg: s.red.Redact(err.Error()), err: err}
}

type redactedError struct {
	msg string
	err error
}

func (e redactedError) Error() string { return e.msg }
func (e redactedError) Unwrap() error { return e.err }

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// inWords is a duration as a performer reads it: "10 s", "0.3 s".
func inWords(d time.Duration) string {
	return strconv.FormatFloat(d.Seconds(), 'f', -1, 64) + " s"
}

// WithKeyframeRequests is c whose sessions pass keyframe requests to ask
// (the studio binds each WHIP destination to its own rendition's encoder).
func (c Connector) WithKeyframeRequests(ask func()) outputs.Connector {
	c.OnKeyframeRequest = ask
	return c
}

// refusedMedia is the kind ("video", "audio") of the first media line the
// answer refused (port 0, or inactive), or "".
func refusedMedia(answer string) string {
	var d sdp.SessionDescription
	if err := d.UnmarshalString(answer); err != nil {
		return ""
	}
	for _, m := range d.MediaDescriptions {
		if _, inactive := m.Attribute("inactive"); m.MediaName.Port.Value == 0 || inactive {
			return m.MediaName.Media
		}
	}
	return ""
}
