// Command soak runs `onair live` for a long session at 1280x720@30 to three
// real destinations and checks that it holds steady:
//
//   - A: nginx-rtmp that stays up; its recording must hold the whole session.
//   - B: nginx-rtmp killed (SIGKILL, by PID) and restarted every 2 minutes,
//     down 10 s each time; onair must be live on it again after every restart.
//   - C: nginx-rtmp behind a thin link (a throttling TCP proxy): it drops
//     frames all along.
//
// Every 10 s it samples onair's RSS, threads and open file descriptors
// (/proc) and its goroutines and destination queues (onair's loopback
// --debug-addr endpoint). It writes soak.json and soak.png, prints one line
// per criterion and ends with one line: ok with the figures, or FAIL with the
// reason (exit 1). Every peer is stopped by PID on the way out, Ctrl-C too.
//
//	go run ./bench/soak -out bench       the hour (make soak)
//	go run ./bench/soak -duration 3m     the short run of make test, into a temp dir
package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"onair/internal/testpeer"
)

// config is one soak's settings, as flags and in the JSON.
type config struct {
	Duration     time.Duration
	Every        time.Duration // sampling interval
	KillEvery    time.Duration // B's server is killed this often
	Down         time.Duration // and restarted this long after
	Window       time.Duration // the criteria look at this last part of the run (the rest is warm-up)
	ReconnectMax time.Duration // onair's --reconnect-max
	Size         string
	FPS          int
	BitrateKbps  int
	ThinKbps     int     // C's link
	RSSLimitMB   float64 // RSS growth over the window must stay under this
	FramesTolPct float64 // A's frame count within this of duration × fps
	Out          string
	Onair        string
	Keep         bool
}

func (c config) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Duration     string  `json:"duration"`
		Every        string  `json:"sample_every"`
		KillEvery    string  `json:"b_killed_every"`
		Down         string  `json:"b_down_for"`
		Window       string  `json:"window"`
		ReconnectMax string  `json:"reconnect_max"`
		Size         string  `json:"size"`
		FPS          int     `json:"fps"`
		BitrateKbps  int     `json:"bitrate_kbps"`
		ThinKbps     int     `json:"c_link_kbps"`
		RSSLimitMB   float64 `json:"rss_growth_limit_mb"`
		FramesTolPct float64 `json:"frames_tolerance_pct"`
	}{c.Duration.String(), c.Every.String(), c.KillEvery.String(), c.Down.String(), c.Window.String(), c.ReconnectMax.String(),
		c.Size, c.FPS, c.BitrateKbps, c.ThinKbps, c.RSSLimitMB, c.FramesTolPct})
}

// settle is the least time left after B's server comes back: a kill later
// than that would end the run before onair could reconnect.
const settle = 20 * time.Second

// report is soak.json.
type report struct {
	Date         string          `json:"date"`
	Machine      string          `json:"machine"`
	Config       config          `json:"config"`
	Destinations []dest          `json:"destinations"`
	Pass         bool            `json:"pass"`
	Reason       string          `json:"reason,omitempty"`
	Criteria     []criterion     `json:"criteria"`
	Summary      summary         `json:"summary"`
	Reconnects   []reconnect     `json:"b_reconnects"`
	Events       []destEvent     `json:"events"`
	Samples      []sample        `json:"samples"`
	FinalStats   json.RawMessage `json:"onair_final_stats,omitempty"`
}

type summary struct {
	RSS                rssGrowth          `json:"rss"`
	PeakRSSMB          float64            `json:"peak_rss_mb"`
	Goroutines         countTrend         `json:"goroutines"`
	FDs                countTrend         `json:"fds"`
	Threads            countTrend         `json:"os_threads"` // for reading, not a criterion
	ReconnectsOK       int                `json:"reconnects_ok"`
	Kills              int                `json:"b_kills"`
	SlowestReconnectS  float64            `json:"slowest_reconnect_after_restart_s"`
	LiveEvents         map[string]int     `json:"live_events"` // A and C: 1 (never lost)
	RecordingFrames    int                `json:"a_recording_frames"`
	ExpectedFrames     float64            `json:"a_expected_frames"`
	FramesDeviationPct float64            `json:"a_frames_deviation_pct"`
	DroppedVideo       map[string]int64   `json:"dropped_video"`
	MaxQueuedMs        map[string]float64 `json:"max_queued_ms"`
	CPUPerSecond       float64            `json:"onair_cpu_s_per_s"`
	MaxLoadAvg         float64            `json:"max_loadavg_1m"`
	OnairExit          int                `json:"onair_exit_code"`
	DebugFailures      int                `json:"debug_endpoint_failures"`
}

