package device

import (
	"errors"
	"fmt"
	"runtime"
	"sync"
	"unsafe"

	"github.com/gen2brain/malgo"
)

// The miniaudio side of the microphones: enumerating capture devices and
// running one. malgo is the only cgo under this file.

// Ask miniaudio for PulseAudio, then ALSA. (malgo.BackendNull is not
// miniaudio's null backend: 13 is its custom backend. We want neither: a
// null device would be a source of unpaced silence.)
var micBackends = []malgo.Backend{malgo.BackendPulseaudio, malgo.BackendAlsa}

// The format we ask for; miniaudio converts when the device differs.
const (
	micWantRate     = 48000
	micWantChannels = 2
	micPeriodMs     = 10
	micRingSeconds  = 1
)

// micDevice is a capture device as a scan found it.
type micDevice struct {
	id         malgo.DeviceID
	label      string // the name, made unique within the scan
	name       string
	channels   int
	sampleRate int
	isDefault  bool
}

func newMicContext() (*malgo.AllocatedContext, error) {
	quietAudioLibs()
	ctx, err := malgo.InitContext(micBackends, malgo.ContextConfig{}, nil)
	if err != nil {
		return nil, fmt.Errorf("no sound system to take a microphone from (neither PulseAudio nor ALSA answered): %w", err)
	}
	return ctx, nil
}

func freeMicContext(ctx *malgo.AllocatedContext) {
	_ = ctx.Uninit()
	ctx.Free()
}

// scanMics lists the capture devices of ctx that can capture: ALSA's "null"
// device (listed when no sound server runs) has no channels and is left out.
func scanMics(ctx *malgo.AllocatedContext) ([]micDevice, error) {
	infos, err := ctx.Devices(malgo.Capture)
	if err != nil {
		return nil, fmt.Errorf("listing microphones: %w", err)
	}
	var out []micDevice
	seen := map[string]int{}
	for _, in := range infos {
		full, err := ctx.DeviceInfo(malgo.Capture, in.ID, malgo.Shared)
		if err != nil {
			continue // gone between the list and the look
		}
		d := micDevice{id: in.ID, name: full.Name(), isDefault: full.IsDefault != 0 || in.IsDefault != 0}
		for _, f := range full.Formats {
			d.channels = max(d.channels, int(f.Channels))
			d.sampleRate = max(d.sampleRate, int(f.SampleRate))
		}
		if d.channels == 0 {
			continue
		}
		if d.name == "" {
			d.name = "microphone"
		}
		d.label = d.name
		if n := seen[d.name]; n > 0 {
			d.label = fmt.Sprintf("%s (%d)", d.name, n+1)
		}
		seen[d.name]++
		out = append(out, d)
	}
	return out, nil
}

// pickMic finds label among devs; "default" is the system's default (or the
// only one).
func pickMic(devs []micDevice, label string) (micDevice, error) {
	if label == DefaultMic {
		for _, d := range devs {
			if d.isDefault {
				return d, nil
			}
		}
		if len(devs) > 0 {
			return devs[0], nil
		}
	}
	for _, d := range devs {
		if d.label == label {
			return d, nil
		}
	}
	if len(devs) == 0 {
		return micDevice{}, fmt.Errorf("%w: %w", ErrNoMicrophone, ErrNotFound)
	}
	return micDevice{}, fmt.Errorf("microphone %q is not connected (found: %s): %w", label, micLabels(devs), ErrNotFound)
}

func micLabels(devs []micDevice) string {
	s := ""
	for i, d := range devs {
		if i > 0 {
			s += ", "
		}
		s += fmt.Sprintf("%q", d.label)
	}
	return s
}

// micStream is one open capture device: its own miniaudio context (a
// context whose sound server has gone is of no more use), the device, and
// the ring its callback fills.
type micStream struct {
	ctx      *malgo.AllocatedContext
	dev      *malgo.Device
	pin      runtime.Pinner // the device id miniaudio was given
	id       *malgo.DeviceID
	label    string
	channels int
	rate     int
	ring     *sampleRing
	wake     chan struct{} // a non-blocking nudge after each callback
	close    sync.Once
}

