package device

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"onair/capture"
)

// Sink receives a microphone's sound: interleaved float32 samples at the
// channel count and rate Mic.Format gives. Push is called from Mic.Run's
// goroutine and must not keep samples after it returns (the slice is
// reused). It should not block: the device does not wait for it.
type Sink interface {
	Push(samples []float32)
}

// NoticeKind says what happened to a microphone.
type NoticeKind int

const (
	_ NoticeKind = iota
	// MicLost: no sound came for MicLostAfter (the sound server went away,
	// the device was unplugged). The sink receives nothing meanwhile.
	MicLost
	// MicBack: the microphone delivers sound again after MicLost.
	MicBack
)

// Notice is a change a performer should be told about.
type Notice struct {
	Kind  NoticeKind
	Label string
	At    time.Time
}

func (n Notice) String() string {
	switch n.Kind {
	case MicLost:
		return fmt.Sprintf("microphone lost: %q stopped sending sound; onair keeps looking for it", n.Label)
	case MicBack:
		return fmt.Sprintf("microphone back: %q sends sound again", n.Label)
	}
	return "microphone notice"
}

// Watchdog timing. Neither miniaudio nor PulseAudio reports a sound server
// that goes away: the sound just stops.
const (
	MicLostAfter = 500 * time.Millisecond
	// micRetryEvery is how often a lost microphone is looked for again.
	micRetryEvery = 2 * time.Second
	// micFirstSoundWithin: a freshly opened PulseAudio stream can take ~2 s
	// to deliver its first samples.
	micFirstSoundWithin = 4 * time.Second
	micWatchEvery       = 50 * time.Millisecond
)

// Mic is an open microphone. OpenMic opens it, Run moves its sound to the
// sink and watches it, Close frees it.
type Mic struct {
	label    string // as asked: a label or DefaultMic
	sink     Sink
	channels int
	rate     int
	ring     *sampleRing
	wake     chan struct{}
	notices  chan Notice
	lostNote atomic.Uint64 // notices dropped because nobody read them

	mu      sync.Mutex
	stream  *micStream // nil while lost
	running bool
	closed  bool
}

// OpenMic opens the microphone with label (DefaultMic for the system's
// default) and asks for 48 kHz stereo float; Format says what it gives. It
// fails with ErrNoMicrophone when there is none at all and ErrNotFound
// when label is not among them.
func OpenMic(label string, sink Sink) (*Mic, error) {
	if sink == nil {
		return nil, errors.New("OpenMic: nil sink")
	}
	m := &Mic{label: label, sink: sink, wake: make(chan struct{}, 1), notices: make(chan Notice, 16)}
	// Sized for the format asked for; a device that gives more channels or
	// a higher rate gets a proportionally shorter cushion.
	m.ring = newSampleRing(micRingSeconds * micWantRate * micWantChannels * 2)
	s, err := openMicStream(label, micWantChannels, micWantRate, m.ring, m.wake)
	if err != nil {
		return nil, err
	}
	m.stream, m.channels, m.rate = s, s.channels, s.rate
	return m, nil
}

// Format is what Push receives: channels per frame and frames per second.
// A reopened device keeps it (miniaudio converts to it).
func (m *Mic) Format() (channels, rate int) { return m.channels, m.rate }

// Label is the label the microphone was opened with.
func (m *Mic) Label() string { return m.label }

// Notices delivers MicLost and MicBack. It is buffered; when nobody reads
// it, notices are dropped (counted in DroppedNotices), never waited on.
func (m *Mic) Notices() <-chan Notice { return m.notices }

// DroppedNotices counts notices nobody was there to read.
func (m *Mic) DroppedNotices() uint64 { return m.lostNote.Load() }

// DroppedSamples counts samples the device delivered that Run could not
// take in time (the ring was full).
func (m *Mic) DroppedSamples() uint64 { return m.ring.dropped.Load() }

