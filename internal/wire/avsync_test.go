package wire

import (
	"encoding/binary"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"onair/capture"
	"onair/capture/audio"
	"onair/encoder"
	"onair/encoder/libav"
	"onair/internal/testpeer"
)

// A microphone whose clock runs 0.1 % fast, for ten simulated minutes (an
// injected clock: the test runs in seconds), through the ring the show uses
// and the AAC encoder into an encoded stream: a click the microphone heard at
// each whole second comes out, on the stream's own timestamps, the ring's
// latency later (plus at most one device period and its jitter) — the same
// at the end as at the start: no drift — and the packets' timestamps run on
// without a gap. Without the drift correction the clicks would have moved
// by 600 ms. The studio composes the ring's latency late (SetSyncDelay), so
// against the pictures taken with them the clicks are off by what is left:
// within a frame at the end of the ten minutes
// (TestCameraAndMicInSyncInTheRecording measures it with a real camera path).
func TestFastMicStaysInSyncInTheEncodedOutput(t *testing.T) {
	testpeer.Require(t, "ffmpeg")
	const (
		minutes   = 10
		devRate   = 48048.0 // 0.1 % fast
		burst     = 10 * time.Millisecond
		tick      = time.Second / 30
		chunk     = 1600
		clickLen  = 48
		clickGain = 0.8
	)
	var now time.Duration
	ring := audio.NewRing(audio.RingConfig{Channels: 2, RateHz: 48000, TargetLatency: micRingLatency, Now: func() time.Duration { return now }})
	enc, err := libav.NewAudioEncoder(160)
	if err != nil {
		t.Fatal(err)
	}
	defer enc.Close()

	var adts []byte
	var pts []int64
	emit := func(p *encoder.Packet) {
		pts = append(pts, p.PTS)
		adts = append(adts, adtsHeader(len(p.Data))...)
		adts = append(adts, p.Data...)
	}
	// The device: a click at each whole second of real time, which is device
	// sample k × 48048; pushed in 10 ms bursts (jittered by up to 3 ms).
	var devSamples float64 // produced so far
	push := make([]float32, 0, 2*600)
	nextBurst := time.Duration(0)
	pool := capture.NewAudioPool(chunk)
	end := time.Duration(minutes) * time.Minute
	jitter := uint32(1)
	for n := int64(0); ; n++ {
		at := time.Duration(n) * tick
		if at > end {
			break
		}
		// Deliver every burst due by now.
		for nextBurst <= at {
			now = nextBurst
			target := devRate * nextBurst.Seconds()
			push = push[:0]
			for ; devSamples < target; devSamples++ {
				i := int64(devSamples)
				var v float32
				if r := i % 48048; r < clickLen {
					v = clickGain
				}
				push = append(push, v, v)
			}
			ring.Push(push)
			jitter = jitter*1664525 + 1013904223
			nextBurst += burst + time.Duration(jitter>>29)*time.Millisecond/3 - time.Millisecond
		}
		if n == 0 {
			continue
		}
		// As the studio does: at each tick, the sound of the slot just past.
		now = at
		c := pool.Get(chunk)
		c.Start = (n - 1) * chunk
		ring.Fill(c.Start, c.Samples[0], c.Samples[1])
		if err := enc.Encode(c, c.Start, time.Now(), emit); err != nil {
			t.Fatal(err)
		}
		c.Release()
	}
	if err := enc.Flush(emit); err != nil {
		t.Fatal(err)
	}
	// The stream's timestamps: every packet 1024 samples after the last.
	for i := 1; i < len(pts); i++ {
		if pts[i]-pts[i-1] != 1024 {
			t.Fatalf("packet %d: pts %d after %d", i, pts[i], pts[i-1])
		}
	}
	path := filepath.Join(t.TempDir(), "mic.aac")
	if err := os.WriteFile(path, adts, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("ffmpeg", "-v", "error", "-f", "aac", "-i", path, "-f", "f32le", "-ac", "1", "-").Output()
	if err != nil {
		t.Fatalf("decoding: %v", err)
	}
	s := make([]float32, len(out)/4)
	for i := range s {
		s[i] = math.Float32frombits(binary.LittleEndian.Uint32(out[4*i:]))
	}
	// Decoded sample i has the stream time pts[0] + i: the first packet's
	// timestamp runs before zero by the encoder's priming, which the decoder
	// gives back as samples.
	var worst, first, last time.Duration
	lowest := time.Hour
	for k := 2; k < minutes*60; k++ {
		lo, hi := k*48000-int(pts[0])-4800, k*48000-int(pts[0])+4800 // ±100 ms
		if hi >= len(s) {
			break
		}
		best := lo
		for i := lo; i < hi; i++ {
			if math.Abs(float64(s[i])) > math.Abs(float64(s[best])) {
				best = i
			}
		}
		at := time.Duration(int64(best)+pts[0]) * time.Second / 48000
		off := at - time.Duration(k)*time.Second
		if k == 2 {
			first = off
		}
		last = off
		if off.Abs() > worst.Abs() {
			worst = off
		}
		lowest = min(lowest, off)
	}
	st := ring.Stats()
	t.Logf("click offsets: %.1f ms at 2 s, %.1f ms at %d min, worst %.1f ms (A/V at the end %.1f ms); ratio %.5f, underruns %d", ms(first), ms(last), minutes, ms(worst), ms(last-micRingLatency), st.Ratio, st.Underruns)
	if lowest < micRingLatency-2*time.Millisecond || worst > micRingLatency+15*time.Millisecond {
		t.Errorf("clicks came out %.1f to %.1f ms after they were heard; want the ring's %s plus at most a device period", ms(lowest), ms(worst), micRingLatency)
	}
	if st.Underruns != 0 {
		t.Errorf("%d underruns", st.Underruns)
	}
	if av := last - micRingLatency; av.Abs() > 33*time.Millisecond {
		t.Errorf("after %d minutes the sound is %.1f ms off the pictures composed %s late; want within 33 ms", minutes, ms(av), micRingLatency)
	}
	if d := (last - first).Abs(); d > 5*time.Millisecond {
		t.Errorf("the offset drifted by %.1f ms over %d minutes (limit 5; a frame is 33)", ms(d), minutes)
	}
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// adtsHeader frames one raw AAC-LC packet, 48 kHz stereo, for a decoder.
func adtsHeader(n int) []byte {
	l := n + 7
	return []byte{0xFF, 0xF1, 1<<6 | 3<<2 | 0, 2<<6 | byte(l>>11&3), byte(l >> 3), byte(l&7)<<5 | 0x1F, 0xFC}
}
