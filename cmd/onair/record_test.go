package main

import (
	"fmt"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"onair/internal/testpeer"
)

// A recording survives kill -9: Matroska written live stays playable up to
// the last cluster. It also goes on while the network destination is down.
func TestRecordingSurvivesKill(t *testing.T) {
	out := filepath.Join(t.TempDir(), "show", "tonight.mkv")
	down := fmt.Sprintf("rtmp://127.0.0.1:%d/live/sk_down_445566", testpeer.FreeTCPPort(t))
	cmd, _, stderr := startOnair(t, nil, "live", "--size", "640x360", "--fps", "30", "--bitrate", "800",
		"--dest", "file://"+out, "--dest", down)
	testpeer.Eventually(t, 10*time.Second, "the recording never went live", func() bool {
		return strings.Contains(stderr.String(), "destination file://"+out+": live")
	})
	time.Sleep(15 * time.Second)
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()

	p := testpeer.FFprobe(t, out)
	v, ok := p.Stream("video")
	if !ok || v.CodecName != "h264" || v.Width != 640 {
		t.Fatalf("recording after kill -9: %+v", p.Streams)
	}
	if v.Frames() < 14*30 {
		t.Errorf("recording after kill -9 holds %d frames, want at least 14 s (420)", v.Frames())
	}
	if _, ok := p.Stream("audio"); !ok {
		t.Error("recording has no audio")
	}
	if strings.Contains(stderr.String(), "sk_down_445566") {
		t.Error("the key of the unreachable destination was printed")
	}
}

func TestRecordRefusesBadPaths(t *testing.T) {
	for _, tc := range []struct{ url, want string }{
		{"file://show.mkv", "absolute path"},
		{"file:///tmp/show.mp4", "record to .mkv"},
	} {
		r := runOnair(t, 10*time.Second, "live", "--duration", "2s", "--dest", tc.url)
		if r.code != 2 || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("%s: exit %d, stderr %q; want exit 2 saying %q", tc.url, r.code, r.stderr, tc.want)
		}
	}
}
