package audio

import (
	"math"
	"runtime"
	"sync/atomic"
	"time"
)

// StudioRate is the rate the studio pulls at (capture.SampleRate).
const StudioRate = 48000

// RingConfig describes the device side of a Ring.
type RingConfig struct {
	// Channels in each interleaved Push: 1 is duplicated to both sides, more
	// than 2 keep the first two.
	Channels int
	// RateHz is the device's nominal rate; other rates than 48 kHz are resampled.
	RateHz int
	// TargetLatency is the A/V offset the ring holds: how old the sound is when
	// the studio plays it, counted from the push that brought it. It must
	// exceed the device's period plus its scheduling jitter, or the ring
	// underruns once a period. 0 means DefaultTargetLatency.
	TargetLatency time.Duration
	// Now stamps pushes; give it the studio clock (capture.Clock.Now). Any
	// monotonic clock works (nil: one that starts with the ring): Fill learns
	// its offset from the studio timeline.
	Now func() time.Duration
}

// DefaultTargetLatency suits devices with periods up to ~15 ms.
const DefaultTargetLatency = 20 * time.Millisecond

const (
	ringSeconds = 2 // buffer: far more than any latency we hold
	// gapAfter: a push this long after the previous one follows a gap (the
	// device stalled or came back): its sound is placed anew on the timeline.
	gapAfter = 200 * time.Millisecond
	// overrunAbove: more than this over the target is dropped (oldest first).
	overrunAbove = 100 * time.Millisecond

	// The drift control loop: a PI controller on the measured latency,
	// filtered over filterTau. Natural frequency sqrt(ki) = 0.1 rad/s,
	// critically damped: it settles within about a minute and never moves the
	// ratio faster than maxSlew per second nor further than maxDev from 1
	// (0.5 % is 8.6 cents at worst; a 0.1 % drift needs 1.7 cents).
	filterTau = 1.0   // s
	kp        = 0.2   // ratio per second of error
	ki        = 0.01  // ratio per second of error per second
	maxDev    = 0.005 // |ratio-1| at most
	maxSlew   = 0.001 // ratio change per second at most
	tapGuard  = 4     // frames around the read position the writer leaves alone
)

// RingStats is a snapshot of a Ring's counters.
type RingStats struct {
	Underruns int64 // studio pulls that found part of their span missing (played as silence)
	Missing   int64 // studio samples played as silence because the device had not delivered them
	Overruns  int64 // times sound was dropped because too much was buffered or the studio stopped pulling
	Dropped   int64 // device frames dropped by overruns
	Resyncs   int64 // times the sound was placed anew on the timeline (start, after a gap, after an overrun)
	Ratio     float64
	Latency   time.Duration // filtered A/V offset held by the ring (see RingConfig.TargetLatency)
}

// Ring carries one device's sound to the studio: Push from the device's
// thread at the device's rate, Fill from the studio at 48 kHz on the studio
// clock. The device's clock never matches the studio's exactly, so the ring
// resamples by a ratio a control loop keeps near the true drift, holding the
// latency at its target: A/V stays put over hours and pitch moves by at most
// a few cents, slowly. It is safe for one pusher and one puller at once;
// neither ever waits for the other and neither allocates.
//
// Timeline: after a start, a gap (no push for 200 ms), an overrun or a
// persistent underrun, the newest sound is placed TargetLatency behind now,
// and what lies before it is silence. A short underrun plays silence for the
// missing part and keeps the timeline: samples that arrive after their slot
// has been played are dropped, never played late.
type Ring struct {
	ch       int
	rate     float64 // device nominal Hz
	baseStep float64 // device frames per studio sample at ratio 1
	target   time.Duration
	now      func() time.Duration
	size     int64 // frames, a power of two
	mask     int64
	l, r     []float32

	// Published by the writer under seq (odd while it writes).
	seq      atomic.Uint64
	wPub     atomic.Int64 // frames written (positions [0, wPub) exist)
	tPub     atomic.Int64 // studio ns of the push that ended at wPub
	markPos  atomic.Int64 // the first position after the latest gap
	markSeq  atomic.Int64 // how many gaps so far
	lastPush atomic.Int64 // studio ns, for LastPush
	pushed   atomic.Bool

	// Published by the reader: the lowest position it may still read.
	lowRead atomic.Int64

	// Writer-owned.
	w       int64
	gap     bool
	markCnt int64

	// Reader-owned.
	rd readState

	underruns, missing, overruns, dropped, resyncs atomic.Int64
	ratioBits, latencyNs                           atomic.Int64
}

