package media

import (
	"errors"
	"strings"
	"testing"

	"github.com/pion/mediadevices/pkg/driver"
	"github.com/pion/mediadevices/pkg/frame"
	"github.com/pion/mediadevices/pkg/io/video"
	"github.com/pion/mediadevices/pkg/prop"

	"onair/capture/device"
)

// A camera that opens but refuses to stream (EBUSY: another program has it).
type busyCam struct{}

func (busyCam) Open() error  { return nil }
func (busyCam) Close() error { return nil }
func (busyCam) Properties() []prop.Media {
	return []prop.Media{{Video: prop.Video{Width: 640, Height: 360, FrameRate: 30, FrameFormat: frame.FormatMJPEG}}}
}
func (busyCam) VideoRecord(prop.Media) (video.Reader, error) { return nil, errors.New("device busy") }

// A camera that opens but will not stream (another program holds it): each
// refused OpenCamera frees the decoder it made, and a second try is not
// refused as "in use".
func TestCameraThatWillNotStreamFreesItsConverter(t *testing.T) {
	m := driver.GetManager()
	if err := m.Register(busyCam{}, driver.Info{Label: "Busy Cam", DeviceType: driver.Camera}); err != nil {
		t.Fatal(err)
	}
	before := liveConverters.Load()
	for range 3 {
		if _, _, err := device.OpenCamera("Busy Cam", device.Mode{}, 320, 180, NewConverter); err == nil || strings.Contains(err.Error(), "in use") {
			t.Fatalf("OpenCamera = %v, want its refusal to start", err)
		}
	}
	if n := liveConverters.Load() - before; n != 0 {
		t.Errorf("%d converters (MJPEG decoders) left unfreed after 3 failed OpenCamera", n)
	}
}
