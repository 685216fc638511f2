package main

import (
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"onair/internal/testpeer"
	"onair/overlay"
	"onair/studio"
)

// A 15 s show to nginx-rtmp driven on standard input: a fade to "Be right
// back" and back, a layer hidden and shown, 50 alerts pushed in one second,
// the privacy cut on and off. Every frame is there with its timestamp one
// frame after the last; the summary counts the alerts shown and skipped; at
// the privacy cut the picture is the privacy scene and the sound is silent,
// while before it the test card's tone plays.
func TestLiveSceneDrivenOnStdin(t *testing.T) {
	testpeer.Require(t, "ffmpeg", "ffprobe")
	dir := t.TempDir()
	logo := filepath.Join(dir, "logo.png")
	writeLogo(t, logo)
	p := studio.DefaultProfile()
	p.Canvas = studio.Canvas{Width: 640, Height: 360, FPS: 30}
	p.Video.BitrateKbps = 800
	p.Scenes = []overlay.SceneSpec{
		{Name: "Live", Layers: []overlay.LayerSpec{
			{Name: "camera", Kind: overlay.KindCamera},
			{Name: "logo", Kind: overlay.KindImage, Path: logo, X: 520, Y: 12},
			{Name: "clock", Kind: overlay.KindText, Text: "{clock} {elapsed}", X: 12, Y: 12, Style: overlay.TextSpec{Size: 24, Outline: 2}},
			{Name: "goal", Kind: overlay.KindGoal, X: 160, Y: 310, Width: 320, Height: 32, Goal: &overlay.GoalSpec{Title: "Dance", Target: 1000}},
			{Name: "alerts", Kind: overlay.KindAlert, Y: 100, Alerts: &overlay.AlertSpec{HoldSec: 1.5, Queue: 10}},
		}},
		{Name: "Be right back", Layers: []overlay.LayerSpec{
			{Name: "title", Kind: overlay.KindText, Text: "Be right back", Y: 150, Style: overlay.TextSpec{Size: 48, Align: "center"}}}},
		{Name: "Privacy", Layers: []overlay.LayerSpec{
			{Name: "title", Kind: overlay.KindText, Text: "Back in a moment", Y: 150, Style: overlay.TextSpec{Size: 48, Align: "center"}}}},
	}
	profile := filepath.Join(dir, "profile.json")
	b, _ := json.Marshal(p)
	if err := os.WriteFile(profile, b, 0o600); err != nil {
		t.Fatal(err)
	}
	nginx := testpeer.StartNginxRTMP(t, "live")
	cmd := exec.Command(onairBin, "live", "--profile", profile, "--duration", "15s", "--quiet",
		"--dest", nginx.URL("live", "sk_scene_4455"))
	cmd.Env = append(os.Environ(), "XDG_CONFIG_HOME="+t.TempDir())
	stdout, stderr := &syncBuffer{}, &syncBuffer{}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// The script, by the time since onair started (it goes live within
	// about half a second).
	script := []struct {
		at    time.Duration
		lines []string
	}{
		{2 * time.Second, []string{"scene Be right back fade 400ms"}},
		{4 * time.Second, []string{"scene Live fade"}},
		{5 * time.Second, []string{"hide logo"}},
		{6 * time.Second, []string{"show logo", "not a command"}},
		{10 * time.Second, []string{"privacy on"}},
		{12 * time.Second, []string{"privacy off"}},
	}
	for i := range 50 { // 50 alerts in one second, from 7 s
		script = append(script, struct {
			at    time.Duration
			lines []string
		}{7*time.Second + time.Duration(i)*20*time.Millisecond, []string{fmt.Sprintf("alert tip %d viewer%d thanks!", 10+i, i)}})
	}
	slices.SortStableFunc(script, func(a, b struct {
		at    time.Duration
		lines []string
	}) int {
		return int(a.at - b.at)
	})
	start := time.Now()
	wrote := make(chan error, 1)
	go func() {
		defer in.Close()
		for _, s := range script {
			time.Sleep(time.Until(start.Add(s.at)))
			for _, l := range s.lines {
				if _, err := io.WriteString(in, l+"\n"); err != nil {
					wrote <- err
					return
				}
			}
		}
		wrote <- nil
	}()
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()
	select {
	case err = <-waited:
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		<-waited
		t.Fatalf("onair did not end within 60 s\n%s", stderr.String())
	}
	if werr := <-wrote; werr != nil {
		t.Fatalf("writing the script: %v", werr)
	}
	checkNoRace(t, stderr.String())
	if err != nil {
		t.Fatalf("onair: %v\n%s", err, stderr.String())
	}
	if !strings.Contains(stderr.String(), `command: "not" is not a command`) {
		t.Errorf("a bad command line was not answered in words:\n%s", stderr.String())
	}
	// The alerts: one at a time (1.5 s hold and 0.8 s in and out), the
	// queue holding 10: a few shown, most skipped, none lost uncounted.
	m := regexp.MustCompile(`alerts_shown=(\d+) alerts_skipped=(\d+)`).FindStringSubmatch(stdout.String())
	if m == nil {
		t.Fatalf("no alert counts in the summary:\n%s", stdout.String())
	}
	shown, _ := strconv.Atoi(m[1])
	skipped, _ := strconv.Atoi(m[2])
	t.Logf("alerts shown %d, skipped %d", shown, skipped)
	if shown < 2 || skipped < 30 || shown+skipped > 50 {
		t.Errorf("alerts shown %d, skipped %d of 50 pushed: want a few shown, the queue's overflow skipped", shown, skipped)
	}
	nginx.Stop()
	rec := nginx.Recording("live", "sk_scene_4455")
	probe := testpeer.FFprobe(t, rec)
	v, ok := probe.Stream("video")
	if !ok {
		t.Fatal("no video in the recording")
	}
	if n := v.Frames(); n < 449 || n > 451 {
		t.Errorf("%d video frames, want 450 ± 1", n)
	}
	// Every picture one frame after the last: FLV's milliseconds give 33 or
	// 34, never a repeated or a missing slot around the switches.
	var last int64 = -1
	for i, k := range probe.PacketsOf(v.Index) {
		if k.PTS == nil {
			t.Fatalf("video packet %d has no pts", i)
		}
		if last >= 0 {
			if d := *k.PTS - last; d != 33 && d != 34 {
				t.Errorf("video packet %d: pts %d ms after the last, want 33 or 34", i, d)
			}
		}
		last = *k.PTS
	}
	// The privacy cut: the first dark frame after 8 s of media is the
	// privacy scene; its sound is silent, the tone plays before it.
	times, luma := frameLuma(t, rec)
	cut := -1.0
	for i := range times {
		if times[i] > 8 && luma[i] < 40 {
			cut = times[i]
			break
		}
	}
	if cut < 0 {
		t.Fatalf("no privacy scene in the recording after 8 s (mean luma per frame %v)", luma)
	}
	frame := filepath.Join(dir, "privacy.png")
	if out, err := exec.Command("ffmpeg", "-v", "error", "-ss", fmt.Sprint(cut+0.2), "-i", rec, "-frames:v", "1", frame).CombinedOutput(); err != nil {
		t.Fatalf("extracting the privacy frame: %v\n%s", err, out)
	}
	if mean, bright := pictureStats(t, frame); mean > 40 || bright < 0.005 {
		t.Errorf("the frame at the privacy cut has mean luma %.0f and %.2f%% bright pixels: not the dark privacy card with its text", mean, 100*bright)
	}
	during := rmsDB(t, rec, cut+0.04, 1.5) // from just over a frame after the cut
	before := rmsDB(t, rec, cut-3, 1.5)
	t.Logf("privacy cut at %.2f s: sound %.1f dB RMS before, %.1f dB during", cut, before, during)
	if during > -70 {
		t.Errorf("the sound during the privacy cut is %.1f dB RMS, want silence", during)
	}
	if before < -40 {
		t.Errorf("the sound before the privacy cut is %.1f dB RMS: the test tone should play", before)
	}
}

