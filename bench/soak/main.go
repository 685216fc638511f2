// Command soak runs `onair live` for a long session at 1280x720@30 to three
// real destinations and checks that it holds steady:
//
//   - A: nginx-rtmp that stays up; its recording must hold the whole session.
//   - B: nginx-rtmp killed (SIGKILL, by PID) and restarted every 2 minutes,
//     down 10 s each time; onair must be live on it again after every restart.
//   - C: nginx-rtmp behind a thin link (a throttling TCP proxy): it drops
//     frames all along.
//
// Every 10 s (5 s in a run under 10 minutes) it samples onair's RSS, CPU
// time, threads and open file descriptors (/proc) and its goroutines and
// destination queues (onair's loopback --debug-addr endpoint). It writes
// soak.json and soak.png, prints one line per criterion and ends with one
// line: ok with the figures, or FAIL with the reason (exit 1). Every peer is
// stopped by PID on the way out, Ctrl-C too.
//
//	go run ./bench/soak -out bench       the hour (make soak)
//	go run ./bench/soak -duration 3m     the short run of make test, into a temp dir
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"
)

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
	h.Close()
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
		fmt.Println("work directory kept:", h.Dir())
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
