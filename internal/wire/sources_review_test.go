package wire

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/pion/mediadevices/pkg/frame"

	"onair/capture/device"
	"onair/capture/device/devicetest"
	"onair/studio"
)

func registerCam(t *testing.T, label string) *devicetest.Camera {
	frames, _, err := devicetest.RecordMJPEG(320, 180, 30, 5)
	if err != nil {
		t.Fatal(err)
	}
	cam := &devicetest.Camera{Label: label, Frames: frames, Modes: []device.Mode{
		{Width: 320, Height: 180, FPS: 30, Format: frame.FormatMJPEG}, {Width: 320, Height: 180, FPS: 15, Format: frame.FormatMJPEG}}}
	un, err := devicetest.Register(cam)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(un)
	return cam
}

// A -> test card -> A in quick succession: the camera is closed before it
// opens again (it used to be closed under the new source: "lost", a race).
func TestSourcesBackToTheSameCamera(t *testing.T) {
	registerCam(t, "Rev Cam")
	p := studio.DefaultProfile()
	p.Canvas = studio.Canvas{Width: 320, Height: 180, FPS: 30}
	p.Source = "camera:Rev Cam"
	s, err := NewSources(p)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Studio.Run(ctx) }()
	time.Sleep(500 * time.Millisecond)
	if _, err := s.UseCamera("", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := s.UseCamera("Rev Cam", ""); err != nil {
		t.Fatal(err)
	}
	deadline := time.After(3 * time.Second)
loop:
	for {
		select {
		case n := <-s.Studio.Notices():
			t.Logf("notice: %s", n)
			if strings.Contains(n, "lost") {
				t.Errorf("going back to the same camera gave %q", n)
			}
		case <-deadline:
			break loop
		}
	}
	cancel()
	<-done
	s.Close()
}

// A reopen that fails leaves black on the canvas; once the studio has
// stopped, a source picked is refused in words, and nothing is closed twice
// (the black stand-in's Release panicked).
func TestSourcesAfterTheStudioStopped(t *testing.T) {
	cam := registerCam(t, "Rev Cam 2")
	p := studio.DefaultProfile()
	p.Canvas = studio.Canvas{Width: 320, Height: 180, FPS: 30}
	p.Source = "camera:Rev Cam 2"
	s, err := NewSources(p)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Studio.Run(ctx) }()
	time.Sleep(300 * time.Millisecond)
	cam.Unplug()
	if _, err := s.UseCamera("Rev Cam 2", "320x180@15"); err == nil {
		t.Fatal("reopen of an unplugged camera worked")
	}
	cancel() // the studio stops (an error in the window's case) with black current
	<-done
	defer func() {
		if r := recover(); r != nil {
			t.Errorf("UseCamera after the studio stopped panicked: %v", r)
		}
		s.Close()
	}()
	if _, err := s.UseCamera("", ""); err == nil || !strings.Contains(err.Error(), "the picture has stopped") {
		t.Errorf("UseCamera after the studio stopped: %v", err)
	}
}
