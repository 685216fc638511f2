package media

// #cgo pkg-config: libavutil
// #cgo pkg-config: libavcodec
// #cgo pkg-config: libswscale
// #include <libavcodec/avcodec.h>
// #include <libavutil/frame.h>
// #include <libavutil/imgutils.h>
// #include <libavutil/buffer.h>
// #include <libswscale/swscale.h>
// #include <string.h>
//
// // onair_decode_jpeg decodes one JPEG (Go memory, only for the call) into
// // out: a copy in p (padded, as decoders want), sent and received in one
// // call. stage says which step failed: 0 the packet, 1 sending, 2 receiving.
// static int onair_decode_jpeg(AVCodecContext *dec, AVPacket *p, const uint8_t *data, int n, AVFrame *out, int *stage) {
//     *stage = 0;
//     av_packet_unref(p);
//     int err = av_new_packet(p, n);
//     if (err < 0) return err;
//     memcpy(p->data, data, n);
//     *stage = 1;
//     err = avcodec_send_packet(dec, p);
//     av_packet_unref(p);
//     if (err < 0) return err;
//     *stage = 2;
//     return avcodec_receive_frame(dec, out);
// }
//
// // onair_pool_frame points f (allocated, empty) at a yuv420p w×h picture in
// // a buffer of pool (one buffer, three planes, rows padded to 64 bytes).
// static int onair_pool_frame(AVFrame *f, AVBufferPool *pool, int w, int h) {
//     AVBufferRef *b = av_buffer_pool_get(pool);
//     if (!b) return AVERROR(ENOMEM);
//     int ys = FFALIGN(w, 64), cs = FFALIGN(w / 2, 64);
//     f->buf[0] = b;
//     f->format = AV_PIX_FMT_YUV420P;
//     f->width = w;
//     f->height = h;
//     f->color_range = AVCOL_RANGE_MPEG;
//     f->data[0] = b->data;
//     f->data[1] = b->data + (size_t)ys * h;
//     f->data[2] = f->data[1] + (size_t)cs * (h / 2);
//     f->linesize[0] = ys;
//     f->linesize[1] = cs;
//     f->linesize[2] = cs;
//     return 0;
// }
//
// // The planes, and the padding libav's own frames have past the last row
// // (SIMD code may read a little beyond).
// static int onair_pool_size(int w, int h) {
//     return FFALIGN(w, 64) * h + 2 * FFALIGN(w / 2, 64) * (h / 2) + AV_INPUT_BUFFER_PADDING_SIZE;
// }
//
// // onair_sws_open makes a scaler to yuv420p, limited range, from fmt in the
// // range given (full: a JPEG's).
// static struct SwsContext *onair_sws_open(int sw, int sh, int fmt, int full, int dw, int dh) {
//     struct SwsContext *s = sws_getContext(sw, sh, fmt, dw, dh, AV_PIX_FMT_YUV420P, SWS_BICUBIC, NULL, NULL, NULL);
//     if (!s) return NULL;
//     const int *c = sws_getCoefficients(SWS_CS_ITU601);
//     sws_setColorspaceDetails(s, c, full, c, 0, 0, 1 << 16, 1 << 16);
//     return s;
// }
//
// // onair_sws_frame scales a decoded picture into the three planes given
// // (Go memory, only for the call).
// static int onair_sws_frame(struct SwsContext *s, const AVFrame *f, uint8_t *y, uint8_t *cb, uint8_t *cr, int ys, int cs) {
//     uint8_t *dst[4] = {y, cb, cr, NULL};
//     int lines[4] = {ys, cs, cs, 0};
//     return sws_scale(s, (const uint8_t *const *)f->data, f->linesize, 0, f->height, dst, lines);
// }
//
// // onair_sws_bytes scales a raw picture laid out as V4L2 sends it (planes
// // back to back, no row padding); data is Go memory, only for the call.
// static int onair_sws_bytes(struct SwsContext *s, const uint8_t *data, int n, int fmt, int w, int h,
//                            uint8_t *y, uint8_t *cb, uint8_t *cr, int ys, int cs) {
//     const uint8_t *src[4];
//     int srcLines[4];
//     int size = av_image_fill_arrays((uint8_t **)src, srcLines, data, fmt, w, h, 1);
//     if (size < 0) return size;
//     if (size > n) return AVERROR_INVALIDDATA;
//     uint8_t *dst[4] = {y, cb, cr, NULL};
//     int lines[4] = {ys, cs, cs, 0};
//     return sws_scale(s, src, srcLines, 0, h, dst, lines);
// }
import "C"

