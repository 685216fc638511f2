package libav

import (
	"fmt"
	"sync/atomic"
	"time"

	"github.com/asticode/go-astiav"

	"onair/capture"
	"onair/encoder"
)

// VideoEncoder is an H.264 or HEVC encoder: zerolatency, CBR, fixed GOP, no
// B-frames (libx264, libx265, or a hardware encoder).
type VideoEncoder struct {
	codec
	cfg encoder.VideoConfig
	// composedAt remembers, by pts, when each picture reached the encoder.
	composedAt [64]time.Time
	ref        *astiav.Frame // a decoded picture passed by reference
	nv12, hw   *astiav.Frame // hardware encoders' input, converted or uploaded
	frames     int64
	nextKey    int64 // the pts from which the next picture is a keyframe
	// keyAsked makes the next picture a keyframe, off the fixed GOP: a
	// WebRTC receiver that lost a picture asks for one (PLI).
	keyAsked atomic.Bool
	open     bool
	asked    encoder.VideoConfig // what was asked for, when a fallback changed it
}

// openVideo counts the video encoders open in this process: the proof that
// destinations sharing a rendition share one encoder.
var openVideo atomic.Int64

// OpenVideoEncoders is how many video encoders are open right now.
func OpenVideoEncoders() int { return int(openVideo.Load()) }

// RequestKeyframe makes the next picture encoded a keyframe. Safe from any
// goroutine; the fixed keyframe instants stay where they were. Callers
// rate-limit it: each keyframe costs several pictures' worth of bits.
func (e *VideoEncoder) RequestKeyframe() { e.keyAsked.Store(true) }

// Config is the encoder's settings, defaults filled in.
func (e *VideoEncoder) Config() encoder.VideoConfig { return e.cfg }

// Asked is the settings the encoder was asked for: Config, unless a missing
// hardware encoder was replaced by software (OpenVideoEncoder).
func (e *VideoEncoder) Asked() encoder.VideoConfig { return e.asked }

// Frames is how many pictures this encoder has taken.
func (e *VideoEncoder) Frames() int64 { return e.frames }

// NewVideoEncoder opens the encoder cfg names.
func NewVideoEncoder(cfg encoder.VideoConfig) (*VideoEncoder, error) {
	cfg = cfg.Filled()
	name := cfg.EncoderName()
	codec := astiav.FindEncoderByName(name)
	if codec == nil {
		return nil, fmt.Errorf("the %s encoder %s is missing from this FFmpeg build", cfg.Codec.Name(), name)
	}
	e := &VideoEncoder{cfg: cfg, asked: cfg}
	e.codec = newCodec(cfg.Codec.Name(), codec, func(pts int64) time.Time { return e.composedAt[slot(pts)] })
	cc := e.cc
	cc.SetWidth(cfg.Width)
	cc.SetHeight(cfg.Height)
	cc.SetPixelFormat(astiav.PixelFormatYuv420P)
	cc.SetTimeBase(astiav.NewRational(1, cfg.FPS))
	cc.SetFramerate(astiav.NewRational(cfg.FPS, 1))
	cc.SetSampleAspectRatio(astiav.NewRational(1, 1))
	gop := cfg.KeyframeSec * cfg.FPS
	cc.SetGopSize(gop)
	cc.SetBitRate(int64(cfg.BitrateKbps) * 1000)
	cc.SetFlags(cc.Flags().Add(astiav.CodecContextFlagGlobalHeader))
	if err := e.hwSetup(); err != nil {
		e.Close()
		return nil, fmt.Errorf("%s: %w", name, err)
	}

	d := astiav.NewDictionary()
	defer d.Free()
	for _, o := range encoderOptions(cfg) {
		if err := d.Set(o[0], o[1], 0); err != nil {
			e.Close()
			return nil, fmt.Errorf("setting %s option %s: %w", name, o[0], err)
		}
	}
	if err := cc.Open(codec, d); err != nil {
		e.Close()
		return nil, fmt.Errorf("opening the %s encoder %s at %dx%d %d fps %d kb/s: %w", cfg.Codec.Name(), name, cfg.Width, cfg.Height, cfg.FPS, cfg.BitrateKbps, err)
	}
	e.frame = astiav.AllocFrame()
	e.frame.SetWidth(cfg.Width)
	e.frame.SetHeight(cfg.Height)
	e.frame.SetPixelFormat(astiav.PixelFormatYuv420P)
	if err := e.frame.AllocBuffer(0); err != nil {
		e.Close()
		return nil, fmt.Errorf("allocating the encoder's picture: %w", err)
	}
	e.pkt = astiav.AllocPacket()
	e.ref = astiav.AllocFrame()
	openVideo.Add(1)
	e.open = true
	e.stream = encoder.Stream{
		Kind: encoder.Video, Codec: cfg.Codec, TimeBase: encoder.Rational{Num: 1, Den: cfg.FPS},
		Extradata: cc.ExtraData(), BitrateKbps: cfg.BitrateKbps,
		Width: cfg.Width, Height: cfg.Height, FPS: cfg.FPS,
	}
	return e, nil
}

// Encode codes pic as frame number pts (in 1/fps units) and hands each packet
// that comes out to emit.
func (e *VideoEncoder) Encode(pic *capture.Frame, pts int64, composed time.Time, emit func(*encoder.Packet)) error {
	in := e.frame
	if nf, ok := pic.Native.(*astiav.Frame); ok && nf.Width() == e.cfg.Width && nf.Height() == e.cfg.Height && nf.PixelFormat() == astiav.PixelFormatYuv420P {
		// A decoder's picture: hand it over by reference, no copy. What the
		// decoder said of it must not steer the encoder (an I picture would force a
		// keyframe off our fixed GOP).
		if err := e.ref.Ref(nf); err != nil {
			return fmt.Errorf("referencing a decoded picture: %w", err)
		}
		defer e.ref.Unref()
		e.ref.SetPictureType(astiav.PictureTypeNone)
		e.ref.SetKeyFrame(false)
		in = e.ref
	} else if err := copyPicture(e.frame, pic.Pic); err != nil {
		return err
	}
	if e.cfg.Encoder != encoder.Software {
		var err error
		if in, err = e.hwInput(in); err != nil {
			return err
		}
	}
	in.SetPts(pts)
	// Keyframes go by media time, not by pictures received: when pictures
	// are skipped (a starved CPU) the interval a platform asks for still
	// holds, and every rendition's keyframes fall on the same instants.
	if gop := int64(e.cfg.KeyframeSec * e.cfg.FPS); pts >= e.nextKey {
		in.SetPictureType(astiav.PictureTypeI)
		e.nextKey = (pts/gop + 1) * gop
		e.keyAsked.Store(false)
	} else if e.keyAsked.Swap(false) {
		in.SetPictureType(astiav.PictureTypeI)
	} else {
		in.SetPictureType(astiav.PictureTypeNone)
	}
	e.composedAt[slot(pts)] = composed
	e.frames++
	return e.send(in, emit)
}

// Close frees the encoder.
func (e *VideoEncoder) Close() {
	if e.open {
		openVideo.Add(-1)
		e.open = false
	}
	for _, f := range []*astiav.Frame{e.ref, e.nv12, e.hw} {
		if f != nil {
			f.Free()
		}
	}
	e.free()
}

func slot(pts int64) int { return int(uint64(pts) % 64) }
