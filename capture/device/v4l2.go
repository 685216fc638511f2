//go:build linux

package device

import (
	"errors"
	"fmt"
	"image"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/blackjack/webcam"
	"github.com/pion/mediadevices/pkg/driver"
	"github.com/pion/mediadevices/pkg/frame"
	"github.com/pion/mediadevices/pkg/io/video"
	"github.com/pion/mediadevices/pkg/prop"
)

// The V4L2 driver is deliberately thin: it lists a device's modes and hands
// on the bytes of each frame as a RawFrame. Everything after the bytes (the
// converter, the camera source) is tested against fake drivers; there is no
// /dev/video on the test machines.

func fourcc(s string) webcam.PixelFormat {
	return webcam.PixelFormat(uint32(s[0]) | uint32(s[1])<<8 | uint32(s[2])<<16 | uint32(s[3])<<24)
}

var v4l2Formats = map[webcam.PixelFormat]frame.Format{
	fourcc("MJPG"): frame.FormatMJPEG,
	fourcc("YUYV"): frame.FormatYUYV,
	fourcc("UYVY"): frame.FormatUYVY,
	fourcc("NV12"): frame.FormatNV12,
	fourcc("NV21"): frame.FormatNV21,
	fourcc("YU12"): frame.FormatI420,
}

var v4l2Registry struct {
	sync.Mutex
	byPath map[string]v4l2Entry
}

type v4l2Entry struct{ id, label string }

// RegisterV4L2 registers every V4L2 capture device (/dev/video*) with
// mediadevices under its card name ("HD Pro Webcam C920"; a second one of
// the same name gets " (2)"). Linux has no hot-plug notice: call it again to
// look again — devices still there keep their driver, gone ones are removed,
// new ones added. It returns how many cameras there are.
func RegisterV4L2() int {
	v4l2Registry.Lock()
	defer v4l2Registry.Unlock()
	if v4l2Registry.byPath == nil {
		v4l2Registry.byPath = map[string]v4l2Entry{}
	}
	m := driver.GetManager()
	paths, _ := filepath.Glob("/dev/video*")
	slices.Sort(paths)
	seen := map[string]int{}
	present := map[string]bool{}
	for _, path := range paths {
		cam, err := webcam.Open(path) // fails on nodes that do not capture (metadata)
		if err != nil {
			continue
		}
		name, _ := cam.GetName()
		cam.Close()
		if name == "" {
			name = filepath.Base(path)
		}
		seen[name]++
		label := name
		if n := seen[name]; n > 1 {
			label = fmt.Sprintf("%s (%d)", name, n)
		}
		present[path] = true
		if e, ok := v4l2Registry.byPath[path]; ok {
			if e.label == label {
				continue
			}
			m.Delete(e.id)
		}
		m.Register(&v4l2Camera{path: path}, driver.Info{Label: label, Name: name + " (" + path + ")", DeviceType: driver.Camera})
		for _, d := range m.Query(driver.FilterDeviceType(driver.Camera)) {
			if d.Info().Label == label && d.Info().Name == name+" ("+path+")" {
				v4l2Registry.byPath[path] = v4l2Entry{id: d.ID(), label: label}
			}
		}
	}
	for path, e := range v4l2Registry.byPath {
		if !present[path] {
			m.Delete(e.id)
			delete(v4l2Registry.byPath, path)
		}
	}
	return len(present)
}

// v4l2Camera is one /dev/video node.
type v4l2Camera struct {
	path    string
	mu      sync.Mutex // held while the device is touched
	cam     *webcam.Webcam
	closing atomic.Bool
	buf     []byte
}

func (c *v4l2Camera) Open() error {
	cam, err := webcam.Open(c.path)
	if err != nil {
		return err
	}
	c.mu.Lock()
	c.cam = cam
	c.mu.Unlock()
	c.closing.Store(false)
	return nil
}

// Close may come from another goroutine while Read waits: Read gives up
// within a second.
func (c *v4l2Camera) Close() error {
	c.closing.Store(true)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cam != nil {
		c.cam.Close()
		c.cam = nil
	}
	return nil
}

func (c *v4l2Camera) Properties() []prop.Media {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cam == nil {
		return nil
	}
	var out []prop.Media
	for pf := range c.cam.GetSupportedFormats() {
		f, ok := v4l2Formats[pf]
		if !ok {
			continue
		}
		for _, s := range c.cam.GetSupportedFrameSizes(pf) {
			// Stepwise sizes (rare on webcams): offer the largest.
			w, h := s.MaxWidth, s.MaxHeight
			rates := c.cam.GetSupportedFramerates(pf, w, h)
			if len(rates) == 0 {
				out = append(out, prop.Media{Video: prop.Video{Width: int(w), Height: int(h), FrameFormat: f}})
			}
			for _, r := range rates {
				// Frame intervals, in seconds: the fastest of a range.
				if r.MinNumerator == 0 {
					continue
				}
				fps := float32(r.MaxDenominator) / float32(r.MinNumerator)
				out = append(out, prop.Media{Video: prop.Video{Width: int(w), Height: int(h), FrameRate: fps, FrameFormat: f}})
			}
		}
	}
	return out
}

var errV4L2Closed = errors.New("camera closed")

func (c *v4l2Camera) VideoRecord(p prop.Media) (video.Reader, error) {
	var code webcam.PixelFormat
	for pf, f := range v4l2Formats {
		if f == p.FrameFormat {
			code = pf
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cam == nil {
		return nil, errV4L2Closed
	}
	_, gotW, gotH, err := c.cam.SetImageFormat(code, uint32(p.Width), uint32(p.Height))
	if err != nil {
		return nil, err
	}
	if int(gotW) != p.Width || int(gotH) != p.Height {
		// The driver set another size than its own list offered: converting
		// at the wrong size would give a garbled picture.
		return nil, fmt.Errorf("the camera set %dx%d when asked for %dx%d", gotW, gotH, p.Width, p.Height)
	}
	if p.FrameRate > 0 {
		_ = c.cam.SetFramerate(p.FrameRate) // some cameras refuse: they run at their own rate
	}
	_ = c.cam.SetBufferCount(4)
	if err := c.cam.StartStreaming(); err != nil {
		return nil, err
	}
	return video.ReaderFunc(func() (image.Image, func(), error) {
		data, err := c.read()
		if err != nil {
			return nil, func() {}, err
		}
		return &RawFrame{Format: p.FrameFormat, Width: p.Width, Height: p.Height, Data: data}, func() {}, nil
	}), nil
}

// read waits for the next frame and copies it out of the kernel's buffer
// before handing that buffer back. The copy is valid until the next read.
func (c *v4l2Camera) read() ([]byte, error) {
	for {
		c.mu.Lock()
		if c.closing.Load() || c.cam == nil {
			c.mu.Unlock()
			return nil, errV4L2Closed
		}
		err := c.cam.WaitForFrame(1)
		var timeout *webcam.Timeout
		if errors.As(err, &timeout) {
			c.mu.Unlock()
			continue // a stalled camera: the source repeats its last picture
		}
		if err != nil {
			c.mu.Unlock()
			return nil, err
		}
		b, index, err := c.cam.GetFrame()
		if err != nil {
			c.mu.Unlock()
			return nil, err // ENODEV once unplugged
		}
		c.buf = append(c.buf[:0], b...)
		err = c.cam.ReleaseFrame(index)
		c.mu.Unlock()
		if err != nil {
			return nil, err
		}
		if len(c.buf) > 0 {
			return c.buf, nil
		}
	}
}
