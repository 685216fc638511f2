package device

import (
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/pion/mediadevices/pkg/driver"
	"github.com/pion/mediadevices/pkg/io/audio"
	"github.com/pion/mediadevices/pkg/prop"
	"github.com/pion/mediadevices/pkg/wave"
)

// micDriver is one microphone in mediadevices' registry. The studio opens
// microphones with OpenMic; AudioRecord is there so that anything speaking
// mediadevices (a track, getUserMedia-style selection) gets the same
// copying driver.
type micDriver struct {
	mu  sync.Mutex
	dev micDevice // as the last scan saw it
	rec *micRecording
}

func (d *micDriver) device() micDevice {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.dev
}

func (d *micDriver) update(dev micDevice) {
	d.mu.Lock()
	d.dev = dev
	d.mu.Unlock()
}

// Describe is what device.List shows.
func (d *micDriver) Describe() Info {
	dev := d.device()
	return Info{Kind: Microphone, Label: dev.label, Name: dev.name, Channels: dev.channels, SampleRate: dev.sampleRate, Default: dev.isDefault}
}

func (d *micDriver) Open() error { return nil }

func (d *micDriver) Close() error {
	d.mu.Lock()
	r := d.rec
	d.rec = nil
	d.mu.Unlock()
	if r != nil {
		r.close()
	}
	return nil
}

// Properties offers what AudioRecord delivers: interleaved float32 at 48
// kHz, with the device's channel count (miniaudio converts).
func (d *micDriver) Properties() []prop.Media {
	dev := d.device()
	return []prop.Media{{Audio: prop.Audio{
		ChannelCount:  dev.channels,
		SampleRate:    micWantRate,
		SampleSize:    4,
		IsFloat:       true,
		IsInterleaved: true,
		Latency:       micPeriodMs * time.Millisecond,
	}}}
}

// AudioRecord opens the device; Read returns its sound in chunks, and an
// error once no sound has come for MicLostAfter (this reader does not
// reopen: OpenMic's Mic does).
func (d *micDriver) AudioRecord(p prop.Media) (audio.Reader, error) {
	if p.SampleSize != 0 && (p.SampleSize != 4 || !p.IsFloat) {
		return nil, errors.New("microphone: only interleaved float32 samples are offered")
	}
	ch, rate := p.ChannelCount, p.SampleRate
	if ch == 0 {
		ch = micWantChannels
	}
	if rate == 0 {
		rate = micWantRate
	}
	r := &micRecording{wake: make(chan struct{}, 1), done: make(chan struct{})}
	r.ring = newSampleRing(micRingSeconds * rate * ch)
	s, err := openMicStream(d.device().label, ch, rate, r.ring, r.wake)
	if err != nil {
		return nil, err
	}
	r.stream = s
	if err := s.start(); err != nil {
		s.Close()
		return nil, err
	}
	d.mu.Lock()
	old := d.rec
	d.rec = r
	d.mu.Unlock()
	if old != nil {
		old.close()
	}
	return r, nil
}

// micRecording is an AudioRecord in progress.
type micRecording struct {
	stream *micStream
	ring   *sampleRing
	wake   chan struct{}
	done   chan struct{}
	once   sync.Once
}

func (r *micRecording) close() {
	r.once.Do(func() {
		close(r.done)
		r.stream.Close()
	})
}

// Read waits for the next chunk (about one device period). The first may
// take a few seconds (a fresh PulseAudio stream); after that, no sound for
// MicLostAfter is an error.
func (r *micRecording) Read() (wave.Audio, func(), error) {
	wait := MicLostAfter
	if r.ring.w.Load() == 0 {
		wait = micFirstSoundWithin
	}
	timeout := time.NewTimer(wait)
	defer timeout.Stop()
	ch := r.stream.channels
	for {
		if n := int(r.ring.w.Load() - r.ring.r.Load()); n >= ch {
			c := wave.NewFloat32Interleaved(wave.ChunkInfo{Len: n / ch, Channels: ch, SamplingRate: r.stream.rate})
			r.ring.read(c.Data, ch)
			return c, func() {}, nil
		}
		select {
		case <-r.done:
			return nil, func() {}, io.EOF
		case <-timeout.C:
			return nil, func() {}, fmt.Errorf("microphone %q lost: no sound for %v", r.stream.label, wait)
		case <-r.wake:
		}
	}
}

var _ driver.AudioRecorder = (*micDriver)(nil)
