package capture

import (
	"image"
	"sync"
	"sync/atomic"
	"time"
)

// Frame is one 4:2:0 picture stamped on the studio clock. Frames are
// reference counted so the compositor can hand one picture to the encoder and
// the preview at once without copying it.
//
// Who may write the pixels:
//   - A frame from a FramePool owns its memory. Its holder may draw on it
//     while Writable says so: it holds the only reference. Once shared
//     (Retain, View) everyone only reads.
//   - A frame from NewFrame shows memory someone else owns — a decoder's
//     AVFrame, whose buffers FFmpeg shares with its own reference pictures
//     and the encoder may take as they are. It is read-only for everyone.
//   - A View shows its parent's pixels and is read-only.
//
// To draw on a frame that is not Writable, copy it into a pool frame first.
type Frame struct {
	Pic *image.YCbCr
	// Seq is the frame's index on its producer's fps clock.
	Seq int64
	// At is the studio-clock time the picture shows.
	At time.Duration
	// Native, when set, is the same picture in a form an encoder may take as
	// is (a decoder's AVFrame): a consumer that recognises it skips a copy,
	// and only reads it.
	Native any

	pool   *FramePool
	parent *Frame // a view's underlying frame
	free   func() // for frames over memory the pool does not own
	refs   atomic.Int32
}

// NewFrame wraps a picture whose memory someone else owns (a decoder's
// buffer, say): free runs when the last reference is released.
func NewFrame(pic *image.YCbCr, seq int64, at time.Duration, free func()) *Frame {
	f := &Frame{Pic: pic, Seq: seq, At: at, free: free}
	f.refs.Store(1)
	return f
}

// View returns a new frame showing f's picture with its own Seq and At, so a
// consumer can restamp a picture without copying it or touching f. The view
// holds a reference to f until it is released.
func (f *Frame) View(seq int64, at time.Duration) *Frame {
	v := &Frame{Pic: f.Pic, Native: f.Native, Seq: seq, At: at, parent: f.Retain()}
	v.refs.Store(1)
	return v
}

// Writable reports whether the caller may draw on f: it comes from a pool
// and the caller holds its only reference (as av_frame_is_writable).
func (f *Frame) Writable() bool {
	return f.pool != nil && f.refs.Load() == 1
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
	case n == 0 && f.parent != nil:
		f.parent.Release()
	case n == 0 && f.pool != nil:
		f.pool.put(f)
	case n == 0 && f.free != nil:
		f.free()
	case n < 0:
		panic("capture: Frame released more often than retained")
	}
}

// FramePool recycles frames of one size. Unlike a sync.Pool it keeps its
// frames across garbage collections: a frame is megabytes, and a pipeline
// needs the same handful every tick, so dropping them only makes garbage.
type FramePool struct {
	w, h int
	mu   sync.Mutex
	free []*Frame
}

// NewFramePool makes a pool of w×h 4:2:0 frames (w and h even).
func NewFramePool(w, h int) *FramePool { return &FramePool{w: w, h: h} }

func (p *FramePool) put(f *Frame) {
	p.mu.Lock()
	p.free = append(p.free, f)
	p.mu.Unlock()
}

// Size is the pool's frame size.
func (p *FramePool) Size() (w, h int) { return p.w, p.h }

// Get returns a frame holding one reference. Its pixels are whatever the last
// user left: callers overwrite the whole picture.
func (p *FramePool) Get() *Frame {
	p.mu.Lock()
	var f *Frame
	if n := len(p.free); n > 0 {
		f, p.free = p.free[n-1], p.free[:n-1]
	}
	p.mu.Unlock()
	if f == nil {
		f = &Frame{Pic: image.NewYCbCr(image.Rect(0, 0, p.w, p.h), image.YCbCrSubsampleRatio420), pool: p}
	}
	f.refs.Store(1)
	return f
}

// VideoSource hands the compositor its newest picture. Latest never blocks: a
// source that has nothing new returns its last frame again. The caller releases
// the frame it gets. at is the studio time the compositor is drawing for.
type VideoSource interface {
	Latest(at time.Duration) (*Frame, error)
}