func main() {
	var cfg config
	flag.DurationVar(&cfg.Duration, "duration", time.Hour, "length of the session")
	flag.DurationVar(&cfg.Every, "every", 0, "sampling interval (default 10s, or 5s for a run under 10m)")
	flag.DurationVar(&cfg.KillEvery, "kill-every", 0, "kill B's server this often (default 2m; under 10m, 2/9 of the run but at least 30s: 40s for 3m)")
	flag.DurationVar(&cfg.Down, "down", 10*time.Second, "how long B's server stays down")
	flag.DurationVar(&cfg.Window, "window", 0, "the criteria look at this last part of the run, after warm-up (default 2/3 of it, 40m of 1h; under 10m, what follows B's second outage: 70s of 3m)")
	flag.DurationVar(&cfg.ReconnectMax, "reconnect-max", 10*time.Second, "onair's --reconnect-max")
	flag.StringVar(&cfg.Size, "size", "1280x720", "canvas size")
	flag.IntVar(&cfg.FPS, "fps", 30, "frames per second")
	flag.IntVar(&cfg.BitrateKbps, "bitrate", 3000, "video bitrate, kb/s")
	flag.IntVar(&cfg.ThinKbps, "thin-kbps", 1500, "C's link, kb/s")
	flag.Float64Var(&cfg.RSSLimitMB, "rss-growth-mb", 2, "RSS may grow less than this over the window")
	flag.Float64Var(&cfg.FramesTolPct, "frames-tolerance", 0.5, "A's recording: frame count within this many percent of duration × fps")
	flag.StringVar(&cfg.Out, "out", "", "directory for soak.json and soak.png (default: a new temp directory)")
	flag.StringVar(&cfg.Onair, "onair", "", "the onair binary to run (default: go build ./cmd/onair)")
	flag.BoolVar(&cfg.Keep, "keep", false, "keep the work directory (peer logs, onair's log, recordings)")
	flag.Parse()
	short := cfg.Duration < 10*time.Minute
	if cfg.Every == 0 {
		cfg.Every = 10 * time.Second
		if short {
			cfg.Every = 5 * time.Second // enough samples in a short window
		}
	}
	if cfg.KillEvery == 0 {
		cfg.KillEvery = 2 * time.Minute
		if short {
			cfg.KillEvery = max(cfg.Duration*2/9, cfg.Down+settle).Round(time.Second)
		}
	}
	if cfg.Window == 0 {
		cfg.Window = (cfg.Duration * 2 / 3).Round(time.Second)
		if short {
			// Memory settles once the queues have been through their
			// extremes: C's full, B's parked during an outage, twice.
			cfg.Window = max(cfg.Duration-(2*cfg.KillEvery+cfg.Down+settle), cfg.Duration/3)
		}
	}
	if cfg.Duration < 3*time.Minute || cfg.Window <= 0 || cfg.Window > cfg.Duration || cfg.Every <= 0 || cfg.KillEvery <= cfg.Down {
		fmt.Fprintln(os.Stderr, "soak: -duration at least 3m, -window within it, -kill-every longer than -down")
		os.Exit(2)
	}
	if cfg.Out == "" {
		d, err := os.MkdirTemp("", "onair-soak-results-")
		if err != nil {
			fail(err.Error())
		}
		cfg.Out = d
	} else if err := os.MkdirAll(cfg.Out, 0o755); err != nil {
		fail(err.Error())
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	h, err := newHarness(cfg.Keep)
	if err != nil {
		fail(err.Error())
	}
	rep, err := run(ctx, h, cfg)
	h.close()
	if err != nil {
		fail(err.Error())
	}
	jsonPath, pngPath := filepath.Join(cfg.Out, "soak.json"), filepath.Join(cfg.Out, "soak.png")
	b, _ := json.MarshalIndent(rep, "", "  ")
	if err := os.WriteFile(jsonPath, append(b, '\n'), 0o644); err != nil {
		fail(err.Error())
	}
	if err := writePlot(pngPath, rep); err != nil {
		fail("drawing the plot: " + err.Error())
	}
	if cfg.Keep {
		fmt.Println("work directory kept:", h.tmp)
	}
	for _, c := range rep.Criteria {
		verdict := "PASS"
		if !c.Pass {
			verdict = "FAIL"
		}
		fmt.Printf("--- %s: soak/%s: %s\n", verdict, c.Name, c.Detail)
	}
	fmt.Println("results:", jsonPath, pngPath)
	if !rep.Pass {
		fail(rep.Reason + " (results in " + cfg.Out + ")")
	}
	fmt.Println(okLine(rep) + " (results in " + cfg.Out + ")")
}

func okLine(r *report) string {
	s := r.Summary
	return fmt.Sprintf("ok   soak %s: RSS %+.2f MB over the last %s, goroutines %g → %g, fds %g → %g, B live again after %d/%d restarts (slowest %.1f s), A %d/%.0f frames (%+.2f %%), C dropped %d frames",
		r.Config.Duration, s.RSS.GrowthMB, r.Config.Window, s.Goroutines.First, s.Goroutines.Last, s.FDs.First, s.FDs.Last,
		s.ReconnectsOK, s.Kills, s.SlowestReconnectS, s.RecordingFrames, s.ExpectedFrames, s.FramesDeviationPct, s.DroppedVideo["C"])
}

// run is the soak: peers up, onair live, samples and kills until it ends,
// then A's recording counted and the criteria computed.
func run(ctx context.Context, h *harness, cfg config) (*report, error) {
	testpeer.Require(h, "nginx", "ffprobe")
	bin := cfg.Onair
	if bin == "" {
		bin = filepath.Join(h.tmp, "onair")
		fmt.Println("building onair …")
		if out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/onair").CombinedOutput(); err != nil {
			return nil, fmt.Errorf("building onair (run from the repository's root): %v: %s", err, strings.TrimSpace(string(out)))
		}
	}

	healthy := testpeer.StartNginxRTMP(h, "a", "c")
	flaky := testpeer.StartNginxRTMP(h, "b")
	thin := testpeer.SlowProxy(h, fmt.Sprintf("127.0.0.1:%d", healthy.Port), cfg.ThinKbps*1000/8)
	dests := []dest{
		newDest("A", "healthy", healthy.URL("a", "")),
		newDest("B", "server killed every "+cfg.KillEvery.String(), flaky.URL("b", "")),
		newDest("C", fmt.Sprintf("thin link %d kb/s", cfg.ThinKbps), "rtmp://"+thin+"/c/"),
	}
	debugAddr := fmt.Sprintf("127.0.0.1:%d", testpeer.FreeTCPPort(h))
	statsPath := filepath.Join(h.tmp, "onair-stats.json")
	logPath := filepath.Join(h.tmp, "onair.log")
	fmt.Printf("soak: %s at %s@%d, %d kb/s; A %s, B %s killed every %s for %s, C %s through %d kb/s; a sample every %s; criteria over the last %s\n",
		cfg.Duration, cfg.Size, cfg.FPS, cfg.BitrateKbps, dests[0].Name, dests[1].Name, cfg.KillEvery, cfg.Down, dests[2].Name, cfg.ThinKbps, cfg.Every, cfg.Window)

	args := []string{"live", "--source", "testcard", "--size", cfg.Size, "--fps", strconv.Itoa(cfg.FPS),
		"--bitrate", strconv.Itoa(cfg.BitrateKbps), "--duration", cfg.Duration.String(), "--quiet",
		"--stats-file", statsPath, "--reconnect-max", cfg.ReconnectMax.String(), "--debug-addr", debugAddr}
	for _, d := range dests {
		args = append(args, "--dest", d.url)
	}
	o, err := startOnair(h, bin, args, logPath, dests)
	if err != nil {
		return nil, err
	}

	// B's server: killed and restarted on schedule until the session ends.
	var (
		bUp   atomic.Bool
		kills []reconnect
		kwg   sync.WaitGroup
	)
	bUp.Store(true)
	kctx, stopKills := context.WithCancel(ctx)
	defer func() { stopKills(); kwg.Wait() }()
	kwg.Add(1)
	go func() {
		defer kwg.Done()
		for k := cfg.KillEvery; k+cfg.Down+settle <= cfg.Duration; k += cfg.KillEvery {
			if !sleepUntil(kctx, o.start.Add(k)) {
				return
			}
			flaky.Kill()
			bUp.Store(false)
			killed := o.since()
			fmt.Printf("  %s  B's server killed (pid %d)\n", clock(killed), flaky.PID())
			if !sleepUntil(kctx, time.Now().Add(cfg.Down)) {
				return
			}
			flaky.Restart(h)
			bUp.Store(true)
			restarted := o.since()
			fmt.Printf("  %s  B's server restarted (pid %d)\n", clock(restarted), flaky.PID())
			kills = append(kills, reconnect{KillS: killed, RestartS: restarted})
		}
	}()

	leaks := newLeakCheck(dests)
	pr := &prober{pid: o.cmd.Process.Pid, url: "http://" + debugAddr + "/debug/stats",
		client: &http.Client{Transport: &http.Transport{}}, dests: dests, raw: leaks.check}
	defer pr.client.CloseIdleConnections()
	rep := &report{Date: time.Now().UTC().Format("2006-01-02 15:04 UTC"), Machine: machine(), Config: cfg, Destinations: dests}
	debugFailures := 0
	tick := time.NewTicker(cfg.Every)
	defer tick.Stop()
sampling:
	for {
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("interrupted at %s", clock(o.since()))
		case <-o.exited:
			break sampling
		case <-tick.C:
			t := o.since()
			if t > cfg.Duration.Seconds()-cfg.Every.Seconds()/2 {
				break sampling // the session is ending: the last samples would catch the shutdown
			}
			s, err := pr.sample(ctx, t)
			if s.RSSKB == 0 {
				continue // gone
			}
			s.BServerUp = bUp.Load()
			if err != nil {
				debugFailures++
				fmt.Printf("  %s  sample: %v\n", clock(t), err)
			}
			rep.Samples = append(rep.Samples, s)
			fmt.Println(" ", progressLine(s))
		}
	}
	select {
	case <-o.exited:
	case <-ctx.Done():
		return nil, fmt.Errorf("interrupted at %s", clock(o.since()))
	case <-time.After(time.Until(o.start.Add(cfg.Duration + time.Minute))):
		return nil, fmt.Errorf("onair did not end a minute after its --duration %s", cfg.Duration)
	}
	stopKills()
	kwg.Wait()
	end := o.since()
	if code := o.exitCode(); code != 0 && end < cfg.Duration.Seconds() {
		return nil, fmt.Errorf("onair exited %d after %s: %s", code, clock(end), o.lastLine())
	}

	// A's recording, complete once nginx has written what it got.
	healthy.Stop()
	fmt.Println("counting the frames of A's recording (ffprobe decodes all of it) …")
	frames, err := countFrames(ctx, healthy.Recording("a", dests[0].key))
	if err != nil {
		return nil, err
	}

	rep.Events = o.events()
	rep.FinalStats, _ = os.ReadFile(statsPath)
	if !json.Valid(rep.FinalStats) {
		rep.FinalStats = nil
	}
	leaks.checkFile(logPath)
	evaluate(rep, cfg, kills, end, frames, o.exitCode(), debugFailures, leaks)
	return rep, nil
}

