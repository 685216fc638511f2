package libav

// #cgo pkg-config: libavutil
// #include <libavutil/frame.h>
// #include <string.h>
//
// // go-astiav cannot write pixels into a frame: copy Go planes in, making the
// // frame writable first (the encoder may still hold a reference to it).
// static int onair_copy_yuv420(AVFrame *f, const uint8_t *y, int ys, const uint8_t *u, const uint8_t *v, int cs, int w, int h) {
//     int r = av_frame_make_writable(f);
//     if (r < 0) return r;
//     for (int i = 0; i < h; i++) memcpy(f->data[0] + i * f->linesize[0], y + i * ys, w);
//     for (int i = 0; i < h / 2; i++) {
//         memcpy(f->data[1] + i * f->linesize[1], u + i * cs, w / 2);
//         memcpy(f->data[2] + i * f->linesize[2], v + i * cs, w / 2);
//     }
//     return 0;
// }
//
// static int onair_copy_fltp2(AVFrame *f, const float *l, const float *r, int n) {
//     int e = av_frame_make_writable(f);
//     if (e < 0) return e;
//     memcpy(f->data[0], l, n * sizeof(float));
//     memcpy(f->data[1], r, n * sizeof(float));
//     return 0;
// }
//
// // libopus takes interleaved samples: L R L R ….
// static int onair_copy_flt2(AVFrame *f, const float *l, const float *r, int n) {
//     int e = av_frame_make_writable(f);
//     if (e < 0) return e;
//     float *d = (float *)f->data[0];
//     for (int i = 0; i < n; i++) { d[2 * i] = l[i]; d[2 * i + 1] = r[i]; }
//     return 0;
// }
import "C"

import (
	"fmt"
	"image"
	"unsafe"

	"github.com/asticode/go-astiav"
)

func copyPicture(dst *astiav.Frame, src *image.YCbCr) error {
	w, h := src.Rect.Dx(), src.Rect.Dy()
	if w != dst.Width() || h != dst.Height() {
		return fmt.Errorf("picture is %dx%d, encoder expects %dx%d", w, h, dst.Width(), dst.Height())
	}
	r := C.onair_copy_yuv420((*C.AVFrame)(dst.UnsafePointer()),
		(*C.uint8_t)(unsafe.Pointer(&src.Y[0])), C.int(src.YStride),
		(*C.uint8_t)(unsafe.Pointer(&src.Cb[0])), (*C.uint8_t)(unsafe.Pointer(&src.Cr[0])), C.int(src.CStride),
		C.int(w), C.int(h))
	if r < 0 {
		return fmt.Errorf("copying picture into encoder frame: error %d", int(r))
	}
	return nil
}

func copySamples(dst *astiav.Frame, l, r []float32) error {
	if len(l) != dst.NbSamples() || len(r) != len(l) {
		return fmt.Errorf("audio frame has %d samples, encoder expects %d", len(l), dst.NbSamples())
	}
	f, lp, rp, n := (*C.AVFrame)(dst.UnsafePointer()), (*C.float)(unsafe.Pointer(&l[0])), (*C.float)(unsafe.Pointer(&r[0])), C.int(len(l))
	var e C.int
	if dst.SampleFormat() == astiav.SampleFormatFlt {
		e = C.onair_copy_flt2(f, lp, rp, n)
	} else {
		e = C.onair_copy_fltp2(f, lp, rp, n)
	}
	if e < 0 {
		return fmt.Errorf("copying samples into encoder frame: error %d", int(e))
	}
	return nil
}
