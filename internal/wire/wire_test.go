package wire

import (
	"strings"
	"testing"

	"go.uber.org/goleak"

	"onair/encoder"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// The studio sees libav's encoders through its interfaces: a refused
// setting is an error and a nil interface (not a typed nil the broadcast
// would later call), an opened one encodes and closes.
func TestEncodersThroughTheStudioInterfaces(t *testing.T) {
	var e Encoders
	v, _, err := e.OpenVideo(encoder.VideoConfig{Width: 3, Height: 3, FPS: 30, BitrateKbps: 500})
	if err == nil || v != nil {
		t.Fatalf("a 3x3 H.264 encoder opened: %v, %v", v, err)
	}
	if !strings.Contains(err.Error(), "3x3") {
		t.Errorf("the error does not say which size: %v", err)
	}
	v, notice, err := e.OpenVideo(encoder.VideoConfig{Width: 320, Height: 180, FPS: 30, BitrateKbps: 500, Preset: "ultrafast"})
	if err != nil || notice != "" {
		t.Fatalf("OpenVideo: %v (%q)", err, notice)
	}
	defer v.Close()
	if s := v.Stream(); s.Codec != encoder.H264 || s.Width != 320 || len(s.Extradata) == 0 {
		t.Errorf("stream %+v", s)
	}
	a, err := e.OpenAudio(128)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if s := a.Stream(); s.Codec != encoder.AAC || s.SampleRate != 48000 {
		t.Errorf("audio stream %+v", s)
	}
}
