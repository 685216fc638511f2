package webrtc

import (
	"image"
	"math"
	"strings"
	"sync"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
	pion "github.com/pion/webrtc/v4"
	"github.com/pion/webrtc/v4/pkg/media/samplebuilder"
)

// VideoDecoder turns a received picture (H.264 Annex B access unit or VP8
// frame) into Go-owned pictures. libav's VideoDecoder is one; this package
// stays free of cgo, so it is handed in (PrivateConfig.NewDecoder).
type VideoDecoder interface {
	Decode(au []byte) ([]*image.YCbCr, error)
	Close()
}

// AudioDecoder turns a received Opus packet into 48 kHz stereo samples
// (libav's OpusDecoder is one).
type AudioDecoder interface {
	Decode(pkt []byte) (l, r []float32, err error)
	Close()
}

// ReceiveStats is what arrived from the viewer so far.
type ReceiveStats struct {
	VideoCodec     string // "H264", "VP8"; empty until their camera arrives
	Pictures       int64  // whole pictures put together from RTP
	FramesDecoded  int64
	Width, Height  int // of the last decoded picture
	DecodeErrors   int64
	Gaps           int64 // pictures lost on the way (RTP packets missing)
	KeyframeAsks   int64 // PLIs (and FIRs) sent to the viewer
	AudioCodec     string
	AudioPackets   int64
	AudioLevelDBov int     // the viewer's voice, -127 (silence) … 0, from their audio-level header; 0 before any
	AudioDecoded   int64   // packets decoded to samples (with an AudioDecoder)
	AudioPeak      float64 // the decoded sound's peak, 0…1, falling 20 dB in about 0.4 s like a meter's
}

// receiveCounters is ReceiveStats under a lock: written by the receiving
// goroutines, read by whoever shows them.
type receiveCounters struct {
	mu sync.Mutex
	s  ReceiveStats
}

func (c *receiveCounters) update(fn func(*ReceiveStats)) {
	c.mu.Lock()
	fn(&c.s)
	c.mu.Unlock()
}

func (c *receiveCounters) snapshot() ReceiveStats {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.s
}

// keyframeAskEvery is how often we ask the viewer's browser for a keyframe
// at most: each costs them several pictures' worth of bits.
const keyframeAskEvery = time.Second

// receiveVideo puts the viewer's pictures together from RTP, decodes them
// and hands each to onFrame (which must not block: the window's tile keeps
// the newest). A picture that could not be decoded, or one lost on the way,
// asks the sender for a keyframe (at most once a second). It returns when
// the track ends (its PeerConnection closed).
func receiveVideo(pc *pion.PeerConnection, track *pion.TrackRemote, newDecoder func(codec string) (VideoDecoder, error), onFrame func(*image.YCbCr), c *receiveCounters, logf func(string, ...any)) {
	mime := track.Codec().MimeType
	codec := strings.ToUpper(strings.TrimPrefix(strings.ToLower(mime), "video/"))
	var depack rtp.Depacketizer
	switch codec {
	case "H264":
		depack = &codecs.H264Packet{}
	case "VP8":
		depack = &codecs.VP8Packet{}
	default:
		logf("private show: the viewer's camera sends %s, which onair cannot show", mime)
		drain(track)
		return
	}
	c.update(func(s *ReceiveStats) { s.VideoCodec = codec })
	var dec VideoDecoder
	if newDecoder != nil {
		d, err := newDecoder(codec)
		if err != nil {
			logf("private show: %v", err)
		} else {
			dec = d
			defer dec.Close()
		}
	}
	ssrc := uint32(track.SSRC())
	var lastAsk time.Time
	var firSeq uint8
	askKeyframe := func() {
		if time.Since(lastAsk) < keyframeAskEvery {
			return
		}
		lastAsk = time.Now()
		firSeq++
		// PLI and FIR: a browser honours whichever its codec line negotiated.
		err := pc.WriteRTCP([]rtcp.Packet{
			&rtcp.PictureLossIndication{MediaSSRC: ssrc},
			&rtcp.FullIntraRequest{MediaSSRC: ssrc, FIR: []rtcp.FIREntry{{SSRC: ssrc, SequenceNumber: firSeq}}},
		})
		if err == nil {
			c.update(func(s *ReceiveStats) { s.KeyframeAsks++ })
		}
	}
	// 512 packets: a few keyframes' worth at camera bitrates, before a
	// missing packet is given up on.
	sb := samplebuilder.New(512, depack, track.Codec().ClockRate, samplebuilder.WithMaxTimeDelay(500*time.Millisecond))
	for {
		pkt, _, err := track.ReadRTP()
		if err != nil {
			return
		}
		sb.Push(pkt)
		for s := sb.Pop(); s != nil; s = sb.Pop() {
			gap := s.PrevDroppedPackets > 0
			c.update(func(st *ReceiveStats) {
				st.Pictures++
				if gap {
					st.Gaps++
				}
			})
			if gap {
				askKeyframe()
			}
			if dec == nil {
				continue
			}
			pics, err := dec.Decode(s.Data)
			if err != nil {
				c.update(func(st *ReceiveStats) { st.DecodeErrors++ })
				askKeyframe()
				continue
			}
			if len(pics) == 0 {
				continue
			}
			last := pics[len(pics)-1]
			c.update(func(st *ReceiveStats) {
				st.FramesDecoded += int64(len(pics))
				st.Width, st.Height = last.Rect.Dx(), last.Rect.Dy()
			})
			if onFrame != nil {
				onFrame(last)
			}
		}
	}
}

