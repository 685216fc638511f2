package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"onair/internal/testpeer"
)

// One destination on a link slower than the stream: it drops frames (counted),
// its queue and the process's memory stay bounded, and the others get every
// frame.
func TestSlowDestination(t *testing.T) {
	nginx := testpeer.StartNginxRTMP(t, "fast", "slow")
	slow := testpeer.SlowProxy(t, fmt.Sprintf("127.0.0.1:%d", nginx.Port), 40_000) // ~320 kb/s for a 1500 kb/s stream
	stats := filepath.Join(t.TempDir(), "stats.json")
	cmd, _, stderr := startOnair(t, nil, "live", "--size", "854x480", "--bitrate", "1500", "--duration", "20s", "--quiet",
		"--stats-file", stats, "--dest", nginx.URL("fast", "sk_fast_1"), "--dest", "rtmp://"+slow+"/slow/sk_slow_1")
	peakRSS := 0
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
wait:
	for {
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("onair: %v\n%s", err, stderr.String())
			}
			break wait
		case <-tick.C:
			peakRSS = max(peakRSS, rssKB(cmd.Process.Pid))
		}
	}
	var st struct {
		Destinations []struct {
			DroppedVideo int64 `json:"dropped_video"`
		} `json:"destinations"`
	}
	b, _ := os.ReadFile(stats)
	if err := json.Unmarshal(b, &st); err != nil || len(st.Destinations) != 2 {
		t.Fatalf("stats %s: %v", b, err)
	}
	if fast, slow := st.Destinations[0].DroppedVideo, st.Destinations[1].DroppedVideo; fast != 0 || slow == 0 {
		t.Errorf("dropped frames: fast %d (want 0), slow %d (want > 0)", fast, slow)
	}
	if peakRSS > 200<<10 {
		t.Errorf("peak RSS %d MB while one destination lagged: not bounded", peakRSS>>10)
	}
	t.Logf("peak RSS %d MB, slow destination dropped %d frames", peakRSS>>10, st.Destinations[1].DroppedVideo)
	nginx.Stop()
	checkRecording(t, nginx.Recording("fast", "sk_fast_1"), 854, 480, 30, 20*time.Second)
}

func rssKB(pid int) int {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			n, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
			return n
		}
	}
	return 0
}

// Dynamic bitrate: the destination behind a ~480 kb/s link gets an encoder
// of its own whose rate steps down towards what gets through; the other
// destination keeps its encoder, its rate and every frame. The picture is
// noisy, so the encoder needs every bit it is allowed.
func TestDynamicBitrate(t *testing.T) {
	clip := filepath.Join(t.TempDir(), "noise.mp4")
	if out, err := exec.Command("ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=854x480:rate=30,noise=alls=40:allf=t",
		"-t", "4", "-c:v", "libx264", "-preset", "ultrafast", "-crf", "16", "-pix_fmt", "yuv420p", clip).CombinedOutput(); err != nil {
		t.Fatalf("making the clip: %v\n%s", err, out)
	}
	nginx := testpeer.StartNginxRTMP(t, "fast", "slow")
	slow := testpeer.SlowProxy(t, fmt.Sprintf("127.0.0.1:%d", nginx.Port), 60_000)
	stats := filepath.Join(t.TempDir(), "stats.json")
	r := runOnair(t, 90*time.Second, "live", "--source", "file:"+clip, "--size", "854x480", "--bitrate", "1500", "--duration", "20s", "--quiet",
		"--dynamic-bitrate", "--stats-file", stats,
		"--dest", "twitch="+nginx.URL("fast", "sk_fast_2"), "--dest", "rtmp://"+slow+"/slow/sk_slow_2")
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	var st struct {
		VideoEncoders int `json:"video_encoders"`
		Destinations  []struct {
			DroppedVideo int64 `json:"dropped_video"`
			VideoKbps    int   `json:"video_kbps"`
			Adaptive     bool  `json:"dynamic_bitrate"`
		} `json:"destinations"`
	}
	b, _ := os.ReadFile(stats)
	if err := json.Unmarshal(b, &st); err != nil || len(st.Destinations) != 2 {
		t.Fatalf("stats %s: %v", b, err)
	}
	fast, slowD := st.Destinations[0], st.Destinations[1]
	t.Logf("fast: %+v, slow: %+v\n%s", fast, slowD, grepLines(r.stderr, "notice:"))
	if st.VideoEncoders != 2 {
		t.Errorf("%d video encoders, want 2 (each adaptive destination has its own)", st.VideoEncoders)
	}
	if slowD.VideoKbps >= 1000 || !slowD.Adaptive {
		t.Errorf("slow destination's video at %d kb/s (adaptive %v): want it stepped down from 1500", slowD.VideoKbps, slowD.Adaptive)
	}
	if !strings.Contains(r.stderr, "/slow/****: congested (") || !strings.Contains(r.stderr, "video 1500 → ") {
		// On one line, so the summary of make test shows it.
		t.Errorf("no step-down notice; the slow destination said: %s", strings.ReplaceAll(grepLines(r.stderr, "/slow/"), "\n", " ⏎ "))
	}
	if fast.VideoKbps != 1500 || fast.DroppedVideo != 0 || strings.Contains(r.stderr, "/fast/****: congested") {
		t.Errorf("the fast destination was touched: %+v", fast)
	}
	assertNoSecrets(t, r, "sk_fast_2", "sk_slow_2")
	nginx.Stop()
	checkRecording(t, nginx.Recording("fast", "sk_fast_2"), 854, 480, 30, 20*time.Second)
	if p := testpeer.FFprobe(t, nginx.Recording("slow", "sk_slow_2")); len(p.Streams) == 0 {
		t.Error("nothing decodable reached the slow destination")
	}
}

func grepLines(s, substr string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, substr) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
