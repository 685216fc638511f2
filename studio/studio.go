// Package studio is the live session: the always-running preview pipeline
// (sources and compositor on the studio clock) and the Broadcast that encodes
// it once and sends it to every destination. It imports no UI toolkit.
package studio

import (
	"context"
	"errors"
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
	video *videoSwitch
	audio AudioSource
	comp  *overlay.Compositor

	mu        sync.Mutex
	videoSubs map[*videoSub]struct{}
	audioSubs map[*audioSub]struct{}

	composed atomic.Int64
	missed   atomic.Int64
	// syncDelay: how long after its studio time a slot is composed (see
	// SetSyncDelay).
	syncDelay atomic.Int64
	peak      atomic.Uint32 // float32 bits of the last chunk's peak level

	extra   []any // more sources the studio runs and closes (microphones)
	notices chan string
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
		Clock: capture.NewClock(), FPS: fps, video: newVideoSwitch(video), audio: audio,
		comp:      overlay.NewCompositor(w, h),
		videoSubs: map[*videoSub]struct{}{}, audioSubs: map[*audioSub]struct{}{},
		notices: make(chan string, 64),
	}
}

// SetVideo changes the picture source, while the studio runs or before: the
// compositor shows src from its next frame on, and the old source is stopped
// and closed. A source whose sound the studio also plays must be taken out of
// the sound first (the caller's mixer), since closing it ends both. The
// channel is closed once the old source is closed (a device can then be
// opened again), or when a later SetVideo overtook this one. Once Run has
// ended, src is closed and an error says nothing more is shown.
func (s *Studio) SetVideo(src capture.VideoSource) (replaced <-chan struct{}, err error) {
	return s.video.set(src)
}

// CloseSources closes the picture source if Run has not (a studio that never
// ran); after Run it does nothing. Call it once nothing runs.
func (s *Studio) CloseSources() { s.video.Close() }

// Attach gives the studio more sources to run (those that are Runners) and
// close with it — a microphone feeding the mixer, say. Call before Run.
func (s *Studio) Attach(sources ...any) { s.extra = append(s.extra, sources...) }

// SetSyncDelay makes the studio compose each slot d after its studio time,
// so that sound which reaches it late still lands on the pictures taken with
// it: a microphone's sound waits d in its ring (room for the sound server's
// bursts), so the slot for instant t, composed at t+d, gets the sound heard at
// t beside the camera's picture taken at t (a camera keeps its recent pictures
// by the time they were taken). Every slot keeps its timestamp; the program
// leaves the studio d later. 0 (the default) composes each slot at its time.
func (s *Studio) SetSyncDelay(d time.Duration) { s.syncDelay.Store(int64(max(d, 0))) }

// SyncDelay is what SetSyncDelay set.
func (s *Studio) SyncDelay() time.Duration { return time.Duration(s.syncDelay.Load()) }

// Notify queues a notice for the performer (a camera lost, a microphone
// back). It never blocks: past 64 unread notices the newest are dropped.
func (s *Studio) Notify(msg string) {
	select {
	case s.notices <- msg:
	default:
	}
}

// Notices delivers what sources reported while the studio runs.
func (s *Studio) Notices() <-chan string { return s.notices }

// Size is the canvas size.
func (s *Studio) Size() (w, h int) { return s.comp.Size() }

// Run composes and captures until ctx ends. A source error stops it.
func (s *Studio) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var runners []func() error
	runners = append(runners, func() error { return s.run(ctx) })
	sources := []any{s.video}
	if any(s.audio) != any(s.video.current()) {
		sources = append(sources, s.audio) // one source giving both runs once
	}
	sources = append(sources, s.extra...)
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

