package libav

import (
	"image"
	"math/rand/v2"
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
		e, notice, err := OpenVideoEncoder(encoder.VideoConfig{Codec: s.Codec, Width: 320, Height: 180, FPS: 30, BitrateKbps: 500, KeyframeSec: 1, Encoder: s.Family, Preset: "ultrafast"})
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
			if e.Config().Encoder != encoder.Software || !strings.Contains(notice, s.Encoder) || !strings.Contains(notice, "in software ("+sw+")") {
				t.Errorf("%s: fallback %q to %+v", s.Encoder, notice, e.Config())
			}
		}
		encodeSecond(t, e)
		e.Close()
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
		t.Errorf("%s: %d packets from %d pictures (first key: %v)", c.EncoderName(), len(got), c.FPS, len(got) > 0 && got[0].Key)
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

// A running libx264 takes a new bitrate from the next picture: two seconds
// at 2000 kb/s, then two at 400 kb/s, and the coded size follows (the
// pictures are noise, which needs every bit it is given).
func TestSetBitrateWhileRunning(t *testing.T) {
	e, err := NewVideoEncoder(encoder.VideoConfig{Width: 640, Height: 360, FPS: 30, BitrateKbps: 2000, KeyframeSec: 1, Preset: "ultrafast", Adaptive: true})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	rng := rand.New(rand.NewPCG(1, 2))
	noise := func(pts int64) *capture.Frame {
		pic := image.NewYCbCr(image.Rect(0, 0, 640, 360), image.YCbCrSubsampleRatio420)
		for _, plane := range [][]byte{pic.Y, pic.Cb, pic.Cr} {
			for i := range plane {
				plane[i] = byte(rng.Uint32())
			}
		}
		return capture.NewFrame(pic, pts, time.Duration(pts)*time.Second/30, nil)
	}
	var bytes [4]int
	var pts int64
	for sec := range 4 {
		if sec == 2 {
			if err := e.SetBitrate(400); err != nil {
				t.Fatal(err)
			}
		}
		for range 30 {
			f := noise(pts)
			if err := e.Encode(f, pts, time.Now(), func(p *encoder.Packet) { bytes[sec] += len(p.Data) }); err != nil {
				t.Fatal(err)
			}
			f.Release()
			pts++
		}
	}
	kbps := func(n int) int { return n * 8 / 1000 }
	t.Logf("kb/s per second: %d %d | %d %d", kbps(bytes[0]), kbps(bytes[1]), kbps(bytes[2]), kbps(bytes[3]))
	if k := kbps(bytes[1]); k < 1500 || k > 2500 {
		t.Errorf("second 2 at %d kb/s, want about 2000", k)
	}
	if k := kbps(bytes[3]); k < 250 || k > 550 {
		t.Errorf("second 4 at %d kb/s after SetBitrate(400), want about 400", k)
	}
	if e.Stream().BitrateKbps != 400 {
		t.Errorf("stream says %d kb/s", e.Stream().BitrateKbps)
	}
	x265, _ := NewVideoEncoder(encoder.VideoConfig{Codec: encoder.HEVC, Width: 320, Height: 180, FPS: 30, BitrateKbps: 500, Preset: "ultrafast", Adaptive: true})
	defer x265.Close()
	if err := x265.SetBitrate(300); err == nil {
		t.Error("libx265 claims to change its bitrate while running")
	}
}