// openMicStream opens label (or DefaultMic) in the format asked for and
// leaves it stopped. The samples go into ring, which may be one an earlier
// stream filled (a reopen): the earlier stream must be closed.
func openMicStream(label string, channels, rate int, ring *sampleRing, wake chan struct{}) (*micStream, error) {
	ctx, err := newMicContext()
	if err != nil {
		return nil, err
	}
	devs, err := scanMics(ctx)
	if err == nil {
		var d micDevice
		if d, err = pickMic(devs, label); err == nil {
			var s *micStream
			if s, err = initMicDevice(ctx, d, channels, rate, ring, wake); err == nil {
				return s, nil
			}
		}
	}
	freeMicContext(ctx)
	return nil, err
}

func initMicDevice(ctx *malgo.AllocatedContext, d micDevice, channels, rate int, ring *sampleRing, wake chan struct{}) (*micStream, error) {
	s := &micStream{ctx: ctx, label: d.label, ring: ring, wake: wake, id: new(malgo.DeviceID)}
	*s.id = d.id
	// malgo hands miniaudio this pointer inside the config: Go memory
	// reachable from C must be pinned.
	s.pin.Pin(s.id)
	cfg := malgo.DefaultDeviceConfig(malgo.Capture)
	cfg.Capture.DeviceID = unsafe.Pointer(s.id)
	cfg.Capture.Format = malgo.FormatF32
	cfg.Capture.Channels = uint32(channels)
	cfg.SampleRate = uint32(rate)
	cfg.PeriodSizeInMilliseconds = micPeriodMs
	cfg.Alsa.NoMMap = 1
	dev, err := malgo.InitDevice(ctx.Context, cfg, malgo.DeviceCallbacks{Data: s.onData})
	if err != nil {
		s.pin.Unpin()
		return nil, fmt.Errorf("opening microphone %q: %w", d.label, err)
	}
	s.dev = dev
	if dev.CaptureFormat() != malgo.FormatF32 || dev.CaptureChannels() == 0 || dev.SampleRate() == 0 {
		s.closeDevice()
		return nil, fmt.Errorf("opening microphone %q: miniaudio gave format %d, %d channels at %d Hz", d.label, dev.CaptureFormat(), dev.CaptureChannels(), dev.SampleRate())
	}
	// miniaudio converts to what was asked; take what it says it gives.
	s.channels, s.rate = int(dev.CaptureChannels()), int(dev.SampleRate())
	return s, nil
}

// onData runs on miniaudio's thread: copy the samples out (the buffer is
// miniaudio's and is reused after we return), nudge the reader, never wait
// and never allocate.
// malgo sized in from the device's own channel count and format (f32).
func (s *micStream) onData(_, in []byte, _ uint32) {
	if len(in) < 4 {
		return
	}
	s.ring.write(unsafe.Slice((*float32)(unsafe.Pointer(&in[0])), len(in)/4))
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

func (s *micStream) start() error {
	if err := s.dev.Start(); err != nil {
		return fmt.Errorf("starting microphone %q: %w", s.label, err)
	}
	return nil
}

// closeDevice stops the device (miniaudio joins its thread: no callback runs
// after this) and frees it. Stop first: it wakes PulseAudio's main loop;
// ma_device_uninit alone does not, and when the server has gone that loop
// waits forever on a socket nobody writes to (Uninit would hang).
func (s *micStream) closeDevice() {
	if s.dev != nil {
		_ = s.dev.Stop()
		s.dev.Uninit()
		s.dev = nil
	}
	s.pin.Unpin()
}

// Close frees the device and the context, once.
func (s *micStream) Close() {
	s.close.Do(func() {
		s.closeDevice()
		freeMicContext(s.ctx)
	})
}

// DefaultMic is the label that picks the system's default microphone.
const DefaultMic = "default"

// ErrNoMicrophone says that no microphone was found at all.
var ErrNoMicrophone = errors.New("no microphone found: plug one in, or check that the sound server (PulseAudio or PipeWire) is running")