import (
	"bytes"
	"errors"
	"fmt"
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

// jpegFormats are the full-range formats libavcodec's JPEG decoder gives and
// the same layout without the deprecated "j" (the range is said apart).
var jpegFormats = map[astiav.PixelFormat]astiav.PixelFormat{
	astiav.PixelFormatYuvj420P: astiav.PixelFormatYuv420P,
	astiav.PixelFormatYuvj422P: astiav.PixelFormatYuv422P,
	astiav.PixelFormatYuvj440P: astiav.PixelFormatYuv440P,
	astiav.PixelFormatYuvj444P: astiav.PixelFormatYuv444P,
}

// converter turns a camera's frames into canvas pictures: MJPEG through
// libavcodec's mjpeg decoder, then libswscale straight into a libav frame
// from its own buffer pool (handed on as the picture's Native, so the
// encoder takes it by reference instead of copying it), placed as the media file source places a clip (fit) and in
// its range (canvasFilter). No filter graph: it would cost a copy of every
// picture out of libav's buffers. One goroutine uses it at a time.
type converter struct {
	format                 frame.Format
	srcW, srcH, dstW, dstH int
	bufs                   *C.AVBufferPool // canvas pictures; freed when the last one returns

	dec *astiav.CodecContext // MJPEG only
	pkt *C.AVPacket          // MJPEG only (go-astiav v0.16 shows no Packet's C pointer)
	in  *astiav.Frame        // MJPEG only: the decoded picture

	sws            *C.struct_SwsContext
	swsKey         string // the input the scaler was made for
	x, y, fw, fh   int    // where the picture lands on the canvas
	blackY, blackC []byte // a canvas row of black, for the bars
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
	c := &converter{format: format, srcW: srcW, srcH: srcH, dstW: dstW, dstH: dstH}
	c.blackY, c.blackC = bytes.Repeat([]byte{16}, dstW), bytes.Repeat([]byte{128}, dstW/2)
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
		c.in = astiav.AllocFrame()
	default:
		if _, ok := rawFormats[format]; !ok {
			return nil, fmt.Errorf("camera converter: onair cannot read %q pictures (it takes MJPEG, YUYV, UYVY, NV12, NV21, I420)", format)
		}
	}
	c.bufs = C.av_buffer_pool_init(C.size_t(C.onair_pool_size(C.int(dstW), C.int(dstH))), nil)
	if c.bufs == nil {
		if c.dec != nil {
			c.dec.Free()
			C.av_packet_free(&c.pkt)
			c.in.Free()
		}
		return nil, errors.New("camera converter: out of memory for its pictures")
	}
	liveConverters.Add(1)
	return c, nil
}

// Close frees the decoder and the scaler. Pictures already handed out stay
// valid: the buffer pool goes when the last of them is released. It may be
// called more than once.
func (c *converter) Close() {
	if c.bufs == nil {
		return
	}
	if c.sws != nil {
		C.sws_freeContext(c.sws)
		c.sws = nil
	}
	if c.dec != nil {
		c.dec.Free()
		C.av_packet_free(&c.pkt)
		c.in.Free()
		c.dec, c.pkt, c.in = nil, nil, nil
	}
	C.av_buffer_pool_uninit(&c.bufs)
	liveConverters.Add(-1)
}

