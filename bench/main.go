// Command bench measures onair against the reference — the ffmpeg command line
// doing the same job with the same libraries and settings — side by side in
// one run, against the same local nginx-rtmp and SRT receiver, on the same
// input clip. It prints a table and writes bench/results.json.
//
//	go run ./bench            the full run (3 runs a case, 20 s each)
//	go run ./bench -quick     one short case of each kind
//	go run ./bench -only 1080p30 -base 2cbe38b
//	                          also runs onair built at an earlier commit in the
//	                          same rounds: a regression check that holds on
//	                          any machine (results.json may come from another)
//
// The camera path (recorded 1080p30 4:2:2 MJPEG through onair's converter,
// against ffmpeg decoding and scaling the same frames) is its own program:
// go run ./bench/camera.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"onair/internal/testpeer"
)

type resolution struct {
	name      string
	w, h, fps int
	kbps      int
}

var resolutions = []resolution{
	{"720p30", 1280, 720, 30, 3000},
	{"1080p30", 1920, 1080, 30, 6000},
}

// sample is one run's figures.
type sample struct {
	CPUPerMediaSec float64 // (user+sys) / media seconds
	PeakRSSMB      float64
	Realtime       float64 // frames received / frames expected
	Dropped        float64
	LatP50, LatP99 float64 // ms, onair only
	LatMax         float64
	FirstPacketMs  float64 // process start to first video packet at the server
}

// stat is the median of runs with their min and max.
type stat struct {
	Median float64 `json:"median"`
	Min    float64 `json:"min"`
	Max    float64 `json:"max"`
}

type toolResult struct {
	CPUPerMediaSec stat  `json:"cpu_s_per_media_s"`
	PeakRSSMB      stat  `json:"peak_rss_mb"`
	Realtime       stat  `json:"realtime_kept"`
	Dropped        stat  `json:"dropped_frames"`
	LatencyP50Ms   *stat `json:"latency_p50_ms,omitempty"`
	LatencyP99Ms   *stat `json:"latency_p99_ms,omitempty"`
	LatencyMaxMs   *stat `json:"latency_max_ms,omitempty"`
	FirstPacketMs  stat  `json:"start_to_first_packet_ms"`
}

type caseResult struct {
	Name         string     `json:"name"`
	Resolution   string     `json:"resolution"`
	Destinations int        `json:"destinations"`
	Runs         int        `json:"runs"`
	MediaSeconds float64    `json:"media_seconds"`
	Onair        toolResult `json:"onair"`
	FFmpeg       toolResult `json:"ffmpeg"`
	CPURatio     float64    `json:"cpu_ratio_vs_ffmpeg"`
	RSSRatio     float64    `json:"rss_ratio_vs_ffmpeg"`
	// With -base: onair built at that commit, run in the same rounds.
	Base           *toolResult `json:"base,omitempty"`
	CPURatioVsBase float64     `json:"cpu_ratio_vs_base,omitempty"`
	RSSRatioVsBase float64     `json:"rss_ratio_vs_base,omitempty"`
	P99RatioVsBase float64     `json:"latency_p99_ratio_vs_base,omitempty"`
}

type results struct {
	Date             string             `json:"date"`
	Machine          string             `json:"machine"`
	Quick            bool               `json:"quick"`
	CPURatioVsFFmpeg float64            `json:"cpu_ratio_vs_ffmpeg"`
	RSSRatioVsFFmpeg float64            `json:"rss_ratio_vs_ffmpeg"`
	Scaling4vs1      map[string]float64 `json:"cpu_4_destinations_vs_1"`
	// FFmpegScaling4vs1 is the same ratio for the reference, for context.
	FFmpegScaling4vs1 map[string]float64 `json:"ffmpeg_cpu_4_destinations_vs_1"`
	Cases             []caseResult       `json:"cases"`
	Base              string             `json:"base,omitempty"` // the commit -base named
}

