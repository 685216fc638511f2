package device

import (
	"fmt"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/gen2brain/malgo"
)

// Speaker plays sound on the system's default output (the performer's
// monitor output: headphones, speakers): the private show viewer's voice.
// Write hands it 48 kHz stereo; miniaudio's thread takes it from a ring,
// and plays silence when there is nothing (a late packet is a gap, never a
// wait). Close stops and frees it, once.
type Speaker struct {
	ctx   *malgo.AllocatedContext
	dev   *malgo.Device
	ring  *sampleRing
	mu    sync.Mutex // Write's interleaving buffer
	buf   []float32
	under atomic.Uint64 // samples of silence played for want of sound
	close sync.Once
	// playing: enough is queued to play without a gap (miniaudio's thread
	// only): after running dry it waits for speakerLeadMs again.
	playing bool
}

// speakerLeadMs is what is queued before playing starts (again): the
// network's jitter absorbed, at this much delay.
const speakerLeadMs = 120

// speakerRingSeconds is the most sound queued: more is dropped (a stalled
// output must not grow the delay to the viewer's voice without bound).
const speakerRingMs = 400

// OpenSpeaker opens the default output at 48 kHz stereo and starts it.
func OpenSpeaker() (*Speaker, error) {
	ctx, err := newMicContext()
	if err != nil {
		return nil, fmt.Errorf("no sound output: %w", err)
	}
	s := &Speaker{ctx: ctx, ring: newSampleRing(micWantRate * micWantChannels * speakerRingMs / 1000)}
	cfg := malgo.DefaultDeviceConfig(malgo.Playback)
	cfg.Playback.Format = malgo.FormatF32
	cfg.Playback.Channels = micWantChannels
	cfg.SampleRate = micWantRate
	cfg.PeriodSizeInMilliseconds = micPeriodMs
	cfg.Alsa.NoMMap = 1
	dev, err := malgo.InitDevice(ctx.Context, cfg, malgo.DeviceCallbacks{Data: s.onData})
	if err != nil {
		freeMicContext(ctx)
		return nil, fmt.Errorf("opening the sound output: %w", err)
	}
	s.dev = dev
	if dev.PlaybackFormat() != malgo.FormatF32 || dev.PlaybackChannels() != micWantChannels {
		s.Close()
		return nil, fmt.Errorf("opening the sound output: miniaudio gave format %d, %d channels", dev.PlaybackFormat(), dev.PlaybackChannels())
	}
	if err := dev.Start(); err != nil {
		s.Close()
		return nil, fmt.Errorf("starting the sound output: %w", err)
	}
	return s, nil
}

// Write queues one packet of sound, left and right (48 kHz). It never
// waits; what does not fit is dropped.
func (s *Speaker) Write(l, r []float32) {
	n := min(len(l), len(r))
	s.mu.Lock()
	defer s.mu.Unlock()
	s.buf = s.buf[:0]
	for i := range n {
		s.buf = append(s.buf, l[i], r[i])
	}
	s.ring.write(s.buf)
}

// onData runs on miniaudio's thread: fill out from the ring, silence for
// the rest; never wait, never allocate.
func (s *Speaker) onData(out, _ []byte, _ uint32) {
	if len(out) < 4 {
		return
	}
	dst := unsafe.Slice((*float32)(unsafe.Pointer(&out[0])), len(out)/4)
	if !s.playing && s.ring.w.Load()-s.ring.r.Load() >= micWantRate*micWantChannels*speakerLeadMs/1000 {
		s.playing = true
	}
	n := 0
	if s.playing {
		n = s.ring.read(dst, micWantChannels)
		if n < len(dst) {
			s.playing = false // ran dry: gather a lead again
		}
	}
	clear(dst[n:])
	s.under.Add(uint64(len(dst) - n))
}

// Dropped is how many samples did not fit the queue.
func (s *Speaker) Dropped() uint64 { return s.ring.dropped.Load() }

// Close stops the output (miniaudio joins its thread: no callback after)
// and frees it, once.
func (s *Speaker) Close() {
	s.close.Do(func() {
		if s.dev != nil {
			_ = s.dev.Stop()
			s.dev.Uninit()
		}
		freeMicContext(s.ctx)
	})
}
