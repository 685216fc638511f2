package main

import (
	"fmt"
	"math"
	"runtime"
	"slices"
	"strings"
)

// criterion is one pass/fail check of the soak, as printed and in the JSON.
type criterion struct {
	Name   string `json:"name"`
	Pass   bool   `json:"pass"`
	Detail string `json:"detail"`
}

// edgeSamples is how many samples at each end of the window the RSS
// criterion takes the median of: one sample caught mid-GC or mid-reconnect
// moves a median of five by nothing.
const edgeSamples = 5

// rssGrowth is the RSS criterion: the median of the last edgeSamples
// samples of the window minus the median of its first ones, in MB.
type rssGrowth struct {
	FirstMB  float64 `json:"first_median_mb"`
	LastMB   float64 `json:"last_median_mb"`
	GrowthMB float64 `json:"growth_mb"`
	LimitMB  float64 `json:"limit_mb"`
	Samples  int     `json:"samples"`
}

func measureRSS(samples []sample, from, limitMB float64) (rssGrowth, criterion) {
	var mb []float64
	for _, s := range samples {
		if s.T >= from && s.RSSKB > 0 {
			mb = append(mb, float64(s.RSSKB)/1024)
		}
	}
	g := rssGrowth{LimitMB: limitMB, Samples: len(mb)}
	c := criterion{Name: "rss-flat"}
	if len(mb) < 2*edgeSamples {
		c.Detail = fmt.Sprintf("%d RSS samples after warm-up, need %d", len(mb), 2*edgeSamples)
		return g, c
	}
	g.FirstMB, g.LastMB = median(mb[:edgeSamples]), median(mb[len(mb)-edgeSamples:])
	g.GrowthMB = g.LastMB - g.FirstMB
	c.Pass = g.GrowthMB < limitMB
	c.Detail = fmt.Sprintf("RSS %.1f → %.1f MB after warm-up (median of %d samples at each end): %+.2f MB, limit < %g MB",
		g.FirstMB, g.LastMB, edgeSamples, g.GrowthMB, limitMB)
	return g, c
}

// stateGroup is a count (goroutines, fds) at one state of the
// destinations, in the first and the second half of the window.
type stateGroup struct {
	States     string  `json:"states"`
	FirstN     int     `json:"first_half_samples"`
	LastN      int     `json:"last_half_samples"`
	FirstMed   float64 `json:"first_half_median"` // 0 unless Comparable
	LastMed    float64 `json:"last_half_median"`
	Min        float64 `json:"min"`
	Max        float64 `json:"max"`
	Comparable bool    `json:"comparable"` // seen in both halves
	// SlopePerHour is the least-squares trend at this state, for reading.
	SlopePerHour float64 `json:"slope_per_hour"`
}

// countTrend is the goroutine or fd criterion. The count depends on what
// the destinations are doing (a reconnecting one holds no socket), so it is
// compared only at the same state: for each state of the destinations seen
// in both halves of the window, the second half's median must not be above
// the first half's. A leak of one per reconnect shows as a step up at
// "all live".
type countTrend struct {
	Groups      []stateGroup `json:"by_state"`
	First, Last float64      `json:"-"` // the medians the verdict compared
}

func measureCount(name string, samples []sample, from, to float64, value func(sample) (float64, bool)) (countTrend, criterion) {
	mid := (from + to) / 2
	type acc struct{ first, last, all, t []float64 }
	groups := map[string]*acc{}
	var order []string
	n := 0
	for _, s := range samples {
		v, ok := value(s)
		if s.T < from || !ok {
			continue
		}
		key := s.states()
		a := groups[key]
		if a == nil {
			a = &acc{}
			groups[key] = a
			order = append(order, key)
		}
		if s.T < mid {
			a.first = append(a.first, v)
		} else {
			a.last = append(a.last, v)
		}
		a.all, a.t = append(a.all, v), append(a.t, s.T)
		n++
	}
	var tr countTrend
	c := criterion{Name: name + "-flat"}
	var worst *stateGroup
	for _, k := range order {
		a := groups[k]
		g := stateGroup{States: k, FirstN: len(a.first), LastN: len(a.last), Min: slices.Min(a.all), Max: slices.Max(a.all),
			SlopePerHour: math.Round(slope(a.t, a.all)*3600*10)/10 + 0} // + 0: no "-0.0"
		if len(a.first) > 0 && len(a.last) > 0 {
			g.Comparable = true
			g.FirstMed, g.LastMed = median(a.first), median(a.last)
		}
		tr.Groups = append(tr.Groups, g)
	}
	for i := range tr.Groups {
		g := &tr.Groups[i]
		if !g.Comparable {
			continue
		}
		if worst == nil || g.LastMed-g.FirstMed > worst.LastMed-worst.FirstMed ||
			(g.LastMed-g.FirstMed == worst.LastMed-worst.FirstMed && g.FirstN+g.LastN > worst.FirstN+worst.LastN) {
			worst = g
		}
	}
	if worst == nil {
		c.Detail = fmt.Sprintf("no state of the destinations was seen in both halves of the window (%d samples)", n)
		return tr, c
	}
	tr.First, tr.Last = worst.FirstMed, worst.LastMed
	c.Pass = worst.LastMed <= worst.FirstMed
	c.Detail = fmt.Sprintf("%s %g → %g at the same state (%s: medians of the window's halves, %d and %d samples; trend %+.1f/h)",
		name, worst.FirstMed, worst.LastMed, worst.States, worst.FirstN, worst.LastN, worst.SlopePerHour)
	return tr, c
}

