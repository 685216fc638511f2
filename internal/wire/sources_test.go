package wire

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pion/mediadevices/pkg/frame"

	"onair/capture/audio"
	"onair/capture/device"
	"onair/capture/device/devicetest"
	"onair/internal/testpeer"
	"onair/studio"
)

func inputNames(m *audio.Mixer) []string {
	var names []string
	for _, in := range m.Inputs() {
		names = append(names, in.Name)
	}
	return names
}

// The window changes the camera while the studio runs: the same camera in
// another mode is closed before it opens again (a device opens once) with no
// "lost" notice, the picture keeps coming, and going back to the test card
// brings its tone back into the mix; Close ends every goroutine.
func TestSourcesChangeCameraWhileRunning(t *testing.T) {
	testpeer.Require(t, "ffmpeg")
	frames, _, err := devicetest.RecordMJPEG(640, 360, 30, 10)
	if err != nil {
		t.Fatal(err)
	}
	cam := &devicetest.Camera{Label: "Desk Cam", Frames: frames, Modes: []device.Mode{
		{Width: 640, Height: 360, FPS: 30, Format: frame.FormatMJPEG}, {Width: 640, Height: 360, FPS: 15, Format: frame.FormatMJPEG}}}
	unregister, err := devicetest.Register(cam)
	if err != nil {
		t.Fatal(err)
	}
	defer unregister()

	p := studio.DefaultProfile()
	p.Canvas = studio.Canvas{Width: 320, Height: 180, FPS: 30}
	p.Source, p.CameraMode = "camera:Desk Cam", "640x360@30"
	s, err := NewSources(p)
	if err != nil {
		t.Fatal(err)
	}
	if names := inputNames(s.Mixer); len(names) != 0 {
		t.Errorf("a camera with no microphone has sound inputs %q", names)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Studio.Run(ctx) }()
	frames2, _, unsub := s.Studio.SubscribeVideo(8)
	got := func(n int) {
		t.Helper()
		for range n {
			select {
			case f := <-frames2:
				f.Release()
			case <-time.After(3 * time.Second):
				t.Fatal("no picture")
			}
		}
	}
	got(10)
	notice, err := s.UseCamera("Desk Cam", "640x360@15")
	if err != nil || notice != "" {
		t.Fatalf("UseCamera: %q, %v", notice, err)
	}
	got(10)
	testpeer.Eventually(t, 3*time.Second, "reads in the new mode", func() bool { return cam.Reads() > 0 })
	opened := cam.Opened()
	if len(opened) != 2 || opened[1].FrameRate != 15 {
		t.Errorf("opened in %v, want 30 then 15 fps", opened)
	}
	if c, m, _ := s.Choices(); c != "Desk Cam" || m != "640x360@15" {
		t.Errorf("choices %q %q", c, m)
	}
	// What the pre-flight reads: the camera now showing, its mode, and the
	// pictures it (not the one before) has sent.
	testpeer.Eventually(t, 3*time.Second, "pictures counted", func() bool {
		c, ok := s.Camera()
		return ok && c.Delivered > 0
	})
	if c, _ := s.Camera(); c.Label != "Desk Cam" || c.Mode.FPS != 15 || c.Asked.FPS != 15 || c.Delivered > int64(cam.Reads()) {
		t.Errorf("camera state %+v after %d reads in the new mode", c, cam.Reads())
	}
	if _, err := s.UseCamera("No Such Cam", ""); err == nil || !strings.Contains(err.Error(), `camera "No Such Cam" was not found`) {
		t.Errorf("a missing camera: %v", err)
	}
	if _, err := s.UseCamera("", ""); err != nil {
		t.Fatal(err)
	}
	got(10)
	if c, ok := s.Camera(); ok {
		t.Errorf("the test card is a camera: %+v", c)
	}
	if names := inputNames(s.Mixer); !slices.Equal(names, []string{testToneName}) {
		t.Errorf("back on the test card, the mix has %q", names)
	}
	unsub()
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	s.Close()
	for {
		select {
		case n := <-s.Studio.Notices():
			if strings.Contains(n, "lost") {
				t.Errorf("notice %q while changing mode", n)
			}
			continue
		default:
		}
		break
	}
}

// A profile naming a camera that is not there: a clear error, nothing left
// running.
func TestSourcesMissingCamera(t *testing.T) {
	p := studio.DefaultProfile()
	p.Source = "camera:Nowhere Cam"
	if _, err := NewSources(p); err == nil || !strings.Contains(err.Error(), `camera "Nowhere Cam" was not found (onair devices lists the cameras)`) {
		t.Errorf("NewSources = %v", err)
	}
	p.Source = "camera"
	if _, err := NewSources(p); err == nil || !strings.Contains(err.Error(), "no camera was found") {
		t.Errorf("NewSources with no camera at all = %v", err)
	}
}
