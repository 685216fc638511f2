package device

import (
	"context"
	"fmt"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/mediadevices/pkg/driver"
	"github.com/pion/mediadevices/pkg/frame"
	"github.com/pion/mediadevices/pkg/io/video"
	"github.com/pion/mediadevices/pkg/prop"

	"onair/capture"
)

// Converter turns a camera's frames into canvas pictures (capture/media's
// does it with libavcodec and libswscale). One goroutine uses it at a time.
type Converter interface {
	// Convert returns a canvas-size 4:2:0 picture, the caller's reference.
	// A damaged frame is an error for that frame only.
	Convert(*RawFrame) (*capture.Frame, error)
	// Close frees what the converter holds; pictures handed out stay valid.
	Close()
}

// NewConverter makes a Converter for a camera sending format at srcW×srcH,
// drawing on a dstW×dstH canvas.
type NewConverter func(format frame.Format, srcW, srcH, dstW, dstH int) (Converter, error)

// Default timings of a lost camera.
const (
	DefaultHoldLast = 2 * time.Second // its last picture stays this long, then the slate
	DefaultRescan   = 2 * time.Second // how often it is looked for again
)

// CameraOption adjusts OpenCamera.
type CameraOption func(*CameraSource)

// WithTiming sets how long a lost camera's last picture stays before the
// slate, and how often the camera is looked for again.
func WithTiming(holdLast, rescan time.Duration) CameraOption {
	return func(c *CameraSource) { c.holdLast, c.rescanEvery = holdLast, rescan }
}

// WithRescan gives a function that refreshes the registry before a lost
// camera is looked for again (RegisterV4L2 on Linux: no hot-plug there).
func WithRescan(f func()) CameraOption {
	return func(c *CameraSource) { c.rescan = f }
}

// CameraSource is a camera as a video source: its newest picture, converted to the
// canvas. A stalled camera repeats its last picture. A camera that fails
// (unplugged: every read gives ENODEV) keeps its last picture for a moment,
// then shows a "camera lost" slate, and is looked for by label until it
// comes back. What happens is said on Notices.
//
// Run reads it; Latest may be called from any goroutine; Close after Run has
// returned.
type CameraSource struct {
	label       string
	want        Mode
	w, h        int
	newConv     NewConverter
	holdLast    time.Duration
	rescanEvery time.Duration
	rescan      func()
	notices     chan string

	// Owned by Run's goroutines (and OpenCamera / Close before and after).
	drv    driver.Driver
	reader video.Reader
	mode   Mode
	conv   Converter
	seq    int64

	// delivered counts the pictures the device sent and the converter read
	// (not the black, the slate or a repeated one): the pre-flight compares
	// its rate with the mode's.
	delivered atomic.Int64

	mu sync.Mutex
	// recent are the newest pictures, oldest first, stamped with the time
	// they were taken: a studio composing each slot a little after its time
	// (SetSyncDelay) asks for an instant just past. Latest drops those older
	// than what it showed; at most maxRecent are kept.
	recent    []*capture.Frame
	shown     bool           // a picture was returned by Latest
	halfFrame time.Duration  // half the first mode's frame interval: a picture taken that little after an instant is its nearest
	lostAt    time.Duration  // studio time the camera failed
	lost      bool           // failed, and no picture since
	slate     *capture.Frame // drawn once, on the first loss
	black     *capture.Frame // shown before the first picture
	damaged   int64
	dropped   int64 // notices nobody read
	closeOnce sync.Once
}

// OpenCamera opens the camera labelled label in the mode nearest want, for a
// w×h canvas. When the camera has no such mode, notice says what is used
// instead ("" when the mode is exactly what was asked).
func OpenCamera(label string, want Mode, w, h int, newConv NewConverter, opts ...CameraOption) (c *CameraSource, notice string, err error) {
	c = &CameraSource{
		label: label, want: want, w: w, h: h, newConv: newConv,
		holdLast: DefaultHoldLast, rescanEvery: DefaultRescan,
		notices: make(chan string, 16),
	}
	for _, o := range opts {
		o(c)
	}
	// A camera opens once: a second source of it (or a listing opening it
	// to read its modes) would close it under the first.
	if !claim(label) {
		return nil, "", fmt.Errorf("camera %s is already in use by onair", label)
	}
	exact, err := c.open()
	if err != nil {
		if c.conv != nil {
			c.conv.Close() // opened before the camera refused to start
		}
		unclaim(label)
		return nil, "", err
	}
	c.black = drawSlate(w, h)
	if c.mode.FPS > 0 {
		c.halfFrame = time.Duration(float64(time.Second) / c.mode.FPS / 2)
	}
	if !exact && (want.Width > 0 || want.FPS > 0 || want.Format != "") {
		notice = fmt.Sprintf("camera %s has no %s; using %s", label, wantString(want), c.mode)
	}
	return c, notice, nil
}