func main() {
	quick := flag.Bool("quick", false, "one short case of each kind, one run each")
	runs := flag.Int("runs", 3, "runs per case (the median is reported)")
	dur := flag.Duration("duration", 20*time.Second, "media length of each run")
	out := flag.String("out", "bench/results.json", "where to write the results")
	only := flag.String("only", "", "run only the cases of this resolution (720p30, 1080p30), destinations 1 and 4")
	base := flag.String("base", "", "also run onair built at this git commit in the same rounds, and report ratios against it")
	flag.Parse()
	if *quick {
		set := map[string]bool{}
		flag.Visit(func(f *flag.Flag) { set[f.Name] = true })
		if !set["runs"] {
			*runs = 1
		}
		if !set["duration"] {
			*dur = 8 * time.Second
		}
	}
	h := newHarness()
	defer h.Close()
	if err := h.run(*quick, *runs, *dur, *out, *only, *base); err != nil {
		h.Close()
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// harness owns the peers and temp files; it satisfies testpeer.T.
type harness struct{ *testpeer.Program }

func newHarness() *harness {
	p, err := testpeer.NewProgram("onair-bench-", false, func(msg string) {
		fmt.Fprintln(os.Stderr, "bench:", msg)
		os.Exit(1)
	})
	if err != nil {
		panic(err)
	}
	return &harness{p}
}

func (h *harness) run(quick bool, runs int, dur time.Duration, outPath, only, base string) error {
	testpeer.Require(h, "ffmpeg", "ffprobe", "nginx", "srt-live-transmit")
	bin := filepath.Join("bench", "cache", "onair")
	fmt.Println("building onair …")
	if out, err := exec.Command("go", "build", "-o", bin, "./cmd/onair").CombinedOutput(); err != nil {
		return fmt.Errorf("building onair: %v\n%s", err, out)
	}
	baseBin := ""
	if base != "" {
		var err error
		if baseBin, err = h.buildAt(base); err != nil {
			return err
		}
	}
	nginx := testpeer.StartNginxRTMP(h, "d1", "d2", "d3")

	type kase struct {
		res   resolution
		dests int
	}
	var cases []kase
	for _, r := range resolutions {
		for _, n := range []int{1, 2, 4} {
			cases = append(cases, kase{r, n})
		}
	}
	if quick {
		cases = []kase{{resolutions[0], 1}, {resolutions[0], 4}}
	}
	if only != "" {
		cases = slices.DeleteFunc(cases, func(k kase) bool { return k.res.name != only || k.dests == 2 })
		if len(cases) == 0 {
			return fmt.Errorf("-only %q: no such resolution (720p30, 1080p30)", only)
		}
	}
	res := results{
		Date: time.Now().UTC().Format("2006-01-02"), Machine: testpeer.Machine(), Quick: quick,
		Scaling4vs1: map[string]float64{}, FFmpegScaling4vs1: map[string]float64{},
	}
	// Rounds: every case and both tools once per round, back to back, so a
	// drift in the machine's speed (other tenants, thermal) hits all alike.
	// Ratios are medians of ratios within a round.
	on := make([][]sample, len(cases))
	ff := make([][]sample, len(cases))
	bs := make([][]sample, len(cases))
	clips := make([]string, len(cases))
	for ci, k := range cases {
		clip, err := ensureClip(k.res)
		if err != nil {
			return err
		}
		clips[ci] = clip
	}
	name := func(k kase) string { return fmt.Sprintf("%s x%d", k.res.name, k.dests) }
	for i := 0; i < runs; i++ {
		for ci, k := range cases {
			// Alternate which tool goes first so neither always runs on a warmer machine.
			order := []string{"onair", "ffmpeg"}
			if (i+ci)%2 == 1 {
				order = []string{"ffmpeg", "onair"}
			}
			if baseBin != "" {
				// The earlier build runs first or last, turn about.
				if (i+ci)%2 == 0 {
					order = append([]string{"base"}, order...)
				} else {
					order = append(order, "base")
				}
			}
			for _, tool := range order {
				fmt.Printf("  round %d/%d  %-12s %-6s …", i+1, runs, name(k), tool)
				b, t := bin, tool
				if tool == "base" {
					b, t = baseBin, "onair"
				}
				s, err := h.runOnce(t, b, clips[ci], k.res, k.dests, dur, nginx, fmt.Sprintf("%s-%d-%s-%d", k.res.name, k.dests, tool, i))
				if err != nil {
					return fmt.Errorf("%s %s: %w", name(k), tool, err)
				}
				fmt.Printf(" cpu %.3f s/s, rss %.0f MB, realtime %.3f, p99 %.1f ms\n", s.CPUPerMediaSec, s.PeakRSSMB, s.Realtime, s.LatP99)
				switch tool {
				case "onair":
					on[ci] = append(on[ci], s)
				case "base":
					bs[ci] = append(bs[ci], s)
				default:
					ff[ci] = append(ff[ci], s)
				}
			}
		}
	}
	ratio := func(a, b []sample, f func(sample) float64) float64 {
		r := make([]float64, len(a))
		for i := range a {
			r[i] = f(a[i]) / f(b[i])
		}
		slices.Sort(r)
		return r[len(r)/2]
	}
	cpu := func(s sample) float64 { return s.CPUPerMediaSec }
	rss := func(s sample) float64 { return s.PeakRSSMB }
	for ci, k := range cases {
		c := caseResult{
			Name: name(k), Resolution: k.res.name, Destinations: k.dests, Runs: runs, MediaSeconds: dur.Seconds(),
			Onair: summarize(on[ci], true), FFmpeg: summarize(ff[ci], false),
			CPURatio: ratio(on[ci], ff[ci], cpu), RSSRatio: ratio(on[ci], ff[ci], rss),
		}
		if baseBin != "" {
			b := summarize(bs[ci], true)
			c.Base = &b
			c.CPURatioVsBase, c.RSSRatioVsBase = ratio(on[ci], bs[ci], cpu), ratio(on[ci], bs[ci], rss)
			c.P99RatioVsBase = ratio(on[ci], bs[ci], func(s sample) float64 { return s.LatP99 })
		}
		res.CPURatioVsFFmpeg = max(res.CPURatioVsFFmpeg, c.CPURatio)
		res.RSSRatioVsFFmpeg = max(res.RSSRatioVsFFmpeg, c.RSSRatio)
		res.Cases = append(res.Cases, c)
	}
	for _, r := range resolutions {
		one, four := -1, -1
		for ci, k := range cases {
			if k.res.name == r.name && k.dests == 1 {
				one = ci
			}
			if k.res.name == r.name && k.dests == 4 {
				four = ci
			}
		}
		if one >= 0 && four >= 0 {
			res.Scaling4vs1[r.name] = ratio(on[four], on[one], cpu)
			res.FFmpegScaling4vs1[r.name] = ratio(ff[four], ff[one], cpu)
		}
	}
	res.Base = base
	printTable(res)
	b, _ := json.MarshalIndent(res, "", "  ")
	if err := os.WriteFile(outPath, append(b, '\n'), 0o644); err != nil {
		return err
	}
	fmt.Println("results written to", outPath)
	return nil
}

// buildAt builds onair as it was at commit rev, in a throwaway worktree.
func (h *harness) buildAt(rev string) (string, error) {
	dir := h.TempDir()
	wt := filepath.Join(dir, "src")
	bin, _ := filepath.Abs(filepath.Join("bench", "cache", "onair-base"))
	fmt.Println("building onair at", rev, "…")
	if out, err := exec.Command("git", "worktree", "add", "--detach", wt, rev).CombinedOutput(); err != nil {
		return "", fmt.Errorf("-base %s: %v\n%s", rev, err, out)
	}
	defer exec.Command("git", "worktree", "remove", "--force", wt).Run()
	build := exec.Command("go", "build", "-o", bin, "./cmd/onair")
	build.Dir = wt
	if out, err := build.CombinedOutput(); err != nil {
		return "", fmt.Errorf("building onair at %s: %v\n%s", rev, err, out)
	}
	return bin, nil
}

// ensureClip makes the shared input once: testsrc2 and a sine, 10 s, cached.
func ensureClip(r resolution) (string, error) {
	path := filepath.Join("bench", "cache", fmt.Sprintf("clip-%s.mkv", r.name))
	if _, err := os.Stat(path); err == nil {
		return path, nil
	}
	os.MkdirAll(filepath.Dir(path), 0o755)
	fmt.Println("making", path, "…")
	tmp := path + ".tmp.mkv"
	out, err := exec.Command("ffmpeg", "-v", "error", "-y",
		"-f", "lavfi", "-i", fmt.Sprintf("testsrc2=size=%dx%d:rate=%d", r.w, r.h, r.fps),
		"-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
		"-t", "10", "-c:v", "libx264", "-preset", "ultrafast", "-crf", "18", "-g", "30", "-pix_fmt", "yuv420p",
		"-c:a", "pcm_s16le", "-ac", "2", tmp).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("making the clip: %v\n%s", err, out)
	}
	return path, os.Rename(tmp, path)
}

// runOnce runs one tool for one case and measures it.
func (h *harness) runOnce(tool, bin, clip string, r resolution, dests int, dur time.Duration, nginx *testpeer.NginxRTMP, id string) (sample, error) {
	srt := testpeer.StartSRTListener(h, "")
	defer srt.Stop()
	var rtmp []string
	for i := 1; i <= min(dests, 3); i++ {
		rtmp = append(rtmp, nginx.URL(fmt.Sprintf("d%d", i), id))
	}
	var urls []string
	urls = append(urls, rtmp[0])
	if dests >= 2 {
		urls = append(urls, fmt.Sprintf("srt://127.0.0.1:%d?latency=120", srt.Port))
	}
	if dests == 4 {
		urls = append(urls, rtmp[1:]...)
	}
	dir := h.TempDir()
	statsPath := filepath.Join(dir, "stats.json")
	progressPath := filepath.Join(dir, "progress.txt")
	var cmd *exec.Cmd
	switch tool {
	case "onair":
		args := []string{"live", "--quiet", "--source", "file:" + clip, "--size", fmt.Sprintf("%dx%d", r.w, r.h),
			"--fps", fmt.Sprint(r.fps), "--bitrate", fmt.Sprint(r.kbps), "--duration", dur.String(), "--stats-file", statsPath}
		for _, u := range urls {
			args = append(args, "--dest", u)
		}
		cmd = exec.Command(bin, args...)
		cmd.Env = append(os.Environ(), "XDG_CONFIG_HOME="+dir)
	case "ffmpeg":
		cmd = exec.Command("ffmpeg", ffmpegArgs(clip, r, dur, urls, progressPath)...)
	}
	logf, _ := os.Create(filepath.Join(dir, tool+".log"))
	defer logf.Close()
	cmd.Stdout, cmd.Stderr = logf, logf
	rec := nginx.Recording("d1", id)
	defer func() {
		for i := 1; i <= 3; i++ {
			os.Remove(nginx.Recording(fmt.Sprintf("d%d", i), id))
		}
	}()
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return sample{}, err
	}
	first := make(chan time.Duration, 1)
	stopWatch := make(chan struct{})
	go watchFirstVideo(rec, start, first, stopWatch)
	err := cmd.Wait()
	close(stopWatch)
	if err != nil {
		log, _ := os.ReadFile(logf.Name())
		return sample{}, fmt.Errorf("%v\n%s", err, tail(string(log)))
	}
	var s sample
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	cpu := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	s.CPUPerMediaSec = cpu.Seconds() / dur.Seconds()
	s.PeakRSSMB = float64(ru.Maxrss) / 1024
	select {
	case d := <-first:
		s.FirstPacketMs = float64(d.Microseconds()) / 1000
	default:
		s.FirstPacketMs = -1
	}
	time.Sleep(200 * time.Millisecond) // nginx closes the recording
	p := testpeer.FFprobe(h, rec)
	if v, ok := p.Stream("video"); ok {
		s.Realtime = float64(v.Frames()) / (dur.Seconds() * float64(r.fps))
	}
	switch tool {
	case "onair":
		var st struct {
			Destinations []struct {
				DroppedVideo int64   `json:"dropped_video"`
				P50          float64 `json:"latency_p50_ms"`
				P99          float64 `json:"latency_p99_ms"`
				Max          float64 `json:"latency_max_ms"`
			} `json:"destinations"`
			EncoderSkipped int64 `json:"encoder_skipped"`
		}
		b, err := os.ReadFile(statsPath)
		if err != nil {
			return s, err
		}
		if err := json.Unmarshal(b, &st); err != nil {
			return s, err
		}
		s.Dropped = float64(st.EncoderSkipped)
		for _, d := range st.Destinations {
			s.Dropped += float64(d.DroppedVideo)
			s.LatP50 = max(s.LatP50, d.P50)
			s.LatP99 = max(s.LatP99, d.P99)
			s.LatMax = max(s.LatMax, d.Max)
		}
	case "ffmpeg":
		s.Dropped = testpeer.FFmpegDropped(progressPath)
	}
	return s, nil
}

