package audio

import (
	"math"
	"strconv"
)

// Verdict is what a mic check concluded.
type Verdict int

// The zero Verdict is invalid.
const (
	_ Verdict = iota
	VerdictSilent
	VerdictTooQuiet
	VerdictGood
	VerdictLoud
	VerdictClipping
)

func (v Verdict) String() string {
	switch v {
	case VerdictSilent:
		return "silent"
	case VerdictTooQuiet:
		return "too quiet"
	case VerdictGood:
		return "good"
	case VerdictLoud:
		return "loud"
	case VerdictClipping:
		return "clipping"
	}
	return "Verdict(" + strconv.Itoa(int(v)) + ")"
}

// Mic check thresholds, on the highest peak of either channel (speech should
// peak in the meter's yellow, OBS's advice):
//
//	peak below -60 dBFS (the meter floor)   silent     "no sound at all"
//	below -20 dBFS (green)                  too quiet
//	-20 to -6 dBFS                          good
//	above -6 dBFS, below -0.5 dBFS          loud
//	at or above -0.5 dBFS                   clipping   (converters and
//	  resamplers often top out just under 1.0, so -0.5 dBFS counts as the top)
const (
	MicQuietDB = -20.0
	MicLoudDB  = -6.0
	MicClipDB  = -0.5
)

// MicReport is the mic check's result.
type MicReport struct {
	Verdict        Verdict
	PeakDB, RMSDB  float64 // over the whole recording, both channels
	ClippedSamples int     // samples at or above MicClipDB
	Text           string  // one line for the window and `onair devices --test-mic`
}

// MicCheck judges a few seconds of captured sound (l and r; r may be nil for
// mono). Drop the first ~50 ms of a fresh capture before calling it: devices
// start with clicks.
func MicCheck(l, r []float32) MicReport {
	clipAt := Amp(MicClipDB)
	var peak, sumsq float64
	clipped, count := 0, 0
	for _, s := range [2][]float32{l, r} {
		for _, v := range s {
			a := math.Abs(float64(v))
			if a > peak {
				peak = a
			}
			if a >= clipAt {
				clipped++
			}
			sumsq += a * a
		}
		count += len(s)
	}
	rep := MicReport{PeakDB: DB(peak), RMSDB: FloorDB, ClippedSamples: clipped}
	if count > 0 {
		rep.RMSDB = DB(math.Sqrt(sumsq / float64(count)))
	}
	p := formatDB(rep.PeakDB)
	switch {
	case peak < Amp(FloorDB):
		rep.Verdict, rep.Text = VerdictSilent, "no sound at all: check the microphone is plugged in, chosen and not muted"
	case clipped > 0:
		rep.Verdict, rep.Text = VerdictClipping, "clipping: peaks reach "+p+" — lower the gain"
	case rep.PeakDB < MicQuietDB:
		rep.Verdict, rep.Text = VerdictTooQuiet, "too quiet: peaks at "+p+" — raise the gain or move closer"
	case rep.PeakDB > MicLoudDB:
		rep.Verdict, rep.Text = VerdictLoud, "loud: peaks at "+p+" — lower the gain a little"
	default:
		rep.Verdict, rep.Text = VerdictGood, "good: peaks at "+p
	}
	return rep
}
