package libav

import (
	"encoding/binary"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"onair/capture"
	"onair/encoder"
)

// Pictures our H.264 encoder made come out of the decoder, all of them, at
// their size, in Go memory, with the test card's picture in them.
func TestDecoderH264(t *testing.T) {
	const w, h, n = 320, 180, 20
	e, err := NewVideoEncoder(encoder.VideoConfig{Width: w, Height: h, FPS: 30, BitrateKbps: 500, KeyframeSec: 1, Preset: "ultrafast", Profile: "baseline"})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	var aus [][]byte
	emit := func(p *encoder.Packet) { aus = append(aus, p.Data) }
	card, _ := capture.NewTestCard(w, h, 30)
	var first *capture.Frame
	for i := int64(0); i < n; i++ {
		f, _ := card.Latest(time.Duration(i) * time.Second / 30)
		if err := e.Encode(f, i, time.Now(), emit); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = f
		} else {
			f.Release()
		}
	}
	defer first.Release()
	if err := e.Flush(emit); err != nil {
		t.Fatal(err)
	}
	d, err := NewVideoDecoder("video/H264")
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	got := 0
	// The encoder's packets carry their SPS/PPS only in its extradata
	// (global header): a receiver over RTP gets them in band, as here.
	aus[0] = append(append([]byte{}, e.Stream().Extradata...), aus[0]...)
	for i, au := range aus {
		pics, err := d.Decode(au)
		if err != nil {
			t.Fatalf("access unit %d: %v", i, err)
		}
		for _, p := range pics {
			if p.Rect.Dx() != w || p.Rect.Dy() != h {
				t.Fatalf("picture %dx%d, want %dx%d", p.Rect.Dx(), p.Rect.Dy(), w, h)
			}
			if got == 0 {
				// Lossy, but close to the card: the mean luma difference is small.
				var diff int
				for y := 0; y < h; y++ {
					for x := 0; x < w; x++ {
						a, b := int(p.Y[y*p.YStride+x]), int(first.Pic.Y[y*first.Pic.YStride+x])
						if a > b {
							diff += a - b
						} else {
							diff += b - a
						}
					}
				}
				if mean := float64(diff) / (w * h); mean > 8 {
					t.Errorf("first picture differs from the card by %.1f per pixel", mean)
				}
			}
			got++
		}
	}
	if got != n {
		t.Errorf("%d pictures decoded, want %d", got, n)
	}
	d.Close()
	if _, err := d.Decode(aus[1]); err != ErrDecoderClosed {
		t.Errorf("Decode after Close: %v", err)
	}
	d.Close() // twice: nothing left to free
}

// VP8 (what Chromium's camera sends first) decodes too: frames libvpx made
// (ffmpeg, in an IVF file).
func TestDecoderVP8(t *testing.T) {
	ffmpeg, err := exec.LookPath("ffmpeg")
	if err != nil {
		t.Skip("ffmpeg is not installed")
	}
	out := filepath.Join(t.TempDir(), "v.ivf")
	if b, err := exec.Command(ffmpeg, "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=640x480:rate=30", "-frames:v", "15",
		"-c:v", "libvpx", "-deadline", "realtime", "-b:v", "500k", out).CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v\n%s", err, b)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	d, err := NewVideoDecoder("VP8")
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	got := 0
	for off := int(binary.LittleEndian.Uint16(b[6:])); off+12 <= len(b); {
		size := int(binary.LittleEndian.Uint32(b[off:]))
		frame := b[off+12 : off+12+size]
		off += 12 + size
		pics, err := d.Decode(frame)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range pics {
			if p.Rect.Dx() != 640 || p.Rect.Dy() != 480 {
				t.Fatalf("picture %v, want 640x480", p.Rect)
			}
			got++
		}
	}
	if got != 15 {
		t.Errorf("%d pictures decoded, want 15", got)
	}
}

