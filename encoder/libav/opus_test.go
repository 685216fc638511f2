package libav

import (
	"errors"
	"math"
	"testing"
	"time"
	"unsafe"

	"github.com/asticode/go-astiav"

	"onair/capture"
	"onair/encoder"
)

// tone is n samples of a 440 Hz sine at amplitude 0.5 on both channels,
// starting at sample start.
func tone(start, n int64) *capture.AudioChunk {
	c := &capture.AudioChunk{Start: start}
	for ch := range c.Samples {
		c.Samples[ch] = make([]float32, n)
		for i := range c.Samples[ch] {
			c.Samples[ch][i] = float32(0.5 * math.Sin(2*math.Pi*440*float64(start+int64(i))/capture.SampleRate))
		}
	}
	return c
}

// One second of a tone, fed in 10 ms chunks, comes out as fifty 20 ms Opus
// packets that FFmpeg's own Opus decoder turns back into a second of sound
// with the tone's energy (RMS 0.5/√2 ≈ 0.354).
func TestOpusEncoderToneRoundTrip(t *testing.T) {
	e, err := NewOpusEncoder(96)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	if s := e.Stream(); s.Codec != encoder.Opus || s.FrameSize != 960 || s.SampleRate != 48000 || s.Channels != 2 {
		t.Fatalf("stream %+v, want Opus 48 kHz stereo in 960-sample frames", s)
	}
	var got []*encoder.Packet
	emit := func(p *encoder.Packet) { got = append(got, p) }
	for start := int64(0); start < capture.SampleRate; start += 480 {
		if err := e.Encode(tone(start, 480), start, time.Now(), emit); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.Flush(emit); err != nil {
		t.Fatal(err)
	}
	if len(got) < 50 || len(got) > 52 {
		t.Fatalf("%d packets for 1 s, want 50 (and the lookahead's flush)", len(got))
	}
	for i := 1; i < len(got); i++ {
		if d := got[i].PTS - got[i-1].PTS; d != 960 {
			t.Fatalf("packet %d is %d samples after the one before, want 960", i, d)
		}
	}
	t.Logf("%d packets, first pts %d, %d bytes in the first", len(got), got[0].PTS, len(got[0].Data))

	samples, rms := decodeOpus(t, got)
	// The decoder drops nothing: 50 frames at least (a second), the
	// encoder's lookahead more when flushed.
	if samples < capture.SampleRate || samples > capture.SampleRate+3*960 {
		t.Errorf("decoded %d samples, want about %d (1 s)", samples, capture.SampleRate)
	}
	if rms < 0.30 || rms > 0.40 {
		t.Errorf("decoded RMS %.3f, want about 0.354 (a 0.5 sine)", rms)
	}
	t.Logf("decoded %d samples per channel, RMS %.3f", samples, rms)
}

// decodeOpus decodes packets with FFmpeg's native Opus decoder and returns
// the samples per channel and the RMS of the middle half-second (clear of
// the encoder's start-up).
func decodeOpus(t *testing.T, packets []*encoder.Packet) (int, float64) {
	t.Helper()
	dec := astiav.FindDecoder(astiav.CodecIDOpus)
	if dec == nil {
		t.Fatal("no Opus decoder in this FFmpeg build")
	}
	cc := astiav.AllocCodecContext(dec)
	defer cc.Free()
	cc.SetSampleRate(capture.SampleRate)
	cc.SetChannelLayout(astiav.ChannelLayoutStereo)
	if err := cc.Open(dec, nil); err != nil {
		t.Fatal(err)
	}
	pkt := astiav.AllocPacket()
	defer pkt.Free()
	f := astiav.AllocFrame()
	defer f.Free()
	var left []float32
	receive := func() {
		for {
			err := cc.ReceiveFrame(f)
			if errors.Is(err, astiav.ErrEagain) || errors.Is(err, astiav.ErrEof) {
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if f.SampleFormat() != astiav.SampleFormatFltp {
				t.Fatalf("decoder gave %s, want fltp", f.SampleFormat())
			}
			// go-astiav reads no audio planes: AVFrame opens with data[8],
			// and data[0] is the left plane of fltp.
			plane := *(*unsafe.Pointer)(f.UnsafePointer())
			left = append(left, unsafe.Slice((*float32)(plane), f.NbSamples())...)
			f.Unref()
		}
	}
	for _, p := range packets {
		if err := pkt.FromData(p.Data); err != nil {
			t.Fatal(err)
		}
		pkt.SetPts(p.PTS)
		if err := cc.SendPacket(pkt); err != nil {
			t.Fatal(err)
		}
		pkt.Unref()
		receive()
	}
	if err := cc.SendPacket(nil); err != nil && !errors.Is(err, astiav.ErrEof) {
		t.Fatal(err)
	}
	receive()
	if len(left) < capture.SampleRate {
		return len(left), 0
	}
	var sum float64
	mid := left[capture.SampleRate/4 : capture.SampleRate*3/4]
	for _, v := range mid {
		sum += float64(v) * float64(v)
	}
	return len(left), math.Sqrt(sum / float64(len(mid)))
}

// BenchmarkOpusEncodeSecond is one second of stereo sound through the Opus
// encoder at the WebRTC rate (128 kb/s), in the 10 ms chunks the studio
// sends: ns/op is the share of a core it costs (1e9 ns/op = one core).
func BenchmarkOpusEncodeSecond(b *testing.B) {
	benchAudioSecond(b, func() (*AudioEncoder, error) { return NewOpusEncoder(128) })
}

// BenchmarkAACEncodeSecond is the same through AAC at 160 kb/s, for scale.
func BenchmarkAACEncodeSecond(b *testing.B) {
	benchAudioSecond(b, func() (*AudioEncoder, error) { return NewAudioEncoder(160) })
}

func benchAudioSecond(b *testing.B, open func() (*AudioEncoder, error)) {
	e, err := open()
	if err != nil {
		b.Fatal(err)
	}
	defer e.Close()
	chunks := make([]*capture.AudioChunk, 100)
	for i := range chunks {
		chunks[i] = tone(int64(i*480), 480)
	}
	emit := func(*encoder.Packet) {}
	b.ResetTimer()
	var at int64
	for b.Loop() {
		for _, c := range chunks {
			c.Start = at
			if err := e.Encode(c, at, time.Now(), emit); err != nil {
				b.Fatal(err)
			}
			at += 480
		}
	}
}
