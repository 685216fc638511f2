//go:build fakedevices

package main

// A build for benchmarks and end-to-end tests on machines without a camera:
// `go build -tags fakedevices ./cmd/onair` and
// ONAIR_FAKE_CAMERA=frames.mjpeg (JPEGs back to back, as
// `ffmpeg … -c:v mjpeg -f mjpeg` writes them) registers a camera labelled
// "Fake Camera" delivering those frames in a loop at 30 fps (also offered
// at 15), so `onair live --source "camera:Fake Camera"` runs. This is the
// one registration done in init: it only exists in this test build.

import (
	"bytes"
	"fmt"
	"image/jpeg"
	"os"

	"github.com/pion/mediadevices/pkg/frame"

	"onair/capture/device"
	"onair/capture/device/devicetest"
)

func init() {
	path := os.Getenv("ONAIR_FAKE_CAMERA")
	if path == "" {
		return
	}
	if err := registerFakeCamera(path); err != nil {
		fmt.Fprintln(os.Stderr, "onair: fake camera:", err)
		os.Exit(2)
	}
}

func registerFakeCamera(path string) error {
	stream, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	frames := devicetest.SplitJPEGs(stream)
	if len(frames) == 0 {
		return fmt.Errorf("%s holds no JPEG", path)
	}
	cfg, err := jpeg.DecodeConfig(bytes.NewReader(frames[0]))
	if err != nil {
		return fmt.Errorf("%s: the first JPEG: %w", path, err)
	}
	_, err = devicetest.Register(&devicetest.Camera{
		Label:  "Fake Camera",
		Frames: frames,
		Modes: []device.Mode{
			{Width: cfg.Width, Height: cfg.Height, FPS: 30, Format: frame.FormatMJPEG},
			{Width: cfg.Width, Height: cfg.Height, FPS: 15, Format: frame.FormatMJPEG},
		},
	})
	return err
}
