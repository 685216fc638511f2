package webrtc

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/rtcp"
	pion "github.com/pion/webrtc/v4"

	"onair/encoder"
	"onair/outputs"
)

// Feed is the program as two WebRTC tracks (H.264 and Opus) that any number
// of PeerConnections share: each packet is packetized once, and pion
// encrypts it for every peer bound to the track. The monitor's viewers and
// the private show's viewer watch the program through a Feed. It is an
// outputs.Sink: the broadcast's destination writes to it.
type Feed struct {
	video, audio *trackWriter
	keys         keyLimiter
	peers        atomic.Int32
	closed       atomic.Bool
	done         chan struct{}
	closeOnce    sync.Once
}

// NewFeed makes the tracks for the streams (H.264 video and/or Opus audio);
// ask is called (at most once a second) when a peer needs a keyframe: one
// joins, or one reports a lost picture.
func NewFeed(streams []encoder.Stream, ask func()) (*Feed, error) {
	video, audio, err := pickStreams(streams)
	if err != nil {
		return nil, err
	}
	f := &Feed{keys: keyLimiter{ask: ask}, done: make(chan struct{})}
	if video != nil {
		f.video = newTrackWriter(*video, 90000)
		if err := f.video.newTrack(); err != nil {
			return nil, err
		}
		// The track's codec as the browsers name it (feedFmtp).
		if f.video.track, err = pion.NewTrackLocalStaticRTP(f.videoCodec().RTPCodecCapability, "video", "onair"); err != nil {
			return nil, err
		}
	}
	if audio != nil {
		f.audio = newTrackWriter(*audio, 48000)
		if err := f.audio.newTrack(); err != nil {
			return nil, err
		}
	}
	return f, nil
}

// RegisterCodecs puts the feed's codecs into a MediaEngine, for a
// PeerConnection that answers a browser's offer with the feed.
func (f *Feed) RegisterCodecs(m *pion.MediaEngine) error {
	var audio *encoder.Stream
	if f.video != nil {
		if err := m.RegisterCodec(f.videoCodec(), pion.RTPCodecTypeVideo); err != nil {
			return err
		}
	}
	if f.audio != nil {
		audio = &f.audio.stream
	}
	return registerCodecs(m, nil, audio)
}

// videoCodec is the feed's H.264 as an answerer registers it: with the
// profile-level-id browsers offer (feedFmtp), and PLI as well as FIR.
func (f *Feed) videoCodec() pion.RTPCodecParameters {
	return pion.RTPCodecParameters{
		RTPCodecCapability: pion.RTPCodecCapability{MimeType: pion.MimeTypeH264, ClockRate: 90000,
			SDPFmtpLine:  feedFmtp(f.video.stream.Extradata),
			RTCPFeedback: []pion.RTCPFeedback{{Type: "nack"}, {Type: "nack", Parameter: "pli"}, {Type: "ccm", Parameter: "fir"}}},
		PayloadType: videoPT,
	}
}

// feedFmtp is h264Fmtp as browsers write it. An answering PeerConnection
// matches the offer's H.264 lines by the first two bytes of
// profile-level-id, and browsers name Constrained Baseline 42e0…, where
// x264's SPS says 42c0… (the same profile: constraint_set1 is what makes
// it constrained). Without this the browser's offer has no H.264 we match.
func feedFmtp(extradata []byte) string {
	f := h264Fmtp(extradata)
	const key = "profile-level-id="
	i := strings.Index(f, key)
	if i < 0 {
		return f
	}
	id := f[i+len(key):]
	if b, err := hex.DecodeString(id); err == nil && len(b) == 3 && b[0] == 0x42 && b[1]&0x40 != 0 {
		return f[:i+len(key)] + "42e0" + id[4:]
	}
	return f
}

// Write sends one packet to every peer bound to the feed. One peer's
// trouble (it is leaving, its link is slow) is its own: the program goes on
// for the others, so send errors are not the broadcast's.
func (f *Feed) Write(p *encoder.Packet) (int, error) {
	if f.closed.Load() {
		return 0, ErrFeedEnded
	}
	f.keys.tick()
	w := f.video
	if p.Kind == encoder.Audio {
		w = f.audio
	}
	if w == nil || f.peers.Load() == 0 {
		return len(p.Data), nil
	}
	if _, err := w.write(p); errors.Is(err, context.Canceled) {
		return 0, err
	}
	return len(p.Data), nil
}

// ErrFeedEnded is a Write after the broadcast ended the feed.
var ErrFeedEnded = errors.New("the program's WebRTC feed has ended")

// Close ends the feed: Done is closed, and the feed's holders hang up their
// peers. It is safe to call more than once.
func (f *Feed) Close() error {
	f.closed.Store(true)
	f.closeOnce.Do(func() { close(f.done) })
	return nil
}

// Done is closed when the feed ends (the show ended).
func (f *Feed) Done() <-chan struct{} { return f.done }

