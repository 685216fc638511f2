package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"onair/internal/wire"
	"onair/outputs"
	"onair/outputs/record"
	"onair/studio"
)

type destFlags []string

func (d *destFlags) String() string     { return strings.Join(*d, ",") }
func (d *destFlags) Set(v string) error { *d = append(*d, v); return nil }

// showFlags are the flags onair live and onair check share: the profile and
// the destinations that replace its own.
type showFlags struct {
	profile string
	dests   destFlags
}

func (f *showFlags) define(fs *flag.FlagSet) {
	fs.StringVar(&f.profile, "profile", "", "profile file to read settings and destinations from (default "+studio.DefaultProfilePath()+" if it exists)")
	fs.Var(&f.dests, "dest", "destination URL (repeat for several): rtmp://host/app/KEY, rtmps://…, srt://host:port?streamid=…, file:///path.mkv; PRESET=URL applies a platform's limits (twitch=rtmp://…, cam4=…)")
}

// load reads the profile; destinations given replace the profile's.
func (f *showFlags) load(command string, stderr io.Writer) (studio.Profile, string, bool) {
	p, path, ok := loadProfile(command, f.profile, stderr)
	if ok && len(f.dests) > 0 {
		p.Destinations = nil
		for _, d := range f.dests {
			p.Destinations = append(p.Destinations, studio.ParseDestFlag(d))
		}
	}
	return p, path, ok
}

