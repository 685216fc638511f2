package capture

import (
	"image"
	"sync"
	"sync/atomic"
	"time"
)

// Frame is one 4:2:0 picture stamped on the studio clock. Frames come from a
// FramePool and are reference counted so the compositor can hand one picture to
// the encoder and the preview at once without copying it.
type Frame struct {
	Pic *image.YCbCr
	// Seq is the frame's index on its producer's fps clock.
	Seq int64
	// At is the studio-clock time the picture shows.
	At time.Duration

	pool *FramePool
	refs atomic.Int32
}

// Retain adds a reference; each Retain needs a matching Release.
func (f *Frame) Retain() *Frame {
	f.refs.Add(1)
	return f
}

// Release drops a reference; the last one returns the frame to its pool.
func (f *Frame) Release() {
	n := f.refs.Add(-1)
	switch {
	case n == 0 && f.pool != nil:
		f.pool.pool.Put(f)
	case n < 0:
		panic("capture: Frame released more often than retained")
	}
}

// FramePool recycles frames of one size.
type FramePool struct {
	w, h int
	pool sync.Pool
}

// NewFramePool makes a pool of w×h 4:2:0 frames (w and h even).
func NewFramePool(w, h int) *FramePool {
	p := &FramePool{w: w, h: h}
	p.pool.New = func() any {
		return &Frame{Pic: image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420), pool: p}
	}
	return p
}

// Size is the pool's frame size.
func (p *FramePool) Size() (w, h int) { return p.w, p.h }

// Get returns a frame holding one reference. Its pixels are whatever the last
// user left: callers overwrite the whole picture.
func (p *FramePool) Get() *Frame {
	f := p.pool.Get().(*Frame)
	f.refs.Store(1)
	return f
}

// VideoSource hands the compositor its newest picture. Latest never blocks: a
// source that has nothing new returns its last frame again. The caller releases
// the frame it gets. at is the studio time the compositor is drawing for.
type VideoSource interface {
	Latest(at time.Duration) (*Frame, error)
}
