package flv

import (
	"bytes"
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"onair/encoder"
	"onair/internal/testpeer"
)

// params are the VPS, SPS and PPS x265 3.5 wrote for 320x180 Main (level 2,
// a conformance window for the 180 lines).
func params(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/x265-320x180-params.hevc")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func nals(annexB []byte) (out [][]byte) {
	NALUnits(annexB, func(n []byte) { out = append(out, n) })
	return out
}

func TestHEVCDecoderConfig(t *testing.T) {
	ps := nals(params(t))
	got, err := HEVCDecoderConfig(params(t))
	if err != nil {
		t.Fatal(err)
	}
	want := []byte{
		1,             // configurationVersion
		0x01,          // profile_space 0, tier Main, profile_idc 1 (Main)
		0x60, 0, 0, 0, // compatible with Main and Main 10
		0x90, 0, 0, 0, 0, 0, // progressive, frame only
		60,         // level 2 (level_idc = 30 × 2)
		0xf0, 0x00, // min_spatial_segmentation_idc 0 (not given)
		0xfc,       // parallelismType 0: unknown without a segmentation bound
		0xfd,       // chroma 4:2:0
		0xf8, 0xf8, // 8-bit luma and chroma
		0, 0, // avgFrameRate unspecified
		0x0f, // constantFrameRate 0, one temporal layer, nested, 4-byte lengths
		3,    // arrays
	}
	for i, typ := range []byte{32, 33, 34} {
		want = append(want, 0x80|typ, 0, 1) // complete, as 'hvc1' requires
		want = binary.BigEndian.AppendUint16(want, uint16(len(ps[i])))
		want = append(want, ps[i]...)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("hvcC\n got %x\nwant %x", got, want)
	}
}

func TestHEVCDecoderConfigRefusesBrokenInput(t *testing.T) {
	ps := nals(params(t))
	for name, in := range map[string][]byte{
		"no PPS":        annexB(ps[0], ps[1]),
		"truncated SPS": annexB(ps[0], ps[1][:12], ps[2]),
		"H.264 SPS":     annexB(sps, pps),
		"empty":         nil,
	} {
		if _, err := HEVCDecoderConfig(in); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// FFmpeg's own hvcC writer (the mp4 muxer's, for 'hvc1') is the reference:
// ours must match it byte for byte on what x265 writes, in several shapes
// (conformance window, HRD and VUI timing, wavefront off, 10 s GOP, 4:4:4).
func TestHEVCDecoderConfigMatchesFFmpeg(t *testing.T) {
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		t.Fatal("ffmpeg is needed (make test installs it)")
	}
	for name, args := range map[string][]string{
		"720p":            {"-s", "1280x720", "-x265-params", "log-level=error"},
		"odd size":        {"-s", "322x182", "-x265-params", "log-level=error"},
		"hrd and no wpp":  {"-s", "640x360", "-b:v", "800k", "-x265-params", "log-level=error:hrd=1:vbv-maxrate=800:vbv-bufsize=800:wpp=0"},
		"zerolatency cbr": {"-s", "640x360", "-tune", "zerolatency", "-x265-params", "log-level=error:keyint=60:min-keyint=60:scenecut=0:open-gop=0:strict-cbr=1:vbv-maxrate=900:vbv-bufsize=900:bitrate=900"},
		"444 10-bit":      {"-s", "320x180", "-pix_fmt", "yuv444p10le", "-x265-params", "log-level=error"},
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			mp4 := filepath.Join(dir, "a.mp4")
			cmd := append([]string{"-v", "error", "-f", "lavfi", "-i", "testsrc2=rate=30", "-frames:v", "3", "-c:v", "libx265", "-preset", "ultrafast"}, args...)
			run(t, append(cmd, "-tag:v", "hvc1", mp4)...)
			box := readHVCC(t, mp4)
			// The record's own NAL units, as Annex B, are the encoder's
			// extradata; every other field must come out of them as FFmpeg has it.
			units, err := testpeer.HVCCAnnexB(box)
			if err != nil {
				t.Fatal(err)
			}
			got, err := HEVCDecoderConfig(units)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, box) {
				t.Errorf("hvcC differs from FFmpeg's\n ours   %x\n ffmpeg %x", got[:min(len(got), 40)], box[:min(len(box), 40)])
			}
		})
	}
}

