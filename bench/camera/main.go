// Command camera measures the performer's path against ffmpeg, in two parts
// run in the same rounds.
//
// The camera path: recorded 1080p30 4:2:2 MJPEG (what webcams send)
// through a fake camera driver, onair's CameraSource and its libav
// converter to the 1080p 4:2:0 canvas, against
//
//	ffmpeg -re -f mjpeg -framerate 30 -i frames.mjpeg -vf scale=1920:1080:out_range=tv,format=yuv420p -f null -
//
// decoding and scaling the same frames at the same pace. Target: at most 1.1.
//
// The whole show: `onair live --source "camera:Fake Camera" --mic none` (the
// fakedevices build playing the same clip) at 1080p30, 6000 kb/s, to one
// RTMP destination (a local nginx-rtmp), against ffmpeg reading the same
// clip at the same pace and encoding with bench/main.go's x264/AAC settings
// (silent AAC, as onair sends with no microphone). Target: at most 1.05.
//
// Both tools run as child processes, one after the other within a round
// (alternating who goes first); the figure is CPU (user+sys) per media
// second, and a ratio is the median of the rounds' ratios. It prints a table
// and writes bench/camera.json.
//
//	go run ./bench/camera                    3 rounds of 10 s
//	go run ./bench/camera -rounds 5 -seconds 20
//	go run ./bench/camera -only show         the whole show alone
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	"github.com/pion/mediadevices/pkg/frame"

	"onair/capture"
	"onair/capture/device"
	"onair/capture/device/devicetest"
	"onair/capture/media"
	"onair/internal/benchrun"
	"onair/internal/testpeer"
)

const w, h, fps = 1920, 1080, 30

func main() {
	rounds := flag.Int("rounds", 3, "rounds (the median ratio is reported)")
	seconds := flag.Int("seconds", 10, "media seconds per run")
	only := flag.String("only", "", "run one measurement: path (the camera path) or show (the whole show)")
	out := flag.String("out", filepath.Join("bench", "camera.json"), "where to write the results")
	worker := flag.String("worker", "", "internal: run onair's camera path over this MJPEG file")
	flag.Parse()
	if *worker != "" {
		if err := runWorker(*worker, *seconds*fps); err != nil {
			fmt.Fprintln(os.Stderr, "camera worker:", err)
			os.Exit(1)
		}
		return
	}
	if *only != "" && *only != "path" && *only != "show" {
		fmt.Fprintf(os.Stderr, "bench/camera: -only %q: use path or show\n", *only)
		os.Exit(2)
	}
	if *rounds < 1 || *seconds < 1 {
		fmt.Fprintln(os.Stderr, "bench/camera: -rounds and -seconds must be at least 1")
		os.Exit(2)
	}
	p, err := testpeer.NewProgram("onair-bench-camera-", false, func(msg string) {
		fmt.Fprintln(os.Stderr, "bench/camera:", msg)
		os.Exit(1)
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench/camera:", err)
		os.Exit(1)
	}
	err = run(p, *rounds, *seconds, *only, *out)
	p.Close()
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench/camera:", err)
		os.Exit(1)
	}
}

// tool is one side of a measurement: it runs once and measures itself.
type tool func(round int) (sample, error)

// measurement is one comparison: onair against its reference.
type measurement struct {
	name, title string
	target      float64
	reference   string // the ffmpeg command, for the report
	onair       tool
	ffmpeg      tool
	onairS      []sample
	ffmpegS     []sample
	first       []string // who went first in each round
}

func run(p *testpeer.Program, rounds, seconds int, only, outPath string) error {
	testpeer.Require(p, "ffmpeg", "ffprobe")
	clip, err := ensureClip(seconds)
	if err != nil {
		return err
	}
	var ms []*measurement
	if only != "show" {
		m, err := cameraPath(clip, seconds)
		if err != nil {
			return err
		}
		ms = append(ms, m)
	}
	if only != "path" {
		m, err := wholeShow(p, clip, seconds)
		if err != nil {
			return err
		}
		ms = append(ms, m)
	}
	loadBefore := benchrun.LoadAvg()
	fmt.Println("load average before:", loadBefore)
	// Rounds: every measurement and both tools once per round, back to back,
	// so a drift in the machine's speed hits all alike.
	for r := 0; r < rounds; r++ {
		for _, m := range ms {
			order := []string{"onair", "ffmpeg"}
			if r%2 == 1 {
				order = []string{"ffmpeg", "onair"}
			}
			m.first = append(m.first, order[0])
			for _, name := range order {
				t := m.onair
				if name == "ffmpeg" {
					t = m.ffmpeg
				}
				fmt.Printf("  round %d/%d %-11s %-6s …", r+1, rounds, m.name, name)
				s, err := t(r)
				if err != nil {
					return fmt.Errorf("%s, %s: %w", m.title, name, err)
				}
				fmt.Println(" " + s.line())
				if name == "onair" {
					m.onairS = append(m.onairS, s)
				} else {
					m.ffmpegS = append(m.ffmpegS, s)
				}
			}
		}
	}
	res := report{
		Date: time.Now().UTC().Format(time.RFC3339), Machine: testpeer.Machine(),
		Rounds: rounds, MediaSeconds: seconds, Clip: clipInfo(clip),
		LoadBefore: loadBefore, LoadAfter: benchrun.LoadAvg(),
	}
	for _, m := range ms {
		res.Measurements = append(res.Measurements, m.result(seconds))
	}
	printTable(res)
	return benchrun.WriteJSON(outPath, res)
}

