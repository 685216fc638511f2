package audio

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func peakOf(x []float32) float64 {
	p := 0.0
	for _, v := range x {
		p = math.Max(p, math.Abs(float64(v)))
	}
	return p
}

func TestChainGain(t *testing.T) {
	for _, db := range []float64{6, -6, -20, 0} {
		c := NewChain()
		c.SetGainDB(db)
		l, r := sine(4800, 0.25, 440, 0), sine(4800, 0.25, 440, 0)
		c.Process(l, r)
		got := 20 * math.Log10(peakOf(l)/0.25)
		if !near(got, db, 0.1) || !slices.Equal(l, r) {
			t.Errorf("gain %v dB: measured %.3f dB", db, got)
		}
	}
}

// A gain change glides over 10 ms: no step bigger than the signal's own.
func TestChainGainChangeGlides(t *testing.T) {
	c := NewChain()
	l, r := sine(1600, 0.5, 440, 0), sine(1600, 0.5, 440, 0)
	c.Process(l, r)
	c.SetGainDB(-20)
	l, r = sine(1600, 0.5, 440, 1600), sine(1600, 0.5, 440, 1600)
	c.Process(l, r)
	maxStep := 0.5 * 2 * math.Pi * 440 / StudioRate * 1.05
	for i := 1; i < len(l); i++ {
		if d := math.Abs(float64(l[i] - l[i-1])); d > maxStep {
			t.Fatalf("step %.4f at %d, beyond the tone's %.4f: the gain jumped", d, i, maxStep)
		}
	}
	if got := 20 * math.Log10(peakOf(l[600:])/0.5); !near(got, -20, 0.1) {
		t.Errorf("after the glide: %.2f dB, want -20", got)
	}
}

func TestChainMute(t *testing.T) {
	c := NewChain()
	c.SetMute(true)
	l, r := sine(1600, 0.5, 440, 0), sine(1600, 0.5, 440, 0)
	c.Process(l, r)
	if peakOf(l) != 0 || peakOf(r) != 0 {
		t.Error("a muted chain let sound through")
	}
	// Muting mid-stream fades out within 10 ms.
	c = NewChain()
	l, r = sine(1600, 0.5, 440, 0), sine(1600, 0.5, 440, 0)
	c.Process(l, r)
	c.SetMute(true)
	l, r = sine(1600, 0.5, 440, 0), sine(1600, 0.5, 440, 0)
	c.Process(l, r)
	if peakOf(l[480:]) != 0 || peakOf(l[:100]) == 0 {
		t.Error("muting did not fade out over 10 ms")
	}
	c.SetMute(false)
	l, r = sine(1600, 0.5, 440, 0), sine(1600, 0.5, 440, 0)
	c.Process(l, r)
	if !near(peakOf(l[480:]), 0.5, 0.001) {
		t.Error("unmuting did not bring the sound back")
	}
}

// The gate with OBS's defaults (open -26, close -32 dBFS, attack 25 ms, hold
// 200 ms, release 150 ms): closed on room noise at -50 dBFS, opens on speech
// level over its attack, holds, then releases back to silence.
func TestChainGate(t *testing.T) {
	c := NewChain()
	c.SetGate(&DefaultGate)
	rng := rand.New(rand.NewPCG(1, 2))
	noise := func(n int) []float32 {
		x := make([]float32, n)
		for i := range x {
			x[i] = float32((rng.Float64()*2 - 1) * Amp(-50))
		}
		return x
	}
	var out []float32
	run := func(x []float32) {
		for i := 0; i < len(x); i += 1600 {
			l := slices.Clone(x[i:min(i+1600, len(x))])
			r := slices.Clone(l)
			c.Process(l, r)
			out = append(out, l...)
		}
	}
	ms := func(v float64) int { return int(v * StudioRate / 1000) }
	run(noise(StudioRate))                       // 0-1 s: noise
	speech := sine(StudioRate, Amp(-10), 440, 0) // 1-2 s: speech level
	run(speech)
	run(noise(StudioRate)) // 2-3 s: noise again

	if p := peakOf(out[ms(500):ms(1000)]); p != 0 {
		t.Errorf("gate open on -50 dBFS noise: peak %.5f", p)
	}
	// Attack: 5 ms in, the gain is about 5/25; from 26 ms on, full.
	on := ms(1000)
	if g := peakOf(out[on+ms(4):on+ms(6)]) / peakOf(speech[ms(4):ms(6)]); g < 0.1 || g > 0.3 {
		t.Errorf("5 ms into the attack the gain is %.2f, want about 0.2", g)
	}
	for i := on + ms(26); i < ms(2000); i++ {
		if out[i] != speech[i-on] {
			t.Fatalf("gate not fully open %.1f ms after speech began", float64(i-on)/48)
		}
	}
	// Hold: the noise after the speech still passes 150 ms in…
	off := ms(2000)
	if p := peakOf(out[off+ms(100) : off+ms(200)]); p == 0 {
		t.Error("gate closed before its hold time")
	}
	// …and the release has closed it by 500 ms.
	if p := peakOf(out[off+ms(500):]); p != 0 {
		t.Errorf("gate still open 500 ms after speech ended: peak %.5f", p)
	}
}

// Between the thresholds a closed gate stays closed (hysteresis).
func TestChainGateHysteresis(t *testing.T) {
	c := NewChain()
	c.SetGate(&DefaultGate)
	l, r := make([]float32, 4800), make([]float32, 4800)
	c.Process(l, r) // closed on silence
	l, r = sine(StudioRate, Amp(-29), 440, 0), sine(StudioRate, Amp(-29), 440, 0)
	c.Process(l, r)
	if peakOf(l) != 0 {
		t.Error("a -29 dBFS tone opened a gate that opens at -26")
	}
}
