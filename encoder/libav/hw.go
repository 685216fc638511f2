package libav

// #cgo pkg-config: libavutil libavcodec
// #include <libavcodec/avcodec.h>
// #include <libavutil/hwcontext.h>
// #include <string.h>
//
// // A pool of VA-API surfaces (NV12) for the encoder to take its input from;
// // the encoder's context owns it.
// static int onair_hw_frames(AVCodecContext *cc, AVBufferRef *device, int w, int h) {
//     AVBufferRef *ref = av_hwframe_ctx_alloc(device);
//     if (!ref) return AVERROR(ENOMEM);
//     AVHWFramesContext *fc = (AVHWFramesContext *)ref->data;
//     fc->format = AV_PIX_FMT_VAAPI;
//     fc->sw_format = AV_PIX_FMT_NV12;
//     fc->width = w;
//     fc->height = h;
//     fc->initial_pool_size = 8;
//     int r = av_hwframe_ctx_init(ref);
//     if (r < 0) { av_buffer_unref(&ref); return r; }
//     cc->hw_frames_ctx = ref;
//     return 0;
// }
//
// // I420 to NV12 (what QSV and VA-API take): the luma plane as it is, the
// // chroma planes interleaved.
// static int onair_to_nv12(const AVFrame *src, AVFrame *dst) {
//     int r = av_frame_make_writable(dst);
//     if (r < 0) return r;
//     int w = src->width, h = src->height;
//     for (int y = 0; y < h; y++) memcpy(dst->data[0] + y * dst->linesize[0], src->data[0] + y * src->linesize[0], w);
//     for (int y = 0; y < h / 2; y++) {
//         const uint8_t *u = src->data[1] + y * src->linesize[1], *v = src->data[2] + y * src->linesize[2];
//         uint8_t *uv = dst->data[1] + y * dst->linesize[1];
//         for (int x = 0; x < w / 2; x++) { uv[2 * x] = u[x]; uv[2 * x + 1] = v[x]; }
//     }
//     return 0;
// }
//
// // A surface from the encoder's pool holding the NV12 picture.
// static int onair_hw_upload(AVCodecContext *cc, const AVFrame *nv12, AVFrame *hw) {
//     av_frame_unref(hw);
//     int r = av_hwframe_get_buffer(cc->hw_frames_ctx, hw, 0);
//     if (r < 0) return r;
//     return av_hwframe_transfer_data(hw, nv12, 0);
// }
import "C"

import (
	"fmt"
	"strings"
	"sync"
	"unsafe"

	"github.com/asticode/go-astiav"

	"onair/encoder"
)

// HardwareStatus is what probing found for one hardware encoder.
type HardwareStatus struct {
	Family  string // nvenc, vaapi, qsv
	Codec   encoder.Codec
	Encoder string // FFmpeg's name: h264_nvenc, hevc_vaapi, …
	Usable  bool
	Reason  string // why not, in words
}

var (
	probeOnce sync.Once
	probed    []HardwareStatus
)

// ProbeHardware tries each hardware encoder family for H.264 and HEVC once
// per process: is the encoder in this FFmpeg build, is there a device (GPU,
// driver), and does it open at 640x360. What it found is kept.
func ProbeHardware() []HardwareStatus {
	probeOnce.Do(func() {
		for _, family := range []string{encoder.NVENC, encoder.VAAPI, encoder.QSV} {
			var devErr error
			said := HoldLogs(func() { devErr = openDevice(family) })
			if devErr != nil && len(said) > 0 {
				devErr = fmt.Errorf("%s: %s", hwDevice[family].what, said[0])
			}
			for _, codec := range []encoder.Codec{encoder.H264, encoder.HEVC} {
				cfg := encoder.VideoConfig{Codec: codec, Width: 640, Height: 360, FPS: 30, BitrateKbps: 1000, Encoder: family}
				s := HardwareStatus{Family: family, Codec: codec, Encoder: cfg.EncoderName()}
				switch {
				case astiav.FindEncoderByName(s.Encoder) == nil:
					s.Reason = "not in this FFmpeg build"
				case devErr != nil:
					s.Reason = devErr.Error()
				default:
					var e *VideoEncoder
					var err error
					said := HoldLogs(func() { e, err = NewVideoEncoder(cfg) })
					if err != nil {
						s.Reason = strings.Join(append(said, err.Error()), "; ")
					} else {
						e.Close()
						s.Usable = true
					}
				}
				probed = append(probed, s)
			}
		}
	})
	return probed
}

// hwDevice is the device type each family needs, and what a missing one
// means for a person.
var hwDevice = map[string]struct {
	typ  astiav.HardwareDeviceType
	what string
}{
	encoder.NVENC: {astiav.HardwareDeviceTypeCUDA, "no NVIDIA GPU or driver"},
	encoder.VAAPI: {astiav.HardwareDeviceTypeVAAPI, "no VA-API device (/dev/dri/renderD128 with an Intel or AMD driver)"},
	encoder.QSV:   {astiav.HardwareDeviceTypeQSV, "no Intel Quick Sync device"},
}

func openDevice(family string) error {
	d := hwDevice[family]
	hdc, err := astiav.CreateHardwareDeviceContext(d.typ, "", nil)
	if err != nil {
		return fmt.Errorf("%s: %v", d.what, err)
	}
	freeDevice(hdc)
	return nil
}

