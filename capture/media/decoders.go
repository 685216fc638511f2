package media

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/asticode/go-astiav"

	"onair/capture"
)

// decoders is one pass over the file.
type decoders struct {
	fc         *astiav.FormatContext
	vdec, adec *astiav.CodecContext
	vidx, aidx int
	vtb        astiav.Rational
	vf, af     *graph
	pkt        *astiav.Packet
	frame      *astiav.Frame
	out        *astiav.Frame
	closers    []func()
	drained    bool  // read to the end: rewind before the next pass
	cut        error // why the last pass ended before the end of the file
	path       string
}

func (f *File) openDecoders() (d *decoders, err error) {
	fc, err := openInput(f.path)
	if err != nil {
		return nil, err
	}
	dd := &decoders{vidx: -1, aidx: -1, path: f.path, fc: fc}
	defer func() {
		if err != nil {
			dd.close()
		}
	}()
	d = dd
	// dd.fc, not its method value (reopen replaces it), and not d: the
	// deferred close runs after an error return has set d to nil.
	d.closers = append(d.closers, func() { dd.fc.CloseInput() })
	for _, s := range d.fc.Streams() {
		cp := s.CodecParameters()
		switch {
		case cp.MediaType() == astiav.MediaTypeVideo && d.vidx < 0:
			d.vidx, d.vtb = s.Index(), s.TimeBase()
			if d.vdec, err = OpenDecoder(cp); err != nil {
				return nil, fmt.Errorf("media file %s: video: %w", f.path, err)
			}
			d.closers = append(d.closers, d.vdec.Free)
			if d.vdec.PixelFormat() == astiav.PixelFormatNone || d.vdec.Width() == 0 {
				// Probing read no picture: the filter would only say "Invalid argument".
				return nil, fmt.Errorf("media file %s is damaged or cut short: none of its pictures can be read", f.path)
			}
			full := d.vdec.ColorRange() == astiav.ColorRangeJpeg
			spec := canvasFilter(cp.Width(), cp.Height(), d.vdec.PixelFormat(), full, f.w, f.h)
			if d.vf, err = newGraph("buffer", "buffersink", astiav.FilterArgs{
				"pix_fmt":      strconv.Itoa(int(d.vdec.PixelFormat())),
				"pixel_aspect": nonZero(d.vdec.SampleAspectRatio()).String(),
				"time_base":    s.TimeBase().String(),
				"video_size":   fmt.Sprintf("%dx%d", d.vdec.Width(), d.vdec.Height()),
			}, spec); err != nil {
				return nil, fmt.Errorf("media file %s: video filter: %w", f.path, err)
			}
			d.closers = append(d.closers, d.vf.g.Free)
		case cp.MediaType() == astiav.MediaTypeAudio && d.aidx < 0:
			d.aidx = s.Index()
			if d.adec, err = OpenDecoder(cp); err != nil {
				return nil, fmt.Errorf("media file %s: audio: %w", f.path, err)
			}
			d.closers = append(d.closers, d.adec.Free)
			layout := d.adec.ChannelLayout().String()
			if !d.adec.ChannelLayout().Valid() || layout == "" {
				layout = "stereo"
			}
			if d.af, err = newGraph("abuffer", "abuffersink", astiav.FilterArgs{
				"time_base":      s.TimeBase().String(),
				"sample_rate":    strconv.Itoa(d.adec.SampleRate()),
				"sample_fmt":     d.adec.SampleFormat().Name(),
				"channel_layout": layout,
			}, fmt.Sprintf("aresample=%d,aformat=sample_fmts=fltp:channel_layouts=stereo", capture.SampleRate)); err != nil {
				return nil, fmt.Errorf("media file %s: audio filter: %w", f.path, err)
			}
			d.closers = append(d.closers, d.af.g.Free)
		}
	}
	if d.vidx < 0 {
		return nil, fmt.Errorf("media file %s has no video stream", f.path)
	}
	d.pkt, d.frame, d.out = astiav.AllocPacket(), astiav.AllocFrame(), astiav.AllocFrame()
	d.closers = append(d.closers, d.pkt.Free, d.frame.Free, d.out.Free)
	return d, nil
}

func nonZero(r astiav.Rational) astiav.Rational {
	if r.Num() == 0 || r.Den() == 0 {
		return astiav.NewRational(1, 1)
	}
	return r
}

// OpenDecoder opens a decoder for a stream's parameters, on as many threads
// as libav likes; the caller frees it.
func OpenDecoder(cp *astiav.CodecParameters) (*astiav.CodecContext, error) {
	codec := astiav.FindDecoder(cp.CodecID())
	if codec == nil {
		return nil, fmt.Errorf("no decoder for %s", cp.CodecID())
	}
	cc := astiav.AllocCodecContext(codec)
	if err := cp.ToCodecContext(cc); err != nil {
		cc.Free()
		return nil, err
	}
	cc.SetThreadCount(0)
	if err := cc.Open(codec, nil); err != nil {
		cc.Free()
		return nil, err
	}
	return cc, nil
}

