package ui

import (
	"image"
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
)

// sparkline is a destination's bitrate over the last minute: one bar a
// second, scaled to the minute's highest, drawn again only when a second's
// figure comes. UI goroutine only.
type sparkline struct {
	raster  *canvas.Raster
	samples [sparkSeconds]float64 // ring, oldest first from next
	next    int
	n       int
	lastSec int64 // the broadcast's second of the newest figure
}

const sparkSeconds = 60

var sparkColour = color.NRGBA{0x2e, 0xcc, 0x40, 0xff}

func newSparkline() *sparkline {
	s := &sparkline{}
	s.raster = canvas.NewRaster(s.draw)
	s.raster.SetMinSize(fyne.NewSize(120, 20))
	return s
}

// add takes the bitrate of second sec of the broadcast (its elapsed time);
// a figure for a second already drawn is left out (a stats refresh after a
// button carries the same second's rate).
func (s *sparkline) add(kbps float64, sec int64) {
	if s.n > 0 && sec <= s.lastSec {
		return
	}
	s.lastSec = sec
	if !(kbps >= 0) {
		kbps = 0
	}
	s.samples[s.next] = kbps
	s.next = (s.next + 1) % sparkSeconds
	s.n = min(s.n+1, sparkSeconds)
	s.raster.Refresh()
}

// clear forgets the figures (a new Go Live).
func (s *sparkline) clear() {
	*s = sparkline{raster: s.raster}
	s.raster.Refresh()
}

// draw paints the bars, the newest on the right.
func (s *sparkline) draw(w, h int) image.Image {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	if s.n == 0 || w <= 0 || h <= 0 {
		return img
	}
	top := 0.0
	for _, v := range s.samples {
		top = max(top, v)
	}
	if top <= 0 {
		return img
	}
	for i := 0; i < s.n; i++ {
		v := s.samples[(s.next-s.n+i+sparkSeconds)%sparkSeconds]
		// Bar i of the last s.n, right-aligned in a minute's width.
		x0 := w * (sparkSeconds - s.n + i) / sparkSeconds
		x1 := max(x0+1, w*(sparkSeconds-s.n+i+1)/sparkSeconds)
		bh := int(float64(h)*v/top + 0.5)
		for y := h - bh; y < h; y++ {
			for x := x0; x < x1 && x < w; x++ {
				img.SetNRGBA(x, y, sparkColour)
			}
		}
	}
	return img
}
