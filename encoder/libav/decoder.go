package libav

// #cgo pkg-config: libavutil
// #include <libavutil/frame.h>
//
// // A decoded frame's sound as Go floats: planar or interleaved float,
// // mono copied to both sides.
// static int onair_frame_stereo(const AVFrame *f, float *l, float *r) {
//     int n = f->nb_samples, ch = f->ch_layout.nb_channels;
//     if (ch < 1) return -1;
//     if (f->format == AV_SAMPLE_FMT_FLTP) {
//         const float *a = (const float *)f->data[0], *b = ch > 1 ? (const float *)f->data[1] : a;
//         for (int i = 0; i < n; i++) { l[i] = a[i]; r[i] = b[i]; }
//         return n;
//     }
//     if (f->format == AV_SAMPLE_FMT_FLT) {
//         const float *a = (const float *)f->data[0];
//         for (int i = 0; i < n; i++) { l[i] = a[i * ch]; r[i] = a[i * ch + (ch > 1)]; }
//         return n;
//     }
//     return -2;
// }
import "C"

import (
	"errors"
	"fmt"
	"image"
	"strconv"
	"unsafe"

	"github.com/asticode/go-astiav"
)

// MaxDecodePixels is the largest picture a VideoDecoder takes: 4096x2304.
const MaxDecodePixels = 4096 * 2304

// VideoDecoder decodes H.264 (Annex B access units) or VP8 frames into
// Go-owned pictures: what a WebRTC viewer's camera sends us.
type VideoDecoder struct {
	decoding
	name string
}

// NewVideoDecoder opens FFmpeg's decoder for codec: "H264" or "VP8" (case
// does not matter; a MIME type such as "video/VP8" works too).
func NewVideoDecoder(codec string) (*VideoDecoder, error) {
	var id astiav.CodecID
	var name string
	switch normalizeCodec(codec) {
	case "H264":
		id, name = astiav.CodecIDH264, "H.264"
	case "VP8":
		id, name = astiav.CodecIDVp8, "VP8"
	default:
		return nil, fmt.Errorf("no decoder for %q video: H.264 and VP8 are decoded", codec)
	}
	c := astiav.FindDecoder(id)
	if c == nil {
		return nil, fmt.Errorf("the %s decoder is missing from this FFmpeg build", name)
	}
	d := &VideoDecoder{name: name, decoding: decoding{cc: astiav.AllocCodecContext(c)}}
	if d.cc == nil {
		return nil, fmt.Errorf("allocating the %s decoder failed", name)
	}
	// One picture in, one out: no frame threads (they hold pictures back).
	d.cc.SetThreadCount(1)
	// A stranger's browser sends these pictures: no bigger than 4K (a
	// keyframe may claim 16000x16000 and cost gigabytes).
	opts := astiav.NewDictionary()
	defer opts.Free()
	if err := opts.Set("max_pixels", strconv.Itoa(MaxDecodePixels), 0); err != nil {
		d.Close()
		return nil, fmt.Errorf("limiting the %s decoder: %w", name, err)
	}
	if err := d.cc.Open(c, opts); err != nil {
		d.Close()
		return nil, fmt.Errorf("opening the %s decoder: %w", name, err)
	}
	d.frame = astiav.AllocFrame()
	d.pkt = astiav.AllocPacket()
	return d, nil
}

func normalizeCodec(s string) string {
	b := []byte(s)
	if i := len("video/"); len(b) > i && (string(b[:i]) == "video/" || string(b[:i]) == "VIDEO/") {
		b = b[i:]
	}
	out := make([]byte, 0, len(b))
	for _, c := range b {
		switch {
		case c >= 'a' && c <= 'z':
			out = append(out, c-'a'+'A')
		case c == '.' || c == '-':
		default:
			out = append(out, c)
		}
	}
	return string(out)
}

const inputPadding = 64

// ErrDecoderClosed is a Decode after Close.
var ErrDecoderClosed = errors.New("the video decoder is closed")

// Decode decodes one access unit (H.264: Annex B, parameter sets in band;
// VP8: one frame) and returns the pictures that came out, copied into Go
// memory (none while the decoder waits for a keyframe). Input it cannot
// decode is an error; the decoder stays usable.
func (d *VideoDecoder) Decode(au []byte) ([]*image.YCbCr, error) {
	if d.cc == nil {
		return nil, ErrDecoderClosed
	}
	if len(au) == 0 {
		return nil, nil
	}
	// A decoder's bit reader may read past the end: FFmpeg wants zeros
	// there (AV_INPUT_BUFFER_PADDING_SIZE), which FromData does not add.
	padded := make([]byte, len(au)+inputPadding)
	copy(padded, au)
	if err := d.pkt.FromData(padded); err != nil {
		return nil, fmt.Errorf("the %s decoder's packet: %w", d.name, err)
	}
	d.pkt.SetSize(len(au))
	err := d.cc.SendPacket(d.pkt)
	d.pkt.Unref()
	if err != nil && !errors.Is(err, astiav.ErrEagain) {
		return nil, fmt.Errorf("the %s decoder refused a picture: %w", d.name, err)
	}
	var out []*image.YCbCr
	for {
		err := d.cc.ReceiveFrame(d.frame)
		if errors.Is(err, astiav.ErrEagain) || errors.Is(err, astiav.ErrEof) {
			return out, nil
		}
		if err != nil {
			return out, fmt.Errorf("the %s decoder failed: %w", d.name, err)
		}
		img, err := d.copyOut()
		d.frame.Unref()
		if err != nil {
			return out, err
		}
		out = append(out, img)
	}
}

