package devicetest

import (
	"bytes"
	"errors"
	"fmt"
	"os/exec"
)

// RecordMJPEG has ffmpeg draw n frames of its testsrc2 pattern at w×h and
// encode them as a webcam does: MJPEG, 4:2:2, full range. It returns the
// JPEGs and the stream they came from.
func RecordMJPEG(w, h, fps, n int) (frames [][]byte, stream []byte, err error) {
	stream, err = ffmpeg(w, h, fps, n, "-pix_fmt", "yuvj422p", "-c:v", "mjpeg", "-q:v", "3", "-f", "mjpeg")
	if err != nil {
		return nil, nil, err
	}
	frames = SplitJPEGs(stream)
	if len(frames) != n {
		return nil, nil, fmt.Errorf("ffmpeg's MJPEG stream split into %d pictures, want %d", len(frames), n)
	}
	return frames, stream, nil
}

// RecordYUYV has ffmpeg draw n frames of testsrc2 at w×h as packed YUYV
// (limited range, as cameras send it).
func RecordYUYV(w, h, fps, n int) ([][]byte, error) {
	raw, err := ffmpeg(w, h, fps, n, "-pix_fmt", "yuyv422", "-f", "rawvideo")
	if err != nil {
		return nil, err
	}
	size := w * h * 2
	if len(raw) != size*n {
		return nil, fmt.Errorf("ffmpeg wrote %d bytes of YUYV, want %d", len(raw), size*n)
	}
	var frames [][]byte
	for i := 0; i < n; i++ {
		frames = append(frames, raw[i*size:(i+1)*size:(i+1)*size])
	}
	return frames, nil
}

func ffmpeg(w, h, fps, n int, out ...string) ([]byte, error) {
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		return nil, errors.New("ffmpeg is not installed")
	}
	args := append([]string{"-v", "error", "-f", "lavfi", "-i", fmt.Sprintf("testsrc2=size=%dx%d:rate=%d", w, h, fps), "-frames:v", fmt.Sprint(n)}, out...)
	cmd := exec.Command("ffmpeg", append(args, "-")...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	b, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("ffmpeg: %v: %s", err, stderr.String())
	}
	return b, nil
}

// SplitJPEGs cuts an MJPEG stream (JPEGs back to back) into its pictures at
// their start (FF D8) and end (FF D9) markers. Inside a JPEG's coded data an
// FF byte is always followed by 00 or a restart marker, so FF D9 is only
// ever the end.
func SplitJPEGs(stream []byte) [][]byte {
	var out [][]byte
	for {
		start := bytes.Index(stream, []byte{0xFF, 0xD8})
		if start < 0 {
			return out
		}
		end := bytes.Index(stream[start+2:], []byte{0xFF, 0xD9})
		if end < 0 {
			return out
		}
		end += start + 4
		out = append(out, stream[start:end:end])
		stream = stream[end:]
	}
}