func (m *Mic) notify(k NoticeKind) {
	select {
	case m.notices <- Notice{Kind: k, Label: m.label, At: time.Now()}:
	default:
		m.lostNote.Add(1)
	}
}

// Run starts the device and hands its sound to the sink until ctx ends.
// When no sound comes for MicLostAfter it sends MicLost, closes the device
// and looks for it by label every 2 s; when it delivers again, MicBack.
// The clock is not used: the sink stamps what it receives. Run returns nil
// when ctx ends, with the device stopped and no callback running.
func (m *Mic) Run(ctx context.Context, _ *capture.Clock) error {
	m.mu.Lock()
	if m.closed || m.running {
		m.mu.Unlock()
		return errors.New("microphone: Run after Close, or while it runs")
	}
	m.running = true
	s := m.stream
	m.mu.Unlock()
	defer func() {
		m.mu.Lock()
		m.running = false
		m.mu.Unlock()
	}()

	buf := make([]float32, micPeriodMs*m.rate/1000*m.channels*4)
	lost := false        // MicLost has been sent
	waiting := true      // opened, no sound yet
	opened := time.Now() // when the current stream started
	heard := opened      // when sound last came
	nextTry := opened
	if s == nil || s.start() != nil {
		m.drop()
		lost, nextTry = true, time.Now().Add(micRetryEvery)
		m.notify(MicLost)
	}
	tick := time.NewTicker(micWatchEvery)
	defer tick.Stop()
	defer m.stop()
	for {
		select {
		case <-ctx.Done():
			m.drain(buf)
			return nil
		case <-m.wake:
		case <-tick.C:
		}
		now := time.Now()
		if m.drain(buf) > 0 {
			heard = now
			if waiting {
				waiting = false
				if lost {
					lost = false
					m.notify(MicBack)
				}
			}
		}
		if m.current() != nil {
			silentFor, limit := now.Sub(heard), MicLostAfter
			if waiting {
				silentFor, limit = now.Sub(opened), micFirstSoundWithin
			}
			if silentFor > limit {
				m.drop()
				if !lost {
					lost = true
					m.notify(MicLost)
				}
				nextTry = now
			}
			continue
		}
		if now.Before(nextTry) {
			continue
		}
		nextTry = now.Add(micRetryEvery)
		if m.reopen() {
			waiting, opened = true, time.Now()
		}
	}
}

// drain hands everything in the ring to the sink.
func (m *Mic) drain(buf []float32) int {
	total := 0
	for {
		n := m.ring.read(buf, m.channels)
		if n == 0 {
			return total
		}
		m.sink.Push(buf[:n])
		total += n
	}
}

func (m *Mic) current() *micStream {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.stream
}

// drop closes the current stream: after it returns no callback writes the
// ring, so a new stream may.
func (m *Mic) drop() {
	m.mu.Lock()
	s := m.stream
	m.stream = nil
	m.mu.Unlock()
	if s != nil {
		s.Close()
	}
}

// reopen looks for the microphone again and starts it in the same format.
func (m *Mic) reopen() bool {
	s, err := openMicStream(m.label, m.channels, m.rate, m.ring, m.wake)
	if err != nil {
		return false
	}
	if s.channels != m.channels || s.rate != m.rate {
		s.Close() // the sink was told the format once
		return false
	}
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		s.Close()
		return false
	}
	m.stream = s
	m.mu.Unlock()
	if err := s.start(); err != nil {
		m.drop()
		return false
	}
	return true
}

// stop ends capture when Run returns; the stream is freed by Close (or by
// the next Run's watchdog, should Run be called again).
func (m *Mic) stop() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.stream != nil {
		_ = m.stream.dev.Stop()
	}
}

// Close frees the device and its context, once. Call it after Run has
// returned (or without Run).
func (m *Mic) Close() error {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return nil
	}
	m.closed = true
	s := m.stream
	m.stream = nil
	m.mu.Unlock()
	if s != nil {
		s.Close()
	}
	return nil
}