// runLive is `onair live`: a headless broadcast. Exit codes: 0 done, 1 the
// broadcast failed, 2 bad flags or settings.
func runLive(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("onair live", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		source      = fs.String("source", "", "video source: testcard, file:PATH for a media file played in a loop, or camera[:LABEL] (onair devices lists them)")
		cameraMode  = fs.String("camera-mode", "", "camera mode WIDTHxHEIGHT@FPS, e.g. 1920x1080@30 (default: the canvas size and rate; the nearest mode when the camera lacks it)")
		mic         = fs.String("mic", "", "microphone: a label as onair devices lists it, default, or none (default: none, and the test card plays its tone)")
		size        = fs.String("size", "", "canvas size WIDTHxHEIGHT, e.g. 1280x720")
		fps         = fs.Int("fps", 0, "frames per second")
		bitrate     = fs.Int("bitrate", 0, "video bitrate in kb/s")
		abitrate    = fs.Int("audio-bitrate", 0, "audio bitrate in kb/s")
		preset      = fs.String("preset", "", "x264/x265 preset (veryfast …)")
		codec       = fs.String("codec", "", "video codec where the platform takes it: h264 (default) or hevc")
		dynamic     = fs.Bool("dynamic-bitrate", false, "let each destination's video bitrate follow its link (each gets its own H.264 encoder)")
		encoderName = fs.String("encoder", "", "video encoder: software (default), nvenc, vaapi or qsv (falls back to software with a notice when missing)")
		duration    = fs.Duration("duration", 0, "stop after this long (e.g. 20s); 0 runs until Ctrl-C")
		quiet       = fs.Bool("quiet", false, "no status line every second")
		recordTo    = fs.Bool("record", false, "also record the program to a file in your video folder (or give --dest file:///path.mkv)")
		statsFile   = fs.String("stats-file", "", "write the final statistics as JSON to this file (for benchmarks and scripts)")
		retryMax    = fs.Duration("reconnect-max", 0, "longest wait between reconnect attempts, 5s to 1h (default 60s, or the profile's reconnect_max_sec)")
		debugAddr   = fs.String("debug-addr", os.Getenv("ONAIR_DEBUG_ADDR"), "serve /debug/pprof/ and /debug/stats on this loopback address, e.g. 127.0.0.1:6060 (or set ONAIR_DEBUG_ADDR)")
		monitor     = fs.Bool("monitor", false, "serve the phone monitor on the local network (prints its link, a key to the show: keep it to yourself)")
		private     = fs.Bool("private", false, "open a private one-to-one show (prints its link for your one viewer)")
		webrtcPort  = fs.Int("webrtc-port", 0, "the local HTTPS server's port for the phone monitor and private shows (default 8443)")
		show        showFlags
	)
	show.define(fs)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "onair live: unexpected argument %q (destinations go after --dest)\n", outputs.RedactURL(fs.Arg(0)))
		return 2
	}

	p, path, ok := show.load("onair live", stderr)
	if !ok {
		return 2
	}
	// A flag given overrides the profile, even with a value the checks
	// below refuse (--fps 0 is an error, not "use the profile's").
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	if given["source"] {
		p.Source = *source
	}
	if given["camera-mode"] {
		p.CameraMode = *cameraMode
	}
	if given["mic"] {
		if *mic == "" {
			fmt.Fprintln(stderr, "onair live: --mic \"\": give a microphone's label, default, or none")
			return 2
		}
		if p.Mic.Device != *mic {
			p.Mic = studio.AudioInput{Device: *mic} // the profile's strip only for its own mic
		}
		if *mic == "none" {
			p.ExtraMics = nil // no microphone at all
		}
	}
	if given["size"] {
		w, h, ok := parseSize(*size)
		if !ok {
			fmt.Fprintf(stderr, "onair live: --size %q: use WIDTHxHEIGHT, e.g. 1280x720\n", *size)
			return 2
		}
		p.Canvas.Width, p.Canvas.Height = w, h
	}
	if given["fps"] {
		p.Canvas.FPS = *fps
	}
	if given["bitrate"] {
		p.Video.BitrateKbps = *bitrate
	}
	if given["audio-bitrate"] {
		p.Audio.BitrateKbps = *abitrate
	}
	if given["preset"] {
		p.Video.Preset = *preset
	}
	if given["codec"] {
		p.Video.Codec = *codec
	}
	if given["encoder"] {
		p.Video.Encoder = *encoderName
	}
	if *duration < 0 {
		fmt.Fprintf(stderr, "onair live: --duration %s: give a length such as 30s or 1h, or 0 to run until Ctrl-C\n", *duration)
		return 2
	}
	if given["reconnect-max"] {
		if *retryMax < studio.MinReconnectMax || *retryMax > studio.MaxReconnectMax {
			fmt.Fprintf(stderr, "onair live: --reconnect-max %s: the longest wait between reconnect attempts must be 5s to 1h\n", *retryMax)
			return 2
		}
		p.ReconnectMaxSec = int(retryMax.Round(time.Second) / time.Second)
	}
	if *dynamic {
		for i := range p.Destinations {
			// A file takes whatever rate comes; the network ones follow their link.
			p.Destinations[i].DynamicBitrate = !strings.HasPrefix(p.Destinations[i].URL, "file:")
		}
	}
	if *monitor {
		p.WebRTC.Monitor = true
	}
	if given["webrtc-port"] {
		if *webrtcPort == 0 {
			fmt.Fprintln(stderr, "onair live: --webrtc-port 0: give a port from 1024 to 65535")
			return 2
		}
		p.WebRTC.Port = *webrtcPort
	}
	if *recordTo {
		p.Destinations = append(p.Destinations, studio.Destination{Name: "recording", URL: "file://" + record.DefaultPath(time.Now())})
	}
	if err := p.Validate(); err != nil {
		fmt.Fprintf(stderr, "onair live: %v\n", err)
		return 2
	}
	if len(p.Enabled()) == 0 && !p.WebRTC.Monitor && !*private {
		fmt.Fprintf(stderr, "onair live: no destination: give --dest URL (or --monitor, --private) or add one to %s\n", path)
		return 2
	}
	dbg, err := listenDebug(*debugAddr, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "onair live: %v\n", err)
		return 2
	}
	defer dbg.Close()
	wire.RouteLibavLogs(stderr, wire.Secrets(p))
	if dir := os.Getenv("ONAIR_PPROF"); dir != "" {
		stopProfiles := startProfiles(dir, stderr)
		defer stopProfiles()
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if _, cam := p.CameraLabel(); cam || len(p.Mics()) > 0 {
		wire.ScanDevices()
	}
	srcs, err := wire.NewSources(p)
	if err != nil {
		fmt.Fprintf(stderr, "onair live: %v\n", err)
		return 2
	}
	defer srcs.Close() // after the studio has stopped, below
	st := srcs.Studio
	cfg := wire.BroadcastConfig(p)
	cfg.Duration = *duration
	cfg.OnEvent = func(e outputs.Event) { printEvent(stderr, e) }
	cfg.OnNotice = func(n string) { fmt.Fprintln(stderr, "notice:", n) }
	viewers, ok := startViewers(p.WebRTC, *private, stdout, stderr)
	if !ok {
		return 1
	}
	if viewers != nil {
		defer viewers.Close() // after the broadcast, which ends before runLive returns
		cfg.Connectors[outputs.Viewers] = viewers.Connector()
		cfg.Destinations = append(cfg.Destinations, wire.ViewersDestination)
	}
	b, err := studio.NewBroadcast(st, cfg)
	if err != nil {
		// Settings an encoder refuses are bad input like any other.
		fmt.Fprintf(stderr, "onair live: %v\n", err)
		return 2
	}
	if viewers != nil {
		viewers.GoingLive(b, len(cfg.Destinations)-1)
		defer viewers.GoingLive(nil, -1)
	}
	dbg.Serve(b.Stats)
	for _, r := range b.Renditions() {
		fmt.Fprintln(stderr, r)
	}
	for _, n := range b.Notices() {
		fmt.Fprintln(stderr, "notice:", n)
	}

	studioCtx, stopStudio := context.WithCancel(context.Background())
	studioDone := make(chan error, 1)
	go func() { studioDone <- st.Run(studioCtx) }()
	bctx, cancelB := context.WithCancel(ctx)
	defer cancelB()
	done := make(chan error, 1)
	go func() { done <- b.Run(bctx) }()
	cmds := readCommands(os.Stdin, st, stderr)
	defer cmds.Stop()
	if stage := st.Stage(); stage != nil {
		stage.SetLiveSince(st.Clock.Now())
	}
	stopChat := startShowChat(p.Chat, p.Backoff(), st.Stage(), stderr)
	defer stopChat()

	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	var runErr error
loop:
	for {
		select {
		case runErr = <-done:
			break loop
		case err := <-studioDone:
			// A capture failure stops the show.
			runErr = fmt.Errorf("capture stopped: %w", err)
			cancelB()
			<-done
			studioDone <- nil
			break loop
		case n := <-st.Notices():
			fmt.Fprintln(stderr, "notice:", n)
		case <-tick.C:
			if !*quiet {
				fmt.Fprintln(stdout, statusLine(b.Stats()))
			}
		}
	}
	cmds.Stop()
	stopChat()
	stopStudio()
	<-studioDone
	s := b.Stats()
	fmt.Fprintln(stdout, summaryLine(s))
	if *statsFile != "" {
		if err := writeStats(*statsFile, s); err != nil {
			fmt.Fprintf(stderr, "onair live: writing %s: %v\n", *statsFile, err)
		}
	}
	if runErr != nil {
		if errors.Is(runErr, studio.ErrNoDestination) {
			fmt.Fprintf(stderr, "onair live: %v; nothing was broadcast\n", runErr)
		} else {
			fmt.Fprintf(stderr, "onair live: %v\n", runErr)
		}
		return 1
	}
	return 0
}

