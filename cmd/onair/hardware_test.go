package main

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"onair/encoder"
	"onair/encoder/libav"
)

// Choosing a hardware encoder this machine lacks: a notice names it and why,
// and the broadcast goes on in software (the recording is complete H.264).
func TestHardwareEncoderFallsBackWithNotice(t *testing.T) {
	var missing *libav.HardwareStatus
	for _, s := range libav.ProbeHardware() {
		if !s.Usable && s.Family == encoder.VAAPI {
			missing = &s
			break
		}
	}
	if missing == nil {
		t.Skip("this machine has a working VA-API encoder: nothing to fall back from")
	}
	out := filepath.Join(t.TempDir(), "hw.mkv")
	r := runOnair(t, 60*time.Second, "live", "--encoder", "vaapi", "--size", "640x360", "--fps", "30", "--bitrate", "800",
		"--duration", "4s", "--quiet", "--dest", "file://"+out)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	want := "notice: rendition 1: h264_vaapi is not available here (no VA-API device"
	if !strings.Contains(r.stderr, want) || !strings.Contains(r.stderr, "encoding H.264 in software (libx264) instead") {
		t.Errorf("no fallback notice (%q) in:\n%s", want, r.stderr)
	}
	if !strings.Contains(r.stderr, "rendition 1: H.264 640x360@30 800 kb/s, keyframe every 2 s, high profile (libx264)") {
		t.Errorf("the rendition does not say it runs on libx264:\n%s", r.stderr)
	}
	checkRecording(t, out, 640, 360, 30, 4*time.Second)
}
