package main

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"onair/internal/testpeer"
)

const windowSecret = "sk_live_WINDOWSECRET42"

// onairEnv is this process's environment without any display, config home or
// locale of the machine, plus extra.
func onairEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case "DISPLAY", "WAYLAND_DISPLAY", "XDG_CONFIG_HOME", "LANG", "LC_ALL":
			continue
		}
		env = append(env, kv)
	}
	return append(env, extra...)
}

func TestWindowNoDisplay(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, onairBin)
	cmd.Env = onairEnv("XDG_CONFIG_HOME="+t.TempDir(), "LANG=C.UTF-8")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	ee, ok := err.(*exec.ExitError)
	if !ok || ee.ExitCode() != 1 {
		t.Fatalf("onair without a display: %v, want exit status 1; stderr:\n%s", err, stderr.String())
	}
	want := "onair: no display to open the studio window on (neither DISPLAY nor WAYLAND_DISPLAY is set); use `onair live` to broadcast without a window\n"
	if stderr.String() != want {
		t.Errorf("stderr:\n%q\nwant:\n%q", stderr.String(), want)
	}
}

// A DISPLAY nobody serves is an error in words, not a crash.
func TestWindowDisplayUnreachable(t *testing.T) {
	n := 900
	for ; n < 1000; n++ {
		_, err1 := os.Stat(fmt.Sprintf("/tmp/.X11-unix/X%d", n))
		_, err2 := os.Stat(fmt.Sprintf("/tmp/.X%d-lock", n))
		if os.IsNotExist(err1) && os.IsNotExist(err2) {
			break
		}
	}
	display := fmt.Sprintf(":%d", n)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, onairBin)
	cmd.Env = onairEnv("DISPLAY="+display, "XDG_CONFIG_HOME="+t.TempDir(), "LANG=C.UTF-8")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	ee, ok := err.(*exec.ExitError)
	if !ok || ee.ExitCode() != 1 {
		t.Fatalf("onair on an unserved display: %v, want exit status 1; stderr:\n%s", err, stderr.String())
	}
	s := stderr.String()
	want := fmt.Sprintf("onair: could not open the studio window on display %q (", display)
	if !strings.Contains(s, want) || strings.Contains(s, "panic") || strings.Contains(s, "goroutine ") {
		t.Errorf("stderr should say %q without a crash trace; it is:\n%s", want, s)
	}
}

// bgProcess is a program the test started; it is stopped by its PID.
type bgProcess struct {
	cmd  *exec.Cmd
	done chan struct{}
	err  error
}

func startProcess(t *testing.T, cmd *exec.Cmd) *bgProcess {
	t.Helper()
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", cmd.Path, err)
	}
	p := &bgProcess{cmd: cmd, done: make(chan struct{})}
	go func() { p.err = cmd.Wait(); close(p.done) }()
	t.Cleanup(func() { p.stop(syscall.SIGTERM, 5*time.Second) })
	return p
}

// stop sends sig and waits up to grace before killing the process group.
// It reports whether the process ended on its own within grace.
func (p *bgProcess) stop(sig syscall.Signal, grace time.Duration) bool {
	select {
	case <-p.done:
		return true
	default:
	}
	syscall.Kill(p.cmd.Process.Pid, sig)
	select {
	case <-p.done:
		return true
	case <-time.After(grace):
		syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.done
		return false
	}
}

func (p *bgProcess) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// screenshot grabs the whole X screen with ffmpeg's x11grab (Fyne's own
// Capture is blank under Xvfb).
func screenshot(t *testing.T, display, path string) image.Image {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "ffmpeg", "-nostdin", "-loglevel", "error", "-f", "x11grab", "-draw_mouse", "0",
		"-video_size", "1280x800", "-i", display, "-frames:v", "1", "-y", path).CombinedOutput()
	if err != nil {
		t.Fatalf("ffmpeg x11grab: %v\n%s", err, out)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("decoding %s: %v", path, err)
	}
	return img
}

// The test card's bar colours (sRGB).
var cardBars = [...][3]uint8{
	{191, 191, 191}, {191, 191, 0}, {0, 191, 191}, {0, 191, 0},
	{191, 0, 191}, {191, 0, 0}, {0, 0, 191},
}

// cardView finds the test card's bars in a screenshot: how many pixels match
// each bar colour, and the box around the coloured (non-grey) bar pixels.
func cardView(img image.Image) (counts [len(cardBars)]int, area image.Rectangle) {
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			px := [3]int{int(r >> 8), int(g >> 8), int(bl >> 8)}
			for i, c := range cardBars {
				if abs(px[0]-int(c[0])) <= 12 && abs(px[1]-int(c[1])) <= 12 && abs(px[2]-int(c[2])) <= 12 {
					counts[i]++
					if i > 0 {
						area = area.Union(image.Rect(x, y, x+1, y+1))
					}
				}
			}
		}
	}
	return counts, area
}

