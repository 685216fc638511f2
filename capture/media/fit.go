package media

import (
	"fmt"

	"github.com/asticode/go-astiav"
)

// fit is where a w×h picture lands on a cw×ch canvas: as large as fits,
// keeping its aspect, centred, with even sides and offsets (4:2:0); black
// bars fill the rest. The media file source and the camera converter both
// place pictures by it.
func fit(w, h, cw, ch int) (x, y, fw, fh int) {
	fw, fh = cw, h*cw/w
	if fh > ch {
		fw, fh = w*ch/h, ch
	}
	fw, fh = max(2, fw&^1), max(2, fh&^1)
	return (cw - fw) / 2 &^ 1, (ch - fh) / 2 &^ 1, fw, fh
}

// canvasFilter is the filter chain that brings a w×h picture in format pf to
// the canvas: fitted (see fit), 4:2:0, limited range — what the canvas and
// the encoders' BT.709 tags mean. Full-range input (a yuvj JPEG) is brought
// into range by libswscale. The matrix is not converted: libswscale does not
// convert YUV to YUV between BT.601 and BT.709, and neither does the ffmpeg
// command line we measure against.
func canvasFilter(w, h int, pf astiav.PixelFormat, fullRange bool, cw, ch int) string {
	if w == cw && h == ch && pf == astiav.PixelFormatYuv420P && !fullRange {
		return "null"
	}
	x, y, fw, fh := fit(w, h, cw, ch)
	return fmt.Sprintf("scale=%d:%d:out_range=tv,pad=%d:%d:%d:%d,format=yuv420p", fw, fh, cw, ch, x, y)
}
