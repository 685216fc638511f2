package testpeer

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
)

// FLVVideo is the video of an FLV file with Enhanced RTMP HEVC tags, as an
// ingest server recorded it: the elementary stream in Annex B form (the
// parameter sets of each SequenceStart, then every frame's NAL units), ready
// for ffmpeg to decode.
type FLVVideo struct {
	FourCC    string
	AnnexB    []byte
	Frames    int
	Keyframes int
	FirstKey  bool // the first coded frame is a keyframe
	Timestamp []int64
	AudioTags int
}

// ReadFLVHEVC reads path's video tags. It fails on anything that is not
// Enhanced RTMP 'hvc1' (legacy codec ids, other FourCCs, broken tags).
func ReadFLVHEVC(path string) (*FLVVideo, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if len(b) < 13 || !bytes.HasPrefix(b, []byte("FLV")) {
		return nil, errors.New("not an FLV file")
	}
	v := &FLVVideo{}
	b = b[binary.BigEndian.Uint32(b[5:9])+4:]
	for len(b) >= 11 {
		typ := b[0] & 0x1f
		n := int(b[1])<<16 | int(b[2])<<8 | int(b[3])
		ts := int64(b[4])<<16 | int64(b[5])<<8 | int64(b[6]) | int64(b[7])<<24
		if len(b) < 11+n+4 {
			break // the recording was cut mid-tag
		}
		body := b[11 : 11+n]
		b = b[11+n+4:]
		switch typ {
		case 8:
			v.AudioTags++
			continue
		case 9:
		default:
			continue
		}
		if len(body) < 5 || body[0]&0x80 == 0 {
			return nil, fmt.Errorf("video tag at %d ms is not Enhanced RTMP (first byte %#x)", ts, body[0])
		}
		v.FourCC = string(body[1:5])
		if v.FourCC != "hvc1" {
			return nil, fmt.Errorf("video FourCC %q, want hvc1", v.FourCC)
		}
		key := body[0]>>4&7 == 1
		switch body[0] & 0x0f {
		case 0: // SequenceStart: hvcC
			ps, err := HVCCAnnexB(body[5:])
			if err != nil {
				return nil, err
			}
			v.AnnexB = append(v.AnnexB, ps...)
		case 1, 3: // CodedFrames (with a composition time), CodedFramesX
			nalus := body[5:]
			if body[0]&0x0f == 1 {
				if len(nalus) < 3 {
					return nil, errors.New("CodedFrames tag without its composition time")
				}
				nalus = nalus[3:]
			}
			if v.Frames == 0 {
				v.FirstKey = key
			}
			v.Frames++
			if key {
				v.Keyframes++
			}
			v.Timestamp = append(v.Timestamp, ts)
			for len(nalus) >= 4 {
				l := int(binary.BigEndian.Uint32(nalus))
				if l > len(nalus)-4 {
					return nil, fmt.Errorf("NAL unit of %d bytes overruns its tag at %d ms", l, ts)
				}
				v.AnnexB = append(append(v.AnnexB, 0, 0, 0, 1), nalus[4:4+l]...)
				nalus = nalus[4+l:]
			}
		}
	}
	if v.Frames == 0 {
		return nil, errors.New("no HEVC frames")
	}
	return v, nil
}

// HVCCAnnexB returns the NAL units of an hvcC record's arrays (parameter
// sets, SEI) as Annex B.
func HVCCAnnexB(rec []byte) ([]byte, error) {
	if len(rec) < 23 || rec[0] != 1 {
		return nil, errors.New("not an hvcC record")
	}
	var out []byte
	b := rec[23:]
	for range rec[22] {
		if len(b) < 3 {
			return nil, errors.New("hvcC truncated")
		}
		count := int(binary.BigEndian.Uint16(b[1:]))
		b = b[3:]
		for range count {
			if len(b) < 2 || int(binary.BigEndian.Uint16(b)) > len(b)-2 {
				return nil, errors.New("hvcC truncated")
			}
			l := int(binary.BigEndian.Uint16(b))
			out = append(append(out, 0, 0, 0, 1), b[2:2+l]...)
			b = b[2+l:]
		}
	}
	return out, nil
}
