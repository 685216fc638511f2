package testpeer

import (
	"fmt"
	"os"
	"strings"
)

// FFmpegLiveEncode is the reference encode the benchmarks hold onair to: the
// ffmpeg command line's arguments for what onair's encoders do (x264
// veryfast, zero latency, High profile, CBR at kbps with its HRD, a keyframe
// every 2 s, 4:2:0; AAC at 160 kb/s, 48 kHz stereo; global headers for FLV).
func FFmpegLiveEncode(kbps, fps int) []string {
	k := fmt.Sprintf("%dk", kbps)
	gop := fmt.Sprint(2 * fps)
	return []string{
		"-c:v", "libx264", "-preset", "veryfast", "-tune", "zerolatency", "-profile:v", "high",
		"-b:v", k, "-maxrate", k, "-minrate", k, "-bufsize", k, "-g", gop, "-keyint_min", gop, "-sc_threshold", "0",
		"-x264-params", "nal-hrd=cbr:force-cfr=1", "-pix_fmt", "yuv420p", "-r", fmt.Sprint(fps),
		"-c:a", "aac", "-b:a", "160k", "-ar", "48000", "-ac", "2", "-flags", "+global_header"}
}

// FFmpegDropped reads the frames ffmpeg dropped from its -progress file.
func FFmpegDropped(progress string) float64 {
	b, _ := os.ReadFile(progress)
	var n float64
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "drop_frames="); ok {
			fmt.Sscan(v, &n)
		}
	}
	return n
}