// ffmpegArgs is the reference: ffmpeg at its best for the same job (one
// encode, the tee muxer for several destinations).
func ffmpegArgs(clip string, r resolution, dur time.Duration, urls []string, progress string) []string {
	args := []string{"-hide_banner", "-nostats", "-loglevel", "error", "-progress", progress,
		"-re", "-stream_loop", "-1", "-i", clip, "-t", fmt.Sprintf("%.3f", dur.Seconds()),
		"-map", "0:v", "-map", "0:a"}
	args = append(args, testpeer.FFmpegLiveEncode(r.kbps, r.fps)...)
	if len(urls) == 1 {
		return append(args, "-f", "flv", urls[0])
	}
	var outs []string
	for _, u := range urls {
		f := "flv"
		if strings.HasPrefix(u, "srt:") {
			f = "mpegts"
		}
		outs = append(outs, fmt.Sprintf("[f=%s:onfail=ignore]%s", f, u))
	}
	return append(args, "-f", "tee", strings.Join(outs, "|"))
}

// watchFirstVideo reports when the first coded video frame reached the server
// (nginx writes each tag to its recording as it arrives).
func watchFirstVideo(path string, start time.Time, out chan<- time.Duration, stop <-chan struct{}) {
	t := time.NewTicker(2 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
		}
		b, err := os.ReadFile(path)
		if err != nil || len(b) < 13 {
			continue
		}
		for i := 13; i+11 < len(b); {
			n := int(b[i+1])<<16 | int(b[i+2])<<8 | int(b[i+3])
			if i+11+n > len(b) {
				break
			}
			if b[i] == 9 && n > 2 && b[i+12] == 1 {
				out <- time.Since(start)
				return
			}
			i += 11 + n + 4
		}
	}
}

