// Package overlay holds the scene and the compositor: it places the camera on
// the canvas and draws the layers on top, in 4:2:0 YUV so no frame is ever
// converted to RGB and back.
package overlay

import (
	"image"
	"time"

	"onair/capture"
)

// Compositor draws one canvas per tick.
type Compositor struct {
	w, h int
	pool *capture.FramePool
	// x and y maps for scaling a source of another size onto the canvas.
	srcW, srcH int
	fit        image.Rectangle
	xmap, ymap []int
}

// NewCompositor makes a compositor for a w×h canvas.
func NewCompositor(w, h int) *Compositor {
	return &Compositor{w: w, h: h, pool: capture.NewFramePool(w, h)}
}

// Size is the canvas size.
func (c *Compositor) Size() (w, h int) { return c.w, c.h }

// Compose places src on the canvas for slot seq at studio time at and returns
// the program frame (one reference, the caller's). A source of the canvas's
// size with nothing drawn on top is passed through without a copy; any other
// is scaled to fit, centred, with black bars.
func (c *Compositor) Compose(src *capture.Frame, seq int64, at time.Duration) *capture.Frame {
	s := src.Pic
	if s.Rect.Dx() == c.w && s.Rect.Dy() == c.h {
		return src.View(seq, at)
	}
	dst := c.pool.Get()
	dst.Seq, dst.At = seq, at
	c.scale(s, dst.Pic)
	return dst
}

func (c *Compositor) scale(s, d *image.YCbCr) {
	sw, sh := s.Rect.Dx(), s.Rect.Dy()
	if sw != c.srcW || sh != c.srcH {
		c.srcW, c.srcH = sw, sh
		fw, fh := c.w, c.w*sh/sw
		if fh > c.h {
			fw, fh = c.h*sw/sh, c.h
		}
		fw, fh = fw&^1, fh&^1
		x0, y0 := ((c.w-fw)/2)&^1, ((c.h-fh)/2)&^1
		c.fit = image.Rect(x0, y0, x0+fw, y0+fh)
		c.xmap = make([]int, fw)
		for i := range c.xmap {
			c.xmap[i] = i * sw / fw
		}
		c.ymap = make([]int, fh)
		for i := range c.ymap {
			c.ymap[i] = i * sh / fh
		}
	}
	for i := range d.Y {
		d.Y[i] = 16
	}
	for i := range d.Cb {
		d.Cb[i], d.Cr[i] = 128, 128
	}
	f := c.fit
	for y, sy := range c.ymap {
		srow := s.Y[sy*s.YStride:]
		drow := d.Y[(f.Min.Y+y)*d.YStride+f.Min.X:]
		for x, sx := range c.xmap {
			drow[x] = srow[sx]
		}
	}
	for y := 0; y < len(c.ymap)/2; y++ {
		sy := c.ymap[y*2] / 2
		so := sy * s.CStride
		do := (f.Min.Y/2+y)*d.CStride + f.Min.X/2
		for x := 0; x < len(c.xmap)/2; x++ {
			sx := c.xmap[x*2] / 2
			d.Cb[do+x] = s.Cb[so+sx]
			d.Cr[do+x] = s.Cr[so+sx]
		}
	}
}
