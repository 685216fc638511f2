package encoder

import (
	"context"
	"errors"
	"testing"
	"time"
)

func video(n int64, key bool) *Packet {
	return &Packet{Kind: Video, Key: key, PTS: n, DTS: n, TimeBase: Rational{1, 30}, Data: []byte{byte(n)}}
}

func audio(n int64) *Packet {
	return &Packet{Kind: Audio, Key: true, PTS: n * 1024, DTS: n * 1024, TimeBase: Rational{1, 48000}}
}

func drain(q *Queue) []*Packet {
	var out []*Packet
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	for {
		p, err := q.Pop(ctx)
		if err != nil {
			return out
		}
		out = append(out, p)
	}
}

func TestQueueDeliversInOrder(t *testing.T) {
	q := NewQueue(64, time.Second)
	for i := int64(0); i < 10; i++ {
		q.Push(video(i, i == 0))
		q.Push(audio(i))
	}
	got := drain(q)
	if len(got) != 20 {
		t.Fatalf("got %d packets, want 20", len(got))
	}
	for i, p := range got {
		if (i%2 == 0) != (p.Kind == Video) {
			t.Fatalf("packet %d is %s: order changed", i, p.Kind)
		}
	}
	if s := q.Stats(); s.DroppedVideo != 0 || s.DroppedAudio != 0 || s.Pushed != 20 {
		t.Errorf("stats %+v", s)
	}
}

// A destination that falls behind loses non-key video up to the next
// keyframe, never audio or keyframes.
func TestQueueDropsNonKeyVideoWhenBehind(t *testing.T) {
	q := NewQueue(1024, 500*time.Millisecond)
	// 60 frames (2 s) with a keyframe every 30, audio beside; nobody pops.
	var audioIn int
	for i := int64(0); i < 60; i++ {
		q.Push(video(i, i%30 == 0))
		if i%2 == 0 {
			q.Push(&Packet{Kind: Audio, DTS: i * 1600, PTS: i * 1600, TimeBase: Rational{1, 48000}})
			audioIn++
		}
	}
	s := q.Stats()
	// 0.5 s threshold: frames 0..15 fit, 16..29 dropped, 30 (key) kept, then
	// 31.. are already behind again: all dropped until the next keyframe.
	if s.DroppedVideo == 0 || s.DroppedAudio != 0 {
		t.Fatalf("stats %+v: want video drops, no audio drops", s)
	}
	got := drain(q)
	var keys, audioOut int
	for _, p := range got {
		switch {
		case p.Kind == Audio:
			audioOut++
		case p.Key:
			keys++
		}
	}
	if keys != 2 || audioOut != audioIn {
		t.Errorf("kept %d keyframes and %d/%d audio packets; want both keyframes and all audio", keys, audioOut, audioIn)
	}
	if int64(len(got))+s.DroppedVideo != 60+int64(audioIn) {
		t.Errorf("%d delivered + %d dropped != %d pushed", len(got), s.DroppedVideo, 60+audioIn)
	}
	if s.Congestion != 1 {
		t.Errorf("congestion %.2f, want 1 when past the threshold", s.Congestion)
	}
}

// After dropping, delivery resumes at a keyframe: the decoder never gets a
// frame whose reference was dropped.
func TestQueueResumesAtKeyframe(t *testing.T) {
	q := NewQueue(1024, 100*time.Millisecond)
	for i := int64(0); i < 10; i++ {
		q.Push(video(i, i == 0))
	}
	drain(q)
	for i := int64(10); i < 20; i++ {
		q.Push(video(i, i == 15))
	}
	got := drain(q)
	if len(got) == 0 || !got[0].Key || got[0].PTS != 15 {
		t.Fatalf("after drops, first delivered frame %+v; want keyframe 15", got)
	}
}

// A stuck destination's memory stays bounded by the ring.
func TestQueueBoundedWhenStuck(t *testing.T) {
	q := NewQueue(32, time.Hour)
	for i := int64(0); i < 10000; i++ {
		q.Push(video(i, i%60 == 0))
		q.Push(audio(i))
	}
	if n := len(drain(q)); n > 32 {
		t.Fatalf("queue held %d packets, capacity 32", n)
	}
	if s := q.Stats(); s.DroppedAudio == 0 {
		t.Errorf("stats %+v: a hard overflow must count its audio drops", s)
	}
}

// While parked (connecting) only the newest keyframe onwards is kept.
func TestQueueParkedKeepsNewestGOP(t *testing.T) {
	q := NewQueue(1024, time.Second)
	q.Park()
	for i := int64(0); i < 100; i++ {
		q.Push(video(i, i%30 == 0))
	}
	q.Unpark()
	got := drain(q)
	if len(got) != 10 || got[0].PTS != 90 || !got[0].Key {
		t.Fatalf("got %d packets starting at %v; want 10 from keyframe 90", len(got), got[0])
	}
	if s := q.Stats(); s.SkippedOffline != 90 || s.DroppedVideo != 0 {
		t.Errorf("stats %+v: offline skips are not drops", s)
	}
}

