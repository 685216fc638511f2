package webrtc

import (
	"bytes"
	"encoding/hex"
	"fmt"

	"github.com/pion/interceptor"
	"github.com/pion/interceptor/pkg/cc"
	"github.com/pion/interceptor/pkg/gcc"
	pion "github.com/pion/webrtc/v4"

	"onair/encoder"
)

// Payload types we offer; the answer may not renumber them (pion maps them).
const (
	videoPT = 102
	audioPT = 111
)

// mtu is the largest RTP packet we send: room for SRTP, UDP, IPv6 and a
// tunnel or two under the usual 1500-byte link.
const mtu = 1200

// h264Fmtp is what the offer says of our H.264: non-interleaved (mode 1,
// fragmented units and aggregates), the profile and level our encoder wrote
// into its SPS.
func h264Fmtp(extradata []byte) string {
	id := "42e01f" // constrained baseline 3.1, when there is no SPS to read
	for _, n := range nalUnits(extradata) {
		if len(n) >= 4 && n[0]&0x1f == 7 {
			id = hex.EncodeToString(n[1:4])
			break
		}
	}
	return "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=" + id
}

// mediaEngine knows exactly the two codecs we send.
func mediaEngine(video, audio *encoder.Stream) (*pion.MediaEngine, error) {
	m := &pion.MediaEngine{}
	if err := registerCodecs(m, video, audio); err != nil {
		return nil, err
	}
	return m, nil
}

// registerCodecs puts our H.264 (as its SPS says) and Opus into m.
func registerCodecs(m *pion.MediaEngine, video, audio *encoder.Stream) error {
	if video != nil {
		fb := []pion.RTCPFeedback{{Type: "ccm", Parameter: "fir"}, {Type: pion.TypeRTCPFBTransportCC}}
		if err := m.RegisterCodec(pion.RTPCodecParameters{
			RTPCodecCapability: pion.RTPCodecCapability{MimeType: pion.MimeTypeH264, ClockRate: 90000, SDPFmtpLine: h264Fmtp(video.Extradata), RTCPFeedback: fb},
			PayloadType:        videoPT,
		}, pion.RTPCodecTypeVideo); err != nil {
			return err
		}
	}
	if audio != nil {
		if err := m.RegisterCodec(pion.RTPCodecParameters{
			RTPCodecCapability: pion.RTPCodecCapability{MimeType: pion.MimeTypeOpus, ClockRate: 48000, Channels: 2, SDPFmtpLine: "minptime=10;useinbandfec=1;stereo=1",
				RTCPFeedback: []pion.RTCPFeedback{{Type: pion.TypeRTCPFBTransportCC}}},
			PayloadType: audioPT,
		}, pion.RTPCodecTypeAudio); err != nil {
			return err
		}
	}
	return nil
}

// congestionControl numbers every packet for the receiver's transport-wide
// feedback and estimates the link from it (Google congestion control, no
// pacing: the encoder's rate is what changes). The estimator comes on the
// channel when the PeerConnection is made.
func congestionControl(m *pion.MediaEngine, ir *interceptor.Registry, video, audio *encoder.Stream) (<-chan cc.BandwidthEstimator, error) {
	most := 0
	for _, s := range []*encoder.Stream{video, audio} {
		if s != nil {
			most += s.BitrateKbps
		}
	}
	most = max(most, 500) * 1000 * 5 / 4 // room above the rendition's rate: a link that carries it shows it
	f, err := cc.NewInterceptor(func() (cc.BandwidthEstimator, error) {
		return gcc.NewSendSideBWE(gcc.SendSideBWEInitialBitrate(most), gcc.SendSideBWEMaxBitrate(most),
			gcc.SendSideBWEMinBitrate(100_000), gcc.SendSideBWEPacer(gcc.NewNoOpPacer()))
	})
	if err != nil {
		return nil, err
	}
	ch := make(chan cc.BandwidthEstimator, 1)
	f.OnNewPeerConnection(func(_ string, e cc.BandwidthEstimator) {
		select {
		case ch <- e:
		default:
		}
	})
	ir.Add(f)
	if err := pion.ConfigureTWCCHeaderExtensionSender(m, ir); err != nil {
		return nil, err
	}
	return ch, nil
}

// pickStreams finds the H.264 video and Opus audio WHIP can carry.
func pickStreams(streams []encoder.Stream) (video, audio *encoder.Stream, err error) {
	for i := range streams {
		s := &streams[i]
		switch {
		case s.Kind == encoder.Video && s.Codec == encoder.H264:
			video = s
		case s.Kind == encoder.Video:
			return nil, nil, fmt.Errorf("WHIP carries H.264 video, this rendition is %s — choose H.264 for it", s.Codec.Name())
		case s.Kind == encoder.Audio && s.Codec == encoder.Opus:
			audio = s
		case s.Kind == encoder.Audio:
			return nil, nil, fmt.Errorf("WHIP carries Opus audio, this rendition has %s", s.Codec.Name())
		}
	}
	if video == nil && audio == nil {
		return nil, nil, fmt.Errorf("nothing to send: no H.264 video and no Opus audio")
	}
	return video, audio, nil
}

// nalUnits splits an Annex B stream into its NAL units, start codes and
// the zeros before them gone.
func nalUnits(b []byte) [][]byte {
	var out [][]byte
	start := -1
	for i := 0; i+3 <= len(b); i++ {
		if b[i] == 0 && b[i+1] == 0 && b[i+2] == 1 {
			if start >= 0 {
				out = append(out, bytes.TrimRight(b[start:i], "\x00"))
			}
			start = i + 3
			i += 2
		}
	}
	if start >= 0 {
		out = append(out, b[start:])
	}
	return out
}

// hasParameterSets says whether an access unit brings its own SPS.
func hasParameterSets(au []byte) bool {
	for _, n := range nalUnits(au) {
		if len(n) > 0 && n[0]&0x1f == 7 {
			return true
		}
	}
	return false
}