// ensureClip records the input once (testsrc2 as 4:2:2 MJPEG, seconds
// long), cached under bench/cache.
func ensureClip(seconds int) (string, error) {
	dir := filepath.Join("bench", "cache")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	clip := filepath.Join(dir, fmt.Sprintf("camera-1080p30-422-%ds.mjpeg", seconds))
	if _, err := os.Stat(clip); err == nil {
		return clip, nil
	}
	fmt.Println("recording", clip, "…")
	_, stream, err := devicetest.RecordMJPEG(w, h, fps, seconds*fps)
	if err != nil {
		return "", err
	}
	return clip, os.WriteFile(clip, stream, 0o644)
}

// cameraPath is onair's camera path (this program as a worker) against
// ffmpeg decoding and scaling the same frames.
func cameraPath(clip string, seconds int) (*measurement, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	scale := fmt.Sprintf("scale=%d:%d:out_range=tv,format=yuv420p", w, h)
	ref := []string{"-v", "error", "-nostdin", "-re", "-f", "mjpeg", "-framerate", fmt.Sprint(fps), "-i", clip, "-vf", scale, "-f", "null", "-"}
	runCmd := func(cmd *exec.Cmd) (sample, error) {
		cmd.Stderr = os.Stderr
		return measure(cmd, seconds)
	}
	return &measurement{
		name: "camera path", title: "the camera path (1080p30 4:2:2 MJPEG → 1080p 4:2:0)", target: 1.1,
		reference: "ffmpeg " + benchrun.QuoteArgs(ref),
		onair: func(int) (sample, error) {
			return runCmd(exec.Command(self, "-worker", clip, "-seconds", fmt.Sprint(seconds)))
		},
		ffmpeg: func(int) (sample, error) { return runCmd(exec.Command("ffmpeg", ref...)) },
	}, nil
}

// runWorker is onair's camera path as the studio drives it: a fake camera
// delivering the recorded frames at 30 fps, the camera source converting
// each, and a 30 fps ticker taking the newest, until n frames were read.
func runWorker(path string, n int) error {
	// Mapped, not read into the heap: the frames stand for a camera's
	// kernel buffers, and faulting 100 MB of fresh heap in is no part of the
	// camera path (ffmpeg reads the file through a small buffer).
	file, err := os.Open(path)
	if err != nil {
		return err
	}
	st, err := file.Stat()
	if err != nil {
		return err
	}
	stream, err := syscall.Mmap(int(file.Fd()), 0, int(st.Size()), syscall.PROT_READ, syscall.MAP_SHARED)
	file.Close()
	if err != nil {
		return err
	}
	defer syscall.Munmap(stream)
	frames := devicetest.SplitJPEGs(stream)
	fake := &devicetest.Camera{Label: "Bench Camera", Frames: frames,
		Modes: []device.Mode{{Width: w, Height: h, FPS: fps, Format: frame.FormatMJPEG}}}
	unregister, err := devicetest.Register(fake)
	if err != nil {
		return err
	}
	defer unregister()
	cam, _, err := device.OpenCamera("Bench Camera", device.Mode{Width: w, Height: h, FPS: fps}, w, h, media.NewConverter)
	if err != nil {
		return err
	}
	clock := capture.NewClock()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- cam.Run(ctx, clock) }()
	tick := time.NewTicker(time.Second / fps)
	var lerr error
	for fake.Reads() < n && lerr == nil {
		<-tick.C
		var f *capture.Frame
		if f, lerr = cam.Latest(clock.Now()); lerr == nil {
			f.Release()
		}
	}
	tick.Stop()
	cancel()
	err = <-done
	cam.Close()
	if lerr != nil {
		return lerr
	}
	if d := cam.Damaged(); d > 0 {
		return fmt.Errorf("%d frames could not be converted", d)
	}
	return err
}
