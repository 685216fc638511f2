package studio

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"onair/capture"
)

// sampleIndexSource writes each sample's studio index (exact in float32 up to
// 2^24, about 5 minutes), so a reader can tell which span a chunk really holds.
type sampleIndexSource struct{}

func (sampleIndexSource) Fill(start int64, l, r []float32) {
	for i := range l {
		v := float32((start + int64(i)) % (1 << 24))
		l[i], r[i] = v, -v
	}
}

// stallingCard is a test card whose Latest blocks once, for stall, on its
// call number at: the studio's tick stops and then catches up.
type stallingCard struct {
	*capture.TestCard
	mu    sync.Mutex
	calls int
	at    int
	stall time.Duration
}

func (c *stallingCard) Latest(at time.Duration) (*capture.Frame, error) {
	c.mu.Lock()
	c.calls++
	n := c.calls
	c.mu.Unlock()
	if n == c.at {
		time.Sleep(c.stall)
	}
	return c.TestCard.Latest(at)
}

// audioSpan is what a subscriber read: a chunk's place, checked when read.
type audioSpan struct{ start, n int64 }

// readChunk checks that c holds the samples captured for its own span, then
// releases it. It reports with Errorf: readers run on goroutines of their own.
func readChunk(t *testing.T, c *capture.AudioChunk) (audioSpan, bool) {
	t.Helper()
	s := audioSpan{c.Start, int64(len(c.Samples[0]))}
	defer c.Release()
	for i := range c.Samples[0] {
		want := float32((c.Start + int64(i)) % (1 << 24))
		if c.Samples[0][i] != want || c.Samples[1][i] != -want {
			t.Errorf("chunk at sample %d holds %v at %d, want %v: rewritten while queued", c.Start, c.Samples[0][i], i, want)
			return s, false
		}
	}
	return s, true
}

// checkAudioSpans checks a subscriber's reads: in order, each gap made of
// whole skipped chunks, and skipped counting exactly those.
func checkAudioSpans(t *testing.T, got []audioSpan, chunk, skipped int64) {
	t.Helper()
	var gaps int64
	for i := 1; i < len(got); i++ {
		gap := got[i].start - (got[i-1].start + got[i-1].n)
		if gap < 0 || gap%chunk != 0 {
			t.Fatalf("read %d starts at sample %d, %d after the end of the one before: out of order", i, got[i].start, gap)
		}
		gaps += gap / chunk
	}
	if gaps != skipped {
		t.Errorf("%d chunks missing between reads, but %d counted as skipped", gaps, skipped)
	}
}

func runAudioStudio(t *testing.T, video capture.VideoSource) (*Studio, func()) {
	t.Helper()
	s := NewStudio(64, 64, 240, video, sampleIndexSource{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	waitAudio(t, "the studio to start", func() bool { return s.Stats().Composed > 0 })
	return s, func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}

func waitAudio(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); !cond(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// A subscriber that stops reading for longer than the studio's ring of chunks
// finds what was queued for it intact, then a counted gap.
func TestAudioStalledSubscriberReadsWhatWasCaptured(t *testing.T) {
	card, _ := capture.NewTestCard(64, 64, 240)
	s, stop := runAudioStudio(t, card)
	chunks, skipped, cancel := s.SubscribeAudio(64)
	subscribed := s.Clock.Now()
	// 64 queued, then 200 ticks skipped: past any ring of 128 chunks twice.
	waitAudio(t, "the subscriber to fall 200 chunks behind", func() bool { return skipped() >= 200 })
	var got []audioSpan
	read := func(c *capture.AudioChunk) {
		span, ok := readChunk(t, c)
		if !ok {
			t.FailNow()
		}
		got = append(got, span)
	}
	// The 64 queued, and one captured after the gap: the gap shows.
	for range 65 {
		read(<-chunks)
	}
	stop()
	for len(chunks) > 0 {
		read(<-chunks)
	}
	cancel()
	if at := time.Duration(got[0].start) * time.Second / capture.SampleRate; at > subscribed {
		t.Errorf("first chunk read is from %s, after subscribing at %s: the queued sound was replaced", at, subscribed)
	}
	checkAudioSpans(t, got, capture.SampleRate/240, skipped())
}

// After the studio's tick stalls for over a second it captures the whole
// span in one go; a subscriber reading all the while gets whole chunks in
// order and counted skips, never a chunk rewritten under it.
func TestAudioCatchUpAfterStall(t *testing.T) {
	card, _ := capture.NewTestCard(64, 64, 240)
	src := &stallingCard{TestCard: card, at: 60, stall: 1200 * time.Millisecond}
	s, stop := runAudioStudio(t, src)
	chunks, skipped, cancel := s.SubscribeAudio(64)
	subscribed := s.Clock.Now()
	var got []audioSpan
	var lastRead atomic.Int64
	quit, reader := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(reader)
		read := func(c *capture.AudioChunk) bool {
			time.Sleep(time.Millisecond) // a slow encoder: the burst overtakes it
			span, ok := readChunk(t, c)
			got = append(got, span)
			lastRead.Store(span.start)
			return ok
		}
		for {
			select {
			case c := <-chunks:
				if !read(c) {
					return
				}
			case <-quit:
				for len(chunks) > 0 {
					if !read(<-chunks) {
						return
					}
				}
				return
			}
		}
	}()
	// 1.2 s at 240 fps is 288 chunks in one tick: more than the 64 queued.
	waitAudio(t, "the stall and catch-up", func() bool { return skipped() > 0 && s.Stats().Missed > 200 })
	// Stop once the reader has caught up, so no skip is left after its last read.
	after := int64(s.Clock.Now()) * capture.SampleRate / int64(time.Second)
	waitAudio(t, "the reader to catch up", func() bool { return lastRead.Load() > after })
	stop()
	close(quit)
	<-reader
	cancel()
	if t.Failed() {
		t.FailNow()
	}
	if len(got) == 0 {
		t.Fatal("read nothing")
	}
	if at := time.Duration(got[0].start) * time.Second / capture.SampleRate; at > subscribed {
		t.Errorf("first chunk read is from %s, after subscribing at %s", at, subscribed)
	}
	checkAudioSpans(t, got, capture.SampleRate/240, skipped())
}

type silence struct{}

func (silence) Fill(start int64, l, r []float32) {}

// The cost of one chunk's trip through the studio to one subscriber, the
// source's own work left out.
func BenchmarkCaptureAudio(b *testing.B) {
	card, _ := capture.NewTestCard(64, 64, 30)
	s := NewStudio(64, 64, 30, card, silence{})
	r := newAudioTap(capture.SampleRate / 30)
	chunks, _, cancel := s.SubscribeAudio(8)
	defer cancel()
	b.ReportAllocs()
	var end int64
	for b.Loop() {
		end += capture.SampleRate / 30
		s.captureAudio(r, end)
		(<-chunks).Release()
	}
}

// What copying each chunk out for each subscriber would add instead.
func BenchmarkCopyAudioChunk(b *testing.B) {
	var src, dst [capture.Channels][]float32
	for ch := range src {
		src[ch], dst[ch] = make([]float32, capture.SampleRate/30), make([]float32, capture.SampleRate/30)
	}
	for b.Loop() {
		for ch := range src {
			copy(dst[ch], src[ch])
		}
	}
}
