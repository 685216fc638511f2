package srt

import (
	"testing"
	"time"

	"onair/encoder"
)

var testStreams = []encoder.Stream{
	{Kind: encoder.Video, Codec: encoder.H264, Width: 1280, Height: 720, FPS: 30, TimeBase: encoder.Rational{Num: 1, Den: 30},
		Extradata: []byte{0, 0, 0, 1, 0x67, 0x64, 0, 0x1f, 0xac, 0, 0, 0, 1, 0x68, 0xeb, 0xe3, 0xcb}},
	{Kind: encoder.Audio, Codec: encoder.AAC, SampleRate: 48000, Channels: 2, FrameSize: 1024, TimeBase: encoder.Rational{Num: 1, Den: 48000},
		Extradata: []byte{0x11, 0x90}, Delay: 1024 * time.Second / 48000},
}

// Everything the muxer writes is whole 188-byte TS packets, at most seven to
// a message.
func TestTSMuxerWritesWholeTSPackets(t *testing.T) {
	m, err := newTSMuxer(-1, testStreams)
	if err != nil {
		t.Fatal(err)
	}
	defer m.free()
	video := &encoder.Packet{Kind: encoder.Video, Key: true, TimeBase: testStreams[0].TimeBase, Data: append([]byte{0, 0, 0, 1, 0x65}, make([]byte, 12000)...)}
	audio := &encoder.Packet{Kind: encoder.Audio, Key: true, PTS: -1024, DTS: -1024, TimeBase: testStreams[1].TimeBase, Data: make([]byte, 400)}
	total := 0
	for i := 0; i < 30; i++ {
		for _, p := range []*encoder.Packet{video, audio} {
			n, err := m.write(p)
			if err != nil {
				t.Fatal(err)
			}
			total += n
		}
		video.Key = false
		video.PTS++
		video.DTS++
		audio.PTS += 1024
		audio.DTS += 1024
	}
	if err := m.finish(); err != nil {
		t.Fatal(err)
	}
	if sent := m.sentBytes(); sent%188 != 0 || sent < 30*12000 {
		t.Errorf("sent %d bytes: want whole TS packets carrying at least the video", sent)
	}
}

func BenchmarkTSWritePacket(b *testing.B) {
	m, err := newTSMuxer(-1, testStreams)
	if err != nil {
		b.Fatal(err)
	}
	defer m.free()
	p := &encoder.Packet{Kind: encoder.Video, TimeBase: testStreams[0].TimeBase, Data: append([]byte{0, 0, 0, 1, 0x41}, make([]byte, 12000)...)}
	b.ReportAllocs()
	b.SetBytes(int64(len(p.Data)))
	for i := 0; b.Loop(); i++ {
		p.PTS, p.DTS = int64(i), int64(i)
		if _, err := m.write(p); err != nil {
			b.Fatal(err)
		}
	}
}

// The audio priming shifts every stream by the same time: the first picture
// (pts 0) and the first sound after the priming (pts 0) land on the same
// 90 kHz tick, 21.33 ms in, with the priming itself at zero.
func TestTSTimesShiftStreamsAlike(t *testing.T) {
	shift := testStreams[1].Delay
	v := &encoder.Packet{Kind: encoder.Video, TimeBase: testStreams[0].TimeBase}
	a := &encoder.Packet{Kind: encoder.Audio, TimeBase: testStreams[1].TimeBase}
	for _, tc := range []struct {
		p         *encoder.Packet
		pts, want int64
	}{
		{v, 0, 1920}, {v, 30, 90000 + 1920}, {a, -1024, 0}, {a, 0, 1920}, {a, 48000, 90000 + 1920},
	} {
		tc.p.PTS, tc.p.DTS = tc.pts, tc.pts
		if pts, dts := ts90Times(tc.p, shift); pts != tc.want || dts != tc.want {
			t.Errorf("%v pts %d (1/%d) → %d/%d at 90 kHz, want %d", tc.p.Kind, tc.pts, tc.p.TimeBase.Den, pts, dts, tc.want)
		}
	}
}