type readState struct {
	started   bool
	markSeq   int64
	ip        int64         // read position, integer part (device frames)
	frac      float64       // and fraction
	validFrom int64         // positions below read as silence
	seen      int64         // wPub at the last Fill
	next      int64         // studio sample expected next
	underran  bool          // the last Fill ran out
	late      time.Duration // least (r.now at Fill − the span's end): the clocks' offset
	ratio     float64
	integ     float64 // integral term: the drift estimate
	errF      float64 // filtered latency error, s
	filtered  bool
}

// NewRing makes a ring for a device of cfg.Channels at cfg.RateHz.
func NewRing(cfg RingConfig) *Ring {
	if cfg.Channels < 1 {
		cfg.Channels = 1
	}
	if cfg.RateHz < 1 {
		cfg.RateHz = StudioRate
	}
	if cfg.TargetLatency <= 0 {
		cfg.TargetLatency = DefaultTargetLatency
	}
	if cfg.Now == nil {
		start := time.Now()
		cfg.Now = func() time.Duration { return time.Since(start) }
	}
	size := int64(1)
	for size < int64(cfg.RateHz)*ringSeconds {
		size <<= 1
	}
	r := &Ring{
		ch: cfg.Channels, rate: float64(cfg.RateHz), baseStep: float64(cfg.RateHz) / StudioRate,
		target: cfg.TargetLatency, now: cfg.Now, size: size, mask: size - 1,
		l: make([]float32, size), r: make([]float32, size),
	}
	r.rd.ratio = 1
	r.ratioBits.Store(int64(math.Float64bits(1)))
	return r
}

// Push takes interleaved samples from the device (whole frames; a trailing
// partial frame is ignored). It never blocks and never allocates: when the
// studio has stopped pulling and the buffer is full, the samples are dropped
// and counted.
func (r *Ring) Push(samples []float32) {
	now := r.now()
	frames := int64(len(samples) / r.ch)
	if frames == 0 {
		return
	}
	prev := r.lastPush.Load()
	r.lastPush.Store(int64(now))
	first := !r.pushed.Swap(true)
	if first || now-time.Duration(prev) > gapAfter {
		r.gap = true
	}
	if limit := r.size / 2; frames > limit { // keep the newest
		samples = samples[(frames-limit)*int64(r.ch):]
		r.overruns.Add(1)
		r.dropped.Add(frames - limit)
		frames = limit
		r.gap = true
	}
	if r.w+frames > r.lowRead.Load()+r.size-tapGuard {
		r.overruns.Add(1)
		r.dropped.Add(frames)
		r.gap = true
		return
	}
	w := r.w
	switch r.ch {
	case 1:
		for i, v := range samples[:frames] {
			p := (w + int64(i)) & r.mask
			r.l[p], r.r[p] = v, v
		}
	default:
		for i := int64(0); i < frames; i++ {
			p := (w + i) & r.mask
			s := samples[i*int64(r.ch) : i*int64(r.ch)+2]
			r.l[p], r.r[p] = s[0], s[1]
		}
	}
	r.w = w + frames
	r.seq.Add(1)
	if r.gap {
		r.gap = false
		r.markCnt++
		r.markPos.Store(w)
		r.markSeq.Store(r.markCnt)
	}
	r.wPub.Store(r.w)
	r.tPub.Store(int64(now))
	r.seq.Add(1)
}

