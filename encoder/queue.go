package encoder

import (
	"context"
	"errors"
	"sync"
	"time"
)

// ErrQueueClosed is returned by Pop once the queue is closed and drained.
var ErrQueueClosed = errors.New("queue closed")

// QueueStats counts what went through a queue.
type QueueStats struct {
	Pushed         int64 // packets offered
	DroppedVideo   int64 // video frames dropped because the destination fell behind
	DroppedAudio   int64 // audio packets dropped (only on a hard overflow)
	SkippedOffline int64 // packets passed over while the destination was not connected
	Buffered       time.Duration
	Congestion     float64 // buffered duration / drop threshold, 0..1
}

// Queue is one destination's bounded buffer. Push never blocks: when the
// destination falls behind by more than the drop threshold it drops non-key
// video (and everything up to the next keyframe, which the decoder needs),
// never audio or keyframes. Only a hard overflow of the ring — a destination
// stuck for many seconds — drops audio too, and then restarts at a keyframe.
//
// While parked (the destination is connecting or reconnecting) the queue keeps
// only the newest keyframe and what follows it, so a destination that comes up
// starts on a keyframe with as little delay as possible.
type Queue struct {
	mu        sync.Mutex
	ring      []*Packet
	head, n   int
	threshold time.Duration
	waitKey   bool
	parked    bool
	closed    bool
	notify    chan struct{}
	done      chan struct{}
	stats     QueueStats
	last      time.Duration // DTS time of the newest packet pushed
}

// DefaultDropThreshold is how far behind a destination may fall before non-key
// video is dropped.
const DefaultDropThreshold = 2 * time.Second

// NewQueue makes a queue holding at most capacity packets.
func NewQueue(capacity int, threshold time.Duration) *Queue {
	if capacity < 16 {
		capacity = 16
	}
	if threshold <= 0 {
		threshold = DefaultDropThreshold
	}
	return &Queue{ring: make([]*Packet, capacity), threshold: threshold, notify: make(chan struct{}, 1), done: make(chan struct{}), waitKey: true}
}

// Push offers p to the destination. It never blocks.
func (q *Queue) Push(p *Packet) {
	q.mu.Lock()
	q.pushLocked(p)
	q.mu.Unlock()
	q.wake()
}

// PushBatch offers ps in order, with one wake-up for the destination.
func (q *Queue) PushBatch(ps []*Packet) {
	q.mu.Lock()
	for _, p := range ps {
		q.pushLocked(p)
	}
	q.mu.Unlock()
	q.wake()
}

func (q *Queue) wake() {
	select {
	case q.notify <- struct{}{}:
	default:
	}
}

func (q *Queue) pushLocked(p *Packet) {
	if q.closed {
		return
	}
	q.stats.Pushed++
	q.last = p.DTSTime()
	isKey := p.Kind == Video && p.Key
	switch {
	case q.parked && isKey:
		// Keep only what plays from this keyframe on (audio of the same instant).
		for q.n > 0 && q.at(0).DTSTime() < q.last {
			q.ring[q.head] = nil
			q.head = (q.head + 1) % len(q.ring)
			q.n--
			q.stats.SkippedOffline++
		}
		q.waitKey = false
	case p.Kind == Video && !p.Key:
		if q.waitKey {
			if q.parked {
				q.stats.SkippedOffline++
			} else {
				q.stats.DroppedVideo++
			}
			return
		}
		if q.bufferedLocked() > q.threshold {
			q.stats.DroppedVideo++
			q.waitKey = true
			return
		}
	case isKey:
		q.waitKey = false
	}
	if q.n == len(q.ring) {
		// Stuck for far longer than the threshold: start again at the next keyframe.
		for i := 0; i < q.n; i++ {
			if q.at(i).Kind == Video {
				q.stats.DroppedVideo++
			} else {
				q.stats.DroppedAudio++
			}
		}
		q.clear()
		q.waitKey = true
		if !isKey {
			if p.Kind == Video {
				q.stats.DroppedVideo++
			} else {
				q.stats.DroppedAudio++
			}
			return
		}
		q.waitKey = false
	}
	q.ring[(q.head+q.n)%len(q.ring)] = p
	q.n++
}

// Pop waits for the next packet. It returns ErrQueueClosed when the queue is
// closed and empty, or ctx's error.
func (q *Queue) Pop(ctx context.Context) (*Packet, error) {
	for {
		q.mu.Lock()
		if q.n > 0 && !q.parked {
			p := q.ring[q.head]
			q.ring[q.head] = nil
			q.head = (q.head + 1) % len(q.ring)
			q.n--
			q.mu.Unlock()
			return p, nil
		}
		closed := q.closed
		q.mu.Unlock()
		if closed {
			return nil, ErrQueueClosed
		}
		select {
		case <-q.notify:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// Park holds the queue while its destination is not connected: it keeps only
// the newest keyframe and what follows, and Pop waits.
func (q *Queue) Park() {
	q.mu.Lock()
	q.parked = true
	q.mu.Unlock()
}

// Unpark lets Pop deliver again, starting at the kept keyframe.
func (q *Queue) Unpark() {
	q.mu.Lock()
	q.parked = false
	// Start at the first keyframe kept (sound stamped at the same instant
	// may stand before it); none kept: wait for one.
	k := 0
	for k < q.n && !(q.at(k).Kind == Video && q.at(k).Key) {
		k++
	}
	if k == q.n && q.n > 0 {
		q.stats.SkippedOffline += int64(q.n)
		q.clear()
		q.waitKey = true
	} else if k > 0 {
		q.stats.SkippedOffline += int64(k)
		for i := 0; i < k; i++ {
			q.ring[(q.head+i)%len(q.ring)] = nil
		}
		q.head = (q.head + k) % len(q.ring)
		q.n -= k
	}
	q.mu.Unlock()
	q.wake()
}

// Close ends the queue: Pop drains what is left, then returns ErrQueueClosed.
func (q *Queue) Close() {
	q.mu.Lock()
	if !q.closed {
		close(q.done)
	}
	q.closed = true
	q.parked = false
	q.mu.Unlock()
	q.wake()
}

// Done is closed when the queue is closed: the broadcast is ending.
func (q *Queue) Done() <-chan struct{} { return q.done }

// Stats returns a snapshot of the queue's counters.
func (q *Queue) Stats() QueueStats {
	q.mu.Lock()
	defer q.mu.Unlock()
	s := q.stats
	s.Buffered = q.bufferedLocked()
	s.Congestion = min(1, float64(s.Buffered)/float64(q.threshold))
	return s
}

func (q *Queue) at(i int) *Packet { return q.ring[(q.head+i)%len(q.ring)] }

func (q *Queue) bufferedLocked() time.Duration {
	if q.n == 0 {
		return 0
	}
	return max(0, q.last-q.at(0).DTSTime())
}

func (q *Queue) clear() {
	for i := 0; i < q.n; i++ {
		q.ring[(q.head+i)%len(q.ring)] = nil
	}
	q.head, q.n = 0, 0
}
