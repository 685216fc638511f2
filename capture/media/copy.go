package media

// #cgo pkg-config: libavutil
// #include <libavutil/frame.h>
// #include <string.h>
//
// static void onair_copy_out_yuv420(const AVFrame *f, uint8_t *y, int ys, uint8_t *u, uint8_t *v, int cs, int w, int h) {
//     for (int i = 0; i < h; i++) memcpy(y + i * ys, f->data[0] + i * f->linesize[0], w);
//     for (int i = 0; i < h / 2; i++) {
//         memcpy(u + i * cs, f->data[1] + i * f->linesize[1], w / 2);
//         memcpy(v + i * cs, f->data[2] + i * f->linesize[2], w / 2);
//     }
// }
//
// static void onair_copy_out_fltp2(const AVFrame *f, float *l, float *r, int n) {
//     memcpy(l, f->data[0], n * sizeof(float));
//     memcpy(r, f->data[1], n * sizeof(float));
// }
import "C"

import (
	"image"
	"unsafe"

	"github.com/asticode/go-astiav"
)

// copyPicture copies a yuv420p frame of dst's size out of libav memory.
func copyPicture(dst *image.YCbCr, src *astiav.Frame) {
	C.onair_copy_out_yuv420((*C.AVFrame)(src.UnsafePointer()),
		(*C.uint8_t)(unsafe.Pointer(&dst.Y[0])), C.int(dst.YStride),
		(*C.uint8_t)(unsafe.Pointer(&dst.Cb[0])), (*C.uint8_t)(unsafe.Pointer(&dst.Cr[0])), C.int(dst.CStride),
		C.int(dst.Rect.Dx()), C.int(dst.Rect.Dy()))
}

// copySamples copies a stereo fltp frame's samples out of libav memory.
func copySamples(l, r []float32, src *astiav.Frame) {
	if len(l) == 0 {
		return
	}
	C.onair_copy_out_fltp2((*C.AVFrame)(src.UnsafePointer()),
		(*C.float)(unsafe.Pointer(&l[0])), (*C.float)(unsafe.Pointer(&r[0])), C.int(len(l)))
}
