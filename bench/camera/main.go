// Command camera measures the camera path against ffmpeg: recorded 1080p30
// 4:2:2 MJPEG (what webcams send) through a fake camera driver, onair's
// CameraSource and its libav converter to the 1080p 4:2:0 canvas, against
//
//	ffmpeg -re -f mjpeg -framerate 30 -i frames.mjpeg -vf scale=1920:1080:out_range=tv,format=yuv420p -f null -
//
// decoding and scaling the same frames at the same pace. Both run as child
// processes, one after the other within a round (alternating who goes
// first); the figure is CPU (user+sys) per media second, and the ratio is
// the median of the rounds' ratios. Target: at most 1.1.
//
//	go run ./bench/camera                    3 rounds of 10 s
//	go run ./bench/camera -rounds 5 -seconds 20
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"syscall"
	"time"

	"github.com/pion/mediadevices/pkg/frame"

	"onair/capture"
	"onair/capture/device"
	"onair/capture/device/devicetest"
	"onair/capture/media"
)

const w, h, fps = 1920, 1080, 30

func main() {
	rounds := flag.Int("rounds", 3, "rounds (the median ratio is reported)")
	seconds := flag.Int("seconds", 10, "media seconds per run")
	worker := flag.String("worker", "", "internal: run onair's camera path over this MJPEG file")
	flag.Parse()
	if *worker != "" {
		if err := runWorker(*worker, *seconds*fps); err != nil {
			fmt.Fprintln(os.Stderr, "camera worker:", err)
			os.Exit(1)
		}
		return
	}
	if err := run(*rounds, *seconds); err != nil {
		fmt.Fprintln(os.Stderr, "bench/camera:", err)
		os.Exit(1)
	}
}

func run(rounds, seconds int) error {
	dir := filepath.Join("bench", "cache")
	os.MkdirAll(dir, 0o755)
	clip := filepath.Join(dir, fmt.Sprintf("camera-1080p30-422-%ds.mjpeg", seconds))
	if _, err := os.Stat(clip); err != nil {
		fmt.Println("recording", clip, "…")
		_, stream, err := devicetest.RecordMJPEG(w, h, fps, seconds*fps)
		if err != nil {
			return err
		}
		if err := os.WriteFile(clip, stream, 0o644); err != nil {
			return err
		}
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	mk := func(tool string) *exec.Cmd {
		if tool == "onair" {
			return exec.Command(self, "-worker", clip, "-seconds", fmt.Sprint(seconds))
		}
		return exec.Command("ffmpeg", "-v", "error", "-nostdin", "-re", "-f", "mjpeg", "-framerate", fmt.Sprint(fps), "-i", clip,
			"-vf", fmt.Sprintf("scale=%d:%d:out_range=tv,format=yuv420p", w, h), "-f", "null", "-")
	}
	var ratios []float64
	cpu := map[string][]float64{}
	for r := 0; r < rounds; r++ {
		order := []string{"onair", "ffmpeg"}
		if r%2 == 1 {
			order = []string{"ffmpeg", "onair"}
		}
		got := map[string]float64{}
		for _, tool := range order {
			cmd := mk(tool)
			cmd.Stderr = os.Stderr
			start := time.Now()
			if err := cmd.Run(); err != nil {
				return fmt.Errorf("%s: %w", tool, err)
			}
			ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
			c := time.Duration(ru.Utime.Nano()+ru.Stime.Nano()).Seconds() / float64(seconds)
			got[tool] = c
			cpu[tool] = append(cpu[tool], c)
			fmt.Printf("  round %d/%d %-6s cpu %.3f s per media s (wall %.1f s)\n", r+1, rounds, tool, c, time.Since(start).Seconds())
		}
		ratios = append(ratios, got["onair"]/got["ffmpeg"])
	}
	slices.Sort(ratios)
	med := ratios[len(ratios)/2]
	verdict := "met"
	if med > 1.1 {
		verdict = "MISSED"
	}
	fmt.Printf("\ncamera path 1080p30 4:2:2 MJPEG → 1080p 4:2:0: onair/ffmpeg CPU %.3f (rounds %.3f–%.3f; target ≤ 1.1: %s)\n", med, ratios[0], ratios[len(ratios)-1], verdict)
	return nil
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
