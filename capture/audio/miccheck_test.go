package audio

import (
	"strings"
	"testing"
	"time"
)

func TestMicCheck(t *testing.T) {
	clipped := sine(5*StudioRate, 1.4, 440, 0)
	for i, v := range clipped {
		clipped[i] = max(-1, min(1, v))
	}
	for _, tc := range []struct {
		name string
		l, r []float32
		want Verdict
		text string
	}{
		{"silent", make([]float32, 5*StudioRate), make([]float32, 5*StudioRate), VerdictSilent, "no sound at all"},
		{"below the floor", sine(5*StudioRate, Amp(-70), 440, 0), nil, VerdictSilent, "no sound at all"},
		{"quiet", sine(5*StudioRate, Amp(-32), 440, 0), sine(5*StudioRate, Amp(-40), 440, 0), VerdictTooQuiet, "too quiet: peaks at −32 dBFS"},
		{"good", sine(5*StudioRate, Amp(-9), 440, 0), nil, VerdictGood, "good: peaks at −9 dBFS"},
		{"loud", sine(5*StudioRate, Amp(-3), 440, 0), nil, VerdictLoud, "loud: peaks at −3 dBFS"},
		{"clipping", clipped, clipped, VerdictClipping, "clipping: peaks reach 0 dBFS"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rep := MicCheck(tc.l, tc.r)
			if rep.Verdict != tc.want || !strings.HasPrefix(rep.Text, tc.text) {
				t.Errorf("got %v %q (peak %.2f), want %v %q…", rep.Verdict, rep.Text, rep.PeakDB, tc.want, tc.text)
			}
		})
	}
}

// The mic check as the window runs it: record 5 s of an input through the
// mixer while it plays, then judge it.
func TestMicCheckThroughMixer(t *testing.T) {
	m := NewMixer()
	in := m.Add("mic", constSource(0.35)) // -9.1 dBFS
	in.Chain.SetGainDB(-23)               // -32.1 dBFS after the gain
	rec := NewRecorder(5 * time.Second)
	l, r := make([]float32, 1600), make([]float32, 1600)
	m.Fill(0, l, r)
	in.Record(rec)
	for j := int64(1); ; j++ {
		select {
		case <-rec.Done():
			rep := MicCheck(rec.Samples())
			if rep.Verdict != VerdictTooQuiet || rep.Text != "too quiet: peaks at −32 dBFS — raise the gain or move closer" {
				t.Errorf("got %v %q", rep.Verdict, rep.Text)
			}
			if j != 151 { // 5 s = 150 ticks of 1600
				t.Errorf("recording took %d ticks, want 150", j-1)
			}
			return
		default:
		}
		if j > 200 {
			t.Fatal("the recording never completed")
		}
		m.Fill(j*1600, l, r)
	}
}
