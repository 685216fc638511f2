// Package media is the media file source: any file libav decodes, looped and
// paced on the studio clock — the intro or "be right back" clip a performer
// plays, and the benchmark's shared input.
package media

import (
	"context"
	"errors"
	"fmt"
	"image"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/asticode/go-astiav"

	"onair/capture"
)

// lead is how far ahead of the studio clock the file is decoded.
const lead = 70 * time.Millisecond

// File plays a media file in a loop: its pictures scaled to the canvas, its
// sound resampled to 48 kHz stereo.
type File struct {
	path       string
	w, h, fps  int
	pool       *capture.FramePool
	hasAudio   bool
	underflows atomic.Int64

	dec *decoders // opened once; each loop seeks back to the start

	mu     sync.Mutex
	ready  []*capture.Frame // decoded, in time order
	shown  *capture.Frame   // the last picture handed out
	fifo   [capture.Channels][]float32
	fifoAt int64 // studio sample index of fifo's first sample
}

// Open checks that path can be played: it has a video stream libav decodes.
func Open(path string, w, h, fps int) (*File, error) {
	f := &File{path: path, w: w, h: h, fps: fps, pool: capture.NewFramePool(w, h)}
	d, err := f.openDecoders()
	if err != nil {
		return nil, err
	}
	f.hasAudio = d.adec != nil
	f.dec = d
	return f, nil
}

// Close frees the decoders and the pictures not handed out. Call it once Run
// has returned; pictures still held elsewhere are freed on their last Release.
func (f *File) Close() {
	if f.dec != nil {
		f.dec.close()
		f.dec = nil
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, p := range f.ready {
		p.Release()
	}
	f.ready = nil
	if f.shown != nil {
		f.shown.Release()
		f.shown = nil
	}
}

func fillBlack(p *image.YCbCr) {
	for i := range p.Y {
		p.Y[i] = 16
	}
	for i := range p.Cb {
		p.Cb[i], p.Cr[i] = 128, 128
	}
}

// Latest returns the newest decoded picture due at studio time at.
func (f *File) Latest(at time.Duration) (*capture.Frame, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for len(f.ready) > 0 && f.ready[0].At <= at {
		if f.shown != nil {
			f.shown.Release()
		}
		f.shown = f.ready[0]
		f.ready = f.ready[1:]
	}
	if f.shown == nil {
		// Nothing decoded yet: black (from the pool, so it costs nothing later).
		b := f.pool.Get()
		fillBlack(b.Pic)
		b.At = at
		return b, nil
	}
	return f.shown.Retain(), nil
}

// Fill copies the file's sound for studio samples [start, start+len(l)).
// Sound not decoded yet (or no sound at all) is silence.
func (f *File) Fill(start int64, l, r []float32) {
	clear(l)
	clear(r)
	f.mu.Lock()
	defer f.mu.Unlock()
	// Drop what is older than start.
	if skip := start - f.fifoAt; skip > 0 {
		n := int(min(skip, int64(len(f.fifo[0]))))
		for ch := range f.fifo {
			// Compact in place so the buffer is reused rather than regrown.
			f.fifo[ch] = f.fifo[ch][:copy(f.fifo[ch], f.fifo[ch][n:])]
		}
		f.fifoAt += int64(n)
		if n < int(skip) {
			f.fifoAt = start
		}
	}
	off := int(f.fifoAt - start)
	if off >= len(l) {
		if f.hasAudio {
			f.underflows.Add(1)
		}
		return
	}
	n := copy(l[off:], f.fifo[0])
	copy(r[off:], f.fifo[1])
	if off+n < len(l) && f.hasAudio {
		f.underflows.Add(1)
	}
}

// Run decodes the file again and again, ahead of the clock, until ctx ends.
func (f *File) Run(ctx context.Context, clock *capture.Clock) error {
	origin := clock.Now()
	f.mu.Lock()
	f.fifoAt = int64(origin) * capture.SampleRate / int64(time.Second)
	f.mu.Unlock()
	for loop := 0; ; loop++ {
		length, err := f.playOnce(ctx, clock, origin)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			return fmt.Errorf("playing %s: %w", f.path, err)
		}
		if length <= 0 && f.dec.cut != nil {
			return fmt.Errorf("playing %s: it is damaged or cut short, no picture could be read: %w", f.path, f.dec.cut)
		}
		if length <= 0 {
			return fmt.Errorf("playing %s: the file has no pictures", f.path)
		}
		origin += length
	}
}

// playOnce plays the file from the start, its time zero at studio time
// origin, and returns its length.
func (f *File) playOnce(ctx context.Context, clock *capture.Clock, origin time.Duration) (time.Duration, error) {
	d := f.dec
	if d == nil {
		return 0, errors.New("the file is closed")
	}
	if err := d.rewind(); err != nil {
		return 0, err
	}
	var end, last time.Duration
	var start *time.Duration
	frameDur := time.Second / time.Duration(f.fps)
	onPicture := func(fr *astiav.Frame, tb astiav.Rational) error {
		t := last + frameDur // a picture without a timestamp follows the last
		if fr.Pts() != astiav.NoPtsValue {
			t = tsDuration(fr.Pts(), tb)
			if start == nil {
				start = &t
			}
			t -= *start
		}
		last = t
		at := origin + t
		if !clock.SleepUntil(at-lead, ctx.Done()) {
			return ctx.Err()
		}
		img, ref, free := wrapPicture(fr)
		pic := capture.NewFrame(img, 0, at, free)
		pic.Native = ref
		f.mu.Lock()
		f.ready = append(f.ready, pic)
		f.mu.Unlock()
		end = max(end, t+frameDur)
		return nil
	}
	onSound := func(fr *astiav.Frame) {
		n := fr.NbSamples()
		f.mu.Lock()
		defer f.mu.Unlock()
		m := len(f.fifo[0]) + n
		for ch := range f.fifo {
			f.fifo[ch] = slices.Grow(f.fifo[ch], n)[:m]
		}
		copySamples(f.fifo[0][m-n:], f.fifo[1][m-n:], fr)
	}
	if err := d.decode(onPicture, onSound); err != nil {
		return 0, err
	}
	return end, nil
}

// Underflows counts audio chunks the decoder could not fill in time.
func (f *File) Underflows() int64 { return f.underflows.Load() }
