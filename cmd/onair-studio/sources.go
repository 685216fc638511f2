package main

import (
	"context"
	"time"

	"onair/capture/audio"
	"onair/capture/device"
	"onair/internal/wire"
	"onair/studio/ui"
)

// WindowSources is what the window's sources panel drives.
func windowSources(s *wire.Sources) *ui.Sources {
	cam, mode, mic := s.Choices()
	return &ui.Sources{
		Cameras: func() []device.Info {
			device.Rescan(device.Camera)
			return device.List(device.Camera)
		},
		Mics: func() []device.Info {
			device.Rescan(device.Microphone)
			return device.List(device.Microphone)
		},
		Camera: cam, CameraMode: mode, Mic: mic,
		UseCamera: s.UseCamera,
		UseMic:    s.UseMic,
		Strips: func() []ui.AudioStrip {
			var out []ui.AudioStrip
			for _, in := range s.Mixer.Inputs() {
				out = append(out, strip{in})
			}
			return out
		},
		MicCheck: func(ctx context.Context) (string, error) {
			r, err := s.MicCheck(ctx, 5*time.Second)
			return r.Text, err
		},
	}
}

// strip shows a mixer input in the window.
type strip struct{ in *audio.Input }

func (s strip) Name() string         { return s.in.Name }
func (s strip) GainDB() float64      { return s.in.Chain.GainDB() }
func (s strip) SetGainDB(db float64) { s.in.Chain.SetGainDB(db) }
func (s strip) Muted() bool          { return s.in.Chain.Muted() }
func (s strip) SetMuted(m bool)      { s.in.Chain.SetMute(m) }
func (s strip) Reading() ui.MeterReading {
	r := s.in.Meter.Read()
	var m ui.MeterReading
	for i, c := range r.Channels {
		m.PeakDB[i], m.RMSDB[i], m.HoldDB[i] = c.PeakDB, c.RMSDB, c.HoldDB
		m.Clip = m.Clip || c.Clip
	}
	return m
}

// mainStrip is the main microphone's strip for the window's mute key (nil
// without one).
func mainStrip(s *wire.Sources) func() ui.AudioStrip {
	return func() ui.AudioStrip {
		if in := s.MainMic(); in != nil {
			return strip{in}
		}
		return nil
	}
}
