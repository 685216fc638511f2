package media

// #cgo pkg-config: libavutil
// #cgo pkg-config: libavcodec
// #include <libavcodec/avcodec.h>
// #include <libavutil/frame.h>
// #include <string.h>
//
// static void onair_copy_out_fltp2(const AVFrame *f, float *l, float *r, int n) {
//     memcpy(l, f->data[0], n * sizeof(float));
//     memcpy(r, f->data[1], n * sizeof(float));
// }
import "C"

import (
	"image"
	"sync/atomic"
	"unsafe"

	"github.com/asticode/go-astiav"
)

// livePictures counts decoded pictures not yet freed, so tests can tell that
// every one is.
var livePictures atomic.Int64

// wrapPicture returns a new reference to src (a yuv420p frame) and a picture
// that reads its planes in place: decoded pictures reach the encoder without
// a copy. free drops the reference; the picture must not be used after.
func wrapPicture(src *astiav.Frame) (pic *image.YCbCr, ref *astiav.Frame, free func()) {
	ref = src.Clone()
	livePictures.Add(1)
	free = func() { ref.Free(); livePictures.Add(-1) }
	return planes(ref), ref, free
}

// planes is a picture that reads a yuv420p frame's planes in place; it must
// not be used after the frame is freed.
func planes(f *astiav.Frame) *image.YCbCr {
	c := (*C.AVFrame)(f.UnsafePointer())
	w, h := int(c.width), int(c.height)
	ys, cs := int(c.linesize[0]), int(c.linesize[1])
	return &image.YCbCr{
		Y:              unsafe.Slice((*uint8)(unsafe.Pointer(c.data[0])), ys*(h-1)+w),
		Cb:             unsafe.Slice((*uint8)(unsafe.Pointer(c.data[1])), cs*(h/2-1)+w/2),
		Cr:             unsafe.Slice((*uint8)(unsafe.Pointer(c.data[2])), cs*(h/2-1)+w/2),
		YStride:        ys,
		CStride:        cs,
		SubsampleRatio: image.YCbCrSubsampleRatio420,
		Rect:           image.Rect(0, 0, w, h),
	}
}

// copySamples copies a stereo fltp frame's samples out of libav memory.
func copySamples(l, r []float32, src *astiav.Frame) {
	if len(l) == 0 {
		return
	}
	C.onair_copy_out_fltp2((*C.AVFrame)(src.UnsafePointer()),
		(*C.float)(unsafe.Pointer(&l[0])), (*C.float)(unsafe.Pointer(&r[0])), C.int(len(l)))
}

// flushDecoder empties a decoder after it was drained, so it can decode again
// (go-astiav v0.16 has no binding for avcodec_flush_buffers).
func flushDecoder(cc *astiav.CodecContext) {
	C.avcodec_flush_buffers(codecContextC(cc))
}

// codecContextC is go-astiav's C pointer: CodecContext's first field, a
// layout the pinned v0.16.0 guarantees and a test checks.
func codecContextC(cc *astiav.CodecContext) *C.AVCodecContext {
	return *(**C.AVCodecContext)(unsafe.Pointer(cc))
}

func codecContextWidth(cc *astiav.CodecContext) int { return int(codecContextC(cc).width) }
