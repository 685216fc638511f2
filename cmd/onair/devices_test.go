package main

import (
	"encoding/binary"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"onair/capture/device/devicetest"
	"onair/internal/testpeer"
)

// No camera and no sound server here: onair devices says so plainly and
// exits 0, with no library noise on stderr.
func TestDevicesNoneHere(t *testing.T) {
	r := runOnairEnv(t, 30*time.Second, []string{"PULSE_SERVER=unix:" + filepath.Join(t.TempDir(), "nobody")}, "devices")
	if r.code != 0 || !strings.Contains(r.stdout, "No cameras were found.") || !strings.Contains(r.stdout, "No microphones were found.") {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	if strings.TrimSpace(r.stderr) != "" {
		t.Errorf("stderr is not quiet:\n%s", r.stderr)
	}
	r = runOnairEnv(t, 30*time.Second, []string{"PULSE_SERVER=unix:" + filepath.Join(t.TempDir(), "nobody")}, "devices", "--test-mic")
	if r.code != 2 || !strings.Contains(r.stderr, "no microphone found") {
		t.Errorf("--test-mic without a microphone: exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
}

// fakeCamera records n 1080p 4:2:2 MJPEG frames for ONAIR_FAKE_CAMERA.
func fakeCamera(t *testing.T, n int) string {
	t.Helper()
	testpeer.Require(t, "ffmpeg")
	_, stream, err := devicetest.RecordMJPEG(1920, 1080, 30, n)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "camera.mjpeg")
	if err := os.WriteFile(path, stream, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// The devices a test machine has (a recorded camera, a headless PulseAudio
// microphone) are listed by label, with the camera's modes and the default
// microphone marked; the mic check hears the tone and judges it.
func TestDevicesListsCameraAndMic(t *testing.T) {
	cam := fakeCamera(t, 30)
	pulse := testpeer.StartPulse(t)
	env := []string{"ONAIR_FAKE_CAMERA=" + cam, "PULSE_SERVER=" + pulse.Server}
	r := runOnairEnv(t, 30*time.Second, env, "devices")
	for _, want := range []string{`"Fake Camera"`, "1920x1080@30 MJPEG", "1920x1080@15 MJPEG", `"` + testpeer.PulseMic + `"  (default, 2 ch, 48000 Hz)`} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("onair devices does not list %s:\n%s", want, r.stdout)
		}
	}
	if r.code != 0 {
		t.Errorf("exit %d, stderr:\n%s", r.code, r.stderr)
	}
	tone := pulse.PlayTone(10)
	defer tone.Stop()
	r = runOnairEnv(t, 30*time.Second, env, "devices", "--test-mic", "--mic", testpeer.PulseMic, "--seconds", "3")
	if r.code != 0 || !strings.Contains(r.stdout, "good: peaks at −9 dBFS") {
		t.Errorf("mic check of a -9 dBFS tone: exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
}

// A show from a camera and a real microphone: the camera's nearest mode is
// used (and said), the picture is the canvas size at its rate, and the
// sound in the recording is the tone played into the sound server — 440 Hz
// at -9 dBFS with no break; when the sound server goes away the show goes
// on with a "microphone lost" notice, and a restarted server is picked up.
func TestLiveFromCameraAndMic(t *testing.T) {
	cam := fakeCamera(t, 60)
	pulse := testpeer.StartPulse(t)
	tone := pulse.PlayTone(30)
	defer tone.Stop()
	rec := filepath.Join(t.TempDir(), "show.mkv")
	cmd, _, stderr := startOnair(t, []string{"ONAIR_FAKE_CAMERA=" + cam, "PULSE_SERVER=" + pulse.Server},
		"live", "--quiet", "--source", "camera:Fake Camera", "--camera-mode", "1920x1080@60", "--mic", testpeer.PulseMic,
		"--size", "1280x720", "--fps", "30", "--duration", "16s", "--dest", "file://"+rec)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	time.Sleep(7 * time.Second)
	pulse.Exit()
	testpeer.Eventually(t, 5*time.Second, "the microphone lost notice", func() bool {
		return strings.Contains(stderr.String(), "microphone lost")
	})
	pulse.Restart()
	tone2 := pulse.PlayTone(20)
	defer tone2.Stop()
	testpeer.Eventually(t, 6*time.Second, "the microphone back notice", func() bool {
		return strings.Contains(stderr.String(), "microphone back")
	})
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("onair: %v\n%s", err, stderr.String())
		}
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("onair did not end\n%s", stderr.String())
	}
	errs := stderr.String()
	if !strings.Contains(errs, "camera Fake Camera has no 1920x1080@60; using 1920x1080@30 MJPEG") {
		t.Errorf("no nearest-mode notice:\n%s", errs)
	}
	p := testpeer.FFprobe(t, rec)
	v, ok := p.Stream("video")
	if !ok || v.Width != 1280 || v.Height != 720 || v.CodecName != "h264" {
		t.Fatalf("video %+v", v)
	}
	// 16 s at 30 fps, less what a busy machine skips (the encoder says so).
	if n := v.Frames(); n < 16*30*9/10 || n > 16*30+2 {
		t.Errorf("%d frames, want about %d", n, 16*30)
	}
	if a, ok := p.Stream("audio"); !ok || a.CodecName != "aac" {
		t.Fatalf("audio %+v", a)
	}
	l := decodeLeft(t, rec)
	// The first 5 s: the tone through the microphone, after its first sound.
	start := firstSound(l, 0.05)
	if start < 0 || start > 3*48000 {
		t.Fatalf("no sound in the first 3 s of the recording")
	}
	seg := l[start+48000/20 : start+4*48000] // from 50 ms after the first sound
	freq, peak, breaks := analyseTone(seg, 440, -9)
	t.Logf("tone: %.2f Hz, peak %.2f dBFS, %d breaks (from %.2f s)", freq, peak, breaks, float64(start)/48000)
	if math.Abs(freq-440) > 2 || math.Abs(peak+9) > 0.5 || breaks > 0 {
		t.Errorf("the recorded tone is %.2f Hz at %.2f dBFS with %d breaks; want 440 ± 2 Hz at -9 ± 0.5 dBFS, none", freq, peak, breaks)
	}
	// After the restart the tone comes back.
	tail := l[len(l)-3*48000:]
	if f, pk, _ := analyseTone(tail, 440, -9); math.Abs(f-440) > 2 || math.Abs(pk+9) > 1 {
		t.Errorf("after the sound server came back: %.2f Hz at %.2f dBFS", f, pk)
	}
}

// decodeLeft decodes a recording's sound to 48 kHz float samples, left channel.
func decodeLeft(t *testing.T, path string) []float32 {
	t.Helper()
	out, err := exec.Command("ffmpeg", "-v", "error", "-i", path, "-map", "0:a", "-f", "f32le", "-ac", "2", "-ar", "48000", "-").Output()
	if err != nil {
		t.Fatalf("decoding the sound: %v", err)
	}
	s := make([]float32, len(out)/8)
	for i := range s {
		s[i] = math.Float32frombits(binary.LittleEndian.Uint32(out[8*i:]))
	}
	return s
}

// firstSound is the index of the first sample above level, or -1.
func firstSound(s []float32, level float32) int {
	for i, v := range s {
		if v > level || v < -level {
			return i
		}
	}
	return -1
}

// analyseTone measures a sine: its frequency by zero crossings, its peak in
// dBFS, and the breaks — sample steps beyond what a sine of that frequency
// and level can make (plus room for the codec's noise).
func analyseTone(s []float32, hz, db float64) (freq, peakDB float64, breaks int) {
	var peak float64
	first, last, crossings := -1, -1, 0
	for i := 1; i < len(s); i++ {
		peak = max(peak, math.Abs(float64(s[i])))
		if s[i-1] < 0 && s[i] >= 0 {
			if first < 0 {
				first = i
			}
			last = i
			crossings++
		}
	}
	if crossings > 1 {
		freq = float64(crossings-1) * 48000 / float64(last-first)
	}
	peakDB = 20 * math.Log10(max(peak, 1e-9))
	maxStep := math.Pow(10, db/20) * 2 * math.Pi * hz / 48000
	for i := 1; i < len(s); i++ {
		if math.Abs(float64(s[i]-s[i-1])) > 1.5*maxStep+0.01 {
			breaks++
		}
	}
	return freq, peakDB, breaks
}
