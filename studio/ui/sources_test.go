package ui

import (
	"context"
	"image"
	"image/color"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"onair/capture/device"
)

// fakeStrip is a mixer input with a reading the test sets.
type fakeStrip struct {
	mu    sync.Mutex
	name  string
	r     MeterReading
	gain  float64
	muted bool
}

func (s *fakeStrip) Name() string { return s.name }
func (s *fakeStrip) Reading() MeterReading {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.r
}
func (s *fakeStrip) set(r MeterReading) { s.mu.Lock(); s.r = r; s.mu.Unlock() }
func (s *fakeStrip) GainDB() float64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.gain
}
func (s *fakeStrip) SetGainDB(db float64) { s.mu.Lock(); s.gain = db; s.mu.Unlock() }
func (s *fakeStrip) Muted() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.muted
}
func (s *fakeStrip) SetMuted(m bool) { s.mu.Lock(); s.muted = m; s.mu.Unlock() }

// The sources panel lists the cameras with their modes and the microphones;
// choosing a camera and a mode opens it off the UI goroutine and says when
// the mode was not exact; the strip's meter follows its input (level in
// figures, the clip light), and the gain slider and mute drive the input.
func TestSourcesPanel(t *testing.T) {
	mic := &fakeStrip{name: "Mic: Studio USB", gain: 3}
	var mu sync.Mutex
	var used []string
	src := &Sources{
		Cameras: func() []device.Info {
			return []device.Info{{Kind: device.Camera, Label: "HD Webcam", Modes: []device.Mode{
				{Width: 1920, Height: 1080, FPS: 30, Format: "MJPEG"}, {Width: 1280, Height: 720, FPS: 30, Format: "MJPEG"}, {Width: 1280, Height: 720, FPS: 30, Format: "YUYV"}}}}
		},
		Mics: func() []device.Info {
			return []device.Info{{Kind: device.Microphone, Label: "Studio USB", Default: true}}
		},
		Mic: "default",
		UseCamera: func(label, mode string) (string, error) {
			mu.Lock()
			used = append(used, label+"|"+mode)
			mu.Unlock()
			return "HD Webcam has no " + mode + " at 60 fps; using 30", nil
		},
		UseMic:   func(string) error { return nil },
		Strips:   func() []AudioStrip { return []AudioStrip{mic} },
		MicCheck: func(context.Context) (string, error) { return "good: peaks at -9 dBFS", nil },
	}
	w, loop := newTestWindow(t, Config{Sources: src})
	p := w.sources
	loop.until(t, 3*time.Second, "the pickers are filled", func() bool { return len(p.camera.Options) == 2 && len(p.mic.Options) == 3 })
	if p.mic.Selected != "default" || p.camera.Selected != noCamera {
		t.Errorf("opening choices: camera %q mic %q", p.camera.Selected, p.mic.Selected)
	}
	p.camera.SetSelected("HD Webcam")
	if got := p.mode.Options; len(got) != 2 || got[0] != "1920x1080@30" || got[1] != "1280x720@30" {
		t.Errorf("modes %q: want each size and rate once", got)
	}
	p.mode.SetSelected("1280x720@30")
	loop.until(t, 3*time.Second, "the camera is opened in the mode chosen", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(used) > 0 && used[len(used)-1] == "HD Webcam|1280x720@30" && strings.Contains(p.note.Text, "using 30")
	})

	mic.set(MeterReading{PeakDB: [2]float64{-9, -12}, RMSDB: [2]float64{-15, -18}, HoldDB: [2]float64{-6, -6}, Clip: true})
	loop.until(t, 3*time.Second, "the meter shows the level and the clip light", func() bool {
		v := p.strips[0]
		return v.level.Text == "-9 dBFS" && v.meter.r.Clip
	})
	v := p.strips[0]
	// The meter's picture, at 200×17 pixels: bars 180 wide (200 less the
	// 17-pixel clip light and a 3-pixel gap), 7 high.
	img := v.meter.draw(200, 17).(*image.NRGBA)
	at := func(x, y int) color.NRGBA { return img.NRGBAAt(x, y) }
	dark := func(c color.NRGBA) color.NRGBA { return color.NRGBA{c.R / 2, c.G / 2, c.B / 2, 0xff} }
	// -9 dBFS is 51/60 of the bar (153 of 180), in the red zone; the RMS
	// core at -15 dBFS is 45/60 (135), yellow; the hold tick at -6 (162).
	if got := at(150, 0); got != dark(meterRed) {
		t.Errorf("peak bar at x=150 (edge): %v, want dark red", got)
	}
	if got := at(155, 0); got != meterBack {
		t.Errorf("past the peak (x=155): %v, want the background", got)
	}
	if got := at(130, 3); got != meterYellow {
		t.Errorf("RMS core at x=130: %v, want yellow", got)
	}
	if got := at(161, 3); got != meterHold {
		t.Errorf("hold tick at x=161: %v, want white", got)
	}
	// Channel 2 (-12 dBFS peak: 144 of 180) starts below the gap.
	if got := at(146, 12); got != meterBack {
		t.Errorf("right bar past its peak (x=146): %v, want the background", got)
	}
	if got := at(140, 12); got != dark(meterYellow) {
		t.Errorf("right bar at x=140: %v, want dark yellow", got)
	}
	if got := at(191, 8); got != meterRed {
		t.Errorf("clip light: %v, want red", got)
	}
	mic.set(MeterReading{PeakDB: [2]float64{-60, -60}, RMSDB: [2]float64{-60, -60}, HoldDB: [2]float64{-60, -60}})
	loop.until(t, 3*time.Second, "silence reads as such", func() bool { return v.level.Text == "silence" && !v.meter.r.Clip })
	img = v.meter.draw(200, 17).(*image.NRGBA)
	if got := at(0, 0); got != meterBack {
		t.Errorf("silence: the bar's start is %v, want the background", got)
	}
	if got := at(191, 8); got != clipOff {
		t.Errorf("clip light after silence: %v, want off", got)
	}

	v.gain.SetValue(-6)
	v.mute.SetChecked(true)
	if mic.GainDB() != -6 || !mic.Muted() || v.gainDB.Text != "-6.0 dB" {
		t.Errorf("gain %g muted %v label %q", mic.GainDB(), mic.Muted(), v.gainDB.Text)
	}
	test.Tap(p.check)
	loop.until(t, 3*time.Second, "the mic check's verdict", func() bool { return strings.Contains(p.note.Text, "good: peaks at -9 dBFS") && !p.check.Disabled() })
}

