package media

import (
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"onair/capture"
)

// clip makes a short test clip with ffmpeg (a real file libav decodes).
func clip(t *testing.T, size string, seconds string, withAudio bool) string {
	t.Helper()
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		t.Skip("ffmpeg is not installed: run `make test`")
	}
	path := filepath.Join(t.TempDir(), "clip.mkv")
	args := []string{"-v", "error", "-f", "lavfi", "-i", "testsrc2=size=" + size + ":rate=30"}
	if withAudio {
		args = append(args, "-f", "lavfi", "-i", "sine=frequency=1000:sample_rate=44100")
	}
	args = append(args, "-t", seconds, "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p")
	if withAudio {
		args = append(args, "-c:a", "aac", "-ac", "1")
	}
	if out, err := exec.Command("ffmpeg", append(args, path)...).CombinedOutput(); err != nil {
		t.Fatalf("making the clip: %v\n%s", err, out)
	}
	return path
}

// The file plays in a loop, paced on the clock, scaled to the canvas, with its
// sound resampled to 48 kHz stereo.
func TestFilePlaysLoopedAndPaced(t *testing.T) {
	path := clip(t, "320x240", "1", true)
	f, err := Open(path, 640, 360, 30)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := codecContextWidth(f.dec.vdec), f.dec.vdec.Width(); got != want {
		t.Fatalf("go-astiav's CodecContext layout changed: C width %d, Go width %d", got, want)
	}
	clock := capture.NewClock()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- f.Run(ctx, clock) }()

	var seen []int64
	var last *capture.Frame
	changes := 0
	for at := time.Duration(0); at < 2500*time.Millisecond; at += time.Second / 30 {
		clock.SleepUntil(at, nil)
		fr, err := f.Latest(at)
		if err != nil {
			t.Fatal(err)
		}
		if fr.Pic.Rect.Dx() != 640 || fr.Pic.Rect.Dy() != 360 {
			t.Fatalf("picture %v, want the 640x360 canvas", fr.Pic.Rect)
		}
		if last != nil && fr.Pic != last.Pic {
			changes++
		}
		if last != nil {
			last.Release()
		}
		last = fr
		seen = append(seen, int64(fr.At/time.Millisecond))
	}
	last.Release()
	// 75 ticks over 2.5 s of a 1 s clip at 30 fps: a new picture nearly every tick.
	if changes < 65 {
		t.Errorf("the picture changed %d times in 75 ticks: not playing in real time", changes)
	}
	l, r := make([]float32, 4800), make([]float32, 4800)
	start := int64(clock.Now()-200*time.Millisecond) * capture.SampleRate / int64(time.Second)
	f.Fill(start, l, r)
	var peak float32
	for i := range l {
		peak = max(peak, l[i], -l[i])
		if l[i] != r[i] {
			t.Fatal("mono sound should be the same on both channels")
		}
	}
	if peak < 0.05 { // ffmpeg's sine is at 1/8, spread over two channels
		t.Errorf("sound peak %.3f: the file's sine is missing", peak)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	f.Close()
}

func TestFileRefusesWhatItCannotPlay(t *testing.T) {
	dir := t.TempDir()
	for name, tc := range map[string]struct{ path, want string }{
		"missing": {filepath.Join(dir, "nope.mp4"), "no such file"},
		"garbage": {writeFile(t, dir, "x.mp4", "not a video"), "is not a video onair can play"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Open(tc.path, 640, 360, 30)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), tc.path) {
				t.Fatalf("Open = %v, want an error naming the file and saying %q", err, tc.want)
			}
		})
	}
	if _, err := exec.LookPath("ffmpeg"); err == nil {
		audioOnly := filepath.Join(dir, "tone.m4a")
		exec.Command("ffmpeg", "-v", "error", "-f", "lavfi", "-i", "sine", "-t", "1", audioOnly).Run()
		if _, err := Open(audioOnly, 640, 360, 30); err == nil || !strings.Contains(err.Error(), "no video stream") {
			t.Errorf("audio-only file: %v", err)
		}
	}
}

func writeFile(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := exec.Command("sh", "-c", "printf '%s' \""+body+"\" > "+p).Run(); err != nil {
		t.Fatal(err)
	}
	return p
}
