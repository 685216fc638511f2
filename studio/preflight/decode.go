package preflight

// #cgo pkg-config: libavutil libavcodec
// #include <libavcodec/avcodec.h>
// #include <libavutil/frame.h>
// #include <math.h>
//
// // onair_peak is the largest magnitude of a float frame's samples
// // (planar or packed), -1 for other formats.
// static float onair_peak(const AVFrame *f) {
//     int ch = f->ch_layout.nb_channels, n = f->nb_samples;
//     float p = 0;
//     if (f->format == AV_SAMPLE_FMT_FLTP) {
//         for (int c = 0; c < ch; c++) {
//             const float *s = (const float *)f->extended_data[c];
//             for (int i = 0; i < n; i++) if (fabsf(s[i]) > p) p = fabsf(s[i]);
//         }
//         return p;
//     }
//     if (f->format == AV_SAMPLE_FMT_FLT) {
//         const float *s = (const float *)f->data[0];
//         for (int i = 0; i < n * ch; i++) if (fabsf(s[i]) > p) p = fabsf(s[i]);
//         return p;
//     }
//     return -1;
// }
import "C"

import (
	"errors"
	"fmt"
	"math"

	"github.com/asticode/go-astiav"

	"onair/capture/media"
)

// decodeBack decodes every picture and sound of the recording at path.
func decodeBack(path string) (decoded, error) {
	var d decoded
	fc := astiav.AllocFormatContext()
	if fc == nil {
		return d, errors.New("out of memory")
	}
	if err := fc.OpenInput(path, nil, nil); err != nil {
		fc.Free()
		return d, err
	}
	defer fc.CloseInput() // frees fc too
	if err := fc.FindStreamInfo(nil); err != nil {
		return d, err
	}
	var vdec, adec *astiav.CodecContext
	vidx, aidx := -1, -1
	var vtb, atb astiav.Rational
	for _, s := range fc.Streams() {
		cp := s.CodecParameters()
		switch {
		case cp.MediaType() == astiav.MediaTypeVideo && vidx < 0:
			cc, err := media.OpenDecoder(cp)
			if err != nil {
				return d, err
			}
			defer cc.Free()
			vdec, vidx, vtb = cc, s.Index(), s.TimeBase()
			d.Codec = cp.CodecID().Name()
		case cp.MediaType() == astiav.MediaTypeAudio && aidx < 0:
			cc, err := media.OpenDecoder(cp)
			if err != nil {
				return d, err
			}
			defer cc.Free()
			adec, aidx, atb = cc, s.Index(), s.TimeBase()
		}
	}
	if vidx < 0 {
		return d, errors.New("no video stream")
	}
	pkt := astiav.AllocPacket()
	defer pkt.Free()
	fr := astiav.AllocFrame()
	defer fr.Free()
	peak := float32(0)
	first, last := math.Inf(1), math.Inf(-1)
	drain := func(cc *astiav.CodecContext, video bool) error {
		for {
			if err := cc.ReceiveFrame(fr); err != nil {
				if errors.Is(err, astiav.ErrEagain) || errors.Is(err, astiav.ErrEof) {
					return nil
				}
				return err
			}
			if video {
				d.Frames++
				d.Width, d.Height = fr.Width(), fr.Height()
				t := float64(fr.Pts()) * vtb.Float64()
				first, last = math.Min(first, t), math.Max(last, t)
			} else {
				d.AudioFrames++
				d.AudioSeconds += float64(fr.NbSamples()) / float64(max(fr.SampleRate(), 1))
				if p := float32(C.onair_peak((*C.AVFrame)(fr.UnsafePointer()))); p > peak {
					peak = p
				}
			}
			fr.Unref()
		}
	}
	var firstVideo = math.Inf(1)
	for {
		if err := fc.ReadFrame(pkt); err != nil {
			if errors.Is(err, astiav.ErrEof) {
				break
			}
			return d, err
		}
		var err error
		switch pkt.StreamIndex() {
		case vidx:
			t := float64(pkt.Pts()) * vtb.Float64()
			firstVideo = math.Min(firstVideo, t)
			if pkt.Flags().Has(astiav.PacketFlagKey) {
				d.Keyframes = append(d.Keyframes, t)
			}
			if err = vdec.SendPacket(pkt); err == nil {
				err = drain(vdec, true)
			}
		case aidx:
			if err = adec.SendPacket(pkt); err == nil {
				err = drain(adec, false)
			}
		}
		pkt.Unref()
		if err != nil {
			return d, fmt.Errorf("decoding: %w", err)
		}
	}
	vdec.SendPacket(nil)
	if err := drain(vdec, true); err != nil {
		return d, err
	}
	if adec != nil {
		adec.SendPacket(nil)
		if err := drain(adec, false); err != nil {
			return d, err
		}
	}
	_ = atb
	for i := range d.Keyframes {
		d.Keyframes[i] -= firstVideo
	}
	if d.Frames > 1 {
		d.Span = last - first
	}
	d.PeakDB = 20 * math.Log10(float64(peak))
	return d, nil
}
