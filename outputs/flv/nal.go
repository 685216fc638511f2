package flv

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
)

// NALUnits splits an Annex B byte stream into NAL units (without start codes
// and the zero bytes that may follow a unit, which no unit ends with).
func NALUnits(b []byte, fn func(nal []byte)) {
	i := bytes.Index(b, startCode)
	if i < 0 {
		if b = bytes.TrimRight(b, "\x00"); len(b) > 0 {
			fn(b) // no start code at all: one NAL unit
		}
		return
	}
	b = b[i+3:]
	for {
		j := bytes.Index(b, startCode)
		if j < 0 {
			fn(bytes.TrimRight(b, "\x00"))
			return
		}
		end := j
		for end > 0 && b[end-1] == 0 {
			end-- // the leading zero of a 4-byte start code
		}
		fn(b[:end])
		b = b[j+3:]
	}
}

var startCode = []byte{0, 0, 1}

// AppendAVCC appends the Annex B H.264 access unit in au as 4-byte
// length-prefixed NAL units, leaving out access unit delimiters (FLV does not
// carry them).
func AppendAVCC(dst, au []byte) []byte { return appendLengthPrefixed(dst, au, false) }

// AppendHVCC is AppendAVCC for HEVC.
func AppendHVCC(dst, au []byte) []byte { return appendLengthPrefixed(dst, au, true) }

func appendLengthPrefixed(dst, au []byte, hevc bool) []byte {
	NALUnits(au, func(n []byte) {
		if len(n) == 0 || !hevc && n[0]&0x1f == 9 || hevc && hevcType(n) == hevcAUD {
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
	// avcC counts SPS in 5 bits, PPS in 8, and gives each 16 bits of length.
	if len(sps) > 31 || len(pps) > 255 {
		return nil, fmt.Errorf("flv: H.264 extradata with %d SPS and %d PPS (avcC holds at most 31 and 255)", len(sps), len(pps))
	}
	for _, n := range slices.Concat(sps, pps) {
		if len(n) > 0xffff {
			return nil, fmt.Errorf("flv: an H.264 parameter set of %d bytes (avcC holds at most 65535)", len(n))
		}
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
