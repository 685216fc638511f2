package device

import (
	"math"
	"testing"
	"time"

	"onair/internal/testpeer"
)

// The speaker plays what it is given on the default output: through a
// headless PulseAudio whose microphone is the output's monitor, 2 s of a
// 440 Hz tone written in 20 ms packets (as the private show's viewer's
// voice comes) come back as a 440 Hz tone at its level, for as long.
func TestSpeakerPlaysOnTheDefaultOutput(t *testing.T) {
	requirePulse(t)
	testpeer.StartPulse(t)
	rec := &recorder{}
	m, err := OpenMic(testpeer.PulseMic, rec)
	if err != nil {
		t.Fatal(err)
	}
	stop, _ := runMic(t, m)
	testpeer.Eventually(t, 5*time.Second, "the first samples from the microphone", func() bool { return rec.len() > 0 })
	sp, err := OpenSpeaker()
	if err != nil {
		t.Fatal(err)
	}
	defer sp.Close()
	amp := math.Pow(10, toneDBFS/20)
	l, r := make([]float32, 960), make([]float32, 960)
	start := time.Now()
	for k := range 100 { // 2 s
		for i := range l {
			v := float32(amp * math.Sin(2*math.Pi*toneHz*float64(k*960+i)/48000))
			l[i], r[i] = v, v
		}
		sp.Write(l, r)
		if d := time.Until(start.Add(time.Duration(k+1) * 20 * time.Millisecond)); d > 0 {
			time.Sleep(d) // pacing a live stream, as packets arrive
		}
	}
	at := rec.len()
	testpeer.Eventually(t, 2*time.Second, "300 ms more", func() bool { return rec.len() > at+2*48000*3/10 })
	stop()
	sp.Close()
	rep := measureTone(t, rec.take(), 2, 48000)
	t.Logf("played back: %.0f ms of sound, %.3f Hz, peak %.2f dBFS, %d discontinuities; %d samples of silence for want of sound, %d dropped",
		rep.soundMs, rep.hz, rep.peakDBFS, rep.steps, sp.under.Load(), sp.Dropped())
	if math.Abs(rep.hz-toneHz) > 2 || math.Abs(rep.peakDBFS-toneDBFS) > 1 {
		t.Errorf("played back %.3f Hz at %.2f dBFS, want 440 Hz at %.0f", rep.hz, rep.peakDBFS, toneDBFS)
	}
	if rep.soundMs < 1800 || rep.soundMs > 2300 {
		t.Errorf("%.0f ms of tone came back, 2000 written", rep.soundMs)
	}
}
