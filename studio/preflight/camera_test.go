package preflight

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pion/mediadevices/pkg/frame"

	"onair/capture/device"
	"onair/capture/device/devicetest"
	"onair/internal/testpeer"
	"onair/internal/wire"
	"onair/studio"
)

// fakeCamera registers a fake 640x360 camera offering 30 fps that really
// sends deliverFPS pictures a second (0: its mode's rate), and a profile
// showing it.
func fakeCamera(t *testing.T, label string, deliverFPS float64) (*devicetest.Camera, studio.Profile) {
	t.Helper()
	testpeer.Require(t, "ffmpeg")
	frames, _, err := devicetest.RecordMJPEG(640, 360, 30, 10)
	if err != nil {
		t.Fatal(err)
	}
	cam := &devicetest.Camera{Label: label, Frames: frames, DeliverFPS: deliverFPS,
		Modes: []device.Mode{{Width: 640, Height: 360, FPS: 30, Format: frame.FormatMJPEG}}}
	unregister, err := devicetest.Register(cam)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(unregister)
	p := profile()
	p.Source, p.CameraMode = "camera:"+label, "640x360@30"
	return cam, p
}

// runningSources opens p's sources and runs their studio until the test
// ends, as the window does; ran says when the studio stopped.
func runningSources(t *testing.T, p studio.Profile) (*wire.Sources, <-chan error) {
	t.Helper()
	wire.ScanDevices()
	srcs, err := wire.NewSources(p)
	if err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(context.Background())
	ran := make(chan error, 1)
	go func() { ran <- srcs.Studio.Run(runCtx); close(ran) }()
	t.Cleanup(func() {
		stop()
		for range ran {
		}
		srcs.Close()
	})
	return srcs, ran
}

func runProgram(t *testing.T, p studio.Profile) []Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), Timeout)
	defer cancel()
	rs := program(ctx, p, nil)
	for _, r := range rs {
		t.Logf("%s %s: %s [%s]", r.Level, r.Name, r.Reason, r.Detail)
	}
	return rs
}

// The camera line's rate is what the fake camera really sent over the
// loopback encode: its full 30 fps is green, two thirds of it amber, a third
// red, each with the figure and, below the mode's rate, what to do.
func TestProgramCameraRate(t *testing.T) {
	for _, c := range []struct {
		label      string
		deliverFPS float64 // what the camera sends of the 30 asked
		level      Level
		says       string
	}{
		{"Full Cam", 0, Green, "the camera delivers "},
		{"Dim Cam", 20, Amber, " fps of its mode's 30: more light, a lower mode, or a USB port of its own"},
		{"Dark Cam", 10, Red, " fps of its mode's 30: more light, a lower mode, or a USB port of its own"},
	} {
		t.Run(c.label, func(t *testing.T) {
			fake, p := fakeCamera(t, c.label, c.deliverFPS)
			rs := runProgram(t, p)
			r := find(t, rs, "camera "+c.label)
			want(t, r, c.level, c.says)
			var n int
			var secs, fps float64
			if _, err := fmt.Sscanf(r.Detail, "mode 640x360@30 MJPEG, %d pictures in %f s (%f fps)", &n, &secs, &fps); err != nil {
				t.Fatalf("detail %q: %v", r.Detail, err)
			}
			rate := c.deliverFPS
			if rate == 0 {
				rate = 30
			}
			if fps < rate*0.9 || fps > rate*1.1 || secs < 2 || n > fake.Reads() {
				t.Errorf("%d pictures in %.2f s (%.1f fps) from a camera sending %g fps (%d reads)", n, secs, fps, rate, fake.Reads())
			}
			figure := map[Level]string{Green: "the camera delivers %.1f fps", Amber: "your camera delivers %.0f fps", Red: "your camera delivers only %.0f fps"}[c.level]
			if !strings.HasPrefix(r.Reason, fmt.Sprintf(figure, fps)) {
				t.Errorf("the reason lacks the figure %.1f fps: %q", fps, r.Reason)
			}
			// The camera line is the camera's: the program still goes out.
			find(t, rs, "program: video")
		})
	}
}

// A camera that opens but never sends a picture is red, and the program goes
// on with black.
func TestProgramCameraSendsNothing(t *testing.T) {
	fake, p := fakeCamera(t, "Mute Cam", 0)
	fake.Stall(time.Hour)
	rs := runProgram(t, p)
	r := find(t, rs, "camera Mute Cam")
	if r.Level != Red || !regexp.MustCompile(`^the camera sent no picture in \d+ s: is another program using it\?$`).MatchString(r.Reason) {
		t.Errorf("%s %q, want red: no picture, another program?", r.Level, r.Reason)
	}
	if r.Detail != "mode 640x360@30 MJPEG" {
		t.Errorf("detail %q, want the mode", r.Detail)
	}
	if fake.Reads() != 0 {
		t.Errorf("the stalled camera was read %d times", fake.Reads())
	}
	find(t, rs, "program: video")
}

