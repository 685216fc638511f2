package main

import (
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"onair/internal/testpeer"
)

// A media file plays in a loop as the program. The clip's own keyframes (every
// half second here) must not leak into ours: still exactly every 2 s.
func TestLiveFromMediaFile(t *testing.T) {
	testpeer.Require(t, "ffmpeg")
	clip := filepath.Join(t.TempDir(), "intro.mp4")
	if out, err := exec.Command("ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=640x360:rate=30",
		"-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100", "-t", "3", "-c:v", "libx264", "-preset", "ultrafast",
		"-g", "15", "-pix_fmt", "yuv420p", "-c:a", "aac", clip).CombinedOutput(); err != nil {
		t.Fatalf("making the clip: %v\n%s", err, out)
	}
	nginx := testpeer.StartNginxRTMP(t, "live")
	r := runOnair(t, 60*time.Second, "live", "--source", "file:"+clip, "--size", "640x360", "--fps", "30",
		"--bitrate", "800", "--duration", "8s", "--quiet", "--dest", nginx.URL("live", "sk_file_112233"))
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	nginx.Stop()
	checkRecording(t, nginx.Recording("live", "sk_file_112233"), 640, 360, 30, 8*time.Second)
}
