// Package overlay holds the scene and the compositor: it places the camera on
// the canvas and draws the layers on top, in 4:2:0 YUV so no frame is ever
// converted to RGB and back.
package overlay

import (
	"image"
	"sync/atomic"
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
	layers     atomic.Pointer[[]Layer]
	stage      atomic.Pointer[Stage]
}

// SetStage makes the compositor draw a stage's scenes, the source as their
// camera layers (nil: the source fitted to the canvas, as before). The
// layers of SetLayers go on top.
func (c *Compositor) SetStage(st *Stage) { c.stage.Store(st) }

// Stage is the stage set, or nil.
func (c *Compositor) Stage() *Stage { return c.stage.Load() }

// NewCompositor makes a compositor for a w×h canvas.
func NewCompositor(w, h int) *Compositor {
	return &Compositor{w: w, h: h, pool: capture.NewFramePool(w, h)}
}

// Size is the canvas size.
func (c *Compositor) Size() (w, h int) { return c.w, c.h }

// Compose places src on the canvas for slot seq at studio time at, draws the
// layers on top and returns the program frame (one reference, the caller's).
// With no layers, a source of the canvas's size is passed through without a
// copy, as a read-only view: it may be a decoder's memory. Anything drawn goes
// on a pool frame of the compositor's, the source copied or scaled to fit
// (centred, with black bars) first, so src is never written.
func (c *Compositor) Compose(src *capture.Frame, seq int64, at time.Duration) *capture.Frame {
	s := src.Pic
	same := s.Rect.Dx() == c.w && s.Rect.Dy() == c.h
	layers := c.currentLayers()
	if st := c.stage.Load(); st != nil {
		if len(layers) == 0 && st.Passthrough(src) {
			st.lastAt.Store(int64(at))
			st.alerts.advance(st, at)
			return src.View(seq, at)
		}
		dst := c.pool.Get()
		dst.Seq, dst.At = seq, at
		st.Compose(dst.Pic, src, at)
		for _, l := range layers {
			l.Draw(dst.Pic, at)
		}
		return dst
	}
	if same && len(layers) == 0 {
		return src.View(seq, at)
	}
	dst := c.pool.Get()
	dst.Seq, dst.At = seq, at
	if same {
		copyPicture(dst.Pic, s)
	} else {
		c.scale(s, dst.Pic)
	}
	for _, l := range layers {
		l.Draw(dst.Pic, at)
	}
	return dst
}

// copyPicture copies a 4:2:0 picture of d's size row by row: a decoder's
// rows are padded, so the strides differ.
func copyPicture(d, s *image.YCbCr) {
	w, h := d.Rect.Dx(), d.Rect.Dy()
	for y := range h {
		copy(d.Y[y*d.YStride:y*d.YStride+w], s.Y[y*s.YStride:])
	}
	for y := range h / 2 {
		copy(d.Cb[y*d.CStride:y*d.CStride+w/2], s.Cb[y*s.CStride:])
		copy(d.Cr[y*d.CStride:y*d.CStride+w/2], s.Cr[y*s.CStride:])
	}
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
