package media

import (
	"fmt"

	"github.com/asticode/go-astiav"
)

// canvasFilter is the filter chain that brings a w×h picture in format pf to
// the canvas: fitted inside cw×ch keeping its aspect (black bars where it
// does not fill), 4:2:0, limited range — what the canvas and the encoders'
// BT.709 tags mean. Full-range input (a webcam's yuvj422p JPEG) is brought
// into range by libswscale here. The matrix is not converted: libswscale
// does not convert YUV to YUV between BT.601 and BT.709, and neither does
// the ffmpeg command line we measure against.
//
// The media file source and the camera converter share it, so a clip and a
// camera land on the canvas the same way.
func canvasFilter(w, h int, pf astiav.PixelFormat, fullRange bool, cw, ch int) string {
	if w == cw && h == ch && pf == astiav.PixelFormatYuv420P && !fullRange {
		return "null"
	}
	return fmt.Sprintf("scale=%d:%d:force_original_aspect_ratio=decrease:force_divisible_by=2:out_range=tv,pad=%d:%d:(ow-iw)/2:(oh-ih)/2,format=yuv420p", cw, ch, cw, ch)
}