// Garbage is an error or nothing, never a crash, and the decoder still
// decodes what follows; an unknown codec is refused in words.
func TestDecoderGarbage(t *testing.T) {
	if _, err := NewVideoDecoder("AV2"); err == nil || err.Error() != `no decoder for "AV2" video: H.264 and VP8 are decoded` {
		t.Errorf("unknown codec: %v", err)
	}
	for _, codec := range []string{"H264", "VP8"} {
		d, err := NewVideoDecoder(codec)
		if err != nil {
			t.Fatal(err)
		}
		junk := [][]byte{
			{0, 0, 0, 1, 0x67, 0xff, 0xff, 0xff, 0xff}, // an SPS of nonsense
			{0, 0, 1, 0x65, 1, 2, 3},                   // a slice with no SPS
			{0x9d, 0x01, 0x2a, 0, 0, 0, 0},             // a VP8 start code, no size
			make([]byte, 3000),
		}
		for i := range 20 {
			b := make([]byte, 200+i*37)
			for j := range b {
				b[j] = byte(j*7919 + i*31)
			}
			junk = append(junk, b)
		}
		errs := 0
		for _, b := range junk {
			pics, err := d.Decode(b)
			if err != nil {
				errs++
			}
			if len(pics) > 0 {
				t.Errorf("%s: garbage gave %d pictures", codec, len(pics))
			}
		}
		t.Logf("%s: %d of %d garbage inputs were errors, the rest gave nothing", codec, errs, len(junk))
		d.Close()
	}
}

// Our Opus encoder's tone comes back out of the Opus decoder: 20 ms a
// packet, both sides, at about the level it went in; garbage is an error.
func TestDecoderOpus(t *testing.T) {
	e, err := NewOpusEncoder(64)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	var pkts [][]byte
	emit := func(p *encoder.Packet) { pkts = append(pkts, p.Data) }
	for start := int64(0); start < capture.SampleRate/2; start += 960 {
		c := &capture.AudioChunk{Start: start}
		for ch := range c.Samples {
			c.Samples[ch] = make([]float32, 960)
			for i := range c.Samples[ch] {
				c.Samples[ch][i] = float32(0.5 * math.Sin(2*math.Pi*440*float64(start+int64(i))/capture.SampleRate))
			}
		}
		if err := e.Encode(c, start, time.Now(), emit); err != nil {
			t.Fatal(err)
		}
	}
	d, err := NewOpusDecoder()
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	var n int
	var peak float64
	for i, p := range pkts {
		l, r, err := d.Decode(p)
		if err != nil {
			t.Fatalf("packet %d: %v", i, err)
		}
		if len(l) != 960 || len(r) != 960 {
			t.Fatalf("packet %d gave %d+%d samples, want 960 a side", i, len(l), len(r))
		}
		n += len(l)
		if i > 5 {
			for j := range l {
				peak = math.Max(peak, math.Abs(float64(l[j])))
			}
		}
	}
	if n != len(pkts)*960 || peak < 0.4 || peak > 0.6 {
		t.Errorf("%d samples from %d packets, peak %.2f: want 960 a packet and about 0.5", n, len(pkts), peak)
	}
	if _, _, err := d.Decode([]byte{0xff, 0xff, 0xff}); err == nil {
		t.Error("garbage decoded without an error")
	}
	if l, _, err := d.Decode(pkts[3]); err != nil || len(l) != 960 {
		t.Errorf("after garbage: %d samples, %v", len(l), err)
	}
}

// What decoding a viewer's camera costs: 640x480 H.264 from x264, one
// picture per op (a second of it is 30 ops).
func BenchmarkDecoderH264At640x480(b *testing.B) {
	const w, h = 640, 480
	e, err := NewVideoEncoder(encoder.VideoConfig{Width: w, Height: h, FPS: 30, BitrateKbps: 1000, KeyframeSec: 2, Preset: "ultrafast", Profile: "baseline"})
	if err != nil {
		b.Fatal(err)
	}
	defer e.Close()
	var aus [][]byte
	emit := func(p *encoder.Packet) { aus = append(aus, p.Data) }
	card, _ := capture.NewTestCard(w, h, 30)
	for i := int64(0); i < 60; i++ {
		f, _ := card.Latest(time.Duration(i) * time.Second / 30)
		if err := e.Encode(f, i, time.Now(), emit); err != nil {
			b.Fatal(err)
		}
		f.Release()
	}
	e.Flush(emit)
	aus[0] = append(append([]byte{}, e.Stream().Extradata...), aus[0]...)
	d, err := NewVideoDecoder("H264")
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		// Round and round: the first picture is an IDR with its SPS.
		if _, err := d.Decode(aus[i%len(aus)]); err != nil {
			b.Fatal(err)
		}
	}
}