// wantString is a mode as asked: the parts given.
func wantString(m Mode) string {
	s := ""
	if m.Width > 0 {
		s = fmt.Sprintf("%dx%d", m.Width, m.Height)
	}
	if m.FPS > 0 {
		s += "@" + strconv.FormatFloat(m.FPS, 'f', -1, 64)
	}
	if m.Format != "" {
		s += " " + string(m.Format)
	}
	return s
}

// open finds the camera, picks its mode, and starts it recording.
func (c *CameraSource) open() (exact bool, err error) {
	d, err := Find(Camera, c.label)
	if err != nil {
		return false, fmt.Errorf("camera %q was not found (`onair devices` lists the cameras): %w", c.label, err)
	}
	if err := d.Open(); err != nil {
		return false, fmt.Errorf("camera %s cannot be opened (is another program using it?): %w", c.label, err)
	}
	fail := func(err error) (bool, error) { d.Close(); return false, err }
	var modes []Mode
	props := d.Properties()
	rememberProps(c.label, props)
	for _, p := range props {
		modes = append(modes, Mode{Width: p.Width, Height: p.Height, FPS: float64(p.FrameRate), Format: p.FrameFormat})
	}
	if len(modes) == 0 {
		return fail(fmt.Errorf("camera %s offers no picture format onair can read", c.label))
	}
	m, exact := Nearest(modes, c.want)
	if c.conv == nil || m != c.mode {
		conv, err := c.newConv(m.Format, m.Width, m.Height, c.w, c.h)
		if err != nil {
			return fail(fmt.Errorf("camera %s in %s: %w", c.label, m, err))
		}
		if c.conv != nil {
			c.conv.Close()
		}
		c.conv = conv
	}
	vr, ok := d.(driver.VideoRecorder)
	if !ok {
		return fail(fmt.Errorf("camera %s cannot record video", c.label))
	}
	r, err := vr.VideoRecord(prop.Media{Video: prop.Video{Width: m.Width, Height: m.Height, FrameRate: float32(m.FPS), FrameFormat: m.Format}})
	if err != nil {
		// VideoRecord closes the driver when it fails.
		return false, fmt.Errorf("camera %s cannot start in %s: %w", c.label, m, err)
	}
	c.drv, c.reader = d, r
	c.mu.Lock() // Mode is read from other goroutines while Run reopens
	c.mode = m
	c.mu.Unlock()
	return exact, nil
}

// Mode is the mode the camera runs in.
func (c *CameraSource) Mode() Mode {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.mode
}

// Asked is the mode the camera was asked for (parts not given are zero).
func (c *CameraSource) Asked() Mode { return c.want }

// Delivered counts the pictures the camera has sent so far, damaged ones
// left out. It may be called from any goroutine.
func (c *CameraSource) Delivered() int64 { return c.delivered.Load() }

// Notices says what happened to the camera, in words for the performer
// ("camera X lost: …", "camera X is back"). Nobody has to read it: when its
// buffer is full, newer notices are dropped.
func (c *CameraSource) Notices() <-chan string { return c.notices }

func (c *CameraSource) notify(format string, args ...any) {
	select {
	case c.notices <- fmt.Sprintf(format, args...):
	default:
		c.mu.Lock()
		c.dropped++
		c.mu.Unlock()
	}
}

// Damaged counts frames the converter could not read (a corrupt JPEG).
func (c *CameraSource) Damaged() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.damaged
}

// maxRecent bounds the pictures a camera keeps for a studio composing late:
// a quarter of a second at 60 fps.
const maxRecent = 16

// Latest returns the picture taken nearest to at (the caller's reference) —
// the newest when none is newer, the oldest kept when all are —, the camera's last one
// while it is stalled or just lost, the slate once it has been lost for a
// moment, and black before its first picture. It never blocks on the camera.
// Pictures older than the one returned are let go: at only moves forward.
func (c *CameraSource) Latest(at time.Duration) (*capture.Frame, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case c.lost && c.slate != nil && (at-c.lostAt >= c.holdLast || len(c.recent) == 0):
		return c.slate.Retain(), nil
	case len(c.recent) > 0 && (c.shown || c.recent[0].At-at <= c.halfFrame):
		// (Before its first picture is due, the camera shows black: a
		// picture taken later than at does not go back in time.)
		c.shown = true
		i := 0
		for i+1 < len(c.recent) && c.recent[i+1].At <= at {
			i++
		}
		if i+1 < len(c.recent) && c.recent[i+1].At-at < at-c.recent[i].At {
			i++ // one taken just after at is nearer
		}
		c.dropRecent(i)
		return c.recent[0].Retain(), nil
	}
	return c.black.Retain(), nil
}