// Convert turns one camera frame into a canvas picture (the caller's
// reference; Seq and At are the caller's to set). A damaged frame is an
// error for that frame only: the next one converts as usual.
func (c *converter) Convert(rf *device.RawFrame) (*capture.Frame, error) {
	if c.bufs == nil {
		return nil, errors.New("camera converter is closed")
	}
	if len(rf.Data) == 0 {
		return nil, errors.New("camera sent an empty frame")
	}
	if rf.Format != c.format {
		return nil, fmt.Errorf("camera sent a %s frame, expected %s", rf.Format, c.format)
	}
	if c.format == frame.FormatMJPEG {
		return c.convertJPEG(rf.Data)
	}
	if rf.Width != c.srcW || rf.Height != c.srcH {
		return nil, fmt.Errorf("camera sent a %dx%d frame, expected %dx%d", rf.Width, rf.Height, c.srcW, c.srcH)
	}
	if c.format == frame.FormatI420 && c.srcW == c.dstW && c.srcH == c.dstH {
		return c.copyI420(rf.Data)
	}
	pf := rawFormats[c.format]
	if err := c.ensureScaler(c.srcW, c.srcH, pf, false); err != nil {
		return nil, err
	}
	f, y, cb, cr, err := c.target()
	if err != nil {
		return nil, err
	}
	data := rf.Data
	n := C.onair_sws_bytes(c.sws, (*C.uint8_t)(unsafe.Pointer(&data[0])), C.int(len(data)), C.int(pf), C.int(c.srcW), C.int(c.srcH),
		y, cb, cr, C.int(f.Pic.YStride), C.int(f.Pic.CStride))
	if n <= 0 {
		f.Release()
		if n == 0 {
			n = C.AVERROR_INVALIDDATA
		}
		return nil, fmt.Errorf("camera sent a %s %dx%d frame of %d bytes: %w", c.format, c.srcW, c.srcH, len(data), astiavError(n))
	}
	return f, nil
}

func (c *converter) convertJPEG(data []byte) (*capture.Frame, error) {
	var stage C.int
	if e := C.onair_decode_jpeg(codecContextC(c.dec), c.pkt, (*C.uint8_t)(unsafe.Pointer(&data[0])), C.int(len(data)),
		(*C.AVFrame)(c.in.UnsafePointer()), &stage); e < 0 {
		switch stage {
		case 0:
			return nil, fmt.Errorf("camera frame: %w", astiavError(e))
		case 1:
			return nil, fmt.Errorf("camera frame: the JPEG is damaged: %w", astiavError(e))
		}
		return nil, fmt.Errorf("camera frame: the JPEG is damaged, no picture in it: %w", astiavError(e))
	}
	defer c.in.Unref()
	pf, full := c.in.PixelFormat(), c.in.ColorRange() == astiav.ColorRangeJpeg
	if p, ok := jpegFormats[pf]; ok {
		pf, full = p, true
	}
	if err := c.ensureScaler(c.in.Width(), c.in.Height(), pf, full); err != nil {
		return nil, err
	}
	f, y, cb, cr, err := c.target()
	if err != nil {
		return nil, err
	}
	if n := C.onair_sws_frame(c.sws, (*C.AVFrame)(c.in.UnsafePointer()), y, cb, cr, C.int(f.Pic.YStride), C.int(f.Pic.CStride)); n <= 0 {
		f.Release()
		return nil, fmt.Errorf("camera frame: scaling failed (%d)", int(n))
	}
	return f, nil
}

// ensureScaler (re)makes the scaler when the picture coming in is not what
// it was made for (the first JPEG tells its size and subsampling).
func (c *converter) ensureScaler(w, h int, pf astiav.PixelFormat, full bool) error {
	key := fmt.Sprintf("%dx%d/%d/%v", w, h, pf, full)
	if c.sws != nil && c.swsKey == key {
		return nil
	}
	if c.sws != nil {
		C.sws_freeContext(c.sws)
		c.sws = nil
	}
	c.x, c.y, c.fw, c.fh = fit(w, h, c.dstW, c.dstH)
	fullC := C.int(0)
	if full {
		fullC = 1
	}
	c.sws = C.onair_sws_open(C.int(w), C.int(h), C.int(pf), fullC, C.int(c.fw), C.int(c.fh))
	if c.sws == nil {
		return fmt.Errorf("camera converter: libswscale cannot convert %dx%d %s to %dx%d yuv420p", w, h, pf, c.fw, c.fh)
	}
	c.swsKey = key
	return nil
}