// evaluate computes the summary and the criteria.
func evaluate(rep *report, cfg config, kills []reconnect, end float64, frames, exit, debugFailures int, leaks *leakCheck) {
	s := &rep.Summary
	from, to := cfg.Duration.Seconds()-cfg.Window.Seconds(), cfg.Duration.Seconds()
	known := func(f func(sample) int) func(sample) (float64, bool) {
		return func(x sample) (float64, bool) { return float64(f(x)), x.Goroutines >= 0 }
	}
	var cRSS, cGor, cFD criterion
	s.RSS, cRSS = measureRSS(rep.Samples, from, cfg.RSSLimitMB)
	s.Goroutines, cGor = measureCount("goroutines", rep.Samples, from, to, known(func(x sample) int { return x.Goroutines }))
	s.FDs, cFD = measureCount("fds", rep.Samples, from, to, known(func(x sample) int { return x.FDs }))
	s.Threads, _ = measureCount("threads", rep.Samples, from, to, known(func(x sample) int { return x.Threads }))
	s.DroppedVideo, s.MaxQueuedMs, s.LiveEvents = map[string]int64{}, map[string]float64{}, map[string]int{}
	if n := len(rep.Samples); n > 1 {
		a, b := rep.Samples[0], rep.Samples[n-1]
		s.CPUPerSecond = math.Round((b.CPUSeconds-a.CPUSeconds)/(b.T-a.T)*1000) / 1000
	}
	for _, x := range rep.Samples {
		s.PeakRSSMB = max(s.PeakRSSMB, float64(x.RSSKB)/1024)
		s.MaxLoadAvg = max(s.MaxLoadAvg, x.LoadAvg)
		for _, d := range x.Dests {
			s.DroppedVideo[d.ID] = max(s.DroppedVideo[d.ID], d.DroppedVideo)
			s.MaxQueuedMs[d.ID] = max(s.MaxQueuedMs[d.ID], d.QueuedMs)
		}
	}
	for _, d := range rep.Destinations {
		s.LiveEvents[d.ID] = countLive(eventsOf(rep.Events, d.ID))
	}
	rep.Reconnects = matchReconnects(kills, eventsOf(rep.Events, "B"), end)
	s.Kills = len(rep.Reconnects)
	for _, r := range rep.Reconnects {
		if r.LiveS != nil {
			s.ReconnectsOK++
			s.SlowestReconnectS = max(s.SlowestReconnectS, *r.AfterRestartS)
		}
	}
	s.RecordingFrames = frames
	s.ExpectedFrames = cfg.Duration.Seconds() * float64(cfg.FPS)
	s.FramesDeviationPct = 100 * (float64(frames) - s.ExpectedFrames) / s.ExpectedFrames
	s.OnairExit = exit
	s.DebugFailures = debugFailures

	encoded, missed := int64(-1), int64(-1)
	var final struct {
		Encoded *int64 `json:"frames_encoded"`
		Missed  *int64 `json:"compositor_missed"`
	}
	if json.Unmarshal(rep.FinalStats, &final) == nil && final.Encoded != nil && final.Missed != nil {
		encoded, missed = *final.Encoded, *final.Missed
	}
	ran := criterion{Name: "onair-ran", Pass: exit == 0 && debugFailures == 0,
		Detail: fmt.Sprintf("onair exited %d after %s; %d of %d samples without an answer from its debug endpoint", exit, clock(end), debugFailures, len(rep.Samples))}
	rep.Criteria = []criterion{ran, cRSS, cGor, cFD, reconnectCriterion(rep.Reconnects),
		recordingCriterion(frames, s.ExpectedFrames, cfg.FramesTolPct/100, encoded, missed, s.MaxLoadAvg), leaks.criterion()}
	rep.Pass = true
	for _, c := range rep.Criteria {
		if !c.Pass {
			rep.Pass = false
			rep.Reason = c.Name + ": " + c.Detail
			break
		}
	}
}

