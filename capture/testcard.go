package capture

import (
	"fmt"
	"image"
	"image/draw"
	"time"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"
)

// TestCard is a synthetic camera: colour bars and a grey ramp, a box that moves
// so the encoder has motion to code, a white flash on every whole second (the
// tone beeps at the same instant, so A/V sync can be checked by eye and ear),
// and the frame number and studio clock burned in.
type TestCard struct {
	w, h, fps int
	pool      *FramePool
	bg        *image.YCbCr
	text      *image.Gray
	drawer    font.Drawer
	scale     int
	// Clock burns the wall clock into the top 16 rows as ClockBits cells,
	// for a receiver to read back (glass-to-glass latency); see ClockCode.
	Clock bool
}

// ClockBits is how many cells the clock strip has: the wall clock in
// milliseconds modulo 2^24 (4.6 hours), bit k in the k-th cell from the
// left, light (Y 235) for 1, dark (Y 16) for 0.
const ClockBits = 24

// ClockCode is the number the clock strip of a picture made at t holds.
func ClockCode(t time.Time) uint32 { return uint32(t.UnixMilli()) & (1<<ClockBits - 1) }

// NewTestCard makes a w×h card for a canvas running at fps.
func NewTestCard(w, h, fps int) (*TestCard, error) {
	if w < 64 || h < 64 || w%2 != 0 || h%2 != 0 {
		return nil, fmt.Errorf("test card size %dx%d: width and height must be even and at least 64", w, h)
	}
	if fps < 1 || fps > 240 {
		return nil, fmt.Errorf("test card fps %d: must be 1 to 240", fps)
	}
	c := &TestCard{w: w, h: h, fps: fps, pool: NewFramePool(w, h)}
	c.bg = image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
	c.paintBackground()
	c.scale = max(1, h/240)
	face := basicfont.Face7x13
	c.text = image.NewGray(image.Rect(0, 0, 7*30, 13*2+4))
	c.drawer = font.Drawer{Dst: c.text, Src: image.White, Face: face}
	return c, nil
}

var barColours = [...][3]uint8{
	{191, 191, 191}, {191, 191, 0}, {0, 191, 191}, {0, 191, 0},
	{191, 0, 191}, {191, 0, 0}, {0, 0, 191},
}

func (c *TestCard) paintBackground() {
	barsH := c.h * 2 / 3
	for x := 0; x < c.w; x++ {
		rgb := barColours[x*len(barColours)/c.w]
		y, cb, cr := YUV709(rgb[0], rgb[1], rgb[2])
		ramp := uint8(16 + x*219/(c.w-1))
		for row := 0; row < c.h; row++ {
			if row < barsH {
				c.bg.Y[row*c.bg.YStride+x] = y
			} else {
				c.bg.Y[row*c.bg.YStride+x] = ramp
			}
		}
		if x%2 == 0 {
			for row := 0; row < c.h/2; row++ {
				i := row*c.bg.CStride + x/2
				if row*2 < barsH {
					c.bg.Cb[i], c.bg.Cr[i] = cb, cr
				} else {
					c.bg.Cb[i], c.bg.Cr[i] = 128, 128
				}
			}
		}
	}
}

// Latest renders the card as it looks at studio time at.
func (c *TestCard) Latest(at time.Duration) (*Frame, error) {
	f := c.pool.Get()
	p := f.Pic
	copy(p.Y, c.bg.Y)
	copy(p.Cb, c.bg.Cb)
	copy(p.Cr, c.bg.Cr)
	// Round: slot times like 1/30 s are not whole nanoseconds.
	seq := int64((at*time.Duration(c.fps) + time.Second/2) / time.Second)
	f.Seq, f.At = seq, at

	// A box sweeping left and right once every 4 s, bobbing up and down.
	box := c.h / 6 &^ 1
	period := 4 * int64(c.fps)
	phase := seq % period
	span := int64(c.w - box)
	x := phase * 2 * span / period
	if x > span {
		x = 2*span - x
	}
	y := (c.h*2/3 - box) / 2
	y += int(seq%int64(c.fps)) * (c.h / 12) / c.fps
	fillRect(p, int(x)&^1, y&^1, box, box, 235, 128, 128)

	// Sync flash on every whole second, the same instant the tone beeps.
	if at%time.Second < time.Second/time.Duration(c.fps) {
		fillRect(p, (c.w/2-box)&^1, (c.h*2/3)&^1, box*2, (c.h/3-box/2)&^1, 235, 128, 128)
	}

	c.drawLabel(p, seq, at)
	if c.Clock {
		c.drawClock(p, ClockCode(time.Now()))
	}
	return f, nil
}

// drawClock paints code across the top 16 rows (cells of even width, so
// chroma lines up; the last cell takes what is left).
func (c *TestCard) drawClock(p *image.YCbCr, code uint32) {
	cell := c.w / ClockBits &^ 1
	for k := range ClockBits {
		y := uint8(16)
		if code>>k&1 == 1 {
			y = 235
		}
		w := cell
		if k == ClockBits-1 {
			w = c.w - k*cell
		}
		fillRect(p, k*cell, 0, w, min(16, c.h), y, 128, 128)
	}
}

func (c *TestCard) drawLabel(p *image.YCbCr, seq int64, at time.Duration) {
	draw.Draw(c.text, c.text.Bounds(), image.Black, image.Point{}, draw.Src)
	ms := at.Milliseconds()
	lines := [2]string{
		fmt.Sprintf("onair %dx%d@%d", c.w, c.h, c.fps),
		fmt.Sprintf("#%06d %02d:%02d:%02d.%03d", seq, ms/3600000, ms/60000%60, ms/1000%60, ms%1000),
	}
	for i, s := range lines {
		c.drawer.Dot = fixed.P(2, 11+i*14)
		c.drawer.DrawString(s)
	}
	tw, th := c.text.Rect.Dx()*c.scale, c.text.Rect.Dy()*c.scale
	ox, oy := max(0, (c.w-tw)/2)&^1, (c.h*2/3-th)/2&^1
	fillRect(p, ox, max(0, oy), min(tw, c.w-ox), min(th, c.h), 16, 128, 128)
	for ty := 0; ty < th && oy+ty < c.h; ty++ {
		src := c.text.Pix[(ty/c.scale)*c.text.Stride:]
		dst := p.Y[(oy+ty)*p.YStride+ox:]
		for tx := 0; tx < tw && ox+tx < c.w; tx++ {
			if src[tx/c.scale] > 127 {
				dst[tx] = 235
			}
		}
	}
}

// fillRect paints a solid rectangle; x, y, w and h are clipped to the picture.
func fillRect(p *image.YCbCr, x, y, w, h int, Y, Cb, Cr uint8) {
	r := image.Rect(x, y, x+w, y+h).Intersect(p.Rect)
	for row := r.Min.Y; row < r.Max.Y; row++ {
		line := p.Y[row*p.YStride+r.Min.X : row*p.YStride+r.Max.X]
		for i := range line {
			line[i] = Y
		}
	}
	for row := r.Min.Y / 2; row < (r.Max.Y+1)/2; row++ {
		for col := r.Min.X / 2; col < (r.Max.X+1)/2; col++ {
			p.Cb[row*p.CStride+col] = Cb
			p.Cr[row*p.CStride+col] = Cr
		}
	}
}
