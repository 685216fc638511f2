package encoder

import (
	"slices"
	"sync"
	"sync/atomic"
)

// Hub fans one rendition's packets (and the shared audio) out to every
// destination's queue. Publish never blocks and does not allocate.
type Hub struct {
	mu     sync.Mutex // serialises Subscribe/Unsubscribe
	queues atomic.Pointer[[]*Queue]
	pub    sync.Mutex // keeps the packet order the same in every queue
}

// NewHub makes an empty hub.
func NewHub() *Hub {
	h := &Hub{}
	h.queues.Store(&[]*Queue{})
	return h
}

// Subscribe adds q; it receives every packet published from now on.
func (h *Hub) Subscribe(q *Queue) {
	h.mu.Lock()
	defer h.mu.Unlock()
	next := append(slices.Clone(*h.queues.Load()), q)
	h.queues.Store(&next)
}

// Unsubscribe removes q and closes it.
func (h *Hub) Unsubscribe(q *Queue) {
	h.mu.Lock()
	defer h.mu.Unlock()
	next := slices.DeleteFunc(slices.Clone(*h.queues.Load()), func(x *Queue) bool { return x == q })
	h.queues.Store(&next)
	q.Close()
}

// Len is how many queues are subscribed.
func (h *Hub) Len() int { return len(*h.queues.Load()) }

// Publish hands p to every queue.
func (h *Hub) Publish(p *Packet) {
	h.pub.Lock()
	for _, q := range *h.queues.Load() {
		q.Push(p)
	}
	h.pub.Unlock()
}

// PublishBatch hands ps, in order, to every queue, waking each destination
// once for the lot.
func (h *Hub) PublishBatch(ps []*Packet) {
	if len(ps) == 0 {
		return
	}
	h.pub.Lock()
	for _, q := range *h.queues.Load() {
		q.PushBatch(ps)
	}
	h.pub.Unlock()
}

// Close closes every queue; Pop drains them and then reports ErrQueueClosed.
func (h *Hub) Close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, q := range *h.queues.Load() {
		q.Close()
	}
}