func newDest(id, role, urlNoKey string) dest {
	key := "soak_" + strings.ToLower(id) + "_" + randomHex(6)
	return dest{ID: id, Role: role, Name: urlNoKey + "****", url: urlNoKey + key, key: key}
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func progressLine(s sample) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s  rss %.1f MB  goroutines %d  threads %d  fds %d  load %.1f", clock(s.T), float64(s.RSSKB)/1024, s.Goroutines, s.Threads, s.FDs, s.LoadAvg)
	for _, d := range s.Dests {
		fmt.Fprintf(&b, " | %s %s q %.0f ms dropped %d", d.ID, d.State, d.QueuedMs, d.DroppedVideo)
	}
	return b.String()
}

// countFrames decodes a recording's video and counts its frames.
func countFrames(ctx context.Context, path string) (int, error) {
	out, err := exec.CommandContext(ctx, "ffprobe", "-v", "error", "-select_streams", "v:0", "-count_frames",
		"-show_entries", "stream=nb_read_frames", "-of", "csv=p=0", path).Output()
	if err != nil {
		msg := ""
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			msg = strings.TrimSpace(string(ee.Stderr))
		}
		return 0, fmt.Errorf("ffprobe %s: %v %s", path, err, msg)
	}
	n, err := strconv.Atoi(strings.TrimSpace(strings.TrimRight(strings.TrimSpace(string(out)), ",")))
	if err != nil {
		return 0, fmt.Errorf("ffprobe %s: frame count %q", path, out)
	}
	return n, nil
}