// keep adds the newest picture (the camera's reference) to the recent ones.
func (c *CameraSource) keep(f *capture.Frame) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.recent) == maxRecent {
		c.dropRecent(1)
	}
	c.recent, c.lost = append(c.recent, f), false
}

// dropRecent lets the n oldest recent pictures go. Call it under mu.
func (c *CameraSource) dropRecent(n int) {
	for _, f := range c.recent[:n] {
		f.Release()
	}
	c.recent = append(c.recent[:0], c.recent[n:]...)
}

// Run reads the camera until ctx ends. A failing camera does not end it: Run
// shows the slate and looks for the camera again every few seconds.
func (c *CameraSource) Run(ctx context.Context, clock *capture.Clock) error {
	ticker := time.NewTicker(c.rescanEvery)
	defer ticker.Stop()
	for {
		err := c.readUntilFailure(ctx, clock)
		if ctx.Err() != nil {
			return nil
		}
		var slate *capture.Frame
		if c.slate == nil {
			// Drawn once, here rather than under Latest's lock.
			slate = drawSlate(c.w, c.h, "camera lost", c.label, "onair picks it up again when it is back")
		}
		c.mu.Lock()
		if slate != nil {
			c.slate = slate
		}
		c.lost, c.lostAt = true, clock.Now()
		c.mu.Unlock()
		c.notify("camera %s lost (%v): showing its last picture, then a slate; looking for it every %v", c.label, err, c.rescanEvery)
		for {
			ticker.Reset(c.rescanEvery)
			select {
			case <-ctx.Done():
				return nil
			case <-ticker.C:
			}
			if c.rescan != nil {
				c.rescan()
			}
			if _, err := c.open(); err == nil {
				c.notify("camera %s is back", c.label)
				break
			}
		}
	}
}

// readUntilFailure reads and converts frames until the camera fails or ctx
// ends; it closes the driver either way. Its reading goroutine ends before
// it returns.
func (c *CameraSource) readUntilFailure(ctx context.Context, clock *capture.Clock) error {
	done := make(chan error, 1)
	go func() { done <- c.readLoop(clock) }()
	var err error
	select {
	case err = <-done:
	case <-ctx.Done():
		c.drv.Close() // our drivers' Read returns once closed
		<-done
	}
	c.drv.Close()
	c.drv, c.reader = nil, nil
	return err
}

func (c *CameraSource) readLoop(clock *capture.Clock) error {
	// Converting a picture is a long C call; on a thread of its own the
	// decoder's and scaler's caches stay warm and the Go scheduler hands the
	// goroutine between threads half as often (measured: context switches
	// 13k → 7k, CPU −1 to −3 % on the camera path).
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	for {
		img, release, err := c.reader.Read()
		if err != nil {
			return err
		}
		taken := clock.Now() // before converting: the picture is of this instant
		rf, ok := img.(*RawFrame)
		if !ok {
			release()
			return fmt.Errorf("its driver sent a %T, not raw frames", img)
		}
		f, err := c.conv.Convert(rf)
		release()
		if err != nil {
			c.mu.Lock()
			c.damaged++
			n := c.damaged
			c.mu.Unlock()
			if n == 1 || n%100 == 0 {
				c.notify("camera %s sent a damaged picture (%d so far): %v", c.label, n, err)
			}
			continue
		}
		c.seq++
		f.Seq, f.At = c.seq, taken
		c.delivered.Add(1)
		c.keep(f)
	}
}

// Close frees the camera: its driver, its converter, and the pictures it
// holds. Call it once Run has returned (or instead of Run).
func (c *CameraSource) Close() {
	c.closeOnce.Do(func() {
		if c.drv != nil {
			c.drv.Close()
			c.drv, c.reader = nil, nil
		}
		if c.conv != nil {
			c.conv.Close()
			c.conv = nil
		}
		unclaim(c.label)
		c.mu.Lock()
		defer c.mu.Unlock()
		c.dropRecent(len(c.recent))
		for _, f := range []**capture.Frame{&c.slate, &c.black} {
			if *f != nil {
				(*f).Release()
				*f = nil
			}
		}
	})
}
