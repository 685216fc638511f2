package audio

import (
	"testing"
	"time"
)

// BenchmarkRingFill: one studio tick (1600 samples, 48 kHz stereo) through a
// ring in steady state, drift correction running; the op includes the
// device's push of the same amount.
func BenchmarkRingFill(b *testing.B) {
	var now time.Duration
	r := NewRing(RingConfig{Channels: 2, RateHz: 48000, Now: func() time.Duration { return now }})
	burst := make([]float32, 3200)
	l, rr := make([]float32, 1600), make([]float32, 1600)
	tick := time.Second / 30
	b.ReportAllocs()
	for j := int64(0); b.Loop(); j++ {
		now = time.Duration(j) * tick
		r.Push(burst)
		r.Fill(j*1600, l, rr)
	}
}

// BenchmarkRingPush: one 10 ms device burst (480 stereo frames), with a
// pull every 200 pushes so it never finds the ring full.
func BenchmarkRingPush(b *testing.B) {
	var now time.Duration
	r := NewRing(RingConfig{Channels: 2, RateHz: 48000, Now: func() time.Duration { return now }})
	burst := make([]float32, 960)
	l, rr := make([]float32, 1600), make([]float32, 1600)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		now += 10 * time.Millisecond
		r.Push(burst)
		if i%200 == 199 { // a pull now and then frees the ring (0.5 % of the pushes)
			r.Fill(int64(i)*1600, l, rr)
		}
	}
}

// BenchmarkMixerFill: one studio tick of a 3-input mix (tone, gain, gate).
func BenchmarkMixerFill(b *testing.B) {
	m := threeInputMixer()
	l, r := make([]float32, 1600), make([]float32, 1600)
	b.ReportAllocs()
	for j := int64(0); b.Loop(); j++ {
		m.Fill(j*1600, l, r)
	}
}

// BenchmarkMeter: metering one 1600-sample stereo chunk.
func BenchmarkMeter(b *testing.B) {
	m := NewMeter()
	x := sine(1600, 0.5, 440, 0)
	b.ReportAllocs()
	for b.Loop() {
		m.Update(x, x)
	}
}