func sleepUntil(ctx context.Context, t time.Time) bool {
	tm := time.NewTimer(time.Until(t))
	defer tm.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-tm.C:
		return true
	}
}

// onairProc is the onair process under test.
type onairProc struct {
	cmd    *exec.Cmd
	start  time.Time
	exited chan struct{}
	mu     sync.Mutex
	evs    []destEvent
	last   string // the last line onair printed on stderr
}

// startOnair starts onair in its own process group (a Ctrl-C reaches the
// soak, which ends onair itself), its output into logPath and its
// destination lines timed as they come.
func startOnair(h *harness, bin string, args []string, logPath string, dests []dest) (*onairProc, error) {
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	log := &lockedWriter{w: logf}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "XDG_CONFIG_HOME="+h.TempDir()) // no profile of this machine's
	cmd.Stdout = log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	o := &onairProc{cmd: cmd, exited: make(chan struct{})}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting onair: %w", err)
	}
	o.start = time.Now()
	read := make(chan struct{})
	go func() {
		defer close(read)
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			t := o.since()
			io.WriteString(log, line+"\n")
			o.mu.Lock()
			o.last = line
			o.mu.Unlock()
			if e, ok := parseEvent(line, t, dests); ok {
				o.mu.Lock()
				o.evs = append(o.evs, e)
				o.mu.Unlock()
				fmt.Printf("  %s  %s\n", clock(t), line)
			} else if strings.HasPrefix(line, "onair live:") || strings.HasPrefix(line, "panic:") {
				fmt.Printf("  %s  %s\n", clock(t), line)
			}
		}
	}()
	go func() {
		<-read // Wait closes the pipe: read it to the end first
		cmd.Wait()
		logf.Close()
		close(o.exited)
	}()
	h.Cleanup(func() {
		select {
		case <-o.exited:
			return
		default:
		}
		syscall.Kill(cmd.Process.Pid, syscall.SIGINT)
		select {
		case <-o.exited:
		case <-time.After(15 * time.Second):
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-o.exited
		}
	})
	return o, nil
}

