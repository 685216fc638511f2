package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"onair/internal/testpeer"
)

// run is the soak: peers up, onair live, samples and kills until it ends,
// then A's recording counted and the criteria computed.
func run(ctx context.Context, h *harness, cfg config) (*report, error) {
	testpeer.Require(h, "nginx", "ffprobe")
	bin := cfg.Onair
	if bin == "" {
		bin = filepath.Join(h.Dir(), "onair")
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
	statsPath := filepath.Join(h.Dir(), "onair-stats.json")
	logPath := filepath.Join(h.Dir(), "onair.log")
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
	rep := &report{Date: time.Now().UTC().Format("2006-01-02 15:04 UTC"), Machine: testpeer.Machine(), Config: cfg, Destinations: dests}
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
