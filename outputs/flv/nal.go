package flv

import (
	"encoding/binary"
	"errors"
)

// NALUnits splits an Annex B byte stream into NAL units (without start codes).
func NALUnits(b []byte, fn func(nal []byte)) {
	start := -1
	i := 0
	for i+2 < len(b) {
		if b[i] == 0 && b[i+1] == 0 && b[i+2] == 1 {
			if start >= 0 {
				end := i
				for end > start && b[end-1] == 0 {
					end--
				}
				fn(b[start:end])
			}
			i += 3
			start = i
			continue
		}
		i++
	}
	if start >= 0 && start < len(b) {
		fn(b[start:])
	} else if start < 0 && len(b) > 0 {
		fn(b) // no start code at all: one NAL unit
	}
}

// AppendAVCC appends the Annex B access unit in au as 4-byte length-prefixed
// NAL units, leaving out access unit delimiters (FLV does not carry them).
func AppendAVCC(dst, au []byte) []byte {
	NALUnits(au, func(n []byte) {
		if len(n) == 0 || n[0]&0x1f == 9 {
			return
		}
		dst = binary.BigEndian.AppendUint32(dst, uint32(len(n)))
		dst = append(dst, n...)
	})
	return dst
}

// AVCDecoderConfig builds an AVCDecoderConfigurationRecord (avcC) from Annex B
// SPS and PPS, as FLV's AVC sequence header carries.
func AVCDecoderConfig(annexB []byte) ([]byte, error) {
	var sps, pps [][]byte
	NALUnits(annexB, func(n []byte) {
		if len(n) == 0 {
			return
		}
		switch n[0] & 0x1f {
		case 7:
			sps = append(sps, n)
		case 8:
			pps = append(pps, n)
		}
	})
	if len(sps) == 0 || len(pps) == 0 || len(sps[0]) < 4 {
		return nil, errors.New("flv: H.264 extradata has no SPS/PPS")
	}
	b := []byte{1, sps[0][1], sps[0][2], sps[0][3], 0xFF, 0xE0 | byte(len(sps))}
	for _, s := range sps {
		b = binary.BigEndian.AppendUint16(b, uint16(len(s)))
		b = append(b, s...)
	}
	b = append(b, byte(len(pps)))
	for _, p := range pps {
		b = binary.BigEndian.AppendUint16(b, uint16(len(p)))
		b = append(b, p...)
	}
	return b, nil
}