func summarize(s []sample, withLatency bool) toolResult {
	pick := func(f func(sample) float64) stat {
		v := make([]float64, len(s))
		for i := range s {
			v[i] = f(s[i])
		}
		slices.Sort(v)
		return stat{Median: v[len(v)/2], Min: v[0], Max: v[len(v)-1]}
	}
	r := toolResult{
		CPUPerMediaSec: pick(func(x sample) float64 { return x.CPUPerMediaSec }),
		PeakRSSMB:      pick(func(x sample) float64 { return x.PeakRSSMB }),
		Realtime:       pick(func(x sample) float64 { return x.Realtime }),
		Dropped:        pick(func(x sample) float64 { return x.Dropped }),
		FirstPacketMs:  pick(func(x sample) float64 { return x.FirstPacketMs }),
	}
	if withLatency {
		p50, p99, mx := pick(func(x sample) float64 { return x.LatP50 }), pick(func(x sample) float64 { return x.LatP99 }), pick(func(x sample) float64 { return x.LatMax })
		r.LatencyP50Ms, r.LatencyP99Ms, r.LatencyMaxMs = &p50, &p99, &mx
	}
	return r
}

func (s stat) String() string {
	if s.Min == s.Max {
		return fmt.Sprintf("%.3g", s.Median)
	}
	return fmt.Sprintf("%.3g (%.3g–%.3g)", s.Median, s.Min, s.Max)
}