// newAnswerer makes a PeerConnection to answer a browser's offer with the
// feed: the feed's codecs (and what extra registers: a viewer's own
// codecs), NACK and reports, UDP only, and ICE timeouts short enough that a
// browser that vanished is dropped within failAfter. loopback lets it
// gather 127.0.0.1 (a browser on this computer).
func (f *Feed) newAnswerer(ice []pion.ICEServer, loopback bool, failAfter time.Duration, extra func(*pion.MediaEngine) error) (*pion.PeerConnection, error) {
	m := &pion.MediaEngine{}
	if err := f.RegisterCodecs(m); err != nil {
		return nil, fmt.Errorf("preparing the program's codecs: %w", err)
	}
	if extra != nil {
		if err := extra(m); err != nil {
			return nil, err
		}
	}
	ir := &interceptor.Registry{}
	if err := pion.ConfigureNack(m, ir); err != nil {
		return nil, fmt.Errorf("preparing WebRTC retransmission: %w", err)
	}
	if err := pion.ConfigureRTCPReports(ir); err != nil {
		return nil, fmt.Errorf("preparing WebRTC reports: %w", err)
	}
	var se pion.SettingEngine
	se.SetNetworkTypes([]pion.NetworkType{pion.NetworkTypeUDP4, pion.NetworkTypeUDP6})
	se.SetICETimeouts(2*time.Second, failAfter, 500*time.Millisecond)
	se.SetIncludeLoopbackCandidate(loopback)
	api := pion.NewAPI(pion.WithMediaEngine(m), pion.WithInterceptorRegistry(ir), pion.WithSettingEngine(se))
	pc, err := api.NewPeerConnection(pion.Configuration{ICEServers: ice})
	if err != nil {
		return nil, fmt.Errorf("starting WebRTC: %w", err)
	}
	return pc, nil
}

// Attach binds the feed's tracks to pc (after its remote offer is set, the
// browser's receiving transceivers take them) and reads the peer's RTCP for
// keyframe requests. The caller owns pc: it must Close pc before calling
// detach, which waits for the RTCP readers. Call RequestKeyframe when the
// peer's connection is up: a keyframe asked for now would be spent before
// the peer can receive it, and the rate limit would then hold back the
// peer's own request.
func (f *Feed) Attach(pc *pion.PeerConnection) (detach func(), err error) {
	if f.closed.Load() {
		return nil, ErrFeedEnded
	}
	var senders []*pion.RTPSender
	for _, w := range []*trackWriter{f.video, f.audio} {
		if w == nil {
			continue
		}
		sender, err := pc.AddTrack(w.track)
		if err != nil {
			return nil, fmt.Errorf("adding the program's %s: %w", w.stream.Kind, err)
		}
		senders = append(senders, sender)
	}
	var wg sync.WaitGroup
	for _, s := range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f.readRTCP(s)
		}()
	}
	f.peers.Add(1)
	var once sync.Once
	return func() {
		once.Do(func() {
			f.peers.Add(-1)
			wg.Wait()
		})
	}, nil
}

// RequestKeyframe asks the encoder for a keyframe (rate-limited): a peer's
// connection just came up.
func (f *Feed) RequestKeyframe() { f.keys.request() }

// readRTCP drains a sender's RTCP and passes keyframe requests on, until
// its PeerConnection closes.
func (f *Feed) readRTCP(s *pion.RTPSender) {
	for {
		pkts, _, err := s.ReadRTCP()
		if err != nil {
			return
		}
		for _, p := range pkts {
			switch p.(type) {
			case *rtcp.PictureLossIndication, *rtcp.FullIntraRequest:
				f.keys.request()
			}
		}
	}
}

// Program hands the broadcast's feed to the local viewers (the monitor, the
// private show): a broadcast destination connects through Connector, and
// viewers find the feed with Current or are told of it by Watch. Off air
// there is none.
type Program struct {
	mu       sync.Mutex
	feed     *Feed
	watchers map[int]func(*Feed)
	next     int
}

// Current is the feed on air, or nil.
func (p *Program) Current() *Feed {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.feed
}

// Watch calls fn with each new feed, and with nil when it ends, until
// cancel. fn runs on the broadcast's destination goroutine: it must not
// block.
func (p *Program) Watch(fn func(*Feed)) (cancel func()) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.watchers == nil {
		p.watchers = map[int]func(*Feed){}
	}
	id := p.next
	p.next++
	p.watchers[id] = fn
	return func() {
		p.mu.Lock()
		defer p.mu.Unlock()
		delete(p.watchers, id)
	}
}

func (p *Program) set(f *Feed, only *Feed) {
	p.mu.Lock()
	if only != nil && p.feed != only {
		p.mu.Unlock()
		return
	}
	p.feed = f
	fns := make([]func(*Feed), 0, len(p.watchers))
	for _, fn := range p.watchers {
		fns = append(fns, fn)
	}
	p.mu.Unlock()
	for _, fn := range fns {
		fn(f)
	}
}

// Connector is the broadcast's way in: each Connect makes a new feed for
// the streams and makes it the current one until its sink is closed.
func (p *Program) Connector() outputs.Connector { return programConnector{p: p} }

type programConnector struct {
	p   *Program
	ask func()
}

// WithKeyframeRequests binds the feeds to their rendition's encoder.
func (c programConnector) WithKeyframeRequests(ask func()) outputs.Connector {
	c.ask = ask
	return c
}

func (c programConnector) Connect(ctx context.Context, t outputs.Target, streams []encoder.Stream) (outputs.Sink, error) {
	f, err := NewFeed(streams, c.ask)
	if err != nil {
		return nil, outputs.Permanent(err)
	}
	c.p.set(f, nil)
	return &programSink{Feed: f, p: c.p}, nil
}

// programSink is a feed that, closed, stops being the program's.
type programSink struct {
	*Feed
	p *Program
}

func (s *programSink) Close() error {
	s.p.set(nil, s.Feed)
	return s.Feed.Close()
}