// receiveAudio counts the viewer's sound and reads its level from the
// audio-level header extension (RFC 6464) the browser adds to each packet.
// With a decoder it also decodes it, keeps a peak meter, and hands the
// samples to onAudio (which must not block; playing them on a monitor
// output is the window's to do).
func receiveAudio(track *pion.TrackRemote, levelExt int, newDecoder func() (AudioDecoder, error), onAudio func(l, r []float32), c *receiveCounters, logf func(string, ...any)) {
	c.update(func(s *ReceiveStats) {
		s.AudioCodec = strings.TrimPrefix(strings.ToLower(track.Codec().MimeType), "audio/")
	})
	var dec AudioDecoder
	if newDecoder != nil && strings.EqualFold(track.Codec().MimeType, pion.MimeTypeOpus) {
		d, err := newDecoder()
		if err != nil {
			logf("private show: %v", err)
		} else {
			dec = d
			defer dec.Close()
		}
	}
	for {
		pkt, _, err := track.ReadRTP()
		if err != nil {
			return
		}
		level, ok := 0, false
		if levelExt > 0 {
			if b := pkt.GetExtension(uint8(levelExt)); len(b) > 0 {
				var ext rtp.AudioLevelExtension
				if ext.Unmarshal(b) == nil {
					level, ok = -int(ext.Level), true
				}
			}
		}
		var l, r []float32
		decoded := false
		if dec != nil {
			if l, r, err = dec.Decode(pkt.Payload); err == nil && len(l) > 0 {
				decoded = true
			}
		}
		var peak float64
		for i := range l {
			peak = max(peak, math.Abs(float64(l[i])), math.Abs(float64(r[i])))
		}
		c.update(func(s *ReceiveStats) {
			s.AudioPackets++
			if ok {
				s.AudioLevelDBov = level
			}
			if decoded {
				s.AudioDecoded++
				s.AudioPeak = max(s.AudioPeak*0.9, peak) // 0.9 a 20 ms packet
			}
		})
		if decoded && onAudio != nil {
			onAudio(l, r)
		}
	}
}

// drain reads a track we do not use, so its buffers do not fill.
func drain(track *pion.TrackRemote) {
	buf := make([]byte, 1500)
	for {
		if _, _, err := track.Read(buf); err != nil {
			return
		}
	}
}
