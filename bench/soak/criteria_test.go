package main

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
)

// samples builds samples every 10 s from 0 with the given RSS (MB),
// goroutines and B's state.
func samples(rssMB []float64, gor []int, bState []string) []sample {
	var out []sample
	for i := range rssMB {
		s := sample{T: float64(i * 10), RSSKB: int(rssMB[i] * 1024), Goroutines: gor[i], FDs: gor[i] - 2}
		s.Dests = []destSample{{ID: "A", State: "live"}, {ID: "B", State: bState[i]}, {ID: "C", State: "live"}}
		out = append(out, s)
	}
	return out
}

func repeat[T any](v T, n int) []T {
	out := make([]T, n)
	for i := range out {
		out[i] = v
	}
	return out
}

func TestMeasureRSS(t *testing.T) {
	flat := []float64{100, 130, 110, 110.5, 110.2, 111, 110.4, 110.9, 110.3, 150 /* one spike */, 110.6, 110.8, 110.5}
	for _, c := range []struct {
		name   string
		rss    []float64
		from   float64
		pass   bool
		growth float64
		detail string
	}{
		{"flat after warm-up, one spike ignored", flat, 20, true, 0.2, "RSS 110.4 → 110.6 MB after warm-up (median of 5 samples at each end): +0.20 MB, limit < 2 MB"},
		{"warm-up counted", flat, 0, true, 0.4, ""},
		{"a leak", []float64{100, 100.5, 101, 101.5, 102, 102.5, 103, 103.5, 104, 104.5, 105}, 0, false, 3, ""},
		{"too few samples", flat, 60, false, 0, "7 RSS samples after warm-up, need 10"},
	} {
		t.Run(c.name, func(t *testing.T) {
			n := len(c.rss)
			g, crit := measureRSS(samples(c.rss, repeat(20, n), repeat("live", n)), c.from, 2)
			if crit.Pass != c.pass || (c.pass || c.growth != 0) && abs(int(1000*(g.GrowthMB-c.growth))) > 1 {
				t.Errorf("pass %v, growth %.3f MB (%s); want pass %v, growth %.3f", crit.Pass, g.GrowthMB, crit.Detail, c.pass, c.growth)
			}
			if c.detail != "" && crit.Detail != c.detail {
				t.Errorf("detail %q\nwant   %q", crit.Detail, c.detail)
			}
		})
	}
}

func TestMeasureCount(t *testing.T) {
	b := []string{"live", "live", "live", "reconnecting", "live", "live", "live", "reconnecting", "live", "live", "live", "live"}
	for _, c := range []struct {
		name   string
		gor    []int
		states []string
		pass   bool
		detail string
	}{
		{"fewer while B reconnects, same at each state",
			[]int{15, 15, 15, 14, 15, 15, 15, 14, 15, 15, 15, 15}, b, true,
			"goroutines 15 → 15 at the same state (A=live B=live C=live: medians of the window's halves, 4 and 5 samples; trend +0.0/h)"},
		{"one more after each reconnect",
			[]int{15, 15, 15, 14, 16, 16, 16, 15, 17, 17, 17, 17}, b, false,
			"goroutines 15.5 → 17 at the same state (A=live B=live C=live: medians of the window's halves, 4 and 5 samples; trend +"},
		{"a sample caught mid-change does not fail it",
			[]int{15, 15, 15, 14, 15, 15, 15, 14, 16, 15, 15, 15}, b, true, ""},
		{"no state in both halves",
			[]int{15, 15, 15, 15, 15, 15, 14, 14, 14, 14, 14, 14}, append(repeat("live", 6), repeat("failed", 6)...), false,
			"no state of the destinations was seen in both halves of the window (11 samples)"},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := samples(repeat(100.0, len(c.gor)), c.gor, c.states)
			s[2].Goroutines = -1 // the endpoint did not answer: left out
			_, crit := measureCount("goroutines", s, 0, 120, func(x sample) (float64, bool) { return float64(x.Goroutines), x.Goroutines >= 0 })
			if crit.Pass != c.pass || !strings.HasPrefix(crit.Detail, c.detail) {
				t.Errorf("pass %v, %q\nwant pass %v, %q", crit.Pass, crit.Detail, c.pass, c.detail)
			}
		})
	}
}

func TestReconnects(t *testing.T) {
	dests := []dest{{ID: "B", Name: "rtmp://127.0.0.1:1935/b/****"}}
	var events []destEvent
	for _, l := range []struct {
		t    float64
		line string
	}{
		{0.2, "destination rtmp://127.0.0.1:1935/b/****: live"},
		{40.1, "destination rtmp://127.0.0.1:1935/b/****: sending: Broken pipe; retrying in 2.0s"},
		{42.2, "destination rtmp://127.0.0.1:1935/b/****: connecting: connection refused: is the server address and port right?; retrying in 3.1s"},
		{55.4, "destination rtmp://127.0.0.1:1935/b/****: live"},
		{80.1, "destination rtmp://127.0.0.1:1935/b/****: sending: Broken pipe; retrying in 2.0s"},
		{95, "destination rtmp://127.0.0.1:19350/b/****: live"}, // another server: not B
		{96, "notice: destination rtmp://127.0.0.1:1935/b/****: live"},
	} {
		if e, ok := parseEvent(l.line, l.t, dests); ok {
			events = append(events, e)
		}
	}
	if len(events) != 5 || !events[0].Live || !events[1].Lost || !events[2].Lost || !events[3].Live || events[3].Lost {
		t.Fatalf("parsed %+v", events)
	}
	rs := matchReconnects([]reconnect{{KillS: 40, RestartS: 50}, {KillS: 80, RestartS: 90}}, events, 120)
	if rs[0].LiveS == nil || *rs[0].LiveS != 55.4 || *rs[0].LostS != 40.1 || rs[1].LiveS != nil || *rs[1].LostS != 80.1 {
		t.Errorf("matched %+v", rs)
	}
	c := reconnectCriterion(rs)
	if want := "B live again after 1 of 2 restarts of its server, the slowest 5.4 s after the restart; not after the kill at 80 s"; c.Pass || c.Detail != want {
		t.Errorf("%v %q\nwant false %q", c.Pass, c.Detail, want)
	}
	if c := reconnectCriterion(rs[:1]); !c.Pass {
		t.Errorf("one kill, one reconnect: %s", c.Detail)
	}
	if c := reconnectCriterion(nil); c.Pass {
		t.Errorf("no kill at all passes: %s", c.Detail)
	}
}

func TestRecordingCriterion(t *testing.T) {
	for _, c := range []struct {
		frames int
		pass   bool
	}{{108000, true}, {107460, true}, {107459, false}, {108540, true}, {108541, false}, {0, false}} {
		if got := recordingCriterion(c.frames, 108000, 0.005, -1, -1, 0); got.Pass != c.pass {
			t.Errorf("%d frames of 108000: pass %v, want %v (%s)", c.frames, got.Pass, c.pass, got.Detail)
		}
	}
	want := fmt.Sprintf("A's recording has 1770 video frames, expected 1800 (duration × fps): -1.67 %%, limit ±0.5 %% (onair encoded 1770; its compositor missed 30 ticks; load average up to 6.8 on %d cores)", runtime.NumCPU())
	if got := recordingCriterion(1770, 1800, 0.005, 1770, 30, 6.8); got.Detail != want {
		t.Errorf("%q\nwant %q", got.Detail, want)
	}
}
