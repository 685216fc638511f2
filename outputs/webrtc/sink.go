package webrtc

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/interceptor/pkg/cc"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
	pion "github.com/pion/webrtc/v4"

	"onair/encoder"
	"onair/outputs"
)

// sink is one WHIP session.
type sink struct {
	target   outputs.Target
	red      *outputs.Redactor
	http     *http.Client
	pc       *pion.PeerConnection
	resource string // the session's URL, to DELETE
	video    *trackWriter
	audio    *trackWriter
	keys     keyLimiter
	// bwe estimates what the link carries from the receiver's
	// transport-wide feedback (Google congestion control).
	bwe cc.BandwidthEstimator
	// lost is closed when the connection fails or closes.
	lost chan struct{}
	// wg counts the RTCP readers; pc.Close ends them.
	wg sync.WaitGroup

	// connectedAt is when the media path came up; fresh says a keyframe
	// composed after it has been sent (the destination's goroutine only).
	connectedAt time.Time
	fresh       bool

	closed    atomic.Bool
	closeOnce sync.Once
	closeErr  error
}

// keyframeEvery is the least time between two keyframe requests passed on:
// a receiver repeats its PLI until a keyframe arrives, and each keyframe
// costs several pictures' worth of bits.
const keyframeEvery = time.Second

// staleBacklog is how long before the connection came up a packet may have
// been composed and still be sent: pictures the encoder held as it was asked
// for a keyframe (a few frames), not the queue's backlog (seconds).
const staleBacklog = 300 * time.Millisecond

// ErrConnectionLost is a WHIP session whose media path failed.
var ErrConnectionLost = errors.New("the WebRTC connection was lost")

// ErrClosed is a Write after Close.
var ErrClosed = errors.New("the WHIP session has ended")

// Write sends one packet as RTP.
func (s *sink) Write(p *encoder.Packet) (int, error) {
	if s.closed.Load() {
		return 0, fmt.Errorf("%s: %w", s.target, ErrClosed)
	}
	select {
	case <-s.lost:
		return 0, fmt.Errorf("%s: %w", s.target, ErrConnectionLost)
	default:
	}
	// What the queue kept while we connected is stale: skip it, pictures up
	// to the keyframe asked for on connecting (a burst of old pictures
	// would only fill the receiver's jitter buffer).
	if !s.fresh && !p.Composed.IsZero() {
		// A keyframe composed just before the connection came up is the
		// one asked for on connecting (the encoder had the picture in
		// hand): fresh enough. Older is the backlog.
		if p.Composed.Before(s.connectedAt.Add(-staleBacklog)) || (p.Kind == encoder.Video && !p.Key) {
			return len(p.Data), nil
		}
		if p.Kind == encoder.Video {
			s.fresh = true
		}
	}
	s.keys.tick()
	w := s.video
	if p.Kind == encoder.Audio {
		w = s.audio
	}
	if w == nil {
		return 0, nil
	}
	return w.write(p)
}

// LinkKbps is what the receiver's congestion feedback says the link
// carries now, in kb/s (before any feedback, the rendition's rate and a
// quarter): the studio's dynamic bitrate follows it.
func (s *sink) LinkKbps() int {
	if s.bwe == nil {
		return 0
	}
	return s.bwe.GetTargetBitrate() / 1000
}

// Close ends the session: DELETE on its resource, then the PeerConnection,
// then waits for the RTCP readers. It is safe to call more than once.
func (s *sink) Close() error {
	s.closed.Store(true)
	s.closeOnce.Do(func() {
		if s.resource != "" {
			s.closeErr = s.delete()
		}
		if s.pc != nil {
			if err := s.pc.Close(); err != nil && s.closeErr == nil {
				s.closeErr = fmt.Errorf("closing WebRTC: %w", s.redacted(err))
			}
		}
		s.wg.Wait()
		s.http.CloseIdleConnections()
	})
	return s.closeErr
}

