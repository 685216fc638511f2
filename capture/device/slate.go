package device

import (
	"image"
	"image/draw"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"

	"onair/capture"
)

// Slate colours: a dark blue-grey the performer can tell from a black camera.
const slateY, slateCb, slateCr = 40, 140, 124

// drawSlate draws a w×h picture with lines of text centred on it (none: plain
// black). It is drawn once and shown as often as needed.
func drawSlate(w, h int, lines ...string) *capture.Frame {
	f := capture.NewFramePool(w, h).Get()
	p := f.Pic
	y0, cb, cr := uint8(16), uint8(128), uint8(128)
	if len(lines) > 0 {
		y0, cb, cr = slateY, slateCb, slateCr
	}
	fill(p.Y, y0)
	fill(p.Cb, cb)
	fill(p.Cr, cr)
	if len(lines) == 0 {
		return f
	}
	face := basicfont.Face7x13
	cols := 0
	for _, l := range lines {
		cols = max(cols, len(l))
	}
	text := image.NewGray(image.Rect(0, 0, 7*cols+4, 16*len(lines)+4))
	draw.Draw(text, text.Bounds(), image.Black, image.Point{}, draw.Src)
	d := font.Drawer{Dst: text, Src: image.White, Face: face}
	for i, l := range lines {
		d.Dot = fixed.P(2+(cols-len(l))*7/2, 13+i*16)
		d.DrawString(l)
	}
	// As large as fits in 80 % of the width, at least 1×.
	scale := max(1, min(h/(6*text.Rect.Dy()/len(lines)), w*8/10/text.Rect.Dx()))
	tw, th := text.Rect.Dx()*scale, text.Rect.Dy()*scale
	ox, oy := max(0, (w-tw)/2), max(0, (h-th)/2)
	for ty := 0; ty < th && oy+ty < h; ty++ {
		src := text.Pix[(ty/scale)*text.Stride:]
		dst := p.Y[(oy+ty)*p.YStride+ox:]
		for tx := 0; tx < tw && ox+tx < w; tx++ {
			if src[tx/scale] > 127 {
				dst[tx] = 235
			}
		}
	}
	return f
}

func fill(b []byte, v byte) {
	for i := range b {
		b[i] = v
	}
}
