package libav

import (
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/asticode/go-astiav"

	"onair/capture"
	"onair/encoder"
)

// VideoConfig is one rendition's video settings.
type VideoConfig struct {
	Width, Height, FPS int
	BitrateKbps        int
	KeyframeSec        int    // keyframe interval; exact, no scene-cut keyframes
	Preset             string // x264 preset, e.g. "veryfast"
	Profile            string // "baseline", "main" or "high"
}

func (c *VideoConfig) fill() {
	if c.KeyframeSec <= 0 {
		c.KeyframeSec = 2
	}
	if c.Preset == "" {
		c.Preset = "veryfast"
	}
	if c.Profile == "" {
		c.Profile = "high"
	}
}

// VideoEncoder is an H.264 encoder (libx264): zerolatency, CBR, fixed GOP.
type VideoEncoder struct {
	cfg    VideoConfig
	cc     *astiav.CodecContext
	frame  *astiav.Frame
	pkt    *astiav.Packet
	stream encoder.Stream
	// composed remembers, by pts, when each picture reached the encoder.
	composed [64]time.Time
	frames   int64
	open     bool
}

// openVideo counts the video encoders open in this process: the proof that
// destinations sharing a rendition share one encoder.
var openVideo atomic.Int64

// OpenVideoEncoders is how many video encoders are open right now.
func OpenVideoEncoders() int { return int(openVideo.Load()) }

// Frames is how many pictures this encoder has taken.
func (e *VideoEncoder) Frames() int64 { return e.frames }

// NewVideoEncoder opens libx264 with cfg.
func NewVideoEncoder(cfg VideoConfig) (*VideoEncoder, error) {
	cfg.fill()
	codec := astiav.FindEncoderByName("libx264")
	if codec == nil {
		return nil, errors.New("the H.264 encoder libx264 is missing from this FFmpeg build")
	}
	e := &VideoEncoder{cfg: cfg, cc: astiav.AllocCodecContext(codec)}
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

	d := astiav.NewDictionary()
	defer d.Free()
	bps := fmt.Sprint(cfg.BitrateKbps * 1000)
	x264 := []string{
		fmt.Sprintf("keyint=%d", gop), fmt.Sprintf("min-keyint=%d", gop), "scenecut=0",
		"nal-hrd=cbr", "force-cfr=1", "colorprim=bt709", "transfer=bt709", "colormatrix=bt709",
	}
	for k, v := range map[string]string{
		"preset": cfg.Preset, "tune": "zerolatency", "profile": cfg.Profile,
		"maxrate": bps, "minrate": bps, "bufsize": bps, "sc_threshold": "0",
		"x264-params": strings.Join(x264, ":"),
	} {
		if err := d.Set(k, v, 0); err != nil {
			e.Close()
			return nil, fmt.Errorf("setting x264 option %s: %w", k, err)
		}
	}
	if err := cc.Open(codec, d); err != nil {
		e.Close()
		return nil, fmt.Errorf("opening the H.264 encoder at %dx%d %d fps %d kb/s: %w", cfg.Width, cfg.Height, cfg.FPS, cfg.BitrateKbps, err)
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
	openVideo.Add(1)
	e.open = true
	e.stream = encoder.Stream{
		Kind: encoder.Video, Codec: encoder.H264, TimeBase: encoder.Rational{Num: 1, Den: cfg.FPS},
		Extradata: cc.ExtraData(), BitrateKbps: cfg.BitrateKbps,
		Width: cfg.Width, Height: cfg.Height, FPS: cfg.FPS,
	}
	return e, nil
}

// Stream describes the encoder's output for muxers.
func (e *VideoEncoder) Stream() encoder.Stream { return e.stream }

// Encode codes pic as frame number pts (in 1/fps units) and hands each packet
// that comes out to emit.
func (e *VideoEncoder) Encode(pic *capture.Frame, pts int64, composed time.Time, emit func(*encoder.Packet)) error {
	if err := copyPicture(e.frame, pic.Pic); err != nil {
		return err
	}
	e.frame.SetPts(pts)
	e.composed[slot(pts)] = composed
	if err := e.cc.SendFrame(e.frame); err != nil {
		return fmt.Errorf("H.264 encoder refused a picture: %w", err)
	}
	e.frames++
	return e.drain(emit)
}

// Flush drains the encoder at the end of the broadcast.
func (e *VideoEncoder) Flush(emit func(*encoder.Packet)) error {
	if err := e.cc.SendFrame(nil); err != nil && !errors.Is(err, astiav.ErrEof) {
		return fmt.Errorf("flushing the H.264 encoder: %w", err)
	}
	return e.drain(emit)
}

func (e *VideoEncoder) drain(emit func(*encoder.Packet)) error {
	for {
		err := e.cc.ReceivePacket(e.pkt)
		if errors.Is(err, astiav.ErrEagain) || errors.Is(err, astiav.ErrEof) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("H.264 encoder failed: %w", err)
		}
		p := &encoder.Packet{
			Kind: encoder.Video, Key: e.pkt.Flags().Has(astiav.PacketFlagKey),
			PTS: e.pkt.Pts(), DTS: e.pkt.Dts(), TimeBase: e.stream.TimeBase,
			Data:     e.pkt.Data(),
			Composed: e.composed[slot(e.pkt.Pts())],
		}
		e.pkt.Unref()
		emit(p)
	}
}

// Close frees the encoder.
func (e *VideoEncoder) Close() {
	if e.open {
		openVideo.Add(-1)
		e.open = false
	}
	if e.pkt != nil {
		e.pkt.Free()
	}
	if e.frame != nil {
		e.frame.Free()
	}
	if e.cc != nil {
		e.cc.Free()
	}
}

func slot(pts int64) int { return int(uint64(pts) % 64) }
