package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"onair/internal/testpeer"
)

// HEVC where the platform takes it, H.264 where it does not, from one
// session: YouTube (HEVC over Enhanced RTMP) to node-media-server, which
// parses Enhanced RTMP and records FLV; a custom SRT destination (HEVC in
// MPEG-TS) sharing YouTube's encoder; Twitch (H.264 only) to nginx-rtmp on a
// rendition of its own.
func TestHEVCOverEnhancedRTMPAndSRT(t *testing.T) {
	nms := testpeer.StartNodeMediaServer(t)
	nginx := testpeer.StartNginxRTMP(t, "twitch")
	srt := testpeer.StartSRTListener(t, "")
	const ytKey, twKey = "yt-key-7f3a-secret", "sk_tw_hevc_2"
	const w, h, fps, secs = 640, 360, 30, 10

	cmd, stdout, stderr := startOnair(t, nil, "live", "--codec", "hevc", "--preset", "ultrafast",
		"--size", fmt.Sprintf("%dx%d", w, h), "--fps", fmt.Sprint(fps), "--bitrate", "800",
		"--duration", fmt.Sprintf("%ds", secs), "--quiet",
		"--dest", "youtube="+nms.URL("live2", ytKey),
		"--dest", "twitch="+nginx.URL("twitch", twKey),
		"--dest", fmt.Sprintf("srt://127.0.0.1:%d?latency=200", srt.Port))
	t.Cleanup(func() { cmd.Process.Kill() })

	// While it streams, the server's API reports an HEVC stream of our size.
	testpeer.Eventually(t, 15*time.Second, "node-media-server reporting the HEVC stream", func() bool {
		for _, s := range nms.Streams(t) {
			if s.Key == "/live2/"+ytKey && s.Publisher != nil && s.Publisher.VideoWidth > 0 {
				return true
			}
		}
		return false
	})
	for _, s := range nms.Streams(t) {
		p := s.Publisher
		if p == nil {
			continue
		}
		if p.VideoCodec != 0x68766331 || p.VideoWidth != w || p.VideoHeight != h || p.VideoFramerate != fps {
			t.Errorf("node-media-server reports codec %#x %dx%d@%v, want 'hvc1' (0x68766331) %dx%d@%d", int64(p.VideoCodec), p.VideoWidth, p.VideoHeight, p.VideoFramerate, w, h, fps)
		}
		t.Logf("node-media-server reports %s: codec %#x %dx%d@%v, audio codec %v, %d bytes in", s.Key[:7], int64(p.VideoCodec), p.VideoWidth, p.VideoHeight, p.VideoFramerate, p.AudioCodec, p.InBytes)
		if p.AudioCodec != 10 {
			t.Errorf("node-media-server reports audio codec %v, want 10 (AAC)", p.AudioCodec)
		}
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("onair: %v\nstdout:\n%s\nstderr:\n%s", err, stdout, stderr)
	}
	r := result{code: 0, stdout: stdout.String(), stderr: stderr.String()}
	if sum := summary(t, r.stdout); sum["video_encoders"] != 2 || sum["reached"] != 3 {
		t.Errorf("summary %v: want 2 video encoders (HEVC, H.264) for 3 destinations", sum)
	}
	for _, want := range []string{"rendition 1: HEVC 640x360@30 800 kb/s", "rendition 2: H.264 640x360@30 800 kb/s"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
	assertNoSecrets(t, r, ytKey, twKey)

	time.Sleep(500 * time.Millisecond)
	srt.Stop()
	nms.Stop()
	nginx.Stop()

	t.Run("enhanced-rtmp", func(t *testing.T) {
		recs := nms.Recordings("live2", ytKey)
		if len(recs) != 1 {
			t.Fatalf("node-media-server recorded %d files, want 1", len(recs))
		}
		v, err := testpeer.ReadFLVHEVC(recs[0])
		if err != nil {
			t.Fatalf("%s: %v", recs[0], err)
		}
		t.Logf("recorded: %d HEVC frames, %d keyframes, %d AAC tags, %d bytes of Annex B", v.Frames, v.Keyframes, v.AudioTags, len(v.AnnexB))
		if want := secs * fps; v.Frames < want*98/100 || v.Frames > want {
			t.Errorf("%d HEVC frames recorded, want %d (-2%%)", v.Frames, want)
		}
		if !v.FirstKey || v.Keyframes != (v.Frames+2*fps-1)/(2*fps) {
			t.Errorf("first frame key=%v, %d keyframes in %d frames: want a keyframe first and every 2 s", v.FirstKey, v.Keyframes, v.Frames)
		}
		if v.AudioTags < secs*48000/1024*97/100 {
			t.Errorf("%d AAC tags recorded, want about %d", v.AudioTags, secs*48000/1024)
		}
		for i := 1; i < len(v.Timestamp); i++ {
			if v.Timestamp[i] <= v.Timestamp[i-1] {
				t.Fatalf("video timestamps not increasing at frame %d: %d after %d", i, v.Timestamp[i], v.Timestamp[i-1])
			}
		}
		// The NAL units as recorded decode with ffmpeg without a single error.
		raw := filepath.Join(t.TempDir(), "recorded.hevc")
		if err := os.WriteFile(raw, v.AnnexB, 0o644); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command("ffmpeg", "-nostdin", "-v", "error", "-xerror", "-f", "hevc", "-i", raw, "-f", "null", "-").CombinedOutput()
		if err != nil || len(strings.TrimSpace(string(out))) > 0 {
			t.Errorf("ffmpeg decoding the recorded HEVC: %v\n%s", err, out)
		}
		p := testpeer.FFprobe(t, raw)
		if s, ok := p.Stream("video"); !ok || s.CodecName != "hevc" || s.Width != w || s.Height != h || s.Frames() != v.Frames {
			t.Errorf("ffprobe of the recorded HEVC: %+v, want hevc %dx%d, %d frames", s, w, h, v.Frames)
		}
	})
	t.Run("srt", func(t *testing.T) {
		checkRecordingCodec(t, srt.Out, "hevc", w, h, fps, secs*time.Second, 2*fps)
	})
	t.Run("twitch-h264", func(t *testing.T) {
		checkRecording(t, nginx.Recording("twitch", twKey), w, h, fps, secs*time.Second)
	})
}