// rewind goes back to the start of the file with empty decoders. A decoder
// that has been drained must be flushed before it takes packets again.
func (d *decoders) rewind() error {
	if !d.drained {
		return nil
	}
	if err := d.fc.SeekFrame(-1, 0, astiav.NewSeekFlags(astiav.SeekFlagBackward)); err != nil {
		if err := d.reopen(); err != nil {
			return fmt.Errorf("going back to the start: %w", err)
		}
	}
	flushDecoder(d.vdec)
	if d.adec != nil {
		flushDecoder(d.adec)
	}
	d.drained = false
	return nil
}

func (d *decoders) close() {
	for i := len(d.closers) - 1; i >= 0; i-- {
		d.closers[i]()
	}
	d.closers = nil
}

// decode reads the whole file, handing filtered pictures and sound on.
func (d *decoders) decode(onPicture func(*astiav.Frame, astiav.Rational) error, onSound func(*astiav.Frame)) error {
	d.cut = nil
	for {
		err := d.fc.ReadFrame(d.pkt)
		if err != nil {
			// Past the end, or a file cut short (a copy interrupted, a bad
			// disk): what was read is the file, as players treat it.
			if !errors.Is(err, astiav.ErrEof) {
				d.cut = fmt.Errorf("reading: %w", err)
			}
			break
		}
		idx := d.pkt.StreamIndex()
		switch idx {
		case d.vidx:
			err = d.run(d.vdec, d.pkt, d.vf, func(fr *astiav.Frame) error { return onPicture(fr, d.vf.sink.Inputs()[0].TimeBase()) })
		case d.aidx:
			err = d.run(d.adec, d.pkt, d.af, func(fr *astiav.Frame) error { onSound(fr); return nil })
		}
		d.pkt.Unref()
		if err != nil {
			return err
		}
	}
	d.drained = true
	if err := d.run(d.vdec, nil, d.vf, func(fr *astiav.Frame) error { return onPicture(fr, d.vf.sink.Inputs()[0].TimeBase()) }); err != nil {
		return err
	}
	if d.adec != nil {
		return d.run(d.adec, nil, d.af, func(fr *astiav.Frame) error { onSound(fr); return nil })
	}
	return nil
}

// run sends one packet (nil: drain) through a decoder and its filter graph.
func (d *decoders) run(dec *astiav.CodecContext, pkt *astiav.Packet, g *graph, emit func(*astiav.Frame) error) error {
	if err := dec.SendPacket(pkt); err != nil && !errors.Is(err, astiav.ErrEof) {
		if pkt != nil && errors.Is(err, astiav.ErrInvaliddata) {
			return nil // a damaged packet: skip it, as players do
		}
		return fmt.Errorf("decoding: %w", err)
	}
	for {
		err := dec.ReceiveFrame(d.frame)
		if errors.Is(err, astiav.ErrEagain) || errors.Is(err, astiav.ErrEof) {
			return nil
		}
		if errors.Is(err, astiav.ErrInvaliddata) {
			continue // a damaged picture (threaded decoders report it here): skip it
		}
		if err != nil {
			return fmt.Errorf("decoding: %w", err)
		}
		err = g.src.BuffersrcAddFrame(d.frame, astiav.NewBuffersrcFlags(astiav.BuffersrcFlagKeepRef))
		d.frame.Unref()
		if err != nil {
			return fmt.Errorf("filtering: %w", err)
		}
		for {
			err := g.sink.BuffersinkGetFrame(d.out, astiav.NewBuffersinkFlags())
			if errors.Is(err, astiav.ErrEagain) || errors.Is(err, astiav.ErrEof) {
				break
			}
			if err != nil {
				return fmt.Errorf("filtering: %w", err)
			}
			err = emit(d.out)
			d.out.Unref()
			if err != nil {
				return err
			}
		}
	}
}

func tsDuration(v int64, tb astiav.Rational) time.Duration {
	return time.Duration(v) * time.Second * time.Duration(tb.Num()) / time.Duration(tb.Den())
}

// graph is a one-input, one-output libavfilter graph.
type graph struct {
	g         *astiav.FilterGraph
	src, sink *astiav.FilterContext
}

func newGraph(srcName, sinkName string, args astiav.FilterArgs, spec string) (*graph, error) {
	g := &graph{g: astiav.AllocFilterGraph()}
	fail := func(err error) (*graph, error) { g.g.Free(); return nil, err }
	var err error
	if g.src, err = g.g.NewFilterContext(astiav.FindFilterByName(srcName), "in", args); err != nil {
		return fail(err)
	}
	if g.sink, err = g.g.NewFilterContext(astiav.FindFilterByName(sinkName), "out", nil); err != nil {
		return fail(err)
	}
	outputs, inputs := astiav.AllocFilterInOut(), astiav.AllocFilterInOut()
	defer outputs.Free()
	defer inputs.Free()
	outputs.SetName("in")
	outputs.SetFilterContext(g.src)
	outputs.SetPadIdx(0)
	inputs.SetName("out")
	inputs.SetFilterContext(g.sink)
	inputs.SetPadIdx(0)
	if err := g.g.Parse(spec, inputs, outputs); err != nil {
		return fail(err)
	}
	if err := g.g.Configure(); err != nil {
		return fail(err)
	}
	return g, nil
}
