package studio

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"onair/capture"
	"onair/encoder"
)

// fakeEncoders opens encoders that emit one packet per picture (a keyframe
// every KeyframeSec) and one per 1024 samples, and counts what is open: the
// broadcast's logic without x264's CPU.
type fakeEncoders struct {
	mu            sync.Mutex
	open          int           // encoders open now, video and audio
	failVideo     int           // the n-th OpenVideo fails (from 1; 0: never)
	delay         time.Duration // each picture takes this long to encode
	stallAt       int64         // picture number (from 1) that takes stallFor
	stallFor      time.Duration
	opusFailAfter int   // the Opus encoder fails after this many chunks (0: never)
	opened        int   // OpenVideo calls so far
	closed2       error // set when an encoder was closed twice
}

func (f *fakeEncoders) OpenVideo(c encoder.VideoConfig) (VideoEncoder, string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.opened++
	if f.opened == f.failVideo {
		return nil, "", errors.New("fake: this encoder does not open")
	}
	f.open++
	c = c.Filled()
	return &fakeVideo{f: f, cfg: c, asked: c, delay: f.delay, stallAt: f.stallAt, stallFor: f.stallFor}, "", nil
}

// OpenOpus opens a fake Opus encoder: its packets hold 2, AAC's 1.
func (f *fakeEncoders) OpenOpus(kbps int) (AudioEncoder, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.open++
	return &fakeAudio{f: f, kbps: kbps, opus: true, failAfter: f.opusFailAfter}, nil
}

func (f *fakeEncoders) OpenAudio(kbps int) (AudioEncoder, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.open++
	return &fakeAudio{f: f, kbps: kbps}, nil
}

// stillOpen is how many encoders are open, and an error if one was closed twice.
func (f *fakeEncoders) stillOpen() (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.open, f.closed2
}

func (f *fakeEncoders) close(what string, closed *bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if *closed {
		f.closed2 = fmt.Errorf("%s closed twice", what)
		return
	}
	*closed = true
	f.open--
}

type fakeVideo struct {
	f          *fakeEncoders
	cfg, asked encoder.VideoConfig
	frames     int64
	nextKey    int64
	delay      time.Duration
	stallAt    int64
	stallFor   time.Duration
	closed     bool
	keyAsked   atomic.Bool
}

// RequestKeyframe makes the next picture a keyframe, as libav's does.
func (e *fakeVideo) RequestKeyframe() { e.keyAsked.Store(true) }

func (e *fakeVideo) Encode(_ *capture.Frame, pts int64, composed time.Time, emit func(*encoder.Packet)) error {
	if e.closed {
		return errors.New("fake: encoding after Close")
	}
	time.Sleep(e.delay)
	if e.frames+1 == e.stallAt {
		time.Sleep(e.stallFor)
	}
	// Keyframes by media time, as libav's encoder places them.
	key := pts >= e.nextKey
	if key {
		e.nextKey = (pts/int64(e.cfg.KeyframeSec*e.cfg.FPS) + 1) * int64(e.cfg.KeyframeSec*e.cfg.FPS)
		e.keyAsked.Store(false)
	} else if e.keyAsked.Swap(false) {
		key = true
	}
	e.frames++
	emit(&encoder.Packet{Kind: encoder.Video, Key: key, PTS: pts, DTS: pts, TimeBase: encoder.Rational{Num: 1, Den: e.cfg.FPS},
		Data: fmt.Appendf(nil, "%d kb/s", e.cfg.BitrateKbps), Composed: composed})
	return nil
}

func (e *fakeVideo) Flush(func(*encoder.Packet)) error { return nil }

func (e *fakeVideo) Stream() encoder.Stream {
	return encoder.Stream{Kind: encoder.Video, Codec: e.cfg.Codec, TimeBase: encoder.Rational{Num: 1, Den: e.cfg.FPS},
		Extradata: []byte{0, 0, 0, 1, 0x67}, BitrateKbps: e.cfg.BitrateKbps, Width: e.cfg.Width, Height: e.cfg.Height, FPS: e.cfg.FPS}
}

func (e *fakeVideo) Config() encoder.VideoConfig { return e.cfg }
func (e *fakeVideo) Asked() encoder.VideoConfig  { return e.asked }
func (e *fakeVideo) Close()                      { e.f.close("video encoder", &e.closed) }

func (e *fakeVideo) SetBitrate(kbps int) error {
	if !e.cfg.Adaptive {
		return errors.New("fake: not adaptive")
	}
	e.cfg.BitrateKbps = kbps
	return nil
}

type fakeAudio struct {
	f       *fakeEncoders
	kbps    int
	pending int   // samples short of the next 1024
	next    int64 // pts of the next packet
	closed  bool
	opus    bool
	// failAfter: Encode fails from this chunk on (0: never); chunks counts.
	failAfter, chunks int
}

func (e *fakeAudio) Encode(c *capture.AudioChunk, _ int64, composed time.Time, emit func(*encoder.Packet)) error {
	if e.closed {
		return errors.New("fake: encoding after Close")
	}
	if e.chunks++; e.failAfter > 0 && e.chunks > e.failAfter {
		return errors.New("fake: the encoder broke")
	}
	for e.pending += len(c.Samples[0]); e.pending >= 1024; e.pending -= 1024 {
		emit(&encoder.Packet{Kind: encoder.Audio, Key: true, PTS: e.next, DTS: e.next, TimeBase: encoder.Rational{Num: 1, Den: capture.SampleRate},
			Data: []byte{e.mark()}, Composed: composed})
		e.next += 1024
	}
	return nil
}

func (e *fakeAudio) Flush(func(*encoder.Packet)) error { return nil }

func (e *fakeAudio) mark() byte {
	if e.opus {
		return 2
	}
	return 1
}

func (e *fakeAudio) Stream() encoder.Stream {
	codec := encoder.AAC
	if e.opus {
		codec = encoder.Opus
	}
	return encoder.Stream{Kind: encoder.Audio, Codec: codec, TimeBase: encoder.Rational{Num: 1, Den: capture.SampleRate},
		Extradata: []byte{0x11, 0x90}, BitrateKbps: e.kbps, SampleRate: capture.SampleRate, Channels: 2, FrameSize: 1024}
}

func (e *fakeAudio) Close() { e.f.close("audio encoder", &e.closed) }