// picture returns a canvas picture in a buffer of the pool, its libav frame
// as Native. The picture's pixels are whatever the buffer's last user left.
func (c *converter) picture() (*capture.Frame, error) {
	av := astiav.AllocFrame()
	if av == nil {
		return nil, errors.New("camera converter: out of memory for a picture")
	}
	if e := C.onair_pool_frame((*C.AVFrame)(av.UnsafePointer()), c.bufs, C.int(c.dstW), C.int(c.dstH)); e < 0 {
		av.Free()
		return nil, fmt.Errorf("camera converter: %w", astiavError(e))
	}
	livePictures.Add(1)
	f := capture.NewFrame(planes(av), 0, 0, func() { av.Free(); livePictures.Add(-1) })
	f.Native = av
	return f, nil
}

// target takes a picture, paints the bars around where the camera's picture
// lands (row copies), and returns pointers to that place in each plane.
func (c *converter) target() (f *capture.Frame, y, cb, cr *C.uint8_t, err error) {
	if f, err = c.picture(); err != nil {
		return nil, nil, nil, nil, err
	}
	p := f.Pic
	if c.fw != c.dstW || c.fh != c.dstH {
		for row := 0; row < c.dstH; row++ {
			line := p.Y[row*p.YStride:][:c.dstW]
			if row < c.y || row >= c.y+c.fh {
				copy(line, c.blackY)
				continue
			}
			copy(line[:c.x], c.blackY)
			copy(line[c.x+c.fw:], c.blackY)
		}
		for row := 0; row < c.dstH/2; row++ {
			for _, pl := range [2][]byte{p.Cb, p.Cr} {
				line := pl[row*p.CStride:][:c.dstW/2]
				if row < c.y/2 || row >= (c.y+c.fh)/2 {
					copy(line, c.blackC)
					continue
				}
				copy(line[:c.x/2], c.blackC)
				copy(line[(c.x+c.fw)/2:], c.blackC)
			}
		}
	}
	ci := (c.y/2)*p.CStride + c.x/2
	return f, (*C.uint8_t)(unsafe.Pointer(&p.Y[c.y*p.YStride+c.x])),
		(*C.uint8_t)(unsafe.Pointer(&p.Cb[ci])), (*C.uint8_t)(unsafe.Pointer(&p.Cr[ci])), nil
}

// copyI420 is the layout the canvas already has: plane copies, no libav.
func (c *converter) copyI420(data []byte) (*capture.Frame, error) {
	ys, cs := c.srcW*c.srcH, (c.srcW/2)*(c.srcH/2)
	if len(data) < ys+2*cs {
		return nil, fmt.Errorf("camera sent an I420 %dx%d frame of %d bytes, want %d", c.srcW, c.srcH, len(data), ys+2*cs)
	}
	f, err := c.picture()
	if err != nil {
		return nil, err
	}
	p, w, h := f.Pic, c.srcW, c.srcH
	for row := range h {
		copy(p.Y[row*p.YStride:][:w], data[row*w:])
	}
	for row := range h / 2 {
		copy(p.Cb[row*p.CStride:][:w/2], data[ys+row*w/2:])
		copy(p.Cr[row*p.CStride:][:w/2], data[ys+cs+row*w/2:])
	}
	return f, nil
}

func astiavError(e C.int) error {
	buf := make([]C.char, 128)
	C.av_strerror(e, &buf[0], C.size_t(len(buf)))
	return errors.New(C.GoString(&buf[0]))
}
