package device_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pion/mediadevices/pkg/frame"
	"github.com/pion/mediadevices/pkg/prop"

	"onair/capture"
	"onair/capture/device"
	"onair/capture/device/devicetest"
	"onair/capture/media"
)

func needFFmpeg(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		t.Skip("ffmpeg is not installed: run `make test`")
	}
}

func register(t *testing.T, c *devicetest.Camera) *devicetest.Camera {
	t.Helper()
	unregister, err := devicetest.Register(c)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(unregister)
	return c
}

// counting wraps the real converter and counts the ones not closed.
type counting struct {
	mu   sync.Mutex
	open int
}

type countedConverter struct {
	device.Converter
	c    *counting
	once sync.Once
}

func (cc *countedConverter) Close() {
	cc.once.Do(func() {
		cc.Converter.Close()
		cc.c.mu.Lock()
		cc.c.open--
		cc.c.mu.Unlock()
	})
}

func (c *counting) new(f frame.Format, sw, sh, dw, dh int) (device.Converter, error) {
	conv, err := media.NewConverter(f, sw, sh, dw, dh)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	c.open++
	c.mu.Unlock()
	return &countedConverter{Converter: conv, c: c}, nil
}

func (c *counting) live() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.open
}

// run starts cam and returns its clock and a function that stops it, checks
// Run's error and closes it.
func run(t *testing.T, cam *device.CameraSource) (*capture.Clock, func()) {
	t.Helper()
	clock := capture.NewClock()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- cam.Run(ctx, clock) }()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("Run: %v", err)
			}
			cam.Close()
		})
	}
	t.Cleanup(stop)
	return clock, stop
}

// eventually polls cond every 10 ms for up to d.
func eventually(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(d); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("not within %v: %s", d, what)
}