// With no device at all, the panel says both are missing.
func TestSourcesPanelNoDevices(t *testing.T) {
	src := &Sources{
		Cameras: func() []device.Info { return nil }, Mics: func() []device.Info { return nil },
		UseCamera: func(string, string) (string, error) { return "", nil }, UseMic: func(string) error { return nil },
	}
	w, loop := newTestWindow(t, Config{Sources: src})
	loop.until(t, 3*time.Second, "the panel says what is missing", func() bool {
		return w.sources.note.Text == "No cameras were found. No microphones were found."
	})
}

func TestMeterScale(t *testing.T) {
	for db, want := range map[float64]float32{-60: 0, -90: 0, 0: 1, 3: 1, -30: 0.5} {
		if got := meterFraction(db); got != want {
			t.Errorf("meterFraction(%g) = %g, want %g", db, got, want)
		}
	}
	for db, want := range map[float64]any{-30: meterGreen, -20: meterYellow, -10: meterYellow, -9: meterRed, 0: meterRed} {
		if got := zoneColour(db); got != want {
			t.Errorf("zoneColour(%g) = %v, want %v", db, got, want)
		}
	}
}

// The camera and microphone pickers fold away while live (the window
// repaints whole with every preview frame) and unfold after — unless the
// performer had folded them: then they stay as the performer left them.
func TestSourcesPickersFoldWhileLive(t *testing.T) {
	src := &Sources{
		Cameras:   func() []device.Info { return nil },
		Mics:      func() []device.Info { return nil },
		UseCamera: func(string, string) (string, error) { return "", nil },
		UseMic:    func(string) error { return nil },
	}
	names, redact := targets(t, rtmpURL)
	var fb *fakeBroadcast
	w, loop := newTestWindow(t, Config{Sources: src, ProfilePath: profile, Destinations: names, Redact: redact,
		GoLive: func() (Broadcast, error) {
			fb = &fakeBroadcast{started: make(chan struct{})}
			return fb, nil
		}})
	p := w.sources
	open := func() bool { return p.pickers.Items[0].Open }
	show := func(fold bool) {
		t.Helper()
		test.Tap(button(t, w, "Go Live"))
		loop.until(t, 3*time.Second, "on air", func() bool { return w.button.Text == "End" })
		if open() == fold {
			t.Errorf("live, the pickers are open=%v, want %v", open(), !fold)
		}
		tapEnd(t, w)
		loop.until(t, 3*time.Second, "off air", func() bool { return w.button.Text == "Go Live" })
	}
	if !open() {
		t.Fatal("the pickers start folded")
	}
	show(true)
	if !open() {
		t.Error("the pickers stay folded after the show")
	}
	p.pickers.Close(0) // the performer folds them
	show(true)
	if open() {
		t.Error("pickers the performer folded were unfolded by the show's end")
	}
}
