package webrtc

import (
	"bytes"
	"testing"
)

func TestNALUnits(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   []byte
		want [][]byte
	}{
		{"4-byte and 3-byte start codes", []byte{0, 0, 0, 1, 0x67, 1, 2, 0, 0, 1, 0x68, 3}, [][]byte{{0x67, 1, 2}, {0x68, 3}}},
		{"trailing zeros before a start code", []byte{0, 0, 1, 0x65, 9, 0, 0, 0, 0, 1, 0x41}, [][]byte{{0x65, 9}, {0x41}}},
		{"no start code", []byte{0x67, 1}, nil},
		{"empty", nil, nil},
	} {
		got := nalUnits(tc.in)
		if len(got) != len(tc.want) {
			t.Errorf("%s: %d units %x, want %x", tc.name, len(got), got, tc.want)
			continue
		}
		for i := range got {
			if !bytes.Equal(got[i], tc.want[i]) {
				t.Errorf("%s: unit %d is %x, want %x", tc.name, i, got[i], tc.want[i])
			}
		}
	}
}

// The offer's profile-level-id is the encoder's SPS bytes 1–3.
func TestH264Fmtp(t *testing.T) {
	for _, tc := range []struct {
		extradata []byte
		want      string
	}{
		{[]byte{0, 0, 0, 1, 0x67, 0x64, 0x00, 0x1f, 0xac, 0, 0, 0, 1, 0x68, 0xeb}, "profile-level-id=64001f"},
		{[]byte{0, 0, 1, 0x68, 0xeb, 0, 0, 1, 0x67, 0x42, 0xc0, 0x1e}, "profile-level-id=42c01e"},
		{nil, "profile-level-id=42e01f"},
	} {
		got := h264Fmtp(tc.extradata)
		if want := "level-asymmetry-allowed=1;packetization-mode=1;" + tc.want; got != want {
			t.Errorf("h264Fmtp(%x) = %q, want %q", tc.extradata, got, want)
		}
	}
}
