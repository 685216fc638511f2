package audio_test

import (
	"fmt"

	"onair/capture"
	"onair/capture/audio"
)

// How the pieces fit: a device pushes into a Ring from its own thread, the
// Ring is one input of the Mixer, and the Mixer is the studio's audio source
// (studio.NewStudio(w, h, fps, video, mixer)). The UI reads the meters and
// sets gain and mute on the inputs' chains.
func Example() {
	clock := capture.NewClock() // the studio's clock (studio.Studio.Clock)
	mic := audio.NewRing(audio.RingConfig{Channels: 1, RateHz: 44100, Now: clock.Now})

	mixer := audio.NewMixer()
	in := mixer.Add("USB microphone", mic)
	in.Chain.SetGainDB(6)
	in.Chain.SetGate(&audio.DefaultGate)
	mixer.Add("test tone", capture.Tone{}).Chain.SetMute(true)

	// The device's callback (malgo, with a copy): mic.Push(samples).
	// Its watchdog: at, ok := mic.LastPush(); lost when !ok || clock.Now()-at > 500 ms.

	// The studio, once per tick: mixer.Fill(start, l, r).
	l, r := make([]float32, 1600), make([]float32, 1600)
	mixer.Fill(0, l, r)
	lv := in.Meter.Read().Channels[0]
	fmt.Printf("%.0f dBFS, %v, clip %v\n", lv.PeakDB, lv.Level(), lv.Clip)

	// The mic check: a few seconds captured from the input, then a verdict.
	fmt.Println(audio.MicCheck(l, r).Text)
	// Output:
	// -60 dBFS, green, clip false
	// no sound at all: check the microphone is plugged in, chosen and not muted
}
