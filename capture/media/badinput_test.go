package media

import (
	"context"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"onair/capture"
)

// damaged makes a 2 s clip with sound as mp4 (index at the end, as ffmpeg
// writes it), mp4 with the index first (faststart) and mkv, and returns each
// cut in half: what a copy interrupted half way leaves.
func damaged(t *testing.T) (mp4, faststart, mkv string) {
	t.Helper()
	full := clip(t, "320x240", "2", true)
	return cutCopy(t, full, "cut.mp4", 2), cutCopy(t, full, "cut-faststart.mp4", 2, "-movflags", "+faststart"),
		cutCopy(t, full, "cut.mkv", 2)
}

// cutCopy remuxes full to name with ffmpeg's extra args and keeps the first
// 1/div of it.
func cutCopy(t *testing.T, full, name string, div int, args ...string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), name)
	args = append(append([]string{"-v", "error", "-i", full, "-c", "copy"}, args...), out)
	if b, err := exec.Command("ffmpeg", args...).CombinedOutput(); err != nil {
		t.Fatalf("remuxing %s: %v\n%s", name, err, b)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(out, b[:len(b)/div], 0o644); err != nil {
		t.Fatal(err)
	}
	return out
}

// What cannot be played is refused at Open, quickly, in one line that names
// the file and says what is wrong with it.
func TestFileRefusesBadInputClearly(t *testing.T) {
	dir := t.TempDir()
	mp4, _, _ := damaged(t)
	random := make([]byte, 64<<10)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range random {
		random[i] = byte(rng.Uint32())
	}
	fifo := filepath.Join(dir, "pipe.mp4")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	folder := filepath.Join(dir, "folder.mp4")
	if err := os.Mkdir(folder, 0o700); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, path, want string }{
		{"missing", filepath.Join(dir, "nope.mp4"), "no such file or directory"},
		{"folder", folder, "is a folder, not a file"},
		{"pipe", fifo, "is not a regular file"},
		{"empty", mustWrite(t, dir, "empty.mp4", nil), "is empty"},
		{"text", mustWrite(t, dir, "notes.mp4", []byte("these are my notes, not a video\n")), "is not a video onair can play, or it is damaged"},
		{"random bytes", mustWrite(t, dir, "noise.mkv", random), "is not a video onair can play, or it is damaged"},
		{"mp4 cut in half", mp4, "is not a video onair can play, or it is damaged"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			f, err := Open(tc.path, 640, 360, 30)
			if took := time.Since(start); took > 5*time.Second {
				t.Errorf("Open took %s", took)
			}
			if err == nil {
				f.Close()
				t.Fatal("Open accepted it")
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "media file "+tc.path) || !strings.Contains(msg, tc.want) || strings.Contains(msg, "\n") {
				t.Fatalf("Open = %q, want one line naming the file and saying %q", msg, tc.want)
			}
		})
	}
}

// A file cut short but still readable plays what is there, and loops.
func TestFilePlaysWhatATruncatedFileHolds(t *testing.T) {
	_, faststart, mkv := damaged(t)
	for name, path := range map[string]string{"mp4 faststart": faststart, "mkv": mkv} {
		t.Run(name, func(t *testing.T) {
			f, err := Open(path, 320, 240, 30)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			clock := capture.NewClock()
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- f.Run(ctx, clock) }()
			// About 1 s is left of each: 2.4 s of play is two loops and more.
			var last *capture.Frame
			changes := 0
			for at := time.Duration(0); at < 2400*time.Millisecond; at += time.Second / 30 {
				select {
				case err := <-done:
					cancel()
					t.Fatalf("Run ended at %s: %v", at, err)
				default:
				}
				clock.SleepUntil(at, nil)
				fr, err := f.Latest(at)
				if err != nil {
					t.Fatal(err)
				}
				if last != nil && fr.Pic != last.Pic {
					changes++
				}
				if last != nil {
					last.Release()
				}
				last = fr
			}
			shownAt := last.At
			last.Release()
			cancel()
			if err := <-done; err != nil {
				t.Fatalf("Run = %v", err)
			}
			if changes < 40 || shownAt < 1500*time.Millisecond {
				t.Errorf("%d new pictures in 72 ticks, the last from %s: not looping what the file holds", changes, shownAt)
			}
		})
	}
}

// A file whose index survived but none of its pictures (the first 5 % of a
// faststart mp4) stops the source with one line, not a spin or a hang.
func TestFileWithNoReadablePictureStops(t *testing.T) {
	path := cutCopy(t, clip(t, "320x240", "2", true), "stub.mp4", 20, "-movflags", "+faststart")
	f, err := Open(path, 320, 240, 30)
	if err == nil {
		defer f.Close()
		done := make(chan error, 1)
		go func() { done <- f.Run(context.Background(), capture.NewClock()) }()
		select {
		case err = <-done:
		case <-time.After(10 * time.Second):
			t.Fatal("Run still going after 10 s on a file with no picture")
		}
	}
	if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "damaged or cut short") || strings.Contains(err.Error(), "\n") {
		t.Fatalf("got %v, want one line naming the file and saying it is damaged or cut short", err)
	}
}

func mustWrite(t *testing.T, dir, name string, body []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, body, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}
