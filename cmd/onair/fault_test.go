package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"onair/internal/testpeer"
)

// One server dies for 10 s mid-show: the other destinations do not notice,
// and the dead one comes back by itself, starting again on a keyframe.
func TestServerKilledAndRestarted(t *testing.T) {
	steady := testpeer.StartNginxRTMP(t, "one", "two")
	flaky := testpeer.StartNginxRTMPWith(t, testpeer.NginxOptions{UniqueRecordings: true}, "live")
	stats := filepath.Join(t.TempDir(), "stats.json")
	cmd, _, stderr := startOnair(t, nil, "live", "--size", "640x360", "--fps", "30", "--bitrate", "800", "--duration", "32s",
		"--stats-file", stats,
		"--dest", steady.URL("one", "sk_one_7788"), "--dest", steady.URL("two", "sk_two_7788"), "--dest", flaky.URL("live", "sk_flaky_7788"))
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	testpeer.Eventually(t, 10*time.Second, "not all destinations went live", func() bool {
		return strings.Count(stderr.String(), ": live\n") == 3
	})
	time.Sleep(5 * time.Second)
	flaky.Kill()
	killedAt := time.Now()
	time.Sleep(10 * time.Second)
	flaky.Restart(t)
	restartedAt := time.Now()
	testpeer.Eventually(t, 20*time.Second, "the killed destination never came back", func() bool {
		return strings.Count(stderr.String(), "rtmp://127.0.0.1:"+portOf(flaky.URL("live", "x"))+"/live/****: live\n") == 2
	})
	backAfter := time.Since(restartedAt)
	if err := <-done; err != nil {
		t.Fatalf("onair: %v\n%s", err, stderr.String())
	}
	// Reconnect waits 2, 3, 4.5, 6.75, 10.1 s …: once the server is back, the
	// next attempt is at most one wait (≤ 10.1 s plus jitter) away.
	if backAfter > 11*time.Second {
		t.Errorf("back %s after the restart (%s after the kill): slower than the backoff schedule", backAfter, time.Since(killedAt))
	}
	if !strings.Contains(stderr.String(), "retrying in") {
		t.Errorf("no reconnect reported:\n%s", stderr.String())
	}

	var st struct {
		Destinations []struct {
			Name         string `json:"name"`
			DroppedVideo int64  `json:"dropped_video"`
			DroppedAudio int64  `json:"dropped_audio"`
		} `json:"destinations"`
	}
	b, _ := os.ReadFile(stats)
	if err := json.Unmarshal(b, &st); err != nil {
		t.Fatal(err)
	}
	for _, d := range st.Destinations[:2] {
		if d.DroppedVideo != 0 || d.DroppedAudio != 0 {
			t.Errorf("%s dropped %d video, %d audio while another server was down", d.Name, d.DroppedVideo, d.DroppedAudio)
		}
	}
	steady.Stop()
	flaky.Stop()
	for _, app := range []string{"one", "two"} {
		t.Run("steady-"+app, func(t *testing.T) {
			checkRecording(t, steady.Recording(app, "sk_"+app+"_7788"), 640, 360, 30, 32*time.Second)
		})
	}
	recs := flaky.Recordings("live")
	if len(recs) != 2 {
		t.Fatalf("the restarted server holds %d recordings, want 2 (before and after the gap)", len(recs))
	}
	after := testpeer.FFprobe(t, recs[1])
	v, ok := after.Stream("video")
	if !ok || v.Frames() < 5*30 {
		t.Fatalf("the recording after the gap has %d frames", v.Frames())
	}
	if pk := after.PacketsOf(v.Index); len(pk) == 0 || !strings.Contains(pk[0].Flags, "K") {
		t.Error("the recording after the gap does not start with a keyframe")
	}
}

func portOf(url string) string {
	rest := strings.TrimPrefix(url, "rtmp://127.0.0.1:")
	return rest[:strings.IndexByte(rest, '/')]
}