func printTable(r results) {
	fmt.Printf("\nonair vs ffmpeg — %s, %s%s. Median of %d run(s) (min–max); ratios are medians of same-round ratios.\n\n", r.Date, r.Machine, map[bool]string{true: ", QUICK", false: ""}[r.Quick], r.Cases[0].Runs)
	fmt.Println("| case | tool | CPU s / media s | ratio | peak RSS MB | realtime | dropped | latency p50 / p99 / max ms | start → first packet ms |")
	fmt.Println("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
	for _, c := range r.Cases {
		lat := fmt.Sprintf("%s / %s / %s", c.Onair.LatencyP50Ms, c.Onair.LatencyP99Ms, c.Onair.LatencyMaxMs)
		fmt.Printf("| %s | onair | %s | %.3f | %s | %s | %s | %s | %s |\n", c.Name, c.Onair.CPUPerMediaSec, c.CPURatio, c.Onair.PeakRSSMB, c.Onair.Realtime, c.Onair.Dropped, lat, c.Onair.FirstPacketMs)
		fmt.Printf("| %s | ffmpeg | %s | 1 | %s | %s | %s | — | %s |\n", c.Name, c.FFmpeg.CPUPerMediaSec, c.FFmpeg.PeakRSSMB, c.FFmpeg.Realtime, c.FFmpeg.Dropped, c.FFmpeg.FirstPacketMs)
		if b := c.Base; b != nil {
			lat := fmt.Sprintf("%s / %s / %s", b.LatencyP50Ms, b.LatencyP99Ms, b.LatencyMaxMs)
			fmt.Printf("| %s | onair at %s | %s | — | %s | %s | %s | %s | %s |\n", c.Name, r.Base, b.CPUPerMediaSec, b.PeakRSSMB, b.Realtime, b.Dropped, lat, b.FirstPacketMs)
		}
	}
	for _, c := range r.Cases {
		if c.Base != nil {
			fmt.Printf("%s against onair at %s (same rounds): CPU %.3f, peak RSS %.3f, latency p99 %.3f\n", c.Name, r.Base, c.CPURatioVsBase, c.RSSRatioVsBase, c.P99RatioVsBase)
		}
	}
	fmt.Println()
	check := func(ok bool) string {
		if ok {
			return "met"
		}
		return "MISSED"
	}
	fmt.Printf("CPU onair/ffmpeg, worst case: %.3f (target ≤ 1.05: %s)\n", r.CPURatioVsFFmpeg, check(r.CPURatioVsFFmpeg <= 1.05))
	for name, v := range r.Scaling4vs1 {
		fmt.Printf("CPU 4 destinations / 1 at %s: %.3f (target ≤ 1.05: %s; ffmpeg's own: %.3f)\n", name, v, check(v <= 1.05), r.FFmpegScaling4vs1[name])
	}
	fmt.Printf("Peak RSS onair/ffmpeg, worst case: %.3f (target ≤ 1.3: %s)\n", r.RSSRatioVsFFmpeg, check(r.RSSRatioVsFFmpeg <= 1.3))
	for _, c := range r.Cases {
		if c.Resolution == "720p30" && c.Onair.LatencyP99Ms != nil {
			fmt.Printf("Latency p99 %s: %.1f ms (target ≤ 25: %s)\n", c.Name, c.Onair.LatencyP99Ms.Median, check(c.Onair.LatencyP99Ms.Median <= 25))
		}
		fmt.Printf("Start to first packet %s: %.0f ms (target ≤ 1500: %s)\n", c.Name, c.Onair.FirstPacketMs.Median, check(c.Onair.FirstPacketMs.Median >= 0 && c.Onair.FirstPacketMs.Median <= 1500))
	}
}

func tail(s string) string {
	if len(s) > 1500 {
		return s[len(s)-1500:]
	}
	return s
}
