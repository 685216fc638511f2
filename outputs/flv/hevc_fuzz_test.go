package flv

import (
	"bytes"
	"os"
	"strings"
	"testing"
	"time"
	"unicode"

	"onair/internal/testpeer"
)

// FuzzHEVCDecoderConfig feeds the hvcC builder arbitrary VPS, SPS and PPS
// (and anything else in Annex B). Properties: no panic; it returns within a
// second; an error is one line that says it is about HEVC parameter sets; a
// record is version 1 with 4-byte lengths and its reserved bits set, holds the
// input's VPS, SPS, PPS and SEI whole (checkHVCC), and building a record from
// its own NAL units gives the same record when the input came in that order
// (VPS, SPS, PPS), and a fixed point after one more round otherwise.
func FuzzHEVCDecoderConfig(f *testing.F) {
	x265, err := os.ReadFile("testdata/x265-320x180-params.hevc")
	if err != nil {
		f.Fatal(err)
	}
	ps := nals(x265)
	f.Add(x265)
	f.Add(annexB(ps[0], ps[1][:12], ps[2])) // truncated SPS
	f.Add(annexB(ps[1], ps[0], ps[2], ps[2]))
	f.Add(annexB(ps[0], ps[1], ps[2], []byte{0x4e, 0x01, 0x05, 0x04, 0x41, 0x42, 0x43, 0x44, 0x80})) // with an SEI
	// An SEI that ends in zero bytes, last in the input, not in the record.
	f.Add(annexB(ps[0], ps[1], ps[2], []byte{0x50, 0x01, 0x05, 0x01, 0x41, 0x80}, []byte{0x4e, 0x01, 0x05, 0x01, 0x41, 0x80, 0, 0}))
	f.Add(annexB(sps, pps))
	f.Add([]byte{})
	f.Add(bytes.Repeat([]byte{0xff}, 4096))

	f.Fuzz(func(t *testing.T, in []byte) {
		start := time.Now()
		rec, err := HEVCDecoderConfig(in)
		if d := time.Since(start); d > time.Second {
			t.Errorf("HEVCDecoderConfig took %v for %d bytes", d, len(in))
		}
		if err != nil {
			msg := err.Error()
			if !strings.HasPrefix(msg, "flv: HEVC ") && !strings.HasPrefix(msg, "flv: an HEVC ") || strings.ContainsFunc(msg, unicode.IsControl) {
				t.Errorf("error %q is not one line about HEVC parameter sets", msg)
			}
			if rec != nil {
				t.Errorf("an error and a record %x", rec)
			}
			return
		}
		checkHVCC(t, in, rec)
		if rec[13]&0xf0 != 0xf0 || rec[15]&0xfc != 0xfc || rec[16]&0xfc != 0xfc || rec[17]&0xf8 != 0xf8 || rec[18]&0xf8 != 0xf8 {
			t.Errorf("hvcC reserved bits not set: %x", rec[:23])
		}
		if seg := int(rec[13]&0x0f)<<8 | int(rec[14]); seg == 0 && rec[15]&3 != 0 {
			t.Errorf("hvcC gives parallelism type %d without a segmentation bound", rec[15]&3)
		}

		again := roundTrip(t, rec)
		if canonicalOrder(in) && !bytes.Equal(again, rec) {
			t.Fatalf("rebuilt from its own NAL units the record changes:\n%s\n%s", short(rec), short(again))
		}
		if third := roundTrip(t, again); !bytes.Equal(third, again) {
			t.Fatalf("rebuilding the record does not settle:\n%s\n%s", short(again), short(third))
		}
	})
}

func roundTrip(t *testing.T, rec []byte) []byte {
	t.Helper()
	units, err := testpeer.HVCCAnnexB(rec)
	if err != nil {
		t.Fatal(err)
	}
	again, err := HEVCDecoderConfig(units)
	if err != nil {
		t.Fatalf("the record's own NAL units are refused: %v", err)
	}
	return again
}

// canonicalOrder reports whether the VPS came before the SPS and the SPS
// before the PPS, the order of an hvcC's arrays.
func canonicalOrder(annexB []byte) bool {
	last := byte(0)
	ok := true
	NALUnits(annexB, func(n []byte) {
		if len(n) < 3 {
			return
		}
		switch typ := hevcType(n); typ {
		case hevcVPS, hevcSPS, hevcPPS:
			ok = ok && typ >= last
			last = typ
		}
	})
	return ok
}