func parseSize(s string) (w, h int, ok bool) {
	a, b, found := strings.Cut(strings.ToLower(s), "x")
	if !found {
		return 0, 0, false
	}
	w, err1 := strconv.Atoi(a)
	h, err2 := strconv.Atoi(b)
	return w, h, err1 == nil && err2 == nil
}

func printEvent(w io.Writer, e outputs.Event) {
	switch {
	case e.State == outputs.Reconnecting:
		fmt.Fprintf(w, "destination %s: %s; retrying in %.1fs\n", e.Name, strings.TrimPrefix(e.Err, e.Name+": "), e.Retry.Seconds())
	case e.Err != "":
		fmt.Fprintf(w, "destination %s: %s: %s\n", e.Name, e.State, strings.TrimPrefix(e.Err, e.Name+": "))
	default:
		fmt.Fprintf(w, "destination %s: %s\n", e.Name, e.State)
	}
}

func statusLine(s studio.BroadcastStats) string {
	var b strings.Builder
	el := s.Elapsed.Truncate(time.Second)
	fmt.Fprintf(&b, "%02d:%02d:%02d  %d frames  encoders %d  skipped %d  missed %d",
		int(el.Hours()), int(el.Minutes())%60, int(el.Seconds())%60,
		s.FramesEncoded, s.VideoEncoders, s.EncoderSkipped, s.Studio.Missed)
	for _, d := range s.Destinations {
		fmt.Fprintf(&b, " | %s r%d %s %.0f kb/s dropped %d (%.1f%%)", d.Name, d.Rendition, d.State, d.BitrateKbps,
			d.Queue.DroppedVideo, dropPercent(d))
		if d.Adaptive {
			fmt.Fprintf(&b, " video %d kb/s", d.VideoKbps)
		}
	}
	return b.String()
}

func dropPercent(d studio.DestinationStatus) float64 {
	total := d.Queue.Pushed - d.Queue.SkippedOffline
	if total <= 0 {
		return 0
	}
	return 100 * float64(d.Queue.DroppedVideo+d.Queue.DroppedAudio) / float64(total)
}

// summaryLine is the last line of a session: stable key=value pairs for scripts.
func summaryLine(s studio.BroadcastStats) string {
	live := 0
	for _, d := range s.Destinations {
		if d.EverLive {
			live++
		}
	}
	return fmt.Sprintf("onair: summary frames_encoded=%d video_encoders=%d destinations=%d reached=%d encoder_skipped=%d compositor_missed=%d alerts_shown=%d alerts_skipped=%d",
		s.FramesEncoded, s.VideoEncoders, len(s.Destinations), live, s.EncoderSkipped, s.Studio.Missed, s.Studio.AlertsShown, s.Studio.AlertsSkipped)
}

// writeStats saves the final statistics as JSON (names redacted).
func writeStats(path string, s studio.BroadcastStats) error {
	b, err := json.MarshalIndent(statsReport(s), "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}
