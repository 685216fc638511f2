package media

// #cgo pkg-config: libavutil
// #cgo pkg-config: libavcodec
// #include <libavcodec/avcodec.h>
// #include <libavutil/frame.h>
// #include <libavutil/imgutils.h>
// #include <string.h>
//
// // onair_packet_set puts a copy of data in p (padded, as decoders want).
// static int onair_packet_set(AVPacket *p, const uint8_t *data, int n) {
//     av_packet_unref(p);
//     int err = av_new_packet(p, n);
//     if (err < 0) return err;
//     memcpy(p->data, data, n);
//     return 0;
// }
//
// // onair_frame_fill copies a raw picture laid out as V4L2 sends it (planes
// // back to back, no row padding) into f's own buffers, reusing them.
// static int onair_frame_fill(AVFrame *f, int fmt, int w, int h, const uint8_t *data, int n) {
//     int err;
//     if (!f->buf[0] || f->format != fmt || f->width != w || f->height != h) {
//         av_frame_unref(f);
//         f->format = fmt;
//         f->width = w;
//         f->height = h;
//         err = av_frame_get_buffer(f, 0);
//     } else {
//         err = av_frame_make_writable(f);
//     }
//     if (err < 0) return err;
//     uint8_t *src[4];
//     int lines[4];
//     int size = av_image_fill_arrays(src, lines, data, fmt, w, h, 1);
//     if (size < 0) return size;
//     if (size > n) return AVERROR_INVALIDDATA;
//     av_image_copy(f->data, f->linesize, (const uint8_t **)src, lines, fmt, w, h);
//     return 0;
// }
//
// // onair_copy_out copies a yuv420p frame's planes into Go memory.
// static void onair_copy_out(const AVFrame *f, uint8_t *y, int ys, uint8_t *cb, uint8_t *cr, int cs) {
//     int w = f->width, h = f->height;
//     for (int i = 0; i < h; i++)
//         memcpy(y + i * ys, f->data[0] + i * f->linesize[0], w);
//     for (int i = 0; i < h / 2; i++) {
//         memcpy(cb + i * cs, f->data[1] + i * f->linesize[1], w / 2);
//         memcpy(cr + i * cs, f->data[2] + i * f->linesize[2], w / 2);
//     }
// }
import "C"

import (
	"errors"
	"fmt"
	"strconv"
	"sync/atomic"
	"unsafe"

	"github.com/asticode/go-astiav"
	"github.com/pion/mediadevices/pkg/frame"

	"onair/capture"
	"onair/capture/device"
)

// liveConverters counts converters not yet closed, so tests can tell that
// every one's C memory is freed.
var liveConverters atomic.Int64

// rawFormats are the uncompressed layouts a camera sends and libav's name
// for each.
var rawFormats = map[frame.Format]astiav.PixelFormat{
	frame.FormatYUYV: astiav.PixelFormatYuyv422,
	frame.FormatYUY2: astiav.PixelFormatYuyv422,
	frame.FormatUYVY: astiav.PixelFormatUyvy422,
	frame.FormatNV12: astiav.PixelFormatNv12,
	frame.FormatNV21: astiav.PixelFormatNv21,
	frame.FormatI420: astiav.PixelFormatYuv420P,
}

// converter turns a camera's frames into canvas pictures: MJPEG through
// libavcodec's mjpeg decoder, everything through the canvas filter chain the
// media file source uses (libswscale), into frames from its own pool. One
// goroutine uses it at a time.
type converter struct {
	format                 frame.Format
	srcW, srcH, dstW, dstH int
	pool                   *capture.FramePool

	dec     *astiav.CodecContext // MJPEG only
	pkt     *C.AVPacket          // MJPEG only (go-astiav v0.16 shows no Packet's C pointer)
	in, out *astiav.Frame
	g       *graph
	gKey    string // the input the graph was built for
}

