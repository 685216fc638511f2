// Package studio is the live session: the always-running preview pipeline
// (sources and compositor on the studio clock) and the Broadcast that encodes
// it once and sends it to every destination. It imports no UI toolkit.
package studio

import (
	"context"
	"fmt"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"onair/capture"
	"onair/overlay"
)

// AudioSource fills stereo samples for a span of the studio clock.
type AudioSource interface {
	Fill(start int64, l, r []float32)
}

// Runner is a source with work of its own (decoding a file, reading a
// device): the studio starts it with Run and stops it by cancelling ctx.
type Runner interface {
	Run(ctx context.Context, clock *capture.Clock) error
}

// Studio runs the sources and the compositor on one clock while the app is
// open, whether or not it is live: the preview and the meters always move.
type Studio struct {
	Clock *capture.Clock
	FPS   int
	video capture.VideoSource
	audio AudioSource
	comp  *overlay.Compositor

	mu        sync.Mutex
	videoSubs map[*videoSub]struct{}
	audioSubs map[*audioSub]struct{}

	composed atomic.Int64
	missed   atomic.Int64
	peak     atomic.Uint32 // float32 bits of the last chunk's peak level
}

type videoSub struct {
	ch      chan *capture.Frame
	skipped atomic.Int64
}

type audioSub struct {
	ch      chan *capture.AudioChunk
	skipped atomic.Int64
}

// NewStudio composes a w×h canvas at fps from video, with audio beside it.
func NewStudio(w, h, fps int, video capture.VideoSource, audio AudioSource) *Studio {
	return &Studio{
		Clock: capture.NewClock(), FPS: fps, video: video, audio: audio,
		comp:      overlay.NewCompositor(w, h),
		videoSubs: map[*videoSub]struct{}{}, audioSubs: map[*audioSub]struct{}{},
	}
}

// Size is the canvas size.
func (s *Studio) Size() (w, h int) { return s.comp.Size() }

// Run composes and captures until ctx ends. A source error stops it.
func (s *Studio) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var runners []func() error
	runners = append(runners, func() error { return s.runVideo(ctx) }, func() error { return s.runAudio(ctx) })
	sources := []any{s.video}
	if any(s.audio) != any(s.video) {
		sources = append(sources, s.audio) // one source giving both runs once
	}
	for _, src := range sources {
		if r, ok := src.(Runner); ok {
			runners = append(runners, func() error { return r.Run(ctx, s.Clock) })
		}
	}
	errc := make(chan error, len(runners))
	for _, run := range runners {
		go func() { errc <- run() }()
	}
	err := <-errc
	cancel()
	for range len(runners) - 1 {
		if err2 := <-errc; err == nil {
			err = err2
		}
	}
	// The studio owns its sources: free what they hold once nothing runs.
	for _, src := range sources {
		if c, ok := src.(interface{ Close() }); ok {
			c.Close()
		}
	}
	if ctx.Err() != nil && err == ctx.Err() {
		return nil
	}
	return err
}

func (s *Studio) runVideo(ctx context.Context) error {
	interval := time.Second / time.Duration(s.FPS)
	for n := int64(0); ; n++ {
		at := time.Duration(n) * time.Second / time.Duration(s.FPS)
		if !s.Clock.SleepUntil(at, ctx.Done()) {
			return ctx.Err()
		}
		if late := s.Clock.Now() - at; late > interval {
			// We fell behind (a stall): skip the slots we missed, keep the clock.
			skip := int64(late / interval)
			s.missed.Add(skip)
			n += skip
			at = time.Duration(n) * time.Second / time.Duration(s.FPS)
		}
		src, err := s.video.Latest(at)
		if err != nil {
			return fmt.Errorf("video source: %w", err)
		}
		f := s.comp.Compose(src, n, at)
		src.Release()
		s.composed.Add(1)
		s.mu.Lock()
		for sub := range s.videoSubs {
			select {
			case sub.ch <- f.Retain():
			default:
				f.Release()
				sub.skipped.Add(1)
			}
		}
		s.mu.Unlock()
		f.Release()
	}
}

// audioChunkSamples is 20 ms, what microphones deliver.
const audioChunkSamples = capture.SampleRate / 50

// audioRing is how many chunks the studio cycles through. A chunk is
// rewritten only audioRing chunks later, and no subscriber may hold more than
// maxAudioBuffer, so nobody ever reads a chunk being rewritten.
const (
	audioRing      = 128
	maxAudioBuffer = audioRing / 2
)

func (s *Studio) runAudio(ctx context.Context) error {
	var ring [audioRing]capture.AudioChunk
	for i := range ring {
		for ch := range ring[i].Samples {
			ring[i].Samples[ch] = make([]float32, audioChunkSamples)
		}
	}
	for k, start := 0, int64(0); ; k, start = k+1, start+audioChunkSamples {
		end := time.Duration(start+audioChunkSamples) * time.Second / capture.SampleRate
		if !s.Clock.SleepUntil(end, ctx.Done()) {
			return ctx.Err()
		}
		c := &ring[k%audioRing]
		c.Start = start
		s.audio.Fill(start, c.Samples[0], c.Samples[1])
		var peak float32
		for _, v := range c.Samples[0] {
			peak = max(peak, v, -v)
		}
		s.peak.Store(math.Float32bits(peak))
		s.mu.Lock()
		for sub := range s.audioSubs {
			select {
			case sub.ch <- c:
			default:
				sub.skipped.Add(1)
			}
		}
		s.mu.Unlock()
	}
}

// SubscribeVideo delivers every composed frame (retained: the receiver
// releases it) until cancel is called. A receiver that falls behind by more
// than buf frames misses frames; skipped counts them.
func (s *Studio) SubscribeVideo(buf int) (frames <-chan *capture.Frame, skipped func() int64, cancel func()) {
	sub := &videoSub{ch: make(chan *capture.Frame, buf)}
	s.mu.Lock()
	s.videoSubs[sub] = struct{}{}
	s.mu.Unlock()
	return sub.ch, sub.skipped.Load, func() {
		s.mu.Lock()
		delete(s.videoSubs, sub)
		s.mu.Unlock()
		for {
			select {
			case f := <-sub.ch:
				f.Release()
			default:
				return
			}
		}
	}
}

// SubscribeAudio delivers every audio chunk until cancel is called. Chunks are
// the studio's: read them, copy what you keep, and do not hold on to them.
func (s *Studio) SubscribeAudio(buf int) (chunks <-chan *capture.AudioChunk, skipped func() int64, cancel func()) {
	sub := &audioSub{ch: make(chan *capture.AudioChunk, min(buf, maxAudioBuffer))}
	s.mu.Lock()
	s.audioSubs[sub] = struct{}{}
	s.mu.Unlock()
	return sub.ch, sub.skipped.Load, func() {
		s.mu.Lock()
		delete(s.audioSubs, sub)
		s.mu.Unlock()
	}
}

// StudioStats is what the compositor did.
type StudioStats struct {
	Composed, Missed int64
	AudioPeak        float32 // last 20 ms, 0..1
}

// Stats returns a snapshot.
func (s *Studio) Stats() StudioStats {
	return StudioStats{Composed: s.composed.Load(), Missed: s.missed.Load(), AudioPeak: math.Float32frombits(s.peak.Load())}
}
