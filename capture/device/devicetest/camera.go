// Package devicetest is fake cameras for tests: pion/mediadevices drivers
// that deliver recorded frames as onair's own camera drivers do (as
// *device.RawFrame), paced at the mode's frame rate, and can be made to
// stall or to be unplugged (every read fails with ENODEV, as V4L2 does) and
// plugged back. Other packages' tests and the fakedevices build of
// cmd/onair use it.
package devicetest

import (
	"errors"
	"fmt"
	"image"
	"sync"
	"syscall"
	"time"

	"github.com/pion/mediadevices/pkg/driver"
	"github.com/pion/mediadevices/pkg/io/video"
	"github.com/pion/mediadevices/pkg/prop"

	"onair/capture/device"
)

// Camera is a fake camera. Set Label, Modes and Frames, then Register it.
// Frames are the recorded pictures (JPEGs for an MJPEG mode, raw bytes for
// the others), delivered in a loop whatever mode was chosen: record them in
// the size of the mode the test asks for.
type Camera struct {
	Label  string
	Modes  []device.Mode
	Frames [][]byte
	// DeliverFPS, when set, is the rate pictures really come at, whatever
	// the mode says: a camera short of light (its exposure grows longer
	// than a frame) or on a crowded USB bus.
	DeliverFPS float64

	mu       sync.Mutex
	opened   []prop.Media // every VideoRecord's mode, in order
	reads    int
	unplug   bool
	stallEnd time.Time
	closed   chan struct{} // closed when the device is; nil while closed
	changed  chan struct{} // wakes a waiting Read when unplugged or stalled
	id       string
}

func (c *Camera) wake() {
	select {
	case c.changed <- struct{}{}:
	default:
	}
}

// Register adds c to mediadevices' registry under its label. The returned
// function removes it.
func Register(c *Camera) (unregister func(), err error) {
	if c.Label == "" || len(c.Modes) == 0 || len(c.Frames) == 0 {
		return nil, errors.New("devicetest: a camera needs a label, modes and frames")
	}
	m := driver.GetManager()
	if err := m.Register(c, driver.Info{Label: c.Label, Name: c.Label + " (fake)", DeviceType: driver.Camera}); err != nil {
		return nil, err
	}
	for _, d := range m.Query(driver.FilterDeviceType(driver.Camera)) {
		if d.Info().Label == c.Label {
			c.id = d.ID()
		}
	}
	id := c.id
	return func() { m.Delete(id) }, nil
}

// Open opens the device; an unplugged one is not there.
func (c *Camera) Open() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.unplug {
		return fmt.Errorf("open %s: %w", c.Label, syscall.ENODEV)
	}
	c.closed = make(chan struct{})
	return nil
}

// Close stops a reader blocked in Read.
func (c *Camera) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed != nil {
		close(c.closed)
		c.closed = nil
	}
	return nil
}

// Properties lists the modes.
func (c *Camera) Properties() []prop.Media {
	var out []prop.Media
	for _, m := range c.Modes {
		out = append(out, prop.Media{Video: prop.Video{Width: m.Width, Height: m.Height, FrameRate: float32(m.FPS), FrameFormat: m.Format}})
	}
	return out
}

// Opened returns the modes the camera was started in, in order.
func (c *Camera) Opened() []prop.Media {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]prop.Media(nil), c.opened...)
}

// Reads counts the frames delivered.
func (c *Camera) Reads() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.reads
}

// Stall stops delivering frames for d (a camera that hangs without an error).
func (c *Camera) Stall(d time.Duration) {
	c.mu.Lock()
	c.stallEnd = time.Now().Add(d)
	c.mu.Unlock()
	c.wake()
}

// Unplug makes every read fail with ENODEV, and Open too, until Plug.
func (c *Camera) Unplug() {
	c.mu.Lock()
	c.unplug = true
	c.mu.Unlock()
	c.wake()
}

// Plug brings an unplugged camera back.
func (c *Camera) Plug() {
	c.mu.Lock()
	c.unplug = false
	c.mu.Unlock()
}

// VideoRecord starts delivering frames in mode p.
func (c *Camera) VideoRecord(p prop.Media) (video.Reader, error) {
	var mode *device.Mode
	for i, m := range c.Modes {
		if m.Width == p.Width && m.Height == p.Height && float32(m.FPS) == p.FrameRate && m.Format == p.FrameFormat {
			mode = &c.Modes[i]
		}
	}
	if mode == nil {
		return nil, fmt.Errorf("%s has no mode %dx%d@%g %s", c.Label, p.Width, p.Height, p.FrameRate, p.FrameFormat)
	}
	c.mu.Lock()
	c.opened = append(c.opened, p)
	closed := c.closed
	if c.changed == nil {
		c.changed = make(chan struct{}, 1)
	}
	changed := c.changed
	c.mu.Unlock()
	fps := mode.FPS
	if c.DeliverFPS > 0 {
		fps = c.DeliverFPS
	}
	interval := time.Duration(float64(time.Second) / fps)
	next := time.Now()
	n := 0
	return video.ReaderFunc(func() (image.Image, func(), error) {
		for {
			c.mu.Lock()
			unplugged, stallEnd := c.unplug, c.stallEnd
			c.mu.Unlock()
			if unplugged {
				return nil, func() {}, fmt.Errorf("read %s: %w", c.Label, syscall.ENODEV)
			}
			wait := time.Until(next)
			if s := time.Until(stallEnd); s > wait {
				wait = s
				next = stallEnd
			}
			if wait <= 0 {
				break
			}
			t := time.NewTimer(wait)
			select {
			case <-closed:
				t.Stop()
				return nil, func() {}, fmt.Errorf("read %s: the camera is closed", c.Label)
			case <-changed:
				t.Stop()
			case <-t.C:
			}
		}
		select {
		case <-closed:
			return nil, func() {}, fmt.Errorf("read %s: the camera is closed", c.Label)
		default:
		}
		next = next.Add(interval)
		if time.Until(next) < -time.Second {
			next = time.Now() // a slow reader: do not burst to catch up
		}
		data := c.Frames[n%len(c.Frames)]
		n++
		c.mu.Lock()
		c.reads++
		c.mu.Unlock()
		return &device.RawFrame{Format: mode.Format, Width: mode.Width, Height: mode.Height, Data: data}, func() {}, nil
	}), nil
}