// OpenVideoEncoder opens cfg's encoder. A hardware encoder that is missing
// or will not open is replaced by the software one, and notice says so in
// words; err is only for a software encoder that fails.
func OpenVideoEncoder(cfg encoder.VideoConfig) (e *VideoEncoder, notice string, err error) {
	cfg = cfg.Filled()
	if cfg.Encoder == encoder.Software {
		e, err = NewVideoEncoder(cfg)
		return e, "", err
	}
	for _, s := range ProbeHardware() {
		if s.Family == cfg.Encoder && s.Codec == cfg.Codec && !s.Usable {
			notice = fmt.Sprintf("%s is not available here (%s): encoding %s in software (%s) instead",
				s.Encoder, s.Reason, cfg.Codec.Name(), encoder.VideoConfig{Codec: cfg.Codec}.EncoderName())
		}
	}
	if notice == "" {
		if e, err = NewVideoEncoder(cfg); err == nil {
			return e, "", nil
		}
		notice = fmt.Sprintf("%s did not open (%v): encoding %s in software (%s) instead",
			cfg.EncoderName(), err, cfg.Codec.Name(), encoder.VideoConfig{Codec: cfg.Codec}.EncoderName())
	}
	sw := cfg
	sw.Encoder = encoder.Software
	e, err = NewVideoEncoder(sw)
	if e != nil {
		e.asked = cfg
	}
	return e, notice, err
}

// hwSetup prepares a hardware encoder's context before it opens: the pixel
// format it takes and, for VA-API, its device and surface pool.
func (e *VideoEncoder) hwSetup() error {
	switch e.cfg.Encoder {
	case encoder.QSV:
		e.cc.SetPixelFormat(astiav.PixelFormatNv12)
	case encoder.VAAPI:
		hdc, err := astiav.CreateHardwareDeviceContext(astiav.HardwareDeviceTypeVAAPI, "", nil)
		if err != nil {
			return fmt.Errorf("%s: %w", hwDevice[encoder.VAAPI].what, err)
		}
		defer freeDevice(hdc)
		e.cc.SetPixelFormat(astiav.PixelFormatVaapi)
		if r := C.onair_hw_frames(codecContextC(e.cc), deviceC(hdc), C.int(e.cfg.Width), C.int(e.cfg.Height)); r < 0 {
			return fmt.Errorf("VA-API surfaces: %w", astiav.Error(r))
		}
	}
	return nil
}

// hwInput turns a picture (I420) into what the hardware encoder takes.
func (e *VideoEncoder) hwInput(in *astiav.Frame) (*astiav.Frame, error) {
	switch e.cfg.Encoder {
	case encoder.QSV, encoder.VAAPI:
		if e.nv12 == nil {
			e.nv12 = astiav.AllocFrame()
			e.nv12.SetWidth(e.cfg.Width)
			e.nv12.SetHeight(e.cfg.Height)
			e.nv12.SetPixelFormat(astiav.PixelFormatNv12)
			if err := e.nv12.AllocBuffer(0); err != nil {
				return nil, fmt.Errorf("allocating the NV12 picture: %w", err)
			}
		}
		if r := C.onair_to_nv12(frameC(in), frameC(e.nv12)); r < 0 {
			return nil, fmt.Errorf("converting to NV12: %w", astiav.Error(r))
		}
		if e.cfg.Encoder == encoder.QSV {
			return e.nv12, nil
		}
		if e.hw == nil {
			e.hw = astiav.AllocFrame()
		}
		if r := C.onair_hw_upload(codecContextC(e.cc), frameC(e.nv12), frameC(e.hw)); r < 0 {
			return nil, fmt.Errorf("uploading to the GPU: %w", astiav.Error(r))
		}
		return e.hw, nil
	}
	return in, nil
}

// SetBitrate changes the bitrate of a running encoder from the next picture:
// libx264 reconfigures itself when it sees the context's rates change. Other
// encoders keep their rate (an error says so).
func (e *VideoEncoder) SetBitrate(kbps int) error {
	if e.cfg.EncoderName() != "libx264" || !e.cfg.Adaptive {
		return fmt.Errorf("%s cannot change its bitrate while running (only libx264 opened as adaptive can)", e.cfg.EncoderName())
	}
	if kbps < 100 {
		return fmt.Errorf("bitrate %d kb/s is too low", kbps)
	}
	cc := codecContextC(e.cc)
	bps := C.int64_t(kbps) * 1000
	cc.bit_rate, cc.rc_max_rate, cc.rc_min_rate, cc.rc_buffer_size = bps, bps, bps, C.int(bps)
	e.cfg.BitrateKbps = kbps
	e.stream.BitrateKbps = kbps
	return nil
}

// go-astiav (v0.16.0, pinned) keeps each C pointer as its types' first
// field; TestCPointerLayout checks it.
func codecContextC(cc *astiav.CodecContext) *C.AVCodecContext {
	return *(**C.AVCodecContext)(unsafe.Pointer(cc))
}

func frameC(f *astiav.Frame) *C.AVFrame { return *(**C.AVFrame)(unsafe.Pointer(f)) }

func deviceC(d *astiav.HardwareDeviceContext) *C.AVBufferRef {
	return *(**C.AVBufferRef)(unsafe.Pointer(d))
}

func freeDevice(d *astiav.HardwareDeviceContext) {
	ref := deviceC(d)
	C.av_buffer_unref(&ref)
}
