package wire

import (
	"bytes"
	"context"
	"image"
	"image/jpeg"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pion/mediadevices/pkg/frame"

	"onair/capture/device"
	"onair/capture/device/devicetest"
	"onair/internal/testpeer"
	"onair/studio"
)

// A camera flashes white and a microphone (its clock 0.1 % fast) clicks at
// the same instants, once a second; the show goes through the real studio,
// encoders and recorder to a Matroska file. On the file's own timestamps,
// each click is within 33 ms (a frame) of its flash: the microphone's sound,
// 40 ms late out of its ring, lands on the pictures taken with it because the
// studio composes that late and the camera keeps its recent pictures by the
// time they were taken.
func TestCameraAndMicInSyncInTheRecording(t *testing.T) {
	testpeer.Require(t, "ffmpeg", "ffprobe")
	const (
		w, h    = 320, 180
		fps     = 30
		seconds = 10
		devRate = 48048.0 // 0.1 % fast
	)
	black, white := solidJPEG(t, w, h, 16), solidJPEG(t, w, h, 235)
	frames := make([][]byte, fps) // a white picture, then a second of black
	frames[0] = white
	for i := 1; i < fps; i++ {
		frames[i] = black
	}
	cam := &devicetest.Camera{Label: "Flash Cam", Frames: frames,
		Modes: []device.Mode{{Width: w, Height: h, FPS: fps, Format: frame.FormatMJPEG}}}
	unregister, err := devicetest.Register(cam)
	if err != nil {
		t.Fatal(err)
	}
	defer unregister()

	dir := t.TempDir()
	mkv, ts := filepath.Join(dir, "av.mkv"), filepath.Join(dir, "av.ts")
	p := studio.DefaultProfile()
	p.Canvas = studio.Canvas{Width: w, Height: h, FPS: fps}
	p.Source, p.CameraMode = "camera:Flash Cam", "320x180@30"
	p.Destinations = []studio.Destination{{URL: "file://" + mkv}, {URL: "file://" + ts}}
	srcs, err := NewSources(p)
	if err != nil {
		t.Fatal(err)
	}
	defer srcs.Close()
	ring, _ := srcs.micInput("Mic: Click", 2, 48000)
	if d := srcs.Studio.SyncDelay(); d != micRingLatency {
		t.Fatalf("a microphone set the studio's sync delay to %v, want %v", d, micRingLatency)
	}

	// Both devices count from t0: the camera's first picture (a flash) is
	// taken then, and the microphone's sample k is heard at t0 + k/48048 s.
	t0 := time.Now().Add(700 * time.Millisecond)
	cam.Stall(time.Until(t0))
	ctx, cancel := context.WithCancel(context.Background())
	micDone := make(chan struct{})
	go func() { // the microphone: 10 ms bursts, as a sound server sends them
		defer close(micDone)
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		k := int64(time.Since(t0).Seconds() * devRate) // negative: before t0
		buf := make([]float32, 0, 2*1024)
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			end := int64(time.Since(t0).Seconds() * devRate)
			buf = buf[:0]
			for ; k < end; k++ {
				var v float32
				if k >= 0 && k%int64(devRate) < 48 { // 1 ms click each second
					v = 0.8
				}
				buf = append(buf, v, v)
			}
			ring.Push(buf)
		}
	}()

	cfg := BroadcastConfig(p)
	cfg.Duration = seconds * time.Second
	b, err := studio.NewBroadcast(srcs.Studio, cfg)
	if err != nil {
		cancel()
		<-micDone
		t.Fatal(err)
	}
	studioDone := make(chan error, 1)
	go func() { studioDone <- srcs.Studio.Run(ctx) }()
	berr := b.Run(context.Background())
	cancel()
	<-micDone
	if err := <-studioDone; err != nil {
		t.Fatalf("studio: %v", err)
	}
	if berr != nil {
		t.Fatalf("broadcast: %v", berr)
	}

	for _, out := range []string{mkv, ts} {
		checkInSync(t, out, seconds)
	}
}

// checkInSync finds the flashes and the clicks of a recording and checks
// each click is within a frame of its flash.
func checkInSync(t *testing.T, out string, seconds int) {
	t.Helper()
	name := filepath.Base(out)
	vt, luma := probeColumn(t, "movie="+out+",signalstats", "lavfi.signalstats.YAVG")
	flashes := edges(t, vt, luma, 128)
	at, peak := probeColumn(t, "amovie="+out+",pan=mono|c0=c0,asetnsamples=n=48:p=0,astats=metadata=1:reset=1", "lavfi.astats.Overall.Peak_level")
	clicks := edges(t, at, peak, -10)
	if len(flashes) < seconds-2 || len(clicks) < seconds-2 {
		t.Fatalf("%s holds %d flashes and %d clicks over %d s", name, len(flashes), len(clicks), seconds)
	}
	var worst time.Duration
	var offs []string
	for _, c := range clicks {
		// The flash nearest the click is its pair (they are a second apart).
		best := flashes[0]
		for _, f := range flashes {
			if (c - f).Abs() < (c - best).Abs() {
				best = f
			}
		}
		off := c - best
		offs = append(offs, strconv.FormatFloat(ms(off), 'f', 1, 64))
		if off.Abs() > worst.Abs() {
			worst = off
		}
	}
	t.Logf("%s: click − flash on the file's timestamps (ms): %s", name, strings.Join(offs, " "))
	if worst.Abs() > 33*time.Millisecond {
		t.Errorf("%s: a click is %.1f ms from its flash; want within 33 ms (a frame)", name, ms(worst))
	}
}

// solidJPEG is a w×h JPEG of one grey level.
func solidJPEG(t *testing.T, w, h int, y uint8) []byte {
	img := image.NewGray(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = y
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// probeColumn runs a lavfi graph through ffprobe and returns each frame's
// time and the value of one metadata key.
func probeColumn(t *testing.T, graph, key string) (at []time.Duration, v []float64) {
	t.Helper()
	out, err := exec.Command("ffprobe", "-v", "error", "-f", "lavfi", "-i", graph,
		"-show_entries", "frame=pts_time:frame_tags="+key, "-of", "csv=p=0").Output()
	if err != nil {
		t.Fatalf("ffprobe %s: %v", graph, err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Split(line, ",")
		if len(f) < 2 {
			continue
		}
		ts, err1 := strconv.ParseFloat(f[0], 64)
		x, err2 := strconv.ParseFloat(f[1], 64)
		if err1 != nil || err2 != nil {
			continue // -inf dB in silence
		}
		at = append(at, time.Duration(ts*float64(time.Second)))
		v = append(v, x)
	}
	return at, v
}

// edges are the times a value rises above threshold.
func edges(t *testing.T, at []time.Duration, v []float64, threshold float64) []time.Duration {
	t.Helper()
	if len(at) == 0 {
		t.Fatal("ffprobe gave no frames")
	}
	var out []time.Duration
	above := false
	for i := range at {
		if v[i] > threshold && !above {
			out = append(out, at[i])
		}
		above = v[i] > threshold
	}
	return out
}
