package preflight

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"time"

	"onair/internal/wire"
	"onair/studio"
)

// LoopbackFor is how much of the program the loopback check encodes.
const LoopbackFor = 3 * time.Second

// Program is the loopback check of p's program: the studio `onair live`
// builds (sources, scenes, encoders with the live settings) records
// LoopbackFor into a file in a temporary folder, which is then decoded back
// in process: size, frame rate, keyframe interval, audio and its peak. With a
// microphone in the profile, its level is judged meanwhile; with a camera,
// the rate its pictures come at. Nothing leaves the computer.
func Program(p studio.Profile) func(ctx context.Context) []Result {
	return func(ctx context.Context) []Result { return program(ctx, p, nil) }
}

// ProgramOn is Program on sources already open and running: the window's,
// whose camera cannot be opened a second time. What is checked is then
// what the window shows, its choices of camera and microphone included.
func ProgramOn(p studio.Profile, srcs *wire.Sources) func(ctx context.Context) []Result {
	return func(ctx context.Context) []Result { return program(ctx, p, srcs) }
}

// program runs the loopback on srcs, or on the profile's own sources,
// opened and run for it, when srcs is nil.
func program(ctx context.Context, p studio.Profile, srcs *wire.Sources) []Result {
	start := time.Now()
	fail := func(reason string) []Result {
		return []Result{{Name: "program", Level: Red, Reason: reason, Took: time.Since(start)}}
	}
	dir, err := os.MkdirTemp("", "onair-check-")
	if err != nil {
		return fail("no temporary folder for the loopback encode: " + err.Error())
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "loopback.mkv")
	own := srcs == nil
	if own {
		if _, cam := p.CameraLabel(); cam || len(p.Mics()) > 0 {
			wire.ScanDevices()
		}
		srcs, err = wire.NewSources(p)
		if err != nil {
			return fail(err.Error())
		}
		defer srcs.Close() // after the studio has stopped, below
	}
	cfg := wire.BroadcastConfig(p)
	cfg.Destinations = []studio.Destination{{Name: "loopback", URL: "file://" + path}}
	cfg.Duration = LoopbackFor
	b, err := studio.NewBroadcast(srcs.Studio, cfg)
	if err != nil {
		return fail("the encoder refused the live settings: " + err.Error())
	}
	studioCtx, stopStudio := context.WithCancel(context.Background())
	studioDone := make(chan error, 1)
	if own {
		go func() { studioDone <- srcs.Studio.Run(studioCtx) }()
	} else {
		studioDone <- nil // running already, and not ours to stop
	}
	var (
		mic     Result
		micRan  bool
		micDone = make(chan struct{})
	)
	if len(p.Mics()) > 0 || srcs.MainMic() != nil {
		micRan = true
		go func() {
			defer close(micDone)
			mic = checkMic(ctx, srcs)
		}()
	} else {
		close(micDone)
	}
	var (
		cam     Result
		camRan  bool
		camDone = make(chan struct{})
		encoded = make(chan struct{}) // closed when the loopback encode ends
	)
	if _, ok := srcs.Camera(); ok {
		camRan = true
		go func() {
			defer close(camDone)
			cam = checkCamera(ctx, srcs, encoded)
		}()
	} else {
		close(camDone)
	}
	runErr := b.Run(ctx)
	close(encoded)
	<-micDone
	<-camDone
	stopStudio()
	capErr := <-studioDone
	stats := b.Stats()
	took := time.Since(start)
	var out []Result
	if micRan {
		out = append(out, mic)
	}
	if camRan && runErr == nil && ctx.Err() == nil {
		// (An encode cut short says so below; the camera's rate over it
		// would mislead.)
		out = append(out, cam)
	}
	switch {
	case ctx.Err() != nil:
		return append(out, Result{Name: "program", Level: Red, Reason: "the loopback encode did not finish in time: the computer is too busy, or the settings too heavy for it", Took: took})
	case runErr != nil:
		return append(out, Result{Name: "program", Level: Red, Reason: "the loopback encode failed: " + runErr.Error(), Took: took})
	case capErr != nil && !errors.Is(capErr, context.Canceled):
		return append(out, Result{Name: "program", Level: Red, Reason: "the picture source stopped: " + capErr.Error(), Took: took})
	}
	dstart := time.Now()
	got, err := decodeBack(path)
	if err != nil {
		return append(out, Result{Name: "program", Level: Red, Reason: "the loopback recording does not decode: " + err.Error(), Took: took})
	}
	out = append(out, judgeVideo(p, got, stats.EncoderSkipped, stats.FramesEncoded, took), judgeAudio(got, time.Since(dstart)))
	return out
}