// frameLuma is each video frame's time and mean luma.
func frameLuma(t *testing.T, path string) (times, luma []float64) {
	t.Helper()
	out, err := exec.Command("ffprobe", "-v", "error", "-f", "lavfi", "-i", "movie="+path+",signalstats",
		"-show_entries", "frame=pts_time:frame_tags=lavfi.signalstats.YAVG", "-of", "csv=p=0").Output()
	if err != nil {
		t.Fatalf("ffprobe signalstats: %v", err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Split(line, ",")
		if len(f) < 2 {
			continue
		}
		ts, err1 := strconv.ParseFloat(f[0], 64)
		y, err2 := strconv.ParseFloat(f[1], 64)
		if err1 == nil && err2 == nil {
			times, luma = append(times, ts), append(luma, y)
		}
	}
	return times, luma
}

// pictureStats reads a PNG: its mean luma (0..255) and the share of bright
// pixels (text).
func pictureStats(t *testing.T, path string) (mean, bright float64) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	b := img.Bounds()
	var sum float64
	n, lit := 0, 0
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			l := (0.2126*float64(r) + 0.7152*float64(g) + 0.0722*float64(bl)) / 257
			sum += l
			if l > 180 {
				lit++
			}
			n++
		}
	}
	return sum / float64(n), float64(lit) / float64(n)
}

// rmsDB is the sound's RMS level in dBFS over d seconds from from.
func rmsDB(t *testing.T, path string, from, d float64) float64 {
	t.Helper()
	out, err := exec.Command("ffmpeg", "-v", "error", "-ss", fmt.Sprint(from), "-t", fmt.Sprint(d), "-i", path,
		"-map", "0:a", "-ac", "1", "-f", "f32le", "-").Output()
	if err != nil {
		t.Fatalf("decoding the sound: %v", err)
	}
	var sum float64
	n := len(out) / 4
	if n == 0 {
		t.Fatalf("no sound from %.1f s", from)
	}
	for i := range n {
		v := float64(math.Float32frombits(uint32(out[4*i]) | uint32(out[4*i+1])<<8 | uint32(out[4*i+2])<<16 | uint32(out[4*i+3])<<24))
		sum += v * v
	}
	if sum == 0 {
		return math.Inf(-1)
	}
	return 10 * math.Log10(sum/float64(n))
}

func writeLogo(t *testing.T, path string) {
	img := image.NewNRGBA(image.Rect(0, 0, 100, 50))
	for y := range 50 {
		for x := range 100 {
			a := 255 * (1 - math.Hypot(float64(x-50)/50, float64(y-25)/25))
			img.SetNRGBA(x, y, color.NRGBA{255, 140, 0, uint8(max(a, 0))})
		}
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := png.Encode(f, img); err != nil {
		t.Fatal(err)
	}
}
