package device

import "sync/atomic"

// sampleRing carries samples from miniaudio's callback thread to the
// goroutine that hands them on. One writer (the callback), one reader; the
// writer never waits: what does not fit is dropped and counted.
type sampleRing struct {
	buf     []float32
	w, r    atomic.Uint64 // samples written and read since the start
	dropped atomic.Uint64 // samples the writer could not fit
}

func newSampleRing(samples int) *sampleRing {
	return &sampleRing{buf: make([]float32, samples)}
}

// write copies s in whole, or drops it whole when the reader is behind.
func (q *sampleRing) write(s []float32) bool {
	w, r := q.w.Load(), q.r.Load()
	size := uint64(len(q.buf))
	if uint64(len(s)) > size-(w-r) {
		q.dropped.Add(uint64(len(s)))
		return false
	}
	i := int(w % size)
	n := copy(q.buf[i:], s)
	copy(q.buf, s[n:])
	q.w.Store(w + uint64(len(s)))
	return true
}

// read copies up to len(dst) samples, a multiple of unit (the channel
// count), into dst.
func (q *sampleRing) read(dst []float32, unit int) int {
	w, r := q.w.Load(), q.r.Load()
	n := int(min(uint64(len(dst)), w-r))
	n -= n % unit
	if n == 0 {
		return 0
	}
	size := uint64(len(q.buf))
	i := int(r % size)
	c := copy(dst[:n], q.buf[i:])
	copy(dst[c:n], q.buf)
	q.r.Store(r + uint64(n))
	return n
}