func (s *sink) delete() error {
	ctx, cancel := context.WithTimeout(context.Background(), deleteTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodDelete, s.resource, nil)
	if err != nil {
		return fmt.Errorf("ending the WHIP session: %w", s.redacted(err))
	}
	s.authorize(req)
	resp, err := s.http.Do(req)
	if err != nil {
		return fmt.Errorf("ending the WHIP session on %s: %w", s.target.Address(), s.redacted(err))
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 && resp.StatusCode != http.StatusNotFound {
		return fmt.Errorf("the WHIP server answered %d %s to ending the session", resp.StatusCode, http.StatusText(resp.StatusCode))
	}
	return nil
}

// readRTCP drains a sender's RTCP (the interceptors need it read) and
// passes keyframe requests on, until the PeerConnection closes.
func (s *sink) readRTCP(w *trackWriter) {
	defer s.wg.Done()
	for {
		pkts, _, err := w.sender.ReadRTCP()
		if err != nil {
			return
		}
		for _, p := range pkts {
			switch p.(type) {
			case *rtcp.PictureLossIndication, *rtcp.FullIntraRequest:
				s.keyframeRequested()
			}
		}
	}
}

func (s *sink) keyframeRequested() { s.keys.request() }

// keyLimiter passes keyframe requests on to ask at most once per
// keyframeEvery. A request inside the interval is not lost: it is passed on
// when the interval is over, by the next packet's tick (a PLI soon after
// the keyframe asked on connecting would otherwise go unanswered).
type keyLimiter struct {
	ask     func()
	mu      sync.Mutex
	last    time.Time
	pending atomic.Bool
}

func (k *keyLimiter) request() {
	if k.ask == nil {
		return
	}
	k.mu.Lock()
	now := time.Now()
	due := k.last.IsZero() || now.Sub(k.last) >= keyframeEvery
	if due {
		k.last = now
		k.pending.Store(false)
	} else {
		k.pending.Store(true)
	}
	k.mu.Unlock()
	if due {
		k.ask()
	}
}

// tick passes on a request held back, once its interval is over. It is
// called for every packet sent: cheap when nothing waits.
func (k *keyLimiter) tick() {
	if !k.pending.Load() {
		return
	}
	k.mu.Lock()
	due := time.Since(k.last) >= keyframeEvery && k.pending.Swap(false)
	if due {
		k.last = time.Now()
	}
	k.mu.Unlock()
	if due {
		k.ask()
	}
}

// trackWriter turns one stream's packets into RTP on one track, stamped
// from the packets' own timestamps (a skipped picture leaves its gap).
type trackWriter struct {
	stream    encoder.Stream
	clockRate int64
	track     *pion.TrackLocalStaticRTP
	sender    *pion.RTPSender
	packetize rtp.Packetizer
	base      uint32 // RTP timestamp of media time zero, random as RFC 3550 asks
}

func newTrackWriter(st encoder.Stream, clockRate int64) *trackWriter {
	return &trackWriter{stream: st, clockRate: clockRate}
}

// newTrack makes the writer's track and packetizer; the track may then be
// bound to any number of PeerConnections.
func (w *trackWriter) newTrack() error {
	var err error
	var payloader rtp.Payloader = &codecs.OpusPayloader{}
	capab := pion.RTPCodecCapability{MimeType: pion.MimeTypeOpus, ClockRate: 48000, Channels: 2}
	if w.stream.Kind == encoder.Video {
		payloader = &codecs.H264Payloader{}
		capab = pion.RTPCodecCapability{MimeType: pion.MimeTypeH264, ClockRate: 90000, SDPFmtpLine: h264Fmtp(w.stream.Extradata)}
	}
	w.track, err = pion.NewTrackLocalStaticRTP(capab, w.stream.Kind.String(), "onair")
	if err != nil {
		return err
	}
	// Payload type and SSRC are the track's to set per binding.
	w.packetize = rtp.NewPacketizer(mtu, 0, 0, payloader, rtp.NewRandomSequencer(), uint32(w.clockRate))
	w.base = uint32(time.Now().UnixNano())
	return nil
}

// add makes the track and sends it on a transceiver of its own (an offer).
func (w *trackWriter) add(pc *pion.PeerConnection) error {
	if err := w.newTrack(); err != nil {
		return err
	}
	tr, err := pc.AddTransceiverFromTrack(w.track, pion.RTPTransceiverInit{Direction: pion.RTPTransceiverDirectionSendonly})
	if err != nil {
		return err
	}
	w.sender = tr.Sender()
	return nil
}

func (w *trackWriter) write(p *encoder.Packet) (int, error) {
	data := p.Data
	if p.Kind == encoder.Video && p.Key && !hasParameterSets(data) {
		// The encoder keeps SPS and PPS in the stream header (global
		// header): a WebRTC receiver needs them before every keyframe.
		data = append(append(make([]byte, 0, len(w.stream.Extradata)+len(data)), w.stream.Extradata...), data...)
	}
	ts := w.base + uint32(p.PTS*w.clockRate*int64(p.TimeBase.Num)/int64(p.TimeBase.Den))
	n := 0
	for _, pkt := range w.packetize.Packetize(data, 0) {
		pkt.Timestamp = ts
		if err := w.track.WriteRTP(pkt); err != nil {
			if errors.Is(err, context.Canceled) {
				return n, err
			}
			return n, fmt.Errorf("sending %s: %w", p.Kind, err)
		}
		n += pkt.MarshalSize()
	}
	return n, nil
}
