// Package device is onair's cameras and microphones. Devices live in
// pion/mediadevices' driver registry (one device model: label, kind, the
// modes a driver's Properties offer), but the drivers are our own: the stock
// camera driver decodes MJPEG with Go's image/jpeg (too slow for 1080p30) and
// the stock microphone driver hands miniaudio's buffer on without copying it.
//
// Devices are keyed by label, never by mediadevices' id (random per run).
// There is no hot-plug on Linux: Rescan looks again.
//
// No cgo here: frame bytes are turned into pictures by a Converter the caller
// supplies (capture/media's, over libavcodec and libswscale).
package device

import (
	"errors"
	"fmt"
	"image"
	"image/color"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/pion/mediadevices/pkg/driver"
	"github.com/pion/mediadevices/pkg/frame"
	"github.com/pion/mediadevices/pkg/prop"
)

// Mode is one way a camera can deliver pictures.
type Mode struct {
	Width, Height int
	FPS           float64
	Format        frame.Format // frame.FormatMJPEG, FormatYUYV, FormatNV12, FormatI420; "" = any
}

func (m Mode) String() string {
	s := fmt.Sprintf("%dx%d@%s", m.Width, m.Height, strconv.FormatFloat(m.FPS, 'f', -1, 64))
	if m.Format != "" {
		s += " " + string(m.Format)
	}
	return s
}

// ParseMode reads WIDTHxHEIGHT[@FPS] (as --camera-mode takes it).
func ParseMode(s string) (Mode, error) {
	bad := fmt.Errorf("camera mode %q: use WIDTHxHEIGHT@FPS, e.g. 1920x1080@30", s)
	size, rate, hasRate := strings.Cut(strings.TrimSpace(s), "@")
	ws, hs, ok := strings.Cut(size, "x")
	if !ok {
		return Mode{}, bad
	}
	w, err1 := strconv.Atoi(ws)
	h, err2 := strconv.Atoi(hs)
	if err1 != nil || err2 != nil || w <= 0 || h <= 0 || w > 16384 || h > 16384 {
		return Mode{}, bad
	}
	m := Mode{Width: w, Height: h}
	if hasRate {
		fps, err := strconv.ParseFloat(rate, 64)
		if err != nil || !(fps > 0 && fps <= 480) {
			return Mode{}, bad
		}
		m.FPS = fps
	}
	return m, nil
}

// Nearest picks the mode closest to want (size first, then frame rate, then
// a format cheap to convert) and says whether it is exactly what was asked.
// A zero field in want matches anything.
func Nearest(modes []Mode, want Mode) (Mode, bool) {
	if len(modes) == 0 {
		return Mode{}, false
	}
	score := func(m Mode) (float64, float64, int) {
		var size, rate float64
		if want.Width > 0 && want.Height > 0 {
			size = abs(float64(m.Width*m.Height-want.Width*want.Height)) + abs(float64(m.Width-want.Width))
		}
		if want.FPS > 0 {
			rate = abs(m.FPS - want.FPS)
			if m.FPS < want.FPS {
				rate *= 2 // fewer pictures than asked is worse than more
			}
		}
		f := slices.Index(formatCost, m.Format)
		if want.Format != "" && m.Format == want.Format {
			f = -1
		}
		return size, rate, f
	}
	best := modes[0]
	bs, br, bf := score(best)
	for _, m := range modes[1:] {
		s, r, f := score(m)
		if s < bs || s == bs && (r < br || r == br && f < bf) {
			best, bs, br, bf = m, s, r, f
		}
	}
	return best, bs == 0 && br == 0 && (want.Format == "" || best.Format == want.Format)
}

// formatCost orders formats by what a picture costs us to take: raw 4:2:0
// first, packed 4:2:2, then MJPEG (a decode).
var formatCost = []frame.Format{frame.FormatI420, frame.FormatNV12, frame.FormatYUYV, frame.FormatUYVY, frame.FormatMJPEG}

func abs(v float64) float64 {
	if v < 0 {
		return -v
	}
	return v
}

// Kind is a camera or a microphone.
type Kind int

const (
	Camera Kind = iota + 1
	Microphone
)