// since is the time since onair started, in seconds to the millisecond.
func (o *onairProc) since() float64 {
	return math.Round(time.Since(o.start).Seconds()*1000) / 1000
}

func (o *onairProc) events() []destEvent {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]destEvent(nil), o.evs...)
}

func (o *onairProc) lastLine() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.last
}

func (o *onairProc) exitCode() int {
	<-o.exited
	return o.cmd.ProcessState.ExitCode()
}

type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// leakCheck looks for the stream keys in what onair printed and served.
type leakCheck struct {
	mu    sync.Mutex
	keys  []string
	where []string
	seen  int // debug answers checked
}

func newLeakCheck(dests []dest) *leakCheck {
	l := &leakCheck{}
	for _, d := range dests {
		l.keys = append(l.keys, d.key)
	}
	return l
}

func (l *leakCheck) check(body []byte) {
	l.look("/debug/stats", body)
	l.mu.Lock()
	l.seen++
	l.mu.Unlock()
}

func (l *leakCheck) checkFile(path string) {
	b, err := os.ReadFile(path)
	if err != nil {
		l.mu.Lock()
		l.where = append(l.where, "onair's log is unreadable: "+err.Error())
		l.mu.Unlock()
		return
	}
	l.look("onair's output", b)
}

func (l *leakCheck) look(where string, b []byte) {
	for _, k := range l.keys {
		if strings.Contains(string(b), k) {
			l.mu.Lock()
			l.where = append(l.where, where)
			l.mu.Unlock()
			return
		}
	}
}

func (l *leakCheck) criterion() criterion {
	l.mu.Lock()
	defer l.mu.Unlock()
	c := criterion{Name: "no-key-leak", Pass: len(l.where) == 0}
	if c.Pass {
		c.Detail = fmt.Sprintf("no stream key in onair's output or in %d answers of its debug endpoint", l.seen)
	} else {
		c.Detail = "a stream key appeared in " + strings.Join(l.where, ", ")
	}
	return c
}

func machine() string {
	cpu := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(l, "model name"); ok {
				cpu = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), ":"))
				break
			}
		}
	}
	ff := "ffmpeg ?"
	if out, err := exec.Command("ffmpeg", "-version").Output(); err == nil {
		if f := strings.Fields(strings.SplitN(string(out), "\n", 2)[0]); len(f) >= 3 {
			ff = strings.Join(f[:3], " ")
		}
	}
	return fmt.Sprintf("%d cores (%s), %s, %s", runtime.NumCPU(), cpu, ff, runtime.Version())
}
