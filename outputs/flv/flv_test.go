package flv

import (
	"bytes"
	"encoding/binary"
	"testing"
	"time"

	"onair/encoder"
)

var (
	sps = []byte{0x67, 0x64, 0x00, 0x1f, 0xac, 0xd9}
	pps = []byte{0x68, 0xeb, 0xe3, 0xcb}
	asc = []byte{0x11, 0x90} // AAC-LC 48 kHz stereo
)

func annexB(nals ...[]byte) []byte {
	var b []byte
	for i, n := range nals {
		if i == 0 {
			b = append(b, 0, 0, 0, 1)
		} else {
			b = append(b, 0, 0, 1)
		}
		b = append(b, n...)
	}
	return b
}

func TestNALUnits(t *testing.T) {
	var got [][]byte
	// 4-byte start codes between units: their leading zero is not payload.
	in := append(append([]byte{0, 0, 0, 1}, sps...), 0, 0, 0, 1, 0x65, 1, 2, 0, 0, 0, 1)
	in = append(in, pps...)
	NALUnits(in, func(n []byte) { got = append(got, n) })
	if len(got) != 3 || !bytes.Equal(got[0], sps) || !bytes.Equal(got[2], pps) {
		t.Fatalf("NALUnits = %x", got)
	}
	if !bytes.Equal(got[1], []byte{0x65, 1, 2}) {
		t.Errorf("the next start code's zero was kept: %x", got[1])
	}
}

func TestAVCDecoderConfig(t *testing.T) {
	got, err := AVCDecoderConfig(annexB(sps, pps))
	if err != nil {
		t.Fatal(err)
	}
	want := append([]byte{1, 0x64, 0x00, 0x1f, 0xff, 0xe1, 0, byte(len(sps))}, sps...)
	want = append(append(want, 1, 0, byte(len(pps))), pps...)
	if !bytes.Equal(got, want) {
		t.Errorf("avcC\n got %x\nwant %x", got, want)
	}
	if _, err := AVCDecoderConfig([]byte{0, 0, 1, 0x65}); err == nil {
		t.Error("avcC without SPS accepted")
	}
}

type tag struct {
	typ  byte
	ts   int64
	body []byte
}

// parse reads an FLV stream back, checking every PreviousTagSize.
func parse(t *testing.T, b []byte) (flags byte, tags []tag) {
	t.Helper()
	if !bytes.HasPrefix(b, []byte{'F', 'L', 'V', 1}) || len(b) < 13 {
		t.Fatalf("no FLV header: %x", b[:min(len(b), 13)])
	}
	flags = b[4]
	b = b[13:]
	for len(b) > 0 {
		n := int(b[1])<<16 | int(b[2])<<8 | int(b[3])
		ts := int64(b[4])<<16 | int64(b[5])<<8 | int64(b[6]) | int64(b[7])<<24
		tags = append(tags, tag{b[0], ts, b[11 : 11+n]})
		if prev := binary.BigEndian.Uint32(b[11+n:]); prev != uint32(n+11) {
			t.Fatalf("PreviousTagSize %d, want %d", prev, n+11)
		}
		b = b[15+n:]
	}
	return flags, tags
}

func TestWriterTags(t *testing.T) {
	var out bytes.Buffer
	w := NewWriter(&out)
	streams := []encoder.Stream{
		{Kind: encoder.Video, Codec: encoder.H264, Extradata: annexB(sps, pps), Width: 1280, Height: 720, FPS: 30, TimeBase: encoder.Rational{Num: 1, Den: 30}},
		{Kind: encoder.Audio, Codec: encoder.AAC, Extradata: asc, SampleRate: 48000, Channels: 2, TimeBase: encoder.Rational{Num: 1, Den: 48000}, Delay: 1024 * time.Second / 48000},
	}
	if err := w.WriteHeader(streams); err != nil {
		t.Fatal(err)
	}
	aud := []byte{0, 0, 0, 1, 0x09, 0xf0} // access unit delimiter: left out
	idr := []byte{0x65, 0x88, 0x84}
	for _, p := range []*encoder.Packet{
		{Kind: encoder.Audio, PTS: -1024, DTS: -1024, TimeBase: streams[1].TimeBase, Data: []byte{0x21, 0x10}},
		{Kind: encoder.Video, Key: true, PTS: 1, DTS: 0, TimeBase: streams[0].TimeBase, Data: append(aud, annexB(idr)...)},
		{Kind: encoder.Video, PTS: 2, DTS: 1, TimeBase: streams[0].TimeBase, Data: annexB([]byte{0x41, 0x9a})},
	} {
		if _, err := w.WritePacket(p); err != nil {
			t.Fatal(err)
		}
	}
	flags, tags := parse(t, out.Bytes())
	if flags != 5 {
		t.Errorf("header flags %d, want 5 (audio+video)", flags)
	}
	if len(tags) != 6 {
		t.Fatalf("%d tags, want 6", len(tags))
	}
	if tags[0].typ != 18 || !bytes.Contains(tags[0].body, []byte("onMetaData")) || !bytes.Contains(tags[0].body, []byte("framerate")) {
		t.Errorf("first tag is not onMetaData: %x", tags[0].body)
	}
	avcc, _ := AVCDecoderConfig(streams[0].Extradata)
	wantTags := []tag{
		{9, 0, append([]byte{0x17, 0, 0, 0, 0}, avcc...)},
		{8, 0, append([]byte{0xAF, 0}, asc...)},
		{8, 0, []byte{0xAF, 1, 0x21, 0x10}},                            // -21.3 ms + 21.3 ms priming shift
		{9, 21, append([]byte{0x17, 1, 0, 0, 33, 0, 0, 0, 3}, idr...)}, // cts 33 ms
		{9, 54, []byte{0x27, 1, 0, 0, 33, 0, 0, 0, 2, 0x41, 0x9a}},
	}
	for i, want := range wantTags {
		got := tags[i+1]
		if got.typ != want.typ || got.ts != want.ts || !bytes.Equal(got.body, want.body) {
			t.Errorf("tag %d = {%d %d %x}, want {%d %d %x}", i+1, got.typ, got.ts, got.body, want.typ, want.ts, want.body)
		}
	}
}

func TestWriterRefusesUnknownCodec(t *testing.T) {
	w := NewWriter(&bytes.Buffer{})
	if err := w.WriteHeader([]encoder.Stream{{Kind: encoder.Audio, Codec: encoder.HEVC}}); err == nil {
		t.Error("an HEVC audio stream accepted")
	}
	if err := w.WriteHeader([]encoder.Stream{{Kind: encoder.Video, Codec: encoder.HEVC, Extradata: annexB(sps, pps)}}); err == nil {
		t.Error("HEVC with H.264 parameter sets accepted")
	}
}

func BenchmarkWritePacket(b *testing.B) {
	w := NewWriter(&discard{})
	streams := []encoder.Stream{{Kind: encoder.Video, Codec: encoder.H264, Extradata: annexB(sps, pps), TimeBase: encoder.Rational{Num: 1, Den: 30}}}
	if err := w.WriteHeader(streams); err != nil {
		b.Fatal(err)
	}
	p := &encoder.Packet{Kind: encoder.Video, TimeBase: streams[0].TimeBase, Data: annexB(make([]byte, 12000))}
	p.Data[4] = 0x41
	b.ReportAllocs()
	b.SetBytes(int64(len(p.Data)))
	for i := 0; b.Loop(); i++ {
		p.DTS, p.PTS = int64(i), int64(i)
		w.WritePacket(p)
	}
}

type discard struct{}

func (discard) Write(b []byte) (int, error) { return len(b), nil }
