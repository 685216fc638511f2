package device

import (
	"testing"

	"github.com/pion/mediadevices/pkg/frame"
)

func TestParseMode(t *testing.T) {
	for in, want := range map[string]Mode{
		"1920x1080@30":  {Width: 1920, Height: 1080, FPS: 30},
		"1280x720":      {Width: 1280, Height: 720},
		"640x480@29.97": {Width: 640, Height: 480, FPS: 29.97},
	} {
		got, err := ParseMode(in)
		if err != nil || got != want {
			t.Errorf("ParseMode(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "1920", "0x0@30", "1920x1080@0", "axb", "1920x1080@-3", "99999x1@30"} {
		if _, err := ParseMode(in); err == nil {
			t.Errorf("ParseMode(%q): no error", in)
		}
	}
}

func TestNearest(t *testing.T) {
	modes := []Mode{
		{640, 480, 30, frame.FormatYUYV},
		{1280, 720, 30, frame.FormatMJPEG},
		{1920, 1080, 30, frame.FormatMJPEG},
		{1920, 1080, 5, frame.FormatYUYV},
	}
	if m, exact := Nearest(modes, Mode{Width: 1920, Height: 1080, FPS: 30}); !exact || m != modes[2] {
		t.Errorf("1080p30: got %v exact=%v", m, exact)
	}
	if m, exact := Nearest(modes, Mode{Width: 1920, Height: 1080, FPS: 60}); exact || m != modes[2] {
		t.Errorf("1080p60: got %v exact=%v, want the 1080p30 mode, not exact", m, exact)
	}
	if m, exact := Nearest(modes, Mode{Width: 1600, Height: 900, FPS: 30}); exact || m.Width != 1920 && m.Width != 1280 {
		t.Errorf("900p: got %v exact=%v", m, exact)
	}
	if _, exact := Nearest(nil, Mode{Width: 1}); exact {
		t.Error("no modes: exact")
	}
}