// NewConverter makes a converter for a camera sending format at srcW×srcH,
// to a dstW×dstH canvas. It satisfies device.NewConverter. Close frees it.
func NewConverter(format frame.Format, srcW, srcH, dstW, dstH int) (device.Converter, error) {
	if dstW < 2 || dstH < 2 || dstW%2 != 0 || dstH%2 != 0 {
		return nil, fmt.Errorf("camera converter: canvas %dx%d must have even sides", dstW, dstH)
	}
	if srcW < 1 || srcH < 1 {
		return nil, fmt.Errorf("camera converter: camera size %dx%d is empty", srcW, srcH)
	}
	c := &converter{format: format, srcW: srcW, srcH: srcH, dstW: dstW, dstH: dstH, pool: capture.NewFramePool(dstW, dstH)}
	switch {
	case format == frame.FormatMJPEG:
		codec := astiav.FindDecoder(astiav.CodecIDMjpeg)
		if codec == nil {
			return nil, errors.New("camera converter: this FFmpeg has no MJPEG decoder")
		}
		c.dec = astiav.AllocCodecContext(codec)
		c.dec.SetWidth(srcW)
		c.dec.SetHeight(srcH)
		c.dec.SetThreadCount(1) // one picture at a time: no frame delay
		if err := c.dec.Open(codec, nil); err != nil {
			c.dec.Free()
			return nil, fmt.Errorf("camera converter: opening the MJPEG decoder: %w", err)
		}
		c.pkt = C.av_packet_alloc()
	default:
		if _, ok := rawFormats[format]; ok {
			break
		}
		return nil, fmt.Errorf("camera converter: onair cannot read %q pictures (it takes MJPEG, YUYV, UYVY, NV12, NV21, I420)", format)
	}
	c.in, c.out = astiav.AllocFrame(), astiav.AllocFrame()
	liveConverters.Add(1)
	return c, nil
}

// Close frees the decoder, the filter graph and the frames. Pictures already
// handed out are Go memory and stay valid. It may be called more than once.
func (c *converter) Close() {
	if c.in == nil {
		return
	}
	if c.g != nil {
		c.g.g.Free()
		c.g = nil
	}
	if c.dec != nil {
		c.dec.Free()
		C.av_packet_free(&c.pkt)
		c.dec, c.pkt = nil, nil
	}
	c.in.Free()
	c.out.Free()
	c.in, c.out = nil, nil
	liveConverters.Add(-1)
}

// Convert turns one camera frame into a canvas picture (the caller's
// reference; Seq and At are the caller's to set). A damaged frame is an
// error for that frame only: the next one converts as usual.
func (c *converter) Convert(rf *device.RawFrame) (*capture.Frame, error) {
	if c.in == nil {
		return nil, errors.New("camera converter is closed")
	}
	if len(rf.Data) == 0 {
		return nil, errors.New("camera sent an empty frame")
	}
	if rf.Format != c.format {
		return nil, fmt.Errorf("camera sent a %s frame, expected %s", rf.Format, c.format)
	}
	if c.format == frame.FormatMJPEG {
		if err := c.decode(rf.Data); err != nil {
			return nil, err
		}
		defer c.in.Unref()
	} else {
		if rf.Width != c.srcW || rf.Height != c.srcH {
			return nil, fmt.Errorf("camera sent a %dx%d frame, expected %dx%d", rf.Width, rf.Height, c.srcW, c.srcH)
		}
		if c.format == frame.FormatI420 && c.srcW == c.dstW && c.srcH == c.dstH {
			return c.copyI420(rf.Data)
		}
		if err := c.fill(rf.Data); err != nil {
			return nil, err
		}
	}
	return c.filter()
}

func (c *converter) decode(data []byte) error {
	if e := C.onair_packet_set(c.pkt, (*C.uint8_t)(unsafe.Pointer(&data[0])), C.int(len(data))); e < 0 {
		return fmt.Errorf("camera frame: %w", astiavError(e))
	}
	e := C.avcodec_send_packet(codecContextC(c.dec), c.pkt)
	C.av_packet_unref(c.pkt)
	if e < 0 {
		return fmt.Errorf("camera frame: the JPEG is damaged: %w", astiavError(e))
	}
	if err := c.dec.ReceiveFrame(c.in); err != nil {
		return fmt.Errorf("camera frame: the JPEG is damaged, no picture in it: %w", err)
	}
	return nil
}