func TestQueueCloseDrainsThenEnds(t *testing.T) {
	q := NewQueue(64, time.Second)
	q.Push(video(0, true))
	q.Close()
	q.Push(video(1, false))
	if p, err := q.Pop(context.Background()); err != nil || p.PTS != 0 {
		t.Fatalf("Pop = %v, %v; want the queued packet", p, err)
	}
	if _, err := q.Pop(context.Background()); !errors.Is(err, ErrQueueClosed) {
		t.Fatalf("Pop after drain: %v, want ErrQueueClosed", err)
	}
	select {
	case <-q.Done():
	default:
		t.Error("Done not closed")
	}
}

func TestHubFansOutToEveryQueue(t *testing.T) {
	h := NewHub()
	a, b := NewQueue(64, time.Second), NewQueue(64, time.Second)
	h.Subscribe(a)
	h.Subscribe(b)
	h.Publish(video(0, true))
	h.Unsubscribe(b)
	h.Publish(video(1, false))
	if n := len(drain(a)); n != 2 {
		t.Errorf("a got %d, want 2", n)
	}
	if n := len(drain(b)); n != 1 {
		t.Errorf("b got %d, want 1 (unsubscribed after the first)", n)
	}
}

func TestInTicksRounds(t *testing.T) {
	if got := InTicks(1024*time.Second/48000, Rational{1, 48000}); got != 1024 {
		t.Errorf("AAC priming is %d ticks of 1/48000, want 1024", got)
	}
	if got := InTicks(1024*time.Second/48000, Rational{1, 90000}); got != 1920 {
		t.Errorf("AAC priming is %d ticks of 1/90000, want 1920", got)
	}
}

func TestHubPublishDoesNotAllocate(t *testing.T) {
	h := NewHub()
	qs := make([]*Queue, 4)
	for i := range qs {
		qs[i] = NewQueue(4096, time.Hour)
		h.Subscribe(qs[i])
	}
	p := video(0, true)
	ctx := context.Background()
	allocs := testing.AllocsPerRun(1000, func() {
		h.Publish(p)
		for _, q := range qs {
			q.Pop(ctx)
		}
	})
	if allocs != 0 {
		t.Errorf("%.1f allocations per packet through a 4-way fan-out, want 0", allocs)
	}
}

func TestHubBatchKeepsOrderWithoutAllocating(t *testing.T) {
	h := NewHub()
	a, b := NewQueue(4096, time.Hour), NewQueue(4096, time.Hour)
	h.Subscribe(a)
	h.Subscribe(b)
	batch := []*Packet{audio(0), video(0, true), audio(1)}
	h.PublishBatch(batch)
	for _, q := range []*Queue{a, b} {
		got := drain(q)
		if len(got) != 3 || got[0] != batch[0] || got[1] != batch[1] || got[2] != batch[2] {
			t.Fatalf("batch arrived as %v", got)
		}
	}
	ctx := context.Background()
	if n := testing.AllocsPerRun(500, func() {
		h.PublishBatch(batch)
		for range batch {
			a.Pop(ctx)
			b.Pop(ctx)
		}
	}); n != 0 {
		t.Errorf("%.1f allocations per batch", n)
	}
}

func BenchmarkHubPublish4(b *testing.B) {
	h := NewHub()
	qs := make([]*Queue, 4)
	for i := range qs {
		qs[i] = NewQueue(4096, time.Hour)
		h.Subscribe(qs[i])
	}
	p := video(0, true)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		h.Publish(p)
		for _, q := range qs {
			q.Pop(ctx)
		}
	}
}

// Sound stamped at the same instant as the kept keyframe, pushed before it,
// must not make a reconnecting destination wait for the next keyframe.
func TestQueueUnparksAtAKeyframeBehindSound(t *testing.T) {
	q := NewQueue(1024, time.Second)
	q.Park()
	for i := int64(0); i < 60; i++ {
		q.Push(video(i, i%30 == 0))
	}
	q.Push(&Packet{Kind: Audio, Key: true, PTS: 96000, DTS: 96000, TimeBase: Rational{1, 48000}}) // 2.0 s
	q.Push(video(60, true))                                                                       // 2.0 s
	q.Push(video(61, false))
	q.Unpark()
	got := drain(q)
	if len(got) == 0 || got[0].Kind != Video || !got[0].Key || got[0].PTS != 60 {
		t.Fatalf("after Unpark: %d packets, first %+v; want keyframe 60 first", len(got), got[0])
	}
}
