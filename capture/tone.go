package capture

import "math"

// Tone is the synthetic microphone: a steady 440 Hz sine at -20 dBFS with a
// 1 kHz beep at -6 dBFS for the first 50 ms of every second (when the test card
// flashes), so sync can be seen and heard.
type Tone struct{}

const (
	toneHz     = 440
	toneAmp    = 0.1 // -20 dBFS
	beepHz     = 1000
	beepAmp    = 0.5 // -6 dBFS
	beepLength = SampleRate / 20
)

// Fill writes samples [start, start+len(l)) of the tone into l and r.
func (Tone) Fill(start int64, l, r []float32) {
	for i := range l {
		n := start + int64(i)
		// Phase from n mod the period keeps precision over hours.
		v := toneAmp * math.Sin(2*math.Pi*float64(n%SampleRate)*toneHz/SampleRate)
		if n%SampleRate < beepLength {
			v += beepAmp * math.Sin(2*math.Pi*float64(n%SampleRate)*beepHz/SampleRate)
		}
		l[i] = float32(v)
	}
	copy(r, l)
}
