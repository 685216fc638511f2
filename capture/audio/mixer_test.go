package audio

import (
	"fmt"
	"sync"
	"testing"

	"onair/capture"
)

type constSource float32

func (c constSource) Fill(_ int64, l, r []float32) {
	for i := range l {
		l[i], r[i] = float32(c), -float32(c)
	}
}

func TestMixerSumsAndMutes(t *testing.T) {
	m := NewMixer()
	a := m.Add("mic", constSource(0.25))
	b := m.Add("music", constSource(0.5))
	l, r := make([]float32, 1600), make([]float32, 1600)
	m.Fill(0, l, r)
	if l[0] != 0.75 || r[1599] != -0.75 {
		t.Fatalf("mix of 0.25 and 0.5 gave %v/%v, want 0.75/-0.75", l[0], r[1599])
	}
	if got := m.Program.Read().Channels[0].PeakDB; !near(got, DB(0.75), 0.01) {
		t.Errorf("program meter %.2f dBFS, want %.2f", got, DB(0.75))
	}
	if got := a.Meter.Read().Channels[1].PeakDB; !near(got, DB(0.25), 0.01) {
		t.Errorf("mic meter %.2f dBFS, want %.2f", got, DB(0.25))
	}
	b.Chain.SetMute(true)
	m.Fill(1600, l, r)
	m.Fill(3200, l, r)
	if l[0] != 0.25 || r[0] != -0.25 {
		t.Errorf("with music muted the program is %v, want the mic alone (0.25)", l[0])
	}
	if !m.Remove(a) || m.Remove(a) {
		t.Error("Remove: want true, then false")
	}
	m.Fill(4800, l, r)
	if l[0] != 0 || len(m.Inputs()) != 1 {
		t.Errorf("after removing the mic: %v, %d inputs", l[0], len(m.Inputs()))
	}
}

// Over full scale the program is clamped, counted, and the clip light lit.
func TestMixerClamps(t *testing.T) {
	m := NewMixer()
	m.Add("a", constSource(0.8))
	m.Add("b", constSource(0.8))
	l, r := make([]float32, 1600), make([]float32, 1600)
	m.Fill(0, l, r)
	if l[5] != 1 || r[5] != -1 || m.Clamped() != 3200 || !m.Program.Read().Channels[0].Clip {
		t.Errorf("1.6 gave %v/%v, clamped %d, clip %v; want 1/-1, 3200, lit", l[5], r[5], m.Clamped(), m.Program.Read().Channels[0].Clip)
	}
}

// The studio uses the mixer directly, with the test tone as one input.
func TestMixerWithTone(t *testing.T) {
	m := NewMixer()
	m.Add("tone", capture.Tone{})
	l, r := make([]float32, 1600), make([]float32, 1600)
	for j := range int64(30) {
		m.Fill(j*1600, l, r)
	}
	// One second of the tone: a -20 dBFS sine plus a -6 dBFS beep.
	if got := m.Program.Read().Channels[0].PeakDB; got < -20.1 || got > -3 {
		t.Errorf("program peak %.2f dBFS", got)
	}
}

// Inputs come and go, gains move and meters are read while the studio pulls.
func TestMixerConcurrent(t *testing.T) {
	m := NewMixer()
	m.Add("tone", capture.Tone{})
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Go(func() {
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			in := m.Add(fmt.Sprint("in", i), constSource(0.1))
			in.Chain.SetGainDB(float64(i%12 - 6))
			in.Chain.SetMute(i%3 == 0)
			in.Chain.SetGate(&DefaultGate)
			for _, x := range m.Inputs() {
				_ = x.Meter.Read()
			}
			_ = m.Program.Read()
			m.Remove(in)
		}
	})
	l, r := make([]float32, 1600), make([]float32, 1600)
	for j := range int64(1000) {
		m.Fill(j*1600, l, r)
	}
	close(stop)
	wg.Wait()
}

func TestMixerFillDoesNotAllocate(t *testing.T) {
	m := threeInputMixer()
	l, r := make([]float32, 1600), make([]float32, 1600)
	var j int64
	if n := testing.AllocsPerRun(100, func() { m.Fill(j*1600, l, r); j++ }); n != 0 {
		t.Errorf("Fill allocates %v times", n)
	}
}

func threeInputMixer() *Mixer {
	m := NewMixer()
	m.Add("tone", capture.Tone{})
	m.Add("const", constSource(0.1)).Chain.SetGainDB(-3)
	m.Add("gated", constSource(0.2)).Chain.SetGate(&DefaultGate)
	return m
}