// LastPush is the studio time of the latest Push, for a watchdog; ok is
// false before the first.
func (r *Ring) LastPush() (at time.Duration, ok bool) {
	if !r.pushed.Load() {
		return 0, false
	}
	return time.Duration(r.lastPush.Load()), true
}

// Stats returns the counters; safe from any goroutine.
func (r *Ring) Stats() RingStats {
	return RingStats{
		Underruns: r.underruns.Load(), Missing: r.missing.Load(),
		Overruns: r.overruns.Load(), Dropped: r.dropped.Load(), Resyncs: r.resyncs.Load(),
		Ratio:   math.Float64frombits(uint64(r.ratioBits.Load())),
		Latency: time.Duration(r.latencyNs.Load()),
	}
}

// published reads what the writer published, consistently.
func (r *Ring) published() (w int64, t time.Duration, markPos, markSeq int64) {
	for spins := 0; ; spins++ {
		s := r.seq.Load()
		if s&1 == 0 {
			w, t = r.wPub.Load(), time.Duration(r.tPub.Load())
			markPos, markSeq = r.markPos.Load(), r.markSeq.Load()
			if r.seq.Load() == s {
				return
			}
		}
		if spins > 16 {
			runtime.Gosched() // the writer is between two stores; it never waits
		}
	}
}

// Fill writes the studio samples [start, start+len(l)) into l and r. The
// studio calls it once those samples have ended, i.e. at or after studio time
// (start+len(l))/48 kHz (a late call is fine), with contiguous spans; a span
// that does not follow the previous one places the sound anew.
func (r *Ring) Fill(start int64, l, rr []float32) {
	n := min(len(l), len(rr))
	l, rr = l[:n], rr[:n]
	if n == 0 {
		return
	}
	now := r.now()
	w, tw, markPos, markSeq := r.published()
	st := &r.rd
	step := r.baseStep * st.ratio
	need := float64(n) * step
	// Place sound by the span's own time on the studio timeline, not by when
	// the studio got round to asking: a tick that fires late must not read as
	// latency (the control loop would wobble the pitch). Pulls are never
	// early, so the least lateness seen is the offset between the span's time
	// and r.now (0 when r.now is the studio clock).
	end := time.Duration(float64(start+int64(n)) / StudioRate * float64(time.Second))
	if late := now - end; !st.started || start != st.next {
		st.late = late
	} else {
		st.late = min(st.late, late)
	}
	age := end + st.late - tw // how old the newest sound is at the span's end

	resync, overrun := false, false
	markNew := markSeq != st.markSeq
	pos := float64(st.ip) + st.frac
	switch {
	case !st.started && !markNew: // nothing pushed yet
		clear(l)
		clear(rr)
		return
	case !st.started, start != st.next:
		resync = true
	case markNew && (pos >= float64(markPos) || r.latencyAfter(w, pos+need, age) > r.target+overrunAbove):
		resync = true // the reader reached a gap (or is far behind): place what follows anew
	case st.underran && pos+need > float64(w) && w > st.seen:
		resync = true // still short while sound flows: the device lost time without a gap
	case r.latencyAfter(w, pos+need, age) > r.target+overrunAbove:
		resync, overrun = true, true
	}
	if resync {
		if st.started {
			st.validFrom = max(st.validFrom, min(st.ip, st.seen)) // never replay
		}
		if markNew {
			st.validFrom = max(st.validFrom, markPos)
			st.markSeq = markSeq
		}
		if overrun {
			r.overruns.Add(1)
			r.dropped.Add(int64(math.Max(0, (r.latencyAfter(w, pos+need, age)-r.target).Seconds()*r.rate)))
		}
		// The newest sound plays target after it was pushed. If it is older
		// than that already, its place is in the past: what is buffered is
		// not played, and the read position waits ahead of it in the silence.
		head := (r.target - age).Seconds() * r.rate
		pos = float64(w) - head - need
		st.ip = int64(math.Floor(pos))
		st.frac = pos - float64(st.ip)
		st.started = true
		st.underran = false
		r.resyncs.Add(1)
	}

	missing := r.render(l, rr, w, step)

	st.next = start + int64(n)
	st.seen = w
	st.underran = missing > 0
	if missing > 0 {
		r.underruns.Add(1)
		r.missing.Add(int64(missing))
	}
	lat := r.latencyAfter(w, float64(st.ip)+st.frac, age)
	if !resync && missing == 0 {
		r.control(lat, float64(n)/StudioRate)
	}
	if !st.filtered || resync {
		st.errF = (lat - r.target).Seconds()
		st.filtered = true
	}
	r.latencyNs.Store(int64(r.target + time.Duration(st.errF*float64(time.Second))))
	r.lowRead.Store(min(st.ip-1, w)) // the writer keeps off what we may still read
}

