package devicetest

import (
	"bytes"
	"fmt"
	"image/jpeg"
	"os"

	"github.com/pion/mediadevices/pkg/frame"

	"onair/capture/device"
)

// RegisterFile registers a camera labelled label that plays the JPEGs of
// path (back to back, as `ffmpeg … -c:v mjpeg -f mjpeg` writes them) in a
// loop, at the size of the first one, offered at 30 and 15 fps. For the
// fakedevices builds of onair and onair-studio (ONAIR_FAKE_CAMERA).
func RegisterFile(label, path string) error {
	stream, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	frames := SplitJPEGs(stream)
	if len(frames) == 0 {
		return fmt.Errorf("%s holds no JPEG", path)
	}
	cfg, err := jpeg.DecodeConfig(bytes.NewReader(frames[0]))
	if err != nil {
		return fmt.Errorf("%s: the first JPEG: %w", path, err)
	}
	_, err = Register(&Camera{
		Label:  label,
		Frames: frames,
		Modes: []device.Mode{
			{Width: cfg.Width, Height: cfg.Height, FPS: 30, Format: frame.FormatMJPEG},
			{Width: cfg.Width, Height: cfg.Height, FPS: 15, Format: frame.FormatMJPEG},
		},
	})
	return err
}
