package capture

import (
	"sync"
	"sync/atomic"
	"time"
)

// Audio format of the studio: 48 kHz, stereo, float32 planar.
const (
	SampleRate = 48000
	Channels   = 2
)

// AudioChunk is a run of stereo samples stamped on the studio clock: Start is the
// index of its first sample counted from studio time zero.
//
// A chunk from an AudioPool is reference counted like a Frame: whoever holds a
// reference may read it, nobody writes it once it is shared, and it is
// refilled only after the last Release. A chunk made as a literal belongs to
// whoever made it; Retain and Release do nothing to it.
type AudioChunk struct {
	Start   int64
	Samples [Channels][]float32

	pool *AudioPool
	refs atomic.Int32
}

// At is the studio time of the chunk's first sample.
func (c *AudioChunk) At() time.Duration {
	return time.Duration(c.Start) * time.Second / SampleRate
}

// Retain adds a reference; each Retain needs a matching Release.
func (c *AudioChunk) Retain() *AudioChunk {
	if c.pool != nil {
		c.refs.Add(1)
	}
	return c
}

// Release drops a reference; the last one returns the chunk to its pool. A
// chunk never released is only garbage: the pool makes a new one.
func (c *AudioChunk) Release() {
	if c.pool == nil {
		return
	}
	switch n := c.refs.Add(-1); {
	case n == 0:
		c.pool.put(c)
	case n < 0:
		panic("capture: AudioChunk released more often than retained")
	}
}

// AudioPool recycles chunks of up to size samples a channel. It is unbounded:
// how many chunks exist is set by how many its users hold, which their queues
// bound.
type AudioPool struct {
	size int
	mu   sync.Mutex
	free []*AudioChunk
}

// NewAudioPool makes a pool of chunks holding up to size samples a channel.
func NewAudioPool(size int) *AudioPool { return &AudioPool{size: size} }

// Get returns a chunk of n samples a channel (n ≤ the pool's size) holding
// one reference. Its samples are whatever the last user left.
func (p *AudioPool) Get(n int) *AudioChunk {
	p.mu.Lock()
	var c *AudioChunk
	if k := len(p.free); k > 0 {
		c, p.free = p.free[k-1], p.free[:k-1]
	}
	p.mu.Unlock()
	if c == nil {
		c = &AudioChunk{pool: p}
		for ch := range c.Samples {
			c.Samples[ch] = make([]float32, p.size)
		}
	}
	for ch := range c.Samples {
		c.Samples[ch] = c.Samples[ch][:n]
	}
	c.refs.Store(1)
	return c
}

func (p *AudioPool) put(c *AudioChunk) {
	p.mu.Lock()
	p.free = append(p.free, c)
	p.mu.Unlock()
}
