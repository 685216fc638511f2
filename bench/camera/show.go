package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"onair/internal/benchrun"
	"onair/internal/testpeer"
)

const showKbps = 6000

// wholeShow is `onair live` from the fake camera to one RTMP destination
// against ffmpeg doing the same job. It builds onair with the fakedevices
// tag and starts nginx-rtmp, both owned by p.
func wholeShow(p *testpeer.Program, clip string, seconds int) (*measurement, error) {
	testpeer.Require(p, "nginx")
	bin, err := filepath.Abs(filepath.Join("bench", "cache", "onair-fakedevices"))
	if err != nil {
		return nil, err
	}
	fmt.Println("building onair -tags fakedevices …")
	if out, err := exec.Command("go", "build", "-tags", "fakedevices", "-o", bin, "./cmd/onair").CombinedOutput(); err != nil {
		return nil, fmt.Errorf("building onair: %v\n%s", err, out)
	}
	absClip, err := filepath.Abs(clip)
	if err != nil {
		return nil, err
	}
	nginx := testpeer.StartNginxRTMP(p, "show")
	s := &show{p: p, nginx: nginx, bin: bin, clip: absClip, seconds: seconds}
	return &measurement{
		name: "whole show", title: "the whole show (camera → 1080p30 H.264 6000k + AAC → RTMP)", target: 1.05,
		reference: "ffmpeg " + benchrun.QuoteArgs(ffmpegShowArgs(clip, seconds, "progress.txt", "rtmp://127.0.0.1:PORT/show/KEY")),
		onair:     func(r int) (sample, error) { return s.run("onair", r) },
		ffmpeg:    func(r int) (sample, error) { return s.run("ffmpeg", r) },
	}, nil
}

type show struct {
	p       *testpeer.Program
	nginx   *testpeer.NginxRTMP
	bin     string
	clip    string
	seconds int
}

// ffmpegShowArgs is the reference for the whole show, with the benchmarks'
// one reference encode (testpeer.FFmpegLiveEncode). The MJPEG is paced with -re as
// a camera paces it, and the picture is converted as the camera path's
// reference converts it. With no microphone onair sends silent AAC, so
// ffmpeg encodes silence too.
func ffmpegShowArgs(clip string, seconds int, progress, url string) []string {
	args := []string{"-hide_banner", "-nostats", "-nostdin", "-loglevel", "error", "-progress", progress,
		"-re", "-stream_loop", "-1", "-f", "mjpeg", "-framerate", fmt.Sprint(fps), "-i", clip,
		"-f", "lavfi", "-i", "anullsrc=r=48000:cl=stereo",
		"-t", fmt.Sprint(seconds), "-map", "0:v", "-map", "1:a",
		"-vf", fmt.Sprintf("scale=%d:%d:out_range=tv,format=yuv420p", w, h)}
	args = append(args, testpeer.FFmpegLiveEncode(showKbps, fps)...)
	return append(args, "-f", "flv", url)
}

// run runs one tool once and measures it and what nginx recorded.
func (s *show) run(tool string, round int) (sample, error) {
	dir := s.p.TempDir()
	defer os.RemoveAll(dir)
	key := fmt.Sprintf("%s-%d", tool, round)
	url := s.nginx.URL("show", key)
	statsPath := filepath.Join(dir, "stats.json")
	progressPath := filepath.Join(dir, "progress.txt")
	var cmd *exec.Cmd
	switch tool {
	case "onair":
		cmd = exec.Command(s.bin, "live", "--quiet", "--source", "camera:Fake Camera",
			"--size", fmt.Sprintf("%dx%d", w, h), "--fps", fmt.Sprint(fps), "--bitrate", fmt.Sprint(showKbps),
			"--duration", fmt.Sprintf("%ds", s.seconds), "--mic", "none", "--stats-file", statsPath, "--dest", url)
		// No profile of the user's: the flags are the whole configuration.
		cmd.Env = append(os.Environ(), "XDG_CONFIG_HOME="+dir, "ONAIR_FAKE_CAMERA="+s.clip)
	case "ffmpeg":
		cmd = exec.Command("ffmpeg", ffmpegShowArgs(s.clip, s.seconds, progressPath, url)...)
	}
	logPath := filepath.Join(dir, tool+".log")
	logf, err := os.Create(logPath)
	if err != nil {
		return sample{}, err
	}
	defer logf.Close()
	cmd.Stdout, cmd.Stderr = logf, logf
	rec := s.nginx.Recording("show", key)
	defer os.Remove(rec)
	sm, err := measure(cmd, s.seconds)
	if err != nil {
		log, _ := os.ReadFile(logPath)
		return sample{}, fmt.Errorf("%v\n%s", err, tail(string(log)))
	}
	waitStill(rec)
	pr := testpeer.FFprobe(s.p, rec)
	v, ok := pr.Stream("video")
	if !ok {
		return sm, fmt.Errorf("nginx recorded no video from %s", tool)
	}
	sm.VideoFrames = v.Frames()
	sm.Realtime = float64(sm.VideoFrames) / float64(s.seconds*fps)
	sm.Video = fmt.Sprintf("%s %s %dx%d", v.CodecName, v.Profile, v.Width, v.Height)
	if a, ok := pr.Stream("audio"); ok {
		sm.Audio = fmt.Sprintf("%s %s Hz %d ch, %d frames", a.CodecName, a.SampleRate, a.Channels, a.Frames())
	} else {
		sm.Audio = "none"
	}
	switch tool {
	case "onair":
		d, err := onairDropped(statsPath)
		if err != nil {
			return sm, err
		}
		sm.Dropped = d
	case "ffmpeg":
		sm.Dropped = testpeer.FFmpegDropped(progressPath)
	}
	return sm, nil
}

// onairDropped counts the frames onair's stats file says were skipped
// before the encoder or dropped on the way out (as bench/main.go does).
func onairDropped(path string) (float64, error) {
	var st struct {
		EncoderSkipped int64 `json:"encoder_skipped"`
		Destinations   []struct {
			DroppedVideo int64 `json:"dropped_video"`
		} `json:"destinations"`
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, fmt.Errorf("onair's stats file: %w", err)
	}
	if err := json.Unmarshal(b, &st); err != nil {
		return 0, fmt.Errorf("onair's stats file: %w", err)
	}
	n := st.EncoderSkipped
	for _, d := range st.Destinations {
		n += d.DroppedVideo
	}
	return float64(n), nil
}

// waitStill waits until nginx has stopped writing the recording (its size
// unchanged for 300 ms), at most 5 s.
func waitStill(path string) {
	size := func() int64 {
		fi, err := os.Stat(path)
		if err != nil {
			return -1
		}
		return fi.Size()
	}
	last, since := size(), time.Now()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); {
		time.Sleep(50 * time.Millisecond)
		if n := size(); n != last {
			last, since = n, time.Now()
		} else if time.Since(since) >= 300*time.Millisecond {
			return
		}
	}
}

func tail(s string) string {
	if len(s) > 1500 {
		return s[len(s)-1500:]
	}
	return s
}
