package devicetest

import (
	"bytes"
	"fmt"
	"image/jpeg"
	"os"
	"syscall"

	"github.com/pion/mediadevices/pkg/frame"

	"onair/capture/device"
)

// RegisterFile registers a camera labelled label that plays the JPEGs of
// path (back to back, as `ffmpeg … -c:v mjpeg -f mjpeg` writes them) in a
// loop, at the size of the first one, offered at 30 and 15 fps. For the
// fakedevices builds of onair and onair-studio (ONAIR_FAKE_CAMERA).
//
// The file is mapped, not read into the heap, for as long as the process
// lives: the frames stand for a camera's kernel buffers, and faulting a
// clip's worth of fresh heap in is no part of the camera path benchmarks
// measure.
func RegisterFile(label, path string) (err error) {
	stream, err := mapFile(path)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			syscall.Munmap(stream)
		}
	}()
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

// mapFile maps path read-only.
func mapFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if st.Size() == 0 {
		return nil, fmt.Errorf("%s is empty", path)
	}
	b, err := syscall.Mmap(int(f.Fd()), 0, int(st.Size()), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return nil, fmt.Errorf("mapping %s: %w", path, err)
	}
	return b, nil
}
