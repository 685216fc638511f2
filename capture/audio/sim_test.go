package audio

import (
	"math"
	"math/rand/v2"
	"time"
)

// world is the sound in the room, in studio (wall) time: a tone, plus a 1 ms
// click at every whole second — the markers whose position on the studio
// timeline tells the A/V offset.
type world struct {
	toneHz, toneAmp float64
	clicks          bool
}

const clickAmp = 0.8

func (w world) at(t float64) float32 {
	v := w.toneAmp * math.Sin(2*math.Pi*w.toneHz*t)
	if w.clicks {
		d := t - math.Round(t)
		if math.Round(t) >= 1 && math.Abs(d) < 0.0005 {
			v += clickAmp * 0.5 * (1 + math.Cos(2*math.Pi*d/0.001))
		}
	}
	return float32(v)
}

// simDevice is a capture device on a simulated clock: its real rate differs
// from its nominal one, it pushes bursts late by a random jitter, and it may
// stop for a while (capturing nothing) and resume.
type simDevice struct {
	trueHz   float64 // frames per studio second
	nominal  int
	channels int
	burst    int // frames a push
	jitter   time.Duration
	stopAt   time.Duration // 0: never
	stopFor  time.Duration
	// hiccupAt: pushes due in [hiccupAt, hiccupAt+hiccupFor) come late, all at
	// its end (the device thread was not scheduled; nothing is lost).
	hiccupAt, hiccupFor time.Duration
	room                world
}

// frameTime is when device frame k was captured.
func (d simDevice) frameTime(k int64) float64 {
	t := float64(k) / d.trueHz
	if d.stopAt > 0 && t >= d.stopAt.Seconds() {
		t += d.stopFor.Seconds()
	}
	return t
}

// sim runs a device into a ring and the studio pulling 1600 samples every
// 1/30 s, for dur of studio time, in event order on an injected clock.
// Each pulled chunk goes to out with the studio time it was pulled at.
type sim struct {
	dev  simDevice
	ring *Ring
	now  time.Duration
	rng  *rand.Rand
	// tickLate: the studio's ticks fire late by up to this (a loaded machine).
	tickLate time.Duration
	// clockOffset: the ring's clock reads this much more than the studio's.
	clockOffset time.Duration
}

func newSim(dev simDevice, target time.Duration) *sim {
	s := &sim{dev: dev, rng: rand.New(rand.NewPCG(9, 30))}
	s.ring = NewRing(RingConfig{Channels: dev.channels, RateHz: dev.nominal, TargetLatency: target, Now: func() time.Duration { return s.now + s.clockOffset }})
	return s
}

func (s *sim) run(dur time.Duration, out func(start int64, l, r []float32, now time.Duration)) {
	const tick = 1600
	d := s.dev
	buf := make([]float32, d.burst*d.channels)
	l, r := make([]float32, tick), make([]float32, tick)
	var b int64 // next burst
	var lastPush time.Duration
	pushAt := func(b int64) time.Duration {
		end := d.frameTime((b + 1) * int64(d.burst))
		t := time.Duration(end*float64(time.Second)) + time.Duration(s.rng.Int64N(int64(d.jitter)+1))
		if d.hiccupAt > 0 && t >= d.hiccupAt && t < d.hiccupAt+d.hiccupFor {
			t = d.hiccupAt + d.hiccupFor
		}
		return max(t, lastPush)
	}
	nextPush := pushAt(0)
	for j := int64(1); ; j++ {
		pull := time.Duration(j) * time.Second / 30
		if pull > dur {
			return
		}
		if s.tickLate > 0 {
			pull += time.Duration(s.rng.Int64N(int64(s.tickLate)))
		}
		for nextPush <= pull {
			s.now = nextPush
			for i := range d.burst {
				k := b*int64(d.burst) + int64(i)
				v := d.room.at(d.frameTime(k))
				for c := range d.channels {
					buf[i*d.channels+c] = v
					if c == 1 { // the right channel differs, to tell them apart
						buf[i*d.channels+c] = -v
					}
				}
			}
			s.ring.Push(buf)
			lastPush = nextPush
			b++
			nextPush = pushAt(b)
		}
		s.now = pull
		start := (j - 1) * tick
		s.ring.Fill(start, l, r)
		out(start, l, r, pull)
	}
}

// clickFinder finds the clicks in the left channel: the studio sample where
// each one peaks.
type clickFinder struct {
	in     bool
	best   float32
	bestAt int64
	quiet  int
	found  []int64
}

func (c *clickFinder) feed(start int64, l []float32) {
	for i, v := range l {
		if v > 0.4 {
			if !c.in || v > c.best {
				c.best, c.bestAt = v, start+int64(i)
			}
			c.in, c.quiet = true, 0
		} else if c.in {
			if c.quiet++; c.quiet > 48 {
				c.found = append(c.found, c.bestAt)
				c.in = false
			}
		}
	}
}

// offset is how late a click found at studio sample n plays after it
// happened in the room (at the nearest whole second).
func offset(n int64) time.Duration {
	t := float64(n) / StudioRate
	return time.Duration((t - math.Round(t)) * float64(time.Second))
}

// zeroCrossHz measures a tone's frequency from its rising zero crossings,
// interpolated between samples.
func zeroCrossHz(x []float32) float64 {
	var first, last float64
	n := 0
	for i := 1; i < len(x); i++ {
		if x[i-1] < 0 && x[i] >= 0 {
			at := float64(i-1) + float64(-x[i-1]/(x[i]-x[i-1]))
			if n == 0 {
				first = at
			}
			last = at
			n++
		}
	}
	if n < 2 {
		return 0
	}
	return float64(n-1) / ((last - first) / StudioRate)
}
