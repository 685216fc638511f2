package libav

import (
	"slices"
	"testing"
	"time"

	"onair/capture"
	"onair/encoder"
)

func TestVideoEncoderKeyframesAndPackets(t *testing.T) {
	for _, codec := range []encoder.Codec{encoder.H264, encoder.HEVC} {
		t.Run(codec.String(), func(t *testing.T) { testKeyframesAndPackets(t, codec) })
	}
}

func testKeyframesAndPackets(t *testing.T, codec encoder.Codec) {
	e, err := NewVideoEncoder(encoder.VideoConfig{Codec: codec, Width: 320, Height: 180, FPS: 30, BitrateKbps: 400, KeyframeSec: 1, Preset: "ultrafast"})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	card, _ := capture.NewTestCard(320, 180, 30)
	var got []*encoder.Packet
	emit := func(p *encoder.Packet) { got = append(got, p) }
	for i := int64(0); i < 65; i++ {
		f, _ := card.Latest(time.Duration(i) * time.Second / 30)
		if err := e.Encode(f, i, time.Now(), emit); err != nil {
			t.Fatal(err)
		}
		f.Release()
	}
	if err := e.Flush(emit); err != nil {
		t.Fatal(err)
	}
	if len(got) != 65 || e.Frames() != 65 {
		t.Fatalf("%d packets from %d frames, want 65 (zerolatency: one out per picture)", len(got), e.Frames())
	}
	for i, p := range got {
		if p.Key != (i%30 == 0) || p.PTS != int64(i) || len(p.Data) == 0 {
			t.Fatalf("packet %d: key=%v pts=%d size=%d; want a keyframe exactly every 30", i, p.Key, p.PTS, len(p.Data))
		}
	}
	if s := e.Stream(); len(s.Extradata) == 0 || s.Width != 320 || s.Codec != codec {
		t.Errorf("stream %+v", s)
	}
}

func BenchmarkCopyPicture720p(b *testing.B) {
	e, err := NewVideoEncoder(encoder.VideoConfig{Width: 1280, Height: 720, FPS: 30, BitrateKbps: 3000})
	if err != nil {
		b.Fatal(err)
	}
	defer e.Close()
	card, _ := capture.NewTestCard(1280, 720, 30)
	f, _ := card.Latest(0)
	defer f.Release()
	b.ReportAllocs()
	b.SetBytes(1280 * 720 * 3 / 2)
	for b.Loop() {
		if err := copyPicture(e.frame, f.Pic); err != nil {
			b.Fatal(err)
		}
	}
}

// Pictures skipped (a starved CPU) do not stretch the keyframe interval:
// the first picture at or after each whole interval of media time is a
// keyframe, and no other — with x264 and x265 alike.
func TestKeyframesFollowMediaTimeAcrossSkips(t *testing.T) {
	for _, codec := range []encoder.Codec{encoder.H264, encoder.HEVC} {
		t.Run(codec.String(), func(t *testing.T) {
			e, err := NewVideoEncoder(encoder.VideoConfig{Codec: codec, Width: 320, Height: 180, FPS: 30, BitrateKbps: 400, KeyframeSec: 1, Preset: "ultrafast"})
			if err != nil {
				t.Fatal(err)
			}
			defer e.Close()
			card, _ := capture.NewTestCard(320, 180, 30)
			var got []*encoder.Packet
			emit := func(p *encoder.Packet) { got = append(got, p) }
			// Every picture for a second, then every third (skipping two in
			// three), then every picture again.
			var sent []int64
			for pts := int64(0); pts < 150; pts++ {
				if pts >= 30 && pts < 110 && pts%3 != 0 {
					continue
				}
				f, _ := card.Latest(time.Duration(pts) * time.Second / 30)
				if err := e.Encode(f, pts, time.Now(), emit); err != nil {
					t.Fatal(err)
				}
				f.Release()
				sent = append(sent, pts)
			}
			if err := e.Flush(emit); err != nil {
				t.Fatal(err)
			}
			if len(got) != len(sent) {
				t.Fatalf("%d packets from %d pictures", len(got), len(sent))
			}
			next := int64(0)
			for _, p := range got {
				want := p.PTS >= next
				if want {
					next = (p.PTS/30 + 1) * 30
				}
				if p.Key != want {
					t.Errorf("pts %d: key=%v, want %v (a keyframe at the first picture of each second)", p.PTS, p.Key, want)
				}
			}
		})
	}
}

// A keyframe asked for (a WebRTC receiver's PLI) comes on the next picture,
// and the fixed keyframes stay on their instants.
func TestRequestKeyframe(t *testing.T) {
	e, err := NewVideoEncoder(encoder.VideoConfig{Width: 320, Height: 180, FPS: 30, BitrateKbps: 400, KeyframeSec: 1, Preset: "ultrafast"})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	card, _ := capture.NewTestCard(320, 180, 30)
	var got []*encoder.Packet
	emit := func(p *encoder.Packet) { got = append(got, p) }
	for i := int64(0); i < 40; i++ {
		if i == 10 {
			e.RequestKeyframe()
		}
		f, _ := card.Latest(time.Duration(i) * time.Second / 30)
		if err := e.Encode(f, i, time.Now(), emit); err != nil {
			t.Fatal(err)
		}
		f.Release()
	}
	var keys []int64
	for _, p := range got {
		if p.Key {
			keys = append(keys, p.PTS)
		}
	}
	if want := []int64{0, 10, 30}; !slices.Equal(keys, want) {
		t.Errorf("keyframes at %v, want %v", keys, want)
	}
}