// run is the studio's one clock: each tick composes the picture for its slot
// and captures the sound up to that instant. One wake-up per frame drives
// both, so the encoder receives them together.
func (s *Studio) run(ctx context.Context) error {
	interval := time.Second / time.Duration(s.FPS)
	audio := newAudioTap((capture.SampleRate + s.FPS - 1) / s.FPS)
	timer := time.NewTimer(0)
	defer timer.Stop()
	<-timer.C
	for n := int64(0); ; n++ {
		at := time.Duration(n) * time.Second / time.Duration(s.FPS)
		delay := s.SyncDelay()
		if d := at + delay - s.Clock.Now(); d > 0 {
			timer.Reset(d)
			select {
			case <-timer.C:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		if late := s.Clock.Now() - delay - at; late > interval {
			// We fell behind (a stall): skip the slots we missed, keep the clock.
			skip := int64(late / interval)
			s.missed.Add(skip)
			n += skip
			at = time.Duration(n) * time.Second / time.Duration(s.FPS)
		}
		// The slot's sample from n, not from at: at is truncated to the
		// nanosecond, and a span one sample over a chunk splits off a 1-sample chunk.
		s.captureAudio(audio, n*capture.SampleRate/int64(s.FPS))
		if err := s.composeVideo(n, at); err != nil {
			return err
		}
	}
}

func (s *Studio) composeVideo(n int64, at time.Duration) error {
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
	return nil
}

// audioTap is where the studio's sound capture stands. Each chunk comes from
// a pool and is reference counted: a subscriber owns what it received until
// it releases it, so a slow one is skipped (and counted), never handed
// samples rewritten under it.
type audioTap struct {
	pool *capture.AudioPool
	size int   // samples a chunk holds at most: one frame's worth
	upTo int64 // studio sample index captured so far
}

// maxAudioBuffer bounds a subscriber's queue: every queued chunk is held
// memory (12.8 KB at 30 fps), and 256 of them are over 8 s of sound.
const maxAudioBuffer = 256

func newAudioTap(size int) *audioTap {
	return &audioTap{pool: capture.NewAudioPool(size), size: size}
}

// captureAudio takes the sound from where it stopped up to sample end and
// hands it to every audio subscriber.
func (s *Studio) captureAudio(r *audioTap, end int64) {
	for r.upTo < end {
		n := int(min(end-r.upTo, int64(r.size)))
		c := r.pool.Get(n)
		c.Start = r.upTo
		r.upTo += int64(n)
		s.audio.Fill(c.Start, c.Samples[0], c.Samples[1])
		var peak float32
		for _, v := range c.Samples[0] {
			peak = max(peak, v, -v)
		}
		s.peak.Store(math.Float32bits(peak))
		s.mu.Lock()
		for sub := range s.audioSubs {
			select {
			case sub.ch <- c.Retain():
			default:
				c.Release()
				sub.skipped.Add(1)
			}
		}
		s.mu.Unlock()
		c.Release()
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

// SubscribeAudio delivers every audio chunk until cancel is called. Each
// chunk received is the receiver's reference: read it, then call Release (the
// samples are not rewritten before that; one never released only costs an
// allocation). Nobody writes a received chunk. A receiver that falls behind by
// more than buf chunks (at most maxAudioBuffer) misses chunks; skipped counts
// them, and the chunks it does get are whole and in order.
func (s *Studio) SubscribeAudio(buf int) (chunks <-chan *capture.AudioChunk, skipped func() int64, cancel func()) {
	sub := &audioSub{ch: make(chan *capture.AudioChunk, min(buf, maxAudioBuffer))}
	s.mu.Lock()
	s.audioSubs[sub] = struct{}{}
	s.mu.Unlock()
	return sub.ch, sub.skipped.Load, func() {
		s.mu.Lock()
		delete(s.audioSubs, sub)
		s.mu.Unlock()
		for {
			select {
			case c := <-sub.ch:
				c.Release()
			default:
				return
			}
		}
	}
}

// StudioStats is what the compositor did.
type StudioStats struct {
	Composed, Missed int64
	AudioPeak        float32 // last 20 ms, 0..1
	// AlertsShown and AlertsSkipped (past the alert queue's limit).
	AlertsShown   int64
	AlertsSkipped int64
}

// Stats returns a snapshot.
func (s *Studio) Stats() StudioStats {
	st := StudioStats{Composed: s.composed.Load(), Missed: s.missed.Load(), AudioPeak: math.Float32frombits(s.peak.Load())}
	if stage := s.Stage(); stage != nil {
		st.AlertsShown, st.AlertsSkipped = stage.Stats()
	}
	return st
}

// SetStage makes the studio draw a stage's scenes (overlay.NewStage), its
// picture source as their camera layers.
func (s *Studio) SetStage(st *overlay.Stage) { s.comp.SetStage(st) }

// Stage is the stage the studio draws, or nil.
func (s *Studio) Stage() *overlay.Stage { return s.comp.Stage() }

// Do carries out a show command (a line of `onair live`'s standard input, a
// key in the window): switch scene, show or hide a layer, an alert, the
// privacy cut. Errors are in words for the performer.
func (s *Studio) Do(c Command) error {
	st := s.Stage()
	if st == nil {
		return errors.New("this show has no scenes")
	}
	switch c.Kind {
	case CmdScene:
		return st.SwitchScene(c.Name, c.Fade)
	case CmdShow, CmdHide:
		return st.SetVisible(c.Name, c.Kind == CmdShow)
	case CmdPrivacy:
		return st.Privacy(c.On)
	case CmdAlert:
		_, err := s.Alert(c.Alert)
		return err
	case CmdChat:
		st.Chat(overlay.ChatLine{Author: c.Alert.Name, Text: c.Alert.Message})
		return nil
	}
	return fmt.Errorf("unknown command %d", c.Kind)
}

// Alert shows a viewer's action (its Name and Message already cleaned):
// queued tells whether the alert box will show it (not when its rule's
// minimum is not met, or past the queue's limit: then it is skipped and
// counted).
func (s *Studio) Alert(ev AlertEvent) (queued bool, err error) {
	st := s.Stage()
	if st == nil {
		return false, errors.New("this show has no scenes")
	}
	return st.Alert(overlay.Event{Kind: ev.Kind.String(), Amount: ev.Amount, Name: ev.Name, Message: ev.Message})
}