// decoded is what came back from the loopback recording.
type decoded struct {
	Width, Height int
	Frames        int
	Keyframes     []float64 // seconds of each keyframe
	Span          float64   // first to last picture, seconds
	AudioFrames   int
	AudioSeconds  float64
	PeakDB        float64 // -inf when silent
	Codec         string
}

func judgeVideo(p studio.Profile, d decoded, skipped, encoded int64, took time.Duration) Result {
	r := Result{Name: "program: video", Took: took}
	fps := 0.0
	if d.Span > 0 && d.Frames > 1 {
		fps = float64(d.Frames-1) / d.Span
	}
	gop := 0.0
	if len(d.Keyframes) > 1 {
		gop = (d.Keyframes[len(d.Keyframes)-1] - d.Keyframes[0]) / float64(len(d.Keyframes)-1)
	}
	want := p.Video.KeyframeSec
	if want <= 0 {
		want = 2
	}
	r.Detail = fmt.Sprintf("%s %dx%d, %d frames, %.2f fps, keyframes %d", d.Codec, d.Width, d.Height, d.Frames, fps, len(d.Keyframes))
	if gop > 0 {
		r.Detail += fmt.Sprintf(" every %.2f s", gop)
	}
	if skipped > 0 {
		r.Detail += fmt.Sprintf(", %d of %d frames skipped by the encoder", skipped, encoded+skipped)
	}
	switch {
	case d.Frames == 0:
		r.Level, r.Reason = Red, "the program has no picture"
	case d.Width != p.Canvas.Width || d.Height != p.Canvas.Height:
		r.Level, r.Reason = Red, fmt.Sprintf("the picture is %dx%d, not the canvas's %dx%d", d.Width, d.Height, p.Canvas.Width, p.Canvas.Height)
	case len(d.Keyframes) == 0 || d.Keyframes[0] > 0.001:
		r.Level, r.Reason = Red, "the program does not start with a keyframe: viewers would see nothing until one comes"
	case fps < 0.9*float64(p.Canvas.FPS):
		r.Level, r.Reason = Amber, fmt.Sprintf("the program came out at %.1f fps, not %d: the computer cannot keep up with these settings (a faster preset, a smaller size, or a hardware encoder)", fps, p.Canvas.FPS)
	case gop > 0 && math.Abs(gop-float64(want)) > 0.1:
		r.Level, r.Reason = Amber, fmt.Sprintf("keyframes come every %.2f s, not every %d s as the platforms ask", gop, want)
	case skipped*20 > encoded:
		r.Level, r.Reason = Amber, "the encoder skipped frames: the computer is too slow for these settings"
	default:
		r.Level, r.Reason = Green, fmt.Sprintf("the program encodes and decodes back at %dx%d, %d fps, a keyframe every %d s", p.Canvas.Width, p.Canvas.Height, p.Canvas.FPS, want)
	}
	return r
}

func judgeAudio(d decoded, took time.Duration) Result {
	r := Result{Name: "program: audio", Took: took}
	r.Detail = fmt.Sprintf("%.1f s of sound, peak %.1f dBFS", d.AudioSeconds, d.PeakDB)
	if math.IsInf(d.PeakDB, -1) {
		r.Detail = fmt.Sprintf("%.1f s of sound, all of it silence", d.AudioSeconds)
	}
	switch {
	case d.AudioFrames == 0:
		r.Level, r.Reason, r.Detail = Red, "the program has no sound track", ""
	case d.PeakDB < -60:
		r.Level, r.Reason = Amber, "the program is silent: is the microphone muted, or the wrong one chosen?"
	case d.PeakDB > -0.5:
		r.Level, r.Reason = Amber, "the program's sound reaches full scale: it will distort; turn the input down"
	default:
		r.Level, r.Reason = Green, "the program has sound"
	}
	return r
}

// checkMic judges two seconds of the main microphone.
func checkMic(ctx context.Context, srcs *wire.Sources) Result {
	start := time.Now()
	rep, err := srcs.MicCheck(ctx, 2*time.Second)
	r := Result{Name: "microphone", Took: time.Since(start)}
	if err != nil {
		r.Level, r.Reason = Red, err.Error()
		return r
	}
	r.Reason = rep.Text
	r.Detail = fmt.Sprintf("peak %.1f dBFS, RMS %.1f dBFS, %d samples clipped", rep.PeakDB, rep.RMSDB, rep.ClippedSamples)
	r.Level = micLevel(rep.Verdict)
	return r
}
