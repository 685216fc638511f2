package ui

import (
	"context"
	"image"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"

	"onair/capture"
)

// VideoFeed is where the preview's frames come from (*studio.Studio).
type VideoFeed interface {
	SubscribeVideo(buf int) (frames <-chan *capture.Frame, skipped func() int64, cancel func())
}

// preview shows the composed canvas. Its goroutine converts each frame into
// whichever of two buffers the UI is not showing; the UI hands a buffer back
// only once it shows the other one, so a picture is never written while it
// is being drawn. A frame that finds no free buffer is skipped.
type preview struct {
	img  *canvas.Image
	maxW int
	do   func(func())

	bufs  [2]*image.RGBA
	free  chan int  // buffers the UI is done with
	show  [2]func() // built once so a frame costs no allocation
	shown int       // UI goroutine only: the buffer on screen, -1 for none

	frames  atomic.Int64 // pictures handed to the UI
	skipped atomic.Int64 // frames dropped because the UI was busy

	// mirror flips the preview's picture left to right (never the show's).
	mirror atomic.Bool
	// aspect is the picture's width/height (0 before the first) and
	// onShape what follows when it changes: the guides move. UI goroutine.
	aspect  float32
	onShape func()

	// paints are the window's other updates, shown with each picture.
	paints *paintQueue
}

func newPreview(maxW int, do func(func()), paints *paintQueue) *preview {
	p := &preview{maxW: maxW, do: do, free: make(chan int, 2), shown: -1, paints: paints}
	p.img = &canvas.Image{FillMode: canvas.ImageFillContain, ScaleMode: canvas.ImageScaleFastest}
	p.img.SetMinSize(fyne.NewSize(480, 270))
	p.free <- 0
	p.free <- 1
	for i := range p.show {
		p.show[i] = func() {
			prev := p.shown
			p.shown = i
			p.img.Image = p.bufs[i]
			p.img.Refresh()
			b := p.bufs[i].Rect
			if a := float32(b.Dx()) / float32(b.Dy()); a != p.aspect {
				p.aspect = a
				if p.onShape != nil {
					p.onShape()
				}
			}
			if prev >= 0 {
				p.free <- prev
			}
			p.paints.run()
		}
	}
	return p
}

// stallAfter is how long the preview may show no picture before the
// window's other updates stop waiting for one.
const stallAfter = 50 * time.Millisecond

// run converts frames from feed until ctx ends. Every frame received is released.
func (p *preview) run(ctx context.Context, feed VideoFeed) {
	frames, _, cancel := feed.SubscribeVideo(1)
	defer cancel()
	defer p.paints.unclocked()
	stall := time.NewTicker(stallAfter)
	defer stall.Stop()
	handed := false // a picture went to the UI since the last tick
	var scaler Downscaler
	for {
		select {
		case <-ctx.Done():
			return
		case <-stall.C:
			if !handed && p.paints.clocked.Load() {
				p.paints.unclocked()
			}
			handed = false
		case f := <-frames:
			select {
			case i := <-p.free:
				r := f.Pic.Rect
				w, h := PreviewSize(r.Dx(), r.Dy(), p.maxW)
				if b := p.bufs[i]; b == nil || b.Rect.Dx() != w || b.Rect.Dy() != h {
					p.bufs[i] = image.NewRGBA(image.Rect(0, 0, w, h))
				}
				scaler.Convert(p.bufs[i], f.Pic)
				f.Release()
				if p.mirror.Load() {
					mirrorRGBA(p.bufs[i])
				}
				p.frames.Add(1)
				p.paints.clocked.Store(true)
				handed = true
				p.do(p.show[i])
			default:
				f.Release()
				p.skipped.Add(1)
			}
		}
	}
}
