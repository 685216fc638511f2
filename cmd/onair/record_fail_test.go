package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"onair/internal/testpeer"
)

// A recording that cannot go on is said once and stops; the show streams on.
// The disk is a 2 MB tmpfs that fills in about five seconds at 3 Mb/s
// (mounting one needs root), or a recordings folder that cannot be created.
func TestRecordingFailureStopsOnlyTheRecording(t *testing.T) {
	dir := t.TempDir()
	notADir := filepath.Join(dir, "a-file")
	if err := os.WriteFile(notADir, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ name, path, want string }{
		{"disk full", "", "failed: disk full: the recording stopped (writing: No space left on device); free some space, then start it again"},
		{"no folder", filepath.Join(notADir, "shows", "show.mkv"),
			"failed: creating the recordings folder: mkdir " + notADir + ": not a directory: record somewhere else"},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := c.path
			if path == "" {
				path = filepath.Join(smallDisk(t, "2m"), "show.mkv")
			}
			const key = "sk_rec_fail_7u8i9o"
			nginx := testpeer.StartNginxRTMP(t, "live")
			r := runOnair(t, 60*time.Second, "live", "--size", "640x360", "--bitrate", "3000", "--duration", "10s", "--quiet",
				"--dest", "file://"+path, "--dest", nginx.URL("live", key))
			if r.code != 0 {
				t.Fatalf("exit %d\n%s", r.code, r.stderr)
			}
			want := fmt.Sprintf("destination file://%s: %s\n", path, c.want)
			if n := strings.Count(r.stderr, want); n != 1 {
				t.Errorf("stderr says %d times %q:\n%s", n, want, r.stderr)
			}
			if strings.Contains(r.stderr, "retrying") {
				t.Errorf("the recording was retried:\n%s", r.stderr)
			}
			assertNoSecrets(t, r, key)
			nginx.Stop()
			checkRecording(t, nginx.Recording("live", key), 640, 360, 30, 10*time.Second)
		})
	}
}

// smallDisk mounts a tmpfs of the given size for the test (root only).
func smallDisk(t *testing.T, size string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "disk")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size, "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("a full disk is a %s tmpfs, and mounting one needs root: %v %s", size, err, strings.TrimSpace(string(out)))
	}
	t.Cleanup(func() { exec.Command("umount", dir).Run() })
	return dir
}