// latencyAfter is the A/V offset once the read position is at pos: how old
// the sound at pos is.
func (r *Ring) latencyAfter(w int64, pos float64, age time.Duration) time.Duration {
	return age + time.Duration((float64(w)-pos)/r.rate*float64(time.Second))
}

// control moves the ratio towards the true drift: more buffered than the
// target means the device runs fast, so the studio reads faster.
func (r *Ring) control(lat time.Duration, dt float64) {
	st := &r.rd
	e := (lat - r.target).Seconds()
	st.errF += (1 - math.Exp(-dt/filterTau)) * (e - st.errF)
	st.integ = math.Max(-maxDev, math.Min(maxDev, st.integ+ki*st.errF*dt))
	want := 1 + kp*st.errF + st.integ
	want = math.Max(1-maxDev, math.Min(1+maxDev, want))
	d := math.Max(-maxSlew*dt, math.Min(maxSlew*dt, want-st.ratio))
	st.ratio += d
	r.ratioBits.Store(int64(math.Float64bits(st.ratio)))
}

// render resamples from the read position with 4-point cubic (Catmull-Rom)
// interpolation and advances it. Positions not yet written, or below
// validFrom, are silence; it returns how many output samples had no sound.
func (r *Ring) render(l, rr []float32, w int64, step float64) (missing int) {
	st := &r.rd
	ip, frac := st.ip, st.frac
	lo, mask := st.validFrom, r.mask
	for i := range l {
		if ip-1 >= lo && ip+2 < w { // the steady state
			a, b, c, d := (ip-1)&mask, ip&mask, (ip+1)&mask, (ip+2)&mask
			l[i] = cubic(r.l[a], r.l[b], r.l[c], r.l[d], frac)
			rr[i] = cubic(r.r[a], r.r[b], r.r[c], r.r[d], frac)
		} else if ip >= w || ip < lo {
			l[i], rr[i] = 0, 0
			if ip >= w {
				missing++
			}
		} else {
			l[i] = cubic(r.tap(r.l, ip-1, w), r.tap(r.l, ip, w), r.tap(r.l, ip+1, w), r.tap(r.l, ip+2, w), frac)
			rr[i] = cubic(r.tap(r.r, ip-1, w), r.tap(r.r, ip, w), r.tap(r.r, ip+1, w), r.tap(r.r, ip+2, w), frac)
		}
		frac += step
		if frac >= 1 {
			k := math.Floor(frac)
			ip += int64(k)
			frac -= k
		}
	}
	st.ip, st.frac = ip, frac
	return missing
}

func (r *Ring) tap(buf []float32, p, w int64) float32 {
	if p < r.rd.validFrom || p >= w {
		return 0
	}
	return buf[p&r.mask]
}

func cubic(xm1, x0, x1, x2 float32, t float64) float32 {
	a, b, c, d := float64(xm1), float64(x0), float64(x1), float64(x2)
	c1 := 0.5 * (c - a)
	c2 := a - 2.5*b + 2*c - 0.5*d
	c3 := 0.5*(d-a) + 1.5*(b-c)
	return float32(((c3*t+c2)*t+c1)*t + b)
}