// reconnect is one kill of B's server and what onair did about it.
type reconnect struct {
	KillS    float64  `json:"killed_at_s"`
	RestartS float64  `json:"restarted_at_s"`
	LostS    *float64 `json:"onair_noticed_at_s"` // the first "retrying" line after the kill
	LiveS    *float64 `json:"live_again_at_s"`    // the first "live" line after the restart
	// AfterRestartS is live again minus restarted: the reconnect's cost.
	AfterRestartS *float64 `json:"live_after_restart_s"`
}

// matchReconnects pairs each kill with onair's lines about B: a reconnect
// succeeded when B went live again after the server was back and before the
// next kill (or the end).
func matchReconnects(kills []reconnect, events []destEvent, end float64) []reconnect {
	out := slices.Clone(kills)
	for i := range out {
		next := end
		if i+1 < len(out) {
			next = out[i+1].KillS
		}
		for _, e := range events {
			t := e.T
			if e.Lost && out[i].LostS == nil && t >= out[i].KillS && t < next {
				out[i].LostS = &t
			}
			if e.Live && out[i].LiveS == nil && t >= out[i].RestartS && t < next {
				out[i].LiveS = &t
				d := math.Round((t-out[i].RestartS)*1000) / 1000
				out[i].AfterRestartS = &d
			}
		}
	}
	return out
}

func reconnectCriterion(rs []reconnect) criterion {
	c := criterion{Name: "reconnects"}
	if len(rs) == 0 {
		c.Detail = "B's server was never killed (the run is too short for the kill interval)"
		return c
	}
	ok, slowest := 0, 0.0
	var failed []string
	for _, r := range rs {
		if r.LiveS != nil {
			ok++
			slowest = max(slowest, *r.AfterRestartS)
		} else {
			failed = append(failed, fmt.Sprintf("%.0f s", r.KillS))
		}
	}
	c.Pass = ok == len(rs)
	c.Detail = fmt.Sprintf("B live again after %d of %d restarts of its server, the slowest %.1f s after the restart", ok, len(rs), slowest)
	if !c.Pass {
		c.Detail += "; not after the kill at " + strings.Join(failed, ", ")
	}
	return c
}

// recordingCriterion: the healthy destination's recording holds the whole
// session's frames.
// encoded and missed (onair's own counts, -1 when unknown) tell a frame lost
// on the way from one never made: a CPU-starved machine misses compositor
// ticks, and load (the highest 1-minute load average seen) says how busy
// the machine was.
func recordingCriterion(frames int, expected, tolerance float64, encoded, missed int64, load float64) criterion {
	dev := (float64(frames) - expected) / expected
	c := criterion{
		Name: "recording-complete",
		Pass: math.Abs(dev) <= tolerance,
		Detail: fmt.Sprintf("A's recording has %d video frames, expected %.0f (duration × fps): %+.2f %%, limit ±%g %%",
			frames, expected, 100*dev, 100*tolerance),
	}
	if encoded >= 0 {
		c.Detail += fmt.Sprintf(" (onair encoded %d; its compositor missed %d ticks; load average up to %.1f on %d cores)", encoded, missed, load, runtime.NumCPU())
	}
	return c
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	s := slices.Clone(v)
	slices.Sort(s)
	if n := len(s); n%2 == 0 {
		return (s[n/2-1] + s[n/2]) / 2
	}
	return s[len(s)/2]
}

// slope is the least-squares slope of y over x (0 with fewer than 2 points).
func slope(x, y []float64) float64 {
	n := float64(len(x))
	if n < 2 {
		return 0
	}
	var sx, sy, sxx, sxy float64
	for i := range x {
		sx += x[i]
		sy += y[i]
		sxx += x[i] * x[i]
		sxy += x[i] * y[i]
	}
	d := n*sxx - sx*sx
	if d == 0 {
		return 0
	}
	return (n*sxy - sx*sy) / d
}
