package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"onair/internal/testpeer"
)

// Ctrl-C ends the broadcast cleanly: exit 0, and the recording is whole.
func TestLiveStopsCleanlyOnInterrupt(t *testing.T) {
	nginx := testpeer.StartNginxRTMP(t, "live")
	cmd, out, errb := startOnair(t, nil, "live", "--size", "640x360", "--fps", "30", "--bitrate", "800", "--dest", nginx.URL("live", "sk_int_123456"))
	testpeer.Eventually(t, 15*time.Second, "onair never reported the destination live", func() bool {
		return strings.Contains(out.String(), " live ")
	})
	time.Sleep(3 * time.Second)
	cmd.Process.Signal(syscall.SIGINT)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit after Ctrl-C: %v\nstderr:\n%s", err, errb.String())
		}
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		t.Fatal("onair did not stop within 10 s of Ctrl-C")
	}
	if !strings.Contains(out.String(), "onair: summary") {
		t.Errorf("no summary after Ctrl-C:\n%s", out.String())
	}
	nginx.Stop()
	p := testpeer.FFprobe(t, nginx.Recording("live", "sk_int_123456"))
	v, ok := p.Stream("video")
	if !ok || v.Frames() < 90 {
		t.Fatalf("recording after Ctrl-C has %d frames, want ≥ 90 (3 s)", v.Frames())
	}
}

// A profile file gives the same settings as the flags.
func TestLiveReadsProfile(t *testing.T) {
	nginx := testpeer.StartNginxRTMP(t, "live")
	profile := filepath.Join(t.TempDir(), "show.json")
	body := fmt.Sprintf(`{
  "canvas": {"width": 854, "height": 480, "fps": 25},
  "video": {"bitrate_kbps": 1200, "preset": "veryfast", "keyframe_sec": 2},
  "audio": {"bitrate_kbps": 128},
  "destinations": [
    {"name": "local", "url": %q},
    {"name": "off", "url": "rtmp://127.0.0.1:1/live/never", "enabled": false}
  ]
}`, nginx.URL("live", "sk_prof_987654"))
	if err := os.WriteFile(profile, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	r := runOnair(t, 60*time.Second, "live", "--profile", profile, "--duration", "6s", "--quiet")
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	if sum := summary(t, r.stdout); sum["destinations"] != 1 || sum["frames_encoded"] != 150 {
		t.Errorf("summary %v: want the one enabled destination and 150 frames (6 s at 25 fps)", sum)
	}
	assertNoSecrets(t, r, "sk_prof_987654")
	nginx.Stop()
	checkRecording(t, nginx.Recording("live", "sk_prof_987654"), 854, 480, 25, 6*time.Second)
}

// A broken profile is refused with its path and the reason, exit 2.
func TestLiveRefusesBrokenProfile(t *testing.T) {
	profile := filepath.Join(t.TempDir(), "broken.json")
	os.WriteFile(profile, []byte(`{"canvas": {"width": 1280, "height": 720, "fps": 30}, "destinations": [`), 0o600)
	r := runOnair(t, 10*time.Second, "live", "--profile", profile, "--duration", "2s")
	if r.code != 2 || !strings.Contains(r.stderr, profile) || !strings.Contains(r.stderr, "JSON syntax error") {
		t.Fatalf("exit %d, stderr:\n%s", r.code, r.stderr)
	}
}