// copyOut copies the decoder's picture into Go memory (the decoder reuses
// its buffers).
func (d *VideoDecoder) copyOut() (*image.YCbCr, error) {
	f := d.frame
	if pf := f.PixelFormat(); pf != astiav.PixelFormatYuv420P && pf != astiav.PixelFormatYuvj420P {
		return nil, fmt.Errorf("the %s decoder gave %s pictures, only 4:2:0 is handled", d.name, pf)
	}
	w, h := f.Width(), f.Height()
	if w <= 0 || h <= 0 || w*h > MaxDecodePixels {
		return nil, fmt.Errorf("the %s decoder gave a %dx%d picture (at most 4096x2304 is taken)", d.name, w, h)
	}
	img := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
	cf := (*C.AVFrame)(f.UnsafePointer())
	copyPlane(img.Y, img.YStride, cf.data[0], int(cf.linesize[0]), w, h)
	cw, ch := (w+1)/2, (h+1)/2
	copyPlane(img.Cb, img.CStride, cf.data[1], int(cf.linesize[1]), cw, ch)
	copyPlane(img.Cr, img.CStride, cf.data[2], int(cf.linesize[2]), cw, ch)
	return img, nil
}

func copyPlane(dst []byte, dstStride int, src *C.uint8_t, srcStride, w, h int) {
	for y := 0; y < h; y++ {
		row := unsafe.Slice((*byte)(unsafe.Add(unsafe.Pointer(src), y*srcStride)), w)
		copy(dst[y*dstStride:y*dstStride+w], row)
	}
}

// decoding is what a decoder holds in C memory, one owner each.
type decoding struct {
	cc    *astiav.CodecContext
	frame *astiav.Frame
	pkt   *astiav.Packet
}

// Close frees the decoder; it is safe to call more than once.
func (d *decoding) Close() {
	if d.pkt != nil {
		d.pkt.Free()
		d.pkt = nil
	}
	if d.frame != nil {
		d.frame.Free()
		d.frame = nil
	}
	if d.cc != nil {
		d.cc.Free()
		d.cc = nil
	}
}

// OpusDecoder decodes the Opus a browser sends (a viewer's microphone) into
// 48 kHz stereo float samples in Go memory.
type OpusDecoder struct {
	decoding
}

// NewOpusDecoder opens FFmpeg's Opus decoder for 48 kHz stereo.
func NewOpusDecoder() (*OpusDecoder, error) {
	c := astiav.FindDecoder(astiav.CodecIDOpus)
	if c == nil {
		return nil, errors.New("the Opus decoder is missing from this FFmpeg build")
	}
	d := &OpusDecoder{decoding: decoding{cc: astiav.AllocCodecContext(c)}}
	if d.cc == nil {
		return nil, errors.New("allocating the Opus decoder failed")
	}
	// RTP carries no OpusHead: say what we want out.
	d.cc.SetSampleRate(48000)
	d.cc.SetChannelLayout(astiav.ChannelLayoutStereo)
	if err := d.cc.Open(c, nil); err != nil {
		d.Close()
		return nil, fmt.Errorf("opening the Opus decoder: %w", err)
	}
	d.frame = astiav.AllocFrame()
	d.pkt = astiav.AllocPacket()
	return d, nil
}

// Decode decodes one Opus packet into left and right samples (48 kHz).
// A packet it cannot decode is an error; the decoder stays usable.
func (d *OpusDecoder) Decode(pkt []byte) (l, r []float32, err error) {
	if d.cc == nil {
		return nil, nil, ErrDecoderClosed
	}
	if len(pkt) == 0 {
		return nil, nil, nil
	}
	padded := make([]byte, len(pkt)+inputPadding)
	copy(padded, pkt)
	if err := d.pkt.FromData(padded); err != nil {
		return nil, nil, fmt.Errorf("the Opus decoder's packet: %w", err)
	}
	d.pkt.SetSize(len(pkt))
	err = d.cc.SendPacket(d.pkt)
	d.pkt.Unref()
	if err != nil && !errors.Is(err, astiav.ErrEagain) {
		return nil, nil, fmt.Errorf("the Opus decoder refused a packet: %w", err)
	}
	for {
		err := d.cc.ReceiveFrame(d.frame)
		if errors.Is(err, astiav.ErrEagain) || errors.Is(err, astiav.ErrEof) {
			return l, r, nil
		}
		if err != nil {
			return l, r, fmt.Errorf("the Opus decoder failed: %w", err)
		}
		n := d.frame.NbSamples()
		if n > 0 {
			fl, fr := make([]float32, n), make([]float32, n)
			got := C.onair_frame_stereo((*C.AVFrame)(d.frame.UnsafePointer()), (*C.float)(unsafe.Pointer(&fl[0])), (*C.float)(unsafe.Pointer(&fr[0])))
			if got < 0 {
				format := d.frame.SampleFormat() // before the frame is let go
				d.frame.Unref()
				return l, r, fmt.Errorf("the Opus decoder gave %s samples, only float is handled", format)
			}
			l, r = append(l, fl...), append(r, fr...)
		}
		d.frame.Unref()
	}
}