// Info describes a device as the registry lists it.
type Info struct {
	Kind  Kind
	Label string // the key, in profiles and on the command line
	Name  string // what a person reads
	// Cameras: the modes offered.
	Modes []Mode
	// Microphones: what the device captures; Default marks the system's default.
	Channels, SampleRate int
	Default              bool
}

// ErrNotFound is returned when no device has the label asked for.
var ErrNotFound = errors.New("no such device")

// List returns the registered devices of kind, sorted by label. A driver
// whose Properties cannot be read (a camera gone since it was registered)
// is listed without modes.
func List(kind Kind) []Info {
	var out []Info
	for _, d := range drivers(kind) {
		out = append(out, describe(kind, d))
	}
	slices.SortFunc(out, func(a, b Info) int { return strings.Compare(a.Label, b.Label) })
	return out
}

func drivers(kind Kind) []driver.Driver {
	t := driver.Camera
	if kind == Microphone {
		t = driver.Microphone
	}
	return driver.GetManager().Query(driver.FilterDeviceType(t))
}

func describe(kind Kind, d driver.Driver) Info {
	di := d.Info()
	in := Info{Kind: kind, Label: di.Label, Name: di.Name}
	if in.Name == "" {
		in.Name = di.Label
	}
	if lister, ok := describer(kind, d); ok {
		// Our drivers know more than Properties say (the default device).
		return lister.Describe()
	}
	for _, p := range properties(d) {
		if kind == Camera {
			in.Modes = append(in.Modes, Mode{Width: p.Width, Height: p.Height, FPS: float64(p.FrameRate), Format: p.FrameFormat})
		} else {
			in.Channels, in.SampleRate = max(in.Channels, p.ChannelCount), max(in.SampleRate, p.SampleRate)
		}
	}
	return in
}

// claims are the cameras a source of ours holds, and the modes each
// offered when last read: a listing must not open (and then close) a camera
// that is in use, so it shows what was read before.
var claims = struct {
	sync.Mutex
	held  map[string]bool
	props map[string][]prop.Media
}{held: map[string]bool{}, props: map[string][]prop.Media{}}

// claim marks label in use; false when it already is.
func claim(label string) bool {
	claims.Lock()
	defer claims.Unlock()
	if claims.held[label] {
		return false
	}
	claims.held[label] = true
	return true
}

// rememberProps keeps what a camera in use offers, for listings.
func rememberProps(label string, p []prop.Media) {
	claims.Lock()
	claims.props[label] = p
	claims.Unlock()
}

func unclaim(label string) {
	claims.Lock()
	delete(claims.held, label)
	claims.Unlock()
}

// properties asks a driver for its modes; mediadevices requires the device
// open for that. A camera in use answers with what it offered before.
func properties(d driver.Driver) []prop.Media {
	label := d.Info().Label
	claims.Lock()
	defer claims.Unlock()
	if claims.held[label] || d.Status() != driver.StateClosed {
		return claims.props[label]
	}
	if err := d.Open(); err != nil {
		return nil
	}
	defer d.Close()
	p := d.Properties()
	claims.props[label] = p
	return p
}

// Find returns the driver of kind with label.
func Find(kind Kind, label string) (driver.Driver, error) {
	for _, d := range drivers(kind) {
		if d.Info().Label == label {
			return d, nil
		}
	}
	return nil, fmt.Errorf("%w: %q", ErrNotFound, label)
}

// RawFrame is a picture as the camera sent it: MJPEG, YUYV, NV12 or I420
// bytes. Our camera drivers hand these on through mediadevices' video.Reader
// (it speaks image.Image; RawFrame is one only so that it can travel there:
// its At is not meant to be called per pixel).
type RawFrame struct {
	Format        frame.Format
	Width, Height int
	Data          []byte
}

func (f *RawFrame) ColorModel() color.Model { return color.YCbCrModel }
func (f *RawFrame) Bounds() image.Rectangle { return image.Rect(0, 0, f.Width, f.Height) }
func (f *RawFrame) At(x, y int) color.Color { return color.YCbCr{Y: 16, Cb: 128, Cr: 128} }