func run(t *testing.T, args ...string) {
	t.Helper()
	if out, err := exec.Command("ffmpeg", append([]string{"-y", "-nostdin"}, args...)...).CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg %v: %v\n%s", args, err, out)
	}
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// readHVCC finds the hvcC box in an MP4 file and returns its payload.
func readHVCC(t *testing.T, path string) []byte {
	t.Helper()
	b := readFile(t, path)
	i := bytes.Index(b, []byte("hvcC"))
	if i < 4 {
		t.Fatalf("%s has no hvcC box", path)
	}
	n := int(binary.BigEndian.Uint32(b[i-4:]))
	return b[i+4 : i-4+n]
}

// The Enhanced RTMP tags, byte for byte as PROTOCOLS.md gives them:
// SequenceStart 0x90 'hvc1' <hvcC>, CodedFramesX 0x93/0xA3 'hvc1' <NALUs>
// when there is no composition offset, CodedFrames 0x91/0xA1 'hvc1' <cts:3>
// <NALUs> when there is.
func TestWriterHEVCTags(t *testing.T) {
	var out bytes.Buffer
	w := NewWriter(&out)
	video := encoder.Stream{Kind: encoder.Video, Codec: encoder.HEVC, Extradata: params(t), Width: 320, Height: 180, FPS: 30, BitrateKbps: 900, TimeBase: encoder.Rational{Num: 1, Den: 30}}
	if err := w.WriteHeader([]encoder.Stream{video}); err != nil {
		t.Fatal(err)
	}
	aud := []byte{0x46, 0x01, 0x10}   // access unit delimiter (type 35): left out
	idr := []byte{0x26, 0x01, 0xaf}   // IDR_W_RADL
	trail := []byte{0x02, 0x01, 0xd0} // TRAIL_R
	for _, p := range []*encoder.Packet{
		{Kind: encoder.Video, Key: true, PTS: 0, DTS: 0, TimeBase: video.TimeBase, Data: annexB(aud, idr)},
		{Kind: encoder.Video, PTS: 1, DTS: 1, TimeBase: video.TimeBase, Data: annexB(trail)},
		{Kind: encoder.Video, Key: true, PTS: 3, DTS: 2, TimeBase: video.TimeBase, Data: annexB(idr)},
		{Kind: encoder.Video, PTS: 4, DTS: 3, TimeBase: video.TimeBase, Data: annexB(trail, trail)},
	} {
		if _, err := w.WritePacket(p); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.WriteEnd(); err != nil {
		t.Fatal(err)
	}
	flags, tags := parse(t, out.Bytes())
	if flags != 1 {
		t.Errorf("header flags %d, want 1 (video)", flags)
	}
	if len(tags) != 7 {
		t.Fatalf("%d tags, want 7", len(tags))
	}
	// onMetaData names the codec by its FourCC as a number: 'hvc1' = 0x68766331.
	if !bytes.Contains(tags[0].body, append([]byte("videocodecid\x00"), 0x41, 0xda, 0x1d, 0x98, 0xcc, 0x40, 0, 0)) {
		t.Errorf("onMetaData videocodecid is not 'hvc1': %x", tags[0].body)
	}
	hvcc, _ := HEVCDecoderConfig(params(t))
	hvc1 := []byte("hvc1")
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	wantTags := []tag{
		{9, 0, cat([]byte{0x90}, hvc1, hvcc)},
		{9, 0, cat([]byte{0x93}, hvc1, []byte{0, 0, 0, 3}, idr)},
		{9, 33, cat([]byte{0xA3}, hvc1, []byte{0, 0, 0, 3}, trail)},
		{9, 66, cat([]byte{0x91}, hvc1, []byte{0, 0, 33}, []byte{0, 0, 0, 3}, idr)},
		{9, 100, cat([]byte{0xA1}, hvc1, []byte{0, 0, 33}, []byte{0, 0, 0, 3}, trail, []byte{0, 0, 0, 3}, trail)},
		{9, 100, cat([]byte{0x92}, hvc1)}, // SequenceEnd
	}
	for i, want := range wantTags {
		got := tags[i+1]
		if got.typ != want.typ || got.ts != want.ts || !bytes.Equal(got.body, want.body) {
			t.Errorf("tag %d = {%d %d %x}, want {%d %d %x}", i+1, got.typ, got.ts, got.body, want.typ, want.ts, want.body)
		}
	}
}
