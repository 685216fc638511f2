package main

import (
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"onair/internal/testpeer"
)

var skippedRE = regexp.MustCompile(`(?m)^(\d\d):(\d\d):(\d\d)\s+\d+ frames\s+encoders \d+\s+skipped (\d+)`)

// With every core busy in other programs, the session keeps its clock: the
// encoder skips pictures (counted in the status line) instead of falling
// behind, compose→wire latency stays bounded, the sound is complete, and
// once the load ends the skipping stops.
func TestLiveKeepsItsClockWhenStarvedOfCPU(t *testing.T) {
	const total, loadFrom, loadFor = 24 * time.Second, 4 * time.Second, 10 * time.Second
	dir := t.TempDir()
	rec := filepath.Join(dir, "starved.mkv")
	stats := filepath.Join(dir, "stats.json")
	cmd, stdout, stderr := startOnair(t, nil, "live", "--size", "1920x1080", "--fps", "30", "--bitrate", "4500",
		"--duration", total.String(), "--stats-file", stats, "--dest", "file://"+rec)
	start := time.Now()
	time.Sleep(loadFrom)
	// Four busy programs per core, at the performer's own priority.
	var spinners []*exec.Cmd
	for range 4 * runtime.NumCPU() {
		s := exec.Command("sh", "-c", "while :; do :; done")
		if err := s.Start(); err != nil {
			t.Fatal(err)
		}
		spinners = append(spinners, s)
	}
	stopSpinners := func() {
		for _, s := range spinners {
			s.Process.Kill()
			s.Wait()
		}
		spinners = nil
	}
	defer stopSpinners()
	time.Sleep(loadFor)
	stopSpinners()
	loadEnded := time.Since(start)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("onair: %v\nstderr:\n%s", err, stderr.String())
	}

	// skipped[s] is the skip count the status line showed at second s.
	skipped := map[int]int{}
	last := 0
	for _, m := range skippedRE.FindAllStringSubmatch(stdout.String(), -1) {
		h, _ := strconv.Atoi(m[1])
		mi, _ := strconv.Atoi(m[2])
		s, _ := strconv.Atoi(m[3])
		n, _ := strconv.Atoi(m[4])
		skipped[h*3600+mi*60+s] = n
		last = max(last, h*3600+mi*60+s)
	}
	settled := int((loadEnded + 4*time.Second).Seconds())
	during, after := skipped[int(loadEnded.Seconds())-1], skipped[last]
	t.Logf("skipped: %d by the end of the load, %d at the end (%d status lines)", during, after, len(skipped))
	if during == 0 && sum0(stdout.String())["compositor_missed"] == 0 {
		t.Skipf("the load did not starve onair on this machine (nothing skipped or missed): nothing to check")
	}
	// The first status line from settled on (a busy runner may not print one
	// every second).
	at := settled
	for ; at <= last; at++ {
		if _, ok := skipped[at]; ok {
			break
		}
	}
	if before, ok := skipped[at]; !ok || after != before {
		t.Errorf("still skipping after the load ended: %d at %d s, %d at the end", before, at, after)
	}
	sum := summary(t, stdout.String())
	slots := sum["frames_encoded"] + sum["encoder_skipped"] + sum["compositor_missed"]
	if math.Abs(float64(slots)-30*total.Seconds()) > 30 {
		t.Errorf("%d picture slots encoded, skipped or missed in %s: want %d (the clock kept)", slots, total, int(30*total.Seconds()))
	}
	p := testpeer.FFprobe(t, rec)
	a, ok := p.Stream("audio")
	if want := total.Seconds() * 48000 / 1024; !ok || math.Abs(float64(a.Frames())-want) > 0.03*want {
		t.Errorf("audio: %d frames, want %.0f: the sound must not be skipped", a.Frames(), want)
	}
	st := readStats(t, stats)
	v, _ := p.Stream("video")
	if want := sum["frames_encoded"] - int(st.Destinations[0].DroppedVideo); v.Frames() != want {
		t.Errorf("%d video frames recorded, want the %d encoded less the %d the queue dropped", v.Frames(), sum["frames_encoded"], st.Destinations[0].DroppedVideo)
	}
	// The queue drops past 2 s behind; the encoder skips past 0.2 s.
	if p99 := st.Destinations[0].P99; p99 > 1000 {
		t.Errorf("compose→wire p99 %.0f ms under load: want it bounded (< 1 s)", p99)
	}
	if strings.Contains(stderr.String(), "panic") {
		t.Errorf("stderr:\n%s", stderr.String())
	}
}

type sessionStats struct {
	Destinations []struct {
		P99          float64 `json:"latency_p99_ms"`
		DroppedVideo int64   `json:"dropped_video"`
	} `json:"destinations"`
}

// readStats reads a --stats-file.
func readStats(t *testing.T, path string) sessionStats {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var s sessionStats
	if err := json.Unmarshal(b, &s); err != nil || len(s.Destinations) == 0 {
		t.Fatalf("stats %s: %v", b, err)
	}
	return s
}

// sum0 is the summary line's figures, or none.
func sum0(stdout string) map[string]int {
	m := map[string]int{}
	if s := summaryRE.FindStringSubmatch(stdout); s != nil {
		for _, kv := range strings.Fields(s[1]) {
			k, v, _ := strings.Cut(kv, "=")
			m[k], _ = strconv.Atoi(v)
		}
	}
	return m
}