func distinctColours(img image.Image) int {
	seen := map[uint32]struct{}{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			seen[r>>8<<16|g>>8<<8|bl>>8] = struct{}{}
		}
	}
	return len(seen)
}

// changedPixels counts the pixels of area that differ between a and b.
func changedPixels(a, b image.Image, area image.Rectangle) int {
	n := 0
	for y := area.Min.Y; y < area.Max.Y; y++ {
		for x := area.Min.X; x < area.Max.X; x++ {
			r1, g1, b1, _ := a.At(x, y).RGBA()
			r2, g2, b2, _ := b.At(x, y).RGBA()
			if abs(int(r1>>8)-int(r2>>8))+abs(int(g1>>8)-int(g2>>8))+abs(int(b1>>8)-int(b2>>8)) > 30 {
				n++
			}
		}
	}
	return n
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

// TestWindowXvfb opens the studio window on a virtual X server and checks
// what a person would see: the test card's bars in the preview, moving.
func TestWindowXvfb(t *testing.T) {
	testpeer.Require(t, "Xvfb", "ffmpeg")
	display := testpeer.StartXvfb(t, 1280, 800).Display
	dir := t.TempDir()
	config := filepath.Join(dir, "config")
	profile := filepath.Join(config, "onair", "profile.json")
	if err := os.MkdirAll(filepath.Dir(profile), 0o700); err != nil {
		t.Fatal(err)
	}
	// A destination with a key the window must never print (it is not dialled:
	// nobody presses Go Live).
	err := os.WriteFile(profile, []byte(`{"destinations": [{"url": "rtmp://127.0.0.1:9/live/`+windowSecret+`"}]}`), 0o600)
	if err != nil {
		t.Fatal(err)
	}

	cmd := exec.Command(onairBin)
	cmd.Env = onairEnv("DISPLAY="+display, "XDG_CONFIG_HOME="+config, "LANG=C.UTF-8")
	var out syncBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	app := startProcess(t, cmd)

	if _, err := exec.LookPath("xwininfo"); err == nil {
		testpeer.Eventually(t, 30*time.Second, "the onair window to be mapped", func() bool {
			if app.exited() {
				t.Fatalf("onair exited: %v\n%s", app.err, out.String())
			}
			tree, _ := exec.Command("xwininfo", "-display", display, "-root", "-tree").Output()
			return bytes.Contains(tree, []byte(`"onair"`))
		})
	}

	shot1 := filepath.Join(dir, "shot1.png")
	var first image.Image
	var counts [len(cardBars)]int
	var area image.Rectangle
	testpeer.Eventually(t, 30*time.Second, "the test card's bars on screen", func() bool {
		if app.exited() {
			t.Fatalf("onair exited: %v\n%s", app.err, out.String())
		}
		first = screenshot(t, display, shot1)
		counts, area = cardView(first)
		for _, n := range counts {
			if n < 200 {
				return false
			}
		}
		return true
	})
	if n := distinctColours(first); n < 50 {
		t.Errorf("the screenshot has only %d distinct colours", n)
	}
	// The preview is a sizeable picture, not a thumbnail.
	if area.Dx() < 400 || area.Dy() < 150 {
		t.Errorf("the bars cover only %v of the screen", area)
	}
	t.Logf("bar pixels %v in %v", counts, area)

	time.Sleep(time.Second)
	shot2 := filepath.Join(dir, "shot2.png")
	second := screenshot(t, display, shot2)
	// The card's box and frame counter move: the preview differs a second later.
	preview := image.Rect(area.Min.X, area.Min.Y, area.Max.X, area.Max.Y+area.Dy()/2).Intersect(second.Bounds())
	if n := changedPixels(first, second, preview); n < 500 {
		t.Errorf("only %d pixels of the preview %v changed in a second; the preview is not moving", n, preview)
	}
	if p := os.Getenv("ONAIR_SCREENSHOT"); p != "" {
		b, err := os.ReadFile(shot2)
		if err == nil {
			err = os.WriteFile(p, b, 0o644)
		}
		if err != nil {
			t.Errorf("saving the screenshot to %s: %v", p, err)
		}
	}

	// Ctrl-C / SIGTERM closes the window cleanly.
	if !app.stop(syscall.SIGTERM, 15*time.Second) {
		t.Fatalf("onair did not exit within 15 s of SIGTERM:\n%s", out.String())
	}
	if app.err != nil {
		t.Errorf("onair exited with %v after SIGTERM:\n%s", app.err, out.String())
	}
	if s := out.String(); strings.Contains(s, windowSecret) {
		t.Errorf("onair printed the stream key:\n%s", s)
	}
	if testing.Verbose() {
		fmt.Fprintf(os.Stderr, "onair output:\n%s", out.String())
	}
}