func (c *converter) fill(data []byte) error {
	pf := rawFormats[c.format]
	e := C.onair_frame_fill((*C.AVFrame)(c.in.UnsafePointer()), C.int(pf), C.int(c.srcW), C.int(c.srcH),
		(*C.uint8_t)(unsafe.Pointer(&data[0])), C.int(len(data)))
	if e < 0 {
		return fmt.Errorf("camera sent a %s %dx%d frame of %d bytes, too short: %w", c.format, c.srcW, c.srcH, len(data), astiavError(e))
	}
	// Cameras send YUV in limited range unless they say otherwise (JPEG does).
	c.in.SetColorRange(astiav.ColorRangeMpeg)
	return nil
}

// copyI420 is the layout the canvas already has: plane copies, no libav.
func (c *converter) copyI420(data []byte) (*capture.Frame, error) {
	ys, cs := c.srcW*c.srcH, (c.srcW/2)*(c.srcH/2)
	if len(data) < ys+2*cs {
		return nil, fmt.Errorf("camera sent an I420 %dx%d frame of %d bytes, want %d", c.srcW, c.srcH, len(data), ys+2*cs)
	}
	f := c.pool.Get()
	copy(f.Pic.Y, data[:ys])
	copy(f.Pic.Cb, data[ys:ys+cs])
	copy(f.Pic.Cr, data[ys+cs:ys+2*cs])
	return f, nil
}

// filter runs c.in through the canvas chain into a pool frame.
func (c *converter) filter() (*capture.Frame, error) {
	if err := c.ensureGraph(); err != nil {
		return nil, err
	}
	if err := c.g.src.BuffersrcAddFrame(c.in, astiav.NewBuffersrcFlags(astiav.BuffersrcFlagKeepRef)); err != nil {
		return nil, fmt.Errorf("camera frame: filtering: %w", err)
	}
	if err := c.g.sink.BuffersinkGetFrame(c.out, astiav.NewBuffersinkFlags()); err != nil {
		return nil, fmt.Errorf("camera frame: filtering: %w", err)
	}
	defer c.out.Unref()
	if c.out.Width() != c.dstW || c.out.Height() != c.dstH || c.out.PixelFormat() != astiav.PixelFormatYuv420P {
		return nil, fmt.Errorf("camera frame: the filter made %dx%d %s, not the canvas", c.out.Width(), c.out.Height(), c.out.PixelFormat())
	}
	f := c.pool.Get()
	p := f.Pic
	C.onair_copy_out((*C.AVFrame)(c.out.UnsafePointer()),
		(*C.uint8_t)(unsafe.Pointer(&p.Y[0])), C.int(p.YStride),
		(*C.uint8_t)(unsafe.Pointer(&p.Cb[0])), (*C.uint8_t)(unsafe.Pointer(&p.Cr[0])), C.int(p.CStride))
	return f, nil
}

// ensureGraph (re)builds the filter graph when the picture coming in is not
// what it was built for (the first JPEG tells its size and subsampling).
func (c *converter) ensureGraph() error {
	w, h, pf := c.in.Width(), c.in.Height(), c.in.PixelFormat()
	full := c.in.ColorRange() == astiav.ColorRangeJpeg
	key := fmt.Sprintf("%dx%d/%d/%v", w, h, pf, full)
	if c.g != nil && c.gKey == key {
		return nil
	}
	if c.g != nil {
		c.g.g.Free()
		c.g = nil
	}
	g, err := newGraph("buffer", "buffersink", astiav.FilterArgs{
		"pix_fmt":      strconv.Itoa(int(pf)),
		"pixel_aspect": "1/1",
		"time_base":    "1/1000",
		"video_size":   fmt.Sprintf("%dx%d", w, h),
	}, canvasFilter(w, h, pf, full, c.dstW, c.dstH))
	if err != nil {
		return fmt.Errorf("camera converter: filter for %dx%d %s: %w", w, h, pf, err)
	}
	c.g, c.gKey = g, key
	return nil
}

func astiavError(e C.int) error {
	buf := make([]C.char, 128)
	C.av_strerror(e, &buf[0], C.size_t(len(buf)))
	return errors.New(C.GoString(&buf[0]))
}