// The thresholds: 90 % of the mode's rate is green, 50 % amber, less red;
// nothing at all red; a camera slow to start is amber, whatever it sent
// after; the mode asked shows when the camera could not give it.
func TestCameraVerdict(t *testing.T) {
	cam := wire.CameraState{Label: "C920", Asked: device.Mode{Width: 1920, Height: 1080, FPS: 60},
		Mode: device.Mode{Width: 1920, Height: 1080, FPS: 30, Format: frame.FormatMJPEG}}
	sec := time.Second
	for _, c := range []struct {
		n          int64
		window     time.Duration
		firstAfter time.Duration
		level      Level
		says       string
	}{
		{81, 3 * sec, 0, Green, "the camera delivers 27.0 fps of its mode's 30"},
		{78, 3 * sec, 0, Amber, "your camera delivers 26 fps of its mode's 30: more light"},
		{45, 3 * sec, 0, Amber, "your camera delivers 15 fps of its mode's 30"},
		{42, 3 * sec, 0, Red, "your camera delivers only 14 fps of its mode's 30: more light"},
		{0, 0, 3 * sec, Red, "the camera sent no picture in 3 s"},
		{0, 2800 * time.Millisecond, 200 * time.Millisecond, Red, "the camera sent no picture for 3 s: is it unplugged, or in use by another program?"},
		{20, 800 * time.Millisecond, 2200 * time.Millisecond, Amber, "the camera took 2.2 s to send its first picture"},
	} {
		r := judgeCamera(cam, c.n, c.window, c.firstAfter, 3*sec)
		if r.Name != "camera C920" || r.Level != c.level || !strings.Contains(r.Reason, c.says) || !strings.HasPrefix(r.Detail, "mode 1920x1080@30 MJPEG (asked 1920x1080@60)") {
			t.Errorf("%d pictures in %v: %s %s %q [%s], want %s with %q", c.n, c.window, r.Name, r.Level, r.Reason, r.Detail, c.level, c.says)
		}
	}
}

// The window checks on the sources it runs (ProgramOn): its camera, open
// already, is measured rather than opened a second time (a camera opens
// once), and the window's sources go on running after the check.
func TestProgramOnRunningSources(t *testing.T) {
	_, p := fakeCamera(t, "Window Cam", 0)
	srcs, ran := runningSources(t, p)

	ctx, cancel := context.WithTimeout(context.Background(), Timeout)
	defer cancel()
	rs := ProgramOn(p, srcs)(ctx)
	for _, r := range rs {
		t.Logf("%s %s: %s [%s]", r.Level, r.Name, r.Reason, r.Detail)
	}
	want(t, find(t, rs, "camera Window Cam"), Green, "the camera delivers ")
	want(t, find(t, rs, "program: video"), Green, "the program encodes and decodes back at 640x360")
	before, _ := srcs.Camera()
	for deadline := time.Now().Add(3 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if after, _ := srcs.Camera(); after.Delivered > before.Delivered {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the window's camera stopped after the check (%d pictures, then none in 3 s)", before.Delivered)
		}
	}
	select {
	case err := <-ran:
		t.Fatalf("the window's studio stopped with the check: %v", err)
	default:
	}
}

// Another camera chosen in the window while the check measures: the line
// says so instead of subtracting one camera's count from another's.
func TestProgramOnCameraChanged(t *testing.T) {
	_, p := fakeCamera(t, "First Cam", 0)
	fakeCamera(t, "Second Cam", 0)
	srcs, _ := runningSources(t, p)

	ctx, cancel := context.WithTimeout(context.Background(), Timeout)
	defer cancel()
	switched := make(chan error, 1)
	go func() {
		time.Sleep(time.Second)
		_, err := srcs.UseCamera("Second Cam", "640x360@30")
		switched <- err
	}()
	rs := ProgramOn(p, srcs)(ctx)
	if err := <-switched; err != nil {
		t.Fatal(err)
	}
	for _, r := range rs {
		t.Logf("%s %s: %s [%s]", r.Level, r.Name, r.Reason, r.Detail)
	}
	want(t, find(t, rs, "camera First Cam"), Amber, "the camera was changed during the check")
}