func latest(t *testing.T, cam *device.CameraSource, at time.Duration) *capture.Frame {
	t.Helper()
	f, err := cam.Latest(at)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func waitNotice(t *testing.T, cam *device.CameraSource, d time.Duration, contains string) string {
	t.Helper()
	timeout := time.After(d)
	for {
		select {
		case n := <-cam.Notices():
			if strings.Contains(n, contains) {
				return n
			}
		case <-timeout:
			t.Fatalf("no notice saying %q within %v", contains, d)
		}
	}
}

var dummy = [][]byte{{0xFF, 0xD8, 0xFF, 0xD9}}

// The camera is started in the mode nearest the one asked for, and the
// performer is told when it is not exactly that one.
func TestCameraPicksNearestMode(t *testing.T) {
	fake := register(t, &devicetest.Camera{Label: "Fake Modes", Frames: dummy, Modes: []device.Mode{
		{Width: 640, Height: 480, FPS: 30, Format: frame.FormatYUYV},
		{Width: 1280, Height: 720, FPS: 30, Format: frame.FormatMJPEG},
		{Width: 1920, Height: 1080, FPS: 30, Format: frame.FormatMJPEG},
		{Width: 1920, Height: 1080, FPS: 5, Format: frame.FormatYUYV},
	}})
	var conv counting
	cam, notice, err := device.OpenCamera("Fake Modes", device.Mode{Width: 1920, Height: 1080, FPS: 60}, 1280, 720, conv.new)
	if err != nil {
		t.Fatal(err)
	}
	if want := "camera Fake Modes has no 1920x1080@60; using 1920x1080@30 MJPEG"; notice != want {
		t.Errorf("notice %q, want %q", notice, want)
	}
	want := prop.Media{Video: prop.Video{Width: 1920, Height: 1080, FrameRate: 30, FrameFormat: frame.FormatMJPEG}}
	if got := fake.Opened(); len(got) != 1 || got[0] != want {
		t.Errorf("the camera was started in %v, want [%v]", got, want)
	}
	cam.Close()

	cam, notice, err = device.OpenCamera("Fake Modes", device.Mode{Width: 640, Height: 480, FPS: 30}, 1280, 720, conv.new)
	if err != nil {
		t.Fatal(err)
	}
	cam.Close()
	if got := fake.Opened(); notice != "" || len(got) != 2 || got[1].Width != 640 || got[1].FrameFormat != frame.FormatYUYV {
		t.Errorf("exact mode: notice %q, started in %v", notice, got)
	}
	if n := conv.live(); n != 0 {
		t.Errorf("%d converters left open after Close", n)
	}

	_, _, err = device.OpenCamera("No Such Camera", device.Mode{}, 1280, 720, conv.new)
	if !errors.Is(err, device.ErrNotFound) || !strings.Contains(err.Error(), "onair devices") {
		t.Errorf("unknown camera: %v", err)
	}
}

// reference has ffmpeg convert raw input to yuv420p with the filter vf.
func reference(t *testing.T, input []byte, w, h int, vf string, inArgs ...string) []byte {
	t.Helper()
	args := append(append([]string{"-v", "error"}, inArgs...), "-i", "-", "-vf", vf, "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "yuv420p", "-")
	cmd := exec.Command("ffmpeg", args...)
	cmd.Stdin = bytes.NewReader(input)
	out, err := cmd.Output()
	if err != nil || len(out) != w*h*3/2 {
		t.Fatalf("ffmpeg %v: %v (%d bytes)", args, err, len(out))
	}
	return out
}

func comparePixels(t *testing.T, name string, p *capture.Frame, want []byte, w, h int) {
	t.Helper()
	ys, cs := w*h, w*h/4
	worst := 0
	for y := 5; y < h; y += 97 {
		for x := 7; x < w; x += 101 {
			ci, wi := (y/2)*p.Pic.CStride+x/2, (y/2)*(w/2)+x/2
			for _, d := range []int{
				int(p.Pic.Y[y*p.Pic.YStride+x]) - int(want[y*w+x]),
				int(p.Pic.Cb[ci]) - int(want[ys+wi]),
				int(p.Pic.Cr[ci]) - int(want[ys+cs+wi]),
			} {
				worst = max(worst, d, -d)
			}
		}
	}
	if worst > 2 {
		t.Errorf("%s: a pixel is %d levels from ffmpeg's (tolerance 2)", name, worst)
	}
}

// A camera sending 1080p 4:2:2 MJPEG and one sending YUYV both reach the
// canvas converted, at canvas size, in the colours ffmpeg gives the same
// frames.
func TestCameraFramesArriveConverted(t *testing.T) {
	needFFmpeg(t)
	jpegs, _, err := devicetest.RecordMJPEG(1920, 1080, 30, 4)
	if err != nil {
		t.Fatal(err)
	}
	yuyv, err := devicetest.RecordYUYV(640, 360, 30, 4)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		label  string
		mode   device.Mode
		frames [][]byte
		cw, ch int
		ref    func(i int) []byte
	}{
		{"Fake MJPEG", device.Mode{Width: 1920, Height: 1080, FPS: 30, Format: frame.FormatMJPEG}, jpegs, 1920, 1080, func(i int) []byte {
			return reference(t, jpegs[i], 1920, 1080, "scale=1920:1080:out_range=tv,format=yuv420p", "-f", "mjpeg")
		}},
		{"Fake YUYV", device.Mode{Width: 640, Height: 360, FPS: 30, Format: frame.FormatYUYV}, yuyv, 1280, 720, func(i int) []byte {
			return reference(t, yuyv[i], 1280, 720, "scale=1280:720:out_range=tv,format=yuv420p", "-f", "rawvideo", "-pix_fmt", "yuyv422", "-s", "640x360")
		}},
	} {
		t.Run(tc.label, func(t *testing.T) {
			register(t, &devicetest.Camera{Label: tc.label, Modes: []device.Mode{tc.mode}, Frames: tc.frames})
			var conv counting
			cam, _, err := device.OpenCamera(tc.label, device.Mode{}, tc.cw, tc.ch, conv.new)
			if err != nil {
				t.Fatal(err)
			}
			clock, stop := run(t, cam)
			var f *capture.Frame
			eventually(t, 10*time.Second, "three pictures from the camera", func() bool {
				if f != nil {
					f.Release()
				}
				f = latest(t, cam, clock.Now())
				return f.Seq >= 3
			})
			if b := f.Pic.Bounds(); b.Dx() != tc.cw || b.Dy() != tc.ch {
				t.Errorf("picture %v, want the %dx%d canvas", b, tc.cw, tc.ch)
			}
			i := int(f.Seq-1) % len(tc.frames)
			comparePixels(t, fmt.Sprintf("picture %d", f.Seq), f, tc.ref(i), tc.cw, tc.ch)
			f.Release()
			stop()
			if n := conv.live(); n != 0 {
				t.Errorf("%d converters left open after Close", n)
			}
		})
	}
}

// A camera that stops sending (without an error) repeats its last picture:
// the canvas, asking on its own ticker, gets a picture every tick without
// waiting, and new ones again once the camera resumes.
func TestStalledCameraRepeatsFrames(t *testing.T) {
	needFFmpeg(t)
	jpegs, _, err := devicetest.RecordMJPEG(320, 240, 30, 10)
	if err != nil {
		t.Fatal(err)
	}
	fake := register(t, &devicetest.Camera{Label: "Fake Stall", Frames: jpegs,
		Modes: []device.Mode{{Width: 320, Height: 240, FPS: 30, Format: frame.FormatMJPEG}}})
	cam, _, err := device.OpenCamera("Fake Stall", device.Mode{}, 320, 240, media.NewConverter)
	if err != nil {
		t.Fatal(err)
	}
	clock, _ := run(t, cam)
	eventually(t, 5*time.Second, "a first picture", func() bool { return fake.Reads() > 2 })

	const fps, ticks = 30, 60
	tick := time.NewTicker(time.Second / fps)
	defer tick.Stop()
	var seqs []int64
	var slowest time.Duration
	stalled := false
	for n := 0; n < ticks; n++ {
		<-tick.C
		if n == 10 {
			fake.Stall(time.Second)
			stalled = true
		}
		start := time.Now()
		f := latest(t, cam, clock.Now())
		slowest = max(slowest, time.Since(start))
		seqs = append(seqs, f.Seq)
		f.Release()
	}
	if !stalled || len(seqs) != ticks {
		t.Fatal("the ticker did not run")
	}
	if slowest > 10*time.Millisecond {
		t.Errorf("Latest took up to %v: it waits on the camera", slowest)
	}
	// The longest run of one picture covers the stall (1 s ≈ 30 ticks).
	longest, run := 1, 1
	for i := 1; i < len(seqs); i++ {
		if seqs[i] == seqs[i-1] {
			run++
			longest = max(longest, run)
		} else {
			run = 1
		}
	}
	if longest < 20 {
		t.Errorf("the stalled picture repeated for at most %d ticks, want about 30: %v", longest, seqs)
	}
	if seqs[len(seqs)-1] <= seqs[10] || seqs[9] <= seqs[0] {
		t.Errorf("pictures did not move before and after the stall: %v", seqs)
	}
}

// Delivered counts the pictures the device sent and the converter read: a
// damaged one is left out, and the black, the slate and a repeated picture
// handed out by Latest are not counted. DeliverFPS slows the fake camera
// below its mode.
func TestCameraCountsDelivered(t *testing.T) {
	needFFmpeg(t)
	jpegs, _, err := devicetest.RecordMJPEG(320, 240, 30, 3)
	if err != nil {
		t.Fatal(err)
	}
	fake := register(t, &devicetest.Camera{Label: "Fake Count", Frames: append(jpegs, dummy[0]), DeliverFPS: 10,
		Modes: []device.Mode{{Width: 320, Height: 240, FPS: 30, Format: frame.FormatMJPEG}}})
	cam, _, err := device.OpenCamera("Fake Count", device.Mode{}, 320, 240, media.NewConverter)
	if err != nil {
		t.Fatal(err)
	}
	if n := cam.Delivered(); n != 0 {
		t.Errorf("%d pictures delivered before Run", n)
	}
	latest(t, cam, 0).Release() // black: not a picture from the camera
	clock, stop := run(t, cam)
	start := time.Now()
	eventually(t, 5*time.Second, "eight reads", func() bool { return fake.Reads() >= 8 })
	fake.Stall(time.Hour)
	took := time.Since(start)
	eventually(t, 2*time.Second, "every read counted", func() bool { return cam.Delivered()+cam.Damaged() == int64(fake.Reads()) })
	for range 10 {
		latest(t, cam, clock.Now()).Release() // repeats of the last picture
	}
	stop()
	reads := int64(fake.Reads())
	if d, bad := cam.Delivered(), cam.Damaged(); d+bad != reads || bad != reads/4 || d < 6 {
		t.Errorf("%d reads (one in four damaged): %d delivered, %d damaged", reads, d, bad)
	}
	// 8 reads at 10 fps take 0.7 s, at the mode's 30 fps a quarter of that.
	if took < 600*time.Millisecond {
		t.Errorf("8 reads in %v: DeliverFPS did not slow the camera", took)
	}
}

func isSlate(f *capture.Frame) bool {
	p := f.Pic
	white := 0
	for _, v := range p.Y[p.Rect.Dy()/2*p.YStride:][:p.YStride] {
		if v == 235 {
			white++
		}
	}
	return p.Y[0] == 40 && p.Cb[0] == 140 && p.Cr[0] == 124 && white > 0
}

// A camera unplugged mid-show (every read fails with ENODEV) keeps its last
// picture for a moment, then shows the "camera lost" slate, says so, and is
// picked up again when it is plugged back in.
func TestLostCameraShowsSlateAndRecovers(t *testing.T) {
	needFFmpeg(t)
	jpegs, _, err := devicetest.RecordMJPEG(320, 240, 30, 10)
	if err != nil {
		t.Fatal(err)
	}
	fake := register(t, &devicetest.Camera{Label: "Fake Unplug", Frames: jpegs,
		Modes: []device.Mode{{Width: 320, Height: 240, FPS: 30, Format: frame.FormatMJPEG}}})
	var conv counting
	const hold = 500 * time.Millisecond
	cam, _, err := device.OpenCamera("Fake Unplug", device.Mode{}, 320, 240, conv.new, device.WithTiming(hold, 200*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	clock, stop := run(t, cam)
	eventually(t, 5*time.Second, "pictures", func() bool {
		f := latest(t, cam, clock.Now())
		defer f.Release()
		return f.Seq > 3
	})

	fake.Unplug()
	n := waitNotice(t, cam, 3*time.Second, "lost")
	if !strings.Contains(n, "Fake Unplug") || !strings.Contains(n, "no such device") {
		t.Errorf("notice %q: want the camera's name and the cause", n)
	}
	lostAt := clock.Now()
	last := latest(t, cam, lostAt)
	if last.Seq == 0 || isSlate(last) {
		t.Errorf("just after the loss: picture %d (slate %v), want the camera's last", last.Seq, isSlate(last))
	}
	again := latest(t, cam, lostAt+hold/2)
	if again.Seq != last.Seq {
		t.Errorf("during the hold: picture %d, want the last one (%d) again", again.Seq, last.Seq)
	}
	again.Release()
	slate := latest(t, cam, lostAt+hold+time.Millisecond)
	if !isSlate(slate) {
		t.Errorf("after the hold: picture %d is not the slate", slate.Seq)
	}
	slate.Release()
	time.Sleep(500 * time.Millisecond) // a few rescans find nothing
	if got := len(fake.Opened()); got != 1 {
		t.Errorf("the unplugged camera was started %d times", got)
	}

	fake.Plug()
	waitNotice(t, cam, 3*time.Second, "is back")
	eventually(t, 5*time.Second, "new pictures after the camera came back", func() bool {
		f := latest(t, cam, clock.Now())
		defer f.Release()
		return !isSlate(f) && f.Seq > last.Seq
	})
	if got := fake.Opened(); len(got) != 2 || got[1] != got[0] {
		t.Errorf("reopened in %v", got)
	}
	last.Release()
	stop()
	if n := conv.live(); n != 0 {
		t.Errorf("%d converters left open after Close", n)
	}
}

// Two cameras at once (a dual-camera set-up): each is its own source with
// its own pictures; the same camera cannot be opened twice (it would be
// closed under the first), and is free again once its source is closed.
func TestTwoCamerasAtOnce(t *testing.T) {
	needFFmpeg(t)
	jpegs, _, err := devicetest.RecordMJPEG(320, 240, 30, 5)
	if err != nil {
		t.Fatal(err)
	}
	modes := []device.Mode{{Width: 320, Height: 240, FPS: 30, Format: frame.FormatMJPEG}}
	a := register(t, &devicetest.Camera{Label: "Fake Front", Frames: jpegs, Modes: modes})
	b := register(t, &devicetest.Camera{Label: "Fake Side", Frames: jpegs, Modes: modes})
	front, _, err := device.OpenCamera("Fake Front", device.Mode{}, 320, 240, media.NewConverter)
	if err != nil {
		t.Fatal(err)
	}
	side, _, err := device.OpenCamera("Fake Side", device.Mode{}, 320, 240, media.NewConverter)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := device.OpenCamera("Fake Front", device.Mode{}, 320, 240, media.NewConverter); err == nil || !strings.Contains(err.Error(), "already in use") {
		t.Errorf("a second open of the same camera: %v", err)
	}
	_, stopFront := run(t, front)
	_, stopSide := run(t, side)
	eventually(t, 5*time.Second, "both cameras deliver", func() bool { return a.Reads() > 5 && b.Reads() > 5 })
	if cams := device.List(device.Camera); len(cams) < 2 {
		t.Errorf("listed while in use: %+v", cams)
	} else {
		for _, c := range cams {
			if (c.Label == "Fake Front" || c.Label == "Fake Side") && len(c.Modes) != 1 {
				t.Errorf("%s in use lists modes %v", c.Label, c.Modes)
			}
		}
	}
	stopFront()
	stopSide()
	again, _, err := device.OpenCamera("Fake Front", device.Mode{}, 320, 240, media.NewConverter)
	if err != nil {
		t.Fatalf("reopening a closed camera: %v", err)
	}
	again.Close()
}
