package flv

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"testing"
	"time"

	"onair/encoder"
	"onair/internal/testpeer"
)

// FuzzWriter feeds the FLV writer an H.264 or HEVC stream (and AAC) whose
// parameter sets and access units are arbitrary bytes. packets holds the
// packets one after another: flags (bit 0 key, bit 1 audio), DTS step in
// frames, composition offset in frames (signed), a 2-byte length, the data.
//
// Properties: no panic; WriteHeader either fails with an "flv:" error or
// writes onMetaData and the sequence headers, whose avcC or hvcC holds exactly
// the input's parameter sets; each packet is one well-formed tag of the bytes
// WritePacket reports, its timestamps never go back, its composition time is
// the packet's, its NAL units are the input's (access unit delimiters left
// out); WriteEnd closes the sequence; every PreviousTagSize matches.
func FuzzWriter(f *testing.F) {
	f.Add(false, annexB(sps, pps), fuzzPackets(
		fuzzPacket{key: true, cts: 1, data: annexB([]byte{0x09, 0xf0}, []byte{0x65, 0x88, 0x84})},
		fuzzPacket{audio: true, data: []byte{0x21, 0x10}},
		fuzzPacket{step: 1, cts: 1, data: annexB([]byte{0x41, 0x9a})},
	))
	f.Add(false, annexB(sps, pps), fuzzPackets(fuzzPacket{key: true, data: []byte{0x65, 1, 2, 3}})) // no start code
	f.Add(false, []byte{}, []byte{})
	x265, err := os.ReadFile("testdata/x265-320x180-params.hevc")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(true, x265, fuzzPackets(
		fuzzPacket{key: true, data: annexB([]byte{0x46, 0x01, 0x10}, []byte{0x26, 0x01, 0xaf})},
		fuzzPacket{step: 1, cts: 2, data: annexB([]byte{0x02, 0x01, 0xd0}, []byte{0x02, 0x01, 0xd0})},
		fuzzPacket{step: 1, cts: -1, data: annexB([]byte{0x02, 0x01, 0xd0})},
	))
	f.Add(true, annexB(sps, pps), []byte{})
	// 31 SPS, the most avcC can count, and 255 PPS.
	many := annexB(pps)
	for range 31 {
		many = append(many, annexB(sps)...)
	}
	f.Add(false, many, []byte{})
	many = annexB(sps)
	for range 255 {
		many = append(many, annexB(pps)...)
	}
	f.Add(false, many, []byte{})

	f.Fuzz(func(t *testing.T, hevc bool, extradata, packets []byte) {
		codec := encoder.H264
		if hevc {
			codec = encoder.HEVC
		}
		video := encoder.Stream{Kind: encoder.Video, Codec: codec, Extradata: extradata, Width: 1280, Height: 720, FPS: 30, TimeBase: encoder.Rational{Num: 1, Den: 30}}
		audio := encoder.Stream{Kind: encoder.Audio, Codec: encoder.AAC, Extradata: asc, SampleRate: 48000, Channels: 2, TimeBase: encoder.Rational{Num: 1, Den: 48000}, Delay: 1024 * time.Second / 48000}
		var out bytes.Buffer
		w := NewWriter(&out)
		if err := w.WriteHeader([]encoder.Stream{video, audio}); err != nil {
			if !bytes.HasPrefix([]byte(err.Error()), []byte("flv: ")) {
				t.Errorf("WriteHeader error %q does not say it is the FLV writer's", err)
			}
			if _, rerr := readTags(out.Bytes()); rerr != nil {
				t.Errorf("WriteHeader failed (%v) after writing broken tags: %v", err, rerr)
			}
			return
		}
		tags, err := readTags(out.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		if len(tags) != 3 || tags[0].typ != tagScript || tags[1].typ != tagVideo || tags[2].typ != tagAudio {
			t.Fatalf("header tags %v, want onMetaData, video and audio sequence headers", tags)
		}
		checkSequenceHeader(t, codec, extradata, tags[1].body)

		var dts, lastVideo, lastAudio int64
		for _, p := range splitFuzzPackets(packets) {
			dts += int64(p.step)
			pkt := &encoder.Packet{Kind: encoder.Video, Key: p.key, DTS: dts, PTS: dts + int64(p.cts), TimeBase: video.TimeBase, Data: p.data}
			if p.audio {
				pkt = &encoder.Packet{Kind: encoder.Audio, DTS: dts * 1600, PTS: dts * 1600, TimeBase: audio.TimeBase, Data: p.data}
			}
			before := out.Len()
			n, err := w.WritePacket(pkt)
			if err != nil {
				t.Fatalf("WritePacket: %v", err)
			}
			if n != out.Len()-before {
				t.Fatalf("WritePacket reported %d bytes, wrote %d", n, out.Len()-before)
			}
			tags, err := readTags(append([]byte("FLV\x01\x05\x00\x00\x00\x09\x00\x00\x00\x00"), out.Bytes()[before:]...))
			if err != nil || len(tags) != 1 {
				t.Fatalf("packet %+v made %d tags (%v)", p, len(tags), err)
			}
			tg := tags[0]
			want := max(0, (pkt.DTSTime() + w.shift).Milliseconds())
			last := &lastVideo
			if p.audio {
				last = &lastAudio
			}
			if tg.ts < *last || tg.ts != max(want, *last) {
				t.Fatalf("tag timestamp %d ms, want %d (the stream's last %d)", tg.ts, max(want, *last), *last)
			}
			*last = tg.ts
			if p.audio {
				if tg.typ != tagAudio || !bytes.Equal(tg.body, append([]byte{0xAF, 1}, p.data...)) {
					t.Fatalf("audio tag %d %x, want the AAC frame %x", tg.typ, tg.body, p.data)
				}
				continue
			}
			if tg.typ != tagVideo {
				t.Fatalf("video packet in a tag of type %d", tg.typ)
			}
			checkCodedFrame(t, codec, pkt, tg.body)
		}
		before := out.Len()
		if err := w.WriteEnd(); err != nil {
			t.Fatal(err)
		}
		tags, err = readTags(append([]byte("FLV\x01\x05\x00\x00\x00\x09\x00\x00\x00\x00"), out.Bytes()[before:]...))
		wantEnd := []byte{0x17, 2, 0, 0, 0}
		if hevc {
			wantEnd = []byte("\x92hvc1")
		}
		if err != nil || len(tags) != 1 || tags[0].typ != tagVideo || tags[0].ts != lastVideo || !bytes.Equal(tags[0].body, wantEnd) {
			t.Fatalf("end of sequence %v (%v), want a video tag %x at %d ms", tags, err, wantEnd, lastVideo)
		}
		if _, err := readTags(out.Bytes()); err != nil {
			t.Fatal(err)
		}
	})
}

// checkSequenceHeader reads the avcC or hvcC back: it must hold every
// parameter set of the extradata, whole, in order.
func checkSequenceHeader(t *testing.T, codec encoder.Codec, extradata, body []byte) {
	t.Helper()
	if codec == encoder.HEVC {
		if !bytes.HasPrefix(body, []byte("\x90hvc1")) {
			t.Fatalf("HEVC sequence header starts %x", body[:min(len(body), 5)])
		}
		checkHVCC(t, extradata, body[5:])
		return
	}
	if !bytes.HasPrefix(body, []byte{0x17, 0, 0, 0, 0}) {
		t.Fatalf("AVC sequence header starts %x", body[:min(len(body), 5)])
	}
	var wantSPS, wantPPS [][]byte
	NALUnits(extradata, func(n []byte) {
		switch {
		case len(n) == 0:
		case n[0]&0x1f == 7:
			wantSPS = append(wantSPS, n)
		case n[0]&0x1f == 8:
			wantPPS = append(wantPPS, n)
		}
	})
	avcc := body[5:]
	if len(avcc) < 6 || avcc[0] != 1 || !bytes.Equal(avcc[1:4], wantSPS[0][1:4]) || avcc[4] != 0xff || avcc[5]&0xe0 != 0xe0 {
		t.Fatalf("avcC header %x, want version 1, the SPS's profile and level, 4-byte lengths", avcc[:min(len(avcc), 6)])
	}
	gotSPS, rest, err := avccArray(avcc[6:], int(avcc[5]&0x1f))
	if err != nil {
		t.Fatalf("avcC SPS: %v", err)
	}
	if len(rest) == 0 {
		t.Fatal("avcC has no PPS count")
	}
	gotPPS, rest, err := avccArray(rest[1:], int(rest[0]))
	if err != nil {
		t.Fatalf("avcC PPS: %v", err)
	}
	if len(rest) != 0 {
		t.Errorf("avcC has %d bytes after its PPS", len(rest))
	}
	if !equalUnits(gotSPS, wantSPS) || !equalUnits(gotPPS, wantPPS) {
		t.Errorf("avcC holds %d SPS and %d PPS, the extradata %d and %d (or they differ)", len(gotSPS), len(gotPPS), len(wantSPS), len(wantPPS))
	}
}

// checkHVCC reads an hvcC back: version 1, 4-byte lengths, and arrays that
// hold exactly the extradata's VPS, SPS, PPS and SEI, complete, in that order.
func checkHVCC(t *testing.T, extradata, rec []byte) {
	t.Helper()
	if len(rec) < 23 || rec[0] != 1 || rec[21]&3 != 3 {
		t.Fatalf("hvcC header %x: want version 1 and 4-byte lengths", rec[:min(len(rec), 23)])
	}
	byType := map[byte][][]byte{}
	NALUnits(extradata, func(n []byte) {
		if len(n) >= 3 {
			byType[hevcType(n)] = append(byType[hevcType(n)], n)
		}
	})
	var want []byte
	arrays := 0
	for _, typ := range []byte{hevcVPS, hevcSPS, hevcPPS, hevcSEIPrefix, hevcSEISuffix} {
		if len(byType[typ]) > 0 {
			arrays++
		}
		for _, n := range byType[typ] {
			want = append(append(want, 0, 0, 0, 1), n...)
		}
	}
	got, err := testpeer.HVCCAnnexB(rec)
	if err != nil {
		t.Fatalf("hvcC does not read back: %v", err)
	}
	if int(rec[22]) != arrays || !bytes.Equal(got, want) {
		t.Fatalf("hvcC holds %d arrays %s, want %d arrays %s", rec[22], short(got), arrays, short(want))
	}
	size, b := 23, rec[23:] // HVCCAnnexB checked that the arrays fit
	for range rec[22] {
		complete := b[0]&0x80 != 0
		typ := b[0] & 0x3f
		if (typ == hevcVPS || typ == hevcSPS || typ == hevcPPS) != complete {
			t.Errorf("hvcC array of type %d marked complete=%v", typ, complete)
		}
		count := int(binary.BigEndian.Uint16(b[1:]))
		size += 3
		b = b[3:]
		for range count {
			l := 2 + int(binary.BigEndian.Uint16(b))
			size += l
			b = b[l:]
		}
	}
	if size != len(rec) {
		t.Errorf("hvcC of %d bytes, its arrays end at %d", len(rec), size)
	}
}

// checkCodedFrame reads a video tag's body back.
func checkCodedFrame(t *testing.T, codec encoder.Codec, p *encoder.Packet, body []byte) {
	t.Helper()
	cts := (p.PTSTime() - p.DTSTime()).Milliseconds()
	var units []byte
	if codec == encoder.HEVC {
		frame := byte(frameInter)
		if p.Key {
			frame = frameKey
		}
		if len(body) < 5 || body[0] != exHeader|frame|pktCoded && body[0] != exHeader|frame|pktCodedNoCTS || string(body[1:5]) != "hvc1" {
			t.Fatalf("HEVC coded frame starts %x (key %v)", body[:min(len(body), 5)], p.Key)
		}
		units = body[5:]
		if body[0]&0x0f == pktCodedNoCTS {
			if cts != 0 {
				t.Fatalf("CodedFramesX for a frame with a composition offset of %d ms", cts)
			}
		} else {
			if len(units) < 3 || si24(units) != cts || cts == 0 {
				t.Fatalf("CodedFrames composition time %x, want %d ms (not 0)", units[:min(len(units), 3)], cts)
			}
			units = units[3:]
		}
	} else {
		first := byte(0x27)
		if p.Key {
			first = 0x17
		}
		if len(body) < 5 || body[0] != first || body[1] != 1 || si24(body[2:]) != cts {
			t.Fatalf("AVC NALU tag starts %x, want %02x 01 and composition time %d ms", body[:min(len(body), 5)], first, cts)
		}
		units = body[5:]
	}
	var want [][]byte
	NALUnits(p.Data, func(n []byte) {
		if len(n) > 0 && !(codec == encoder.H264 && n[0]&0x1f == 9) && !(codec == encoder.HEVC && hevcType(n) == hevcAUD) {
			want = append(want, n)
		}
	})
	var got [][]byte
	for len(units) > 0 {
		if len(units) < 4 || int(binary.BigEndian.Uint32(units)) > len(units)-4 {
			t.Fatalf("NAL unit length overruns the tag: %x", units[:min(len(units), 4)])
		}
		l := int(binary.BigEndian.Uint32(units))
		got = append(got, units[4:4+l])
		units = units[4+l:]
	}
	if !equalUnits(got, want) {
		t.Fatalf("tag carries %d NAL units %s, the packet %d %s", len(got), short(bytes.Join(got, []byte("|"))), len(want), short(bytes.Join(want, []byte("|"))))
	}
}

// readTags reads an FLV stream: the header, then tags whose sizes and
// PreviousTagSize agree, up to the last byte.
func readTags(b []byte) ([]tag, error) {
	if len(b) < 13 || !bytes.HasPrefix(b, []byte("FLV\x01")) || binary.BigEndian.Uint32(b[5:]) != 9 || binary.BigEndian.Uint32(b[9:]) != 0 {
		if len(b) == 0 {
			return nil, nil // nothing written yet
		}
		return nil, fmt.Errorf("FLV header %x", b[:min(len(b), 13)])
	}
	var tags []tag
	for b = b[13:]; len(b) > 0; {
		if len(b) < 11 {
			return tags, fmt.Errorf("%d bytes after tag %d: a cut tag header", len(b), len(tags))
		}
		n := int(b[1])<<16 | int(b[2])<<8 | int(b[3])
		if len(b) < 11+n+4 {
			return tags, fmt.Errorf("tag %d of %d bytes is cut at %d", len(tags), n, len(b))
		}
		if prev := binary.BigEndian.Uint32(b[11+n:]); prev != uint32(n+11) {
			return tags, fmt.Errorf("tag %d: PreviousTagSize %d, want %d", len(tags), prev, n+11)
		}
		if b[8]|b[9]|b[10] != 0 {
			return tags, fmt.Errorf("tag %d: stream id %x", len(tags), b[8:11])
		}
		ts := int64(b[4])<<16 | int64(b[5])<<8 | int64(b[6]) | int64(b[7])<<24
		tags = append(tags, tag{b[0], ts, b[11 : 11+n]})
		b = b[15+n:]
	}
	return tags, nil
}

func avccArray(b []byte, count int) (units [][]byte, rest []byte, err error) {
	for range count {
		if len(b) < 2 || int(binary.BigEndian.Uint16(b)) > len(b)-2 {
			return nil, nil, errors.New("cut")
		}
		l := int(binary.BigEndian.Uint16(b))
		units = append(units, b[2:2+l])
		b = b[2+l:]
	}
	return units, b, nil
}

func equalUnits(a, b [][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !bytes.Equal(a[i], b[i]) {
			return false
		}
	}
	return true
}

// si24 reads FLV's signed 24-bit composition time.
func si24(b []byte) int64 {
	return int64(int32(uint32(b[0])<<24|uint32(b[1])<<16|uint32(b[2])<<8) >> 8)
}

type fuzzPacket struct {
	key, audio bool
	step       uint8
	cts        int8
	data       []byte
}

func fuzzPackets(ps ...fuzzPacket) []byte {
	var b []byte
	for _, p := range ps {
		var flags byte
		if p.key {
			flags |= 1
		}
		if p.audio {
			flags |= 2
		}
		b = append(b, flags, p.step, byte(p.cts))
		b = binary.BigEndian.AppendUint16(b, uint16(len(p.data)))
		b = append(b, p.data...)
	}
	return b
}

// splitFuzzPackets reads what fuzzPackets wrote; a cut last packet keeps
// what is there.
func splitFuzzPackets(b []byte) []fuzzPacket {
	var ps []fuzzPacket
	for len(b) >= 5 {
		p := fuzzPacket{key: b[0]&1 != 0, audio: b[0]&2 != 0, step: b[1], cts: int8(b[2])}
		n := min(int(binary.BigEndian.Uint16(b[3:])), len(b)-5)
		p.data = b[5 : 5+n]
		b = b[5+n:]
		ps = append(ps, p)
	}
	return ps
}

// short is b in hex, cut after 32 bytes.
func short(b []byte) string {
	if len(b) > 32 {
		return fmt.Sprintf("%x… (%d bytes)", b[:32], len(b))
	}
	return fmt.Sprintf("%x", b)
}
