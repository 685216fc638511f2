package libav

import (
	"strings"
	"testing"
	"time"

	"github.com/asticode/go-astiav"

	"onair/capture"
	"onair/encoder"
)

// Every hardware encoder is probed for both codecs and either works or says
// why not; choosing one that does not work falls back to software with a
// notice, and the fallback encodes. (This machine has no GPU: the fallback
// is what runs here; on one with a GPU the usable encoders are exercised.)
func TestHardwareProbeAndFallback(t *testing.T) {
	got := ProbeHardware()
	if len(got) != 6 {
		t.Fatalf("%d probe results, want 6 (nvenc, vaapi, qsv × H.264, HEVC)", len(got))
	}
	for _, s := range got {
		t.Logf("%s: usable=%v %s", s.Encoder, s.Usable, s.Reason)
		codec := map[encoder.Codec]string{encoder.H264: "h264", encoder.HEVC: "hevc"}[s.Codec]
		if s.Encoder != codec+"_"+s.Family {
			t.Errorf("probe names %s for %s %s", s.Encoder, s.Family, codec)
		}
		if !s.Usable && s.Reason == "" {
			t.Errorf("%s is not usable and no reason is given", s.Encoder)
		}
		e, notice, err := OpenVideoEncoder(VideoConfig{Codec: s.Codec, Width: 320, Height: 180, FPS: 30, BitrateKbps: 500, KeyframeSec: 1, Encoder: s.Family, Preset: "ultrafast"})
		if err != nil {
			t.Fatalf("%s: %v", s.Encoder, err)
		}
		if asked := e.Asked(); asked.Encoder != s.Family || asked.Codec != s.Codec {
			t.Errorf("%s: asked %+v", s.Encoder, asked)
		}
		if s.Usable {
			if notice != "" || e.Config().Encoder != s.Family {
				t.Errorf("%s is usable but was replaced: %q", s.Encoder, notice)
			}
		} else {
			sw := map[encoder.Codec]string{encoder.H264: "libx264", encoder.HEVC: "libx265"}[s.Codec]
			if e.Config().Encoder != Software || !strings.Contains(notice, s.Encoder) || !strings.Contains(notice, "in software ("+sw+")") {
				t.Errorf("%s: fallback %q to %+v", s.Encoder, notice, e.Config())
			}
		}
		encodeSecond(t, e)
		e.Close()
	}
	if !strings.Contains(Hardware(), "hevc_vaapi: ") {
		t.Errorf("Hardware() = %q", Hardware())
	}
}

// encodeSecond encodes one second of the test card and checks a keyframe
// opens it and every picture comes out.
func encodeSecond(t *testing.T, e *VideoEncoder) {
	t.Helper()
	c := e.Config()
	card, _ := capture.NewTestCard(c.Width, c.Height, c.FPS)
	var got []*encoder.Packet
	emit := func(p *encoder.Packet) { got = append(got, p) }
	for i := range int64(c.FPS) {
		f, _ := card.Latest(time.Duration(i) * time.Second / time.Duration(c.FPS))
		if err := e.Encode(f, i, time.Now(), emit); err != nil {
			t.Fatal(err)
		}
		f.Release()
	}
	if err := e.Flush(emit); err != nil {
		t.Fatal(err)
	}
	if len(got) != c.FPS || !got[0].Key {
		t.Errorf("%s: %d packets from %d pictures (first key: %v)", encoderName(c), len(got), c.FPS, len(got) > 0 && got[0].Key)
	}
}

// The C pointers read out of go-astiav's types are the right ones.
func TestCPointerLayout(t *testing.T) {
	f := astiav.AllocFrame()
	defer f.Free()
	f.SetWidth(123)
	if w := int(frameC(f).width); w != 123 {
		t.Errorf("frame width through the C pointer: %d", w)
	}
	cc := astiav.AllocCodecContext(nil)
	defer cc.Free()
	cc.SetWidth(321)
	if w := int(codecContextC(cc).width); w != 321 {
		t.Errorf("codec context width through the C pointer: %d", w)
	}
}
