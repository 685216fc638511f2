// Command window measures what the studio window costs (issue 12): the
// same show — the 720p30 test card, live to one local nginx-rtmp — run
// headless by `onair live` and in the window (onair-studio under Xvfb, the
// preview visible, gone live at start), and the window idle (not live).
//
// CPU is read from /proc over a steady stretch (after a warm-up) and split
// by thread: Mesa's software GL threads (llvmpipe-*) do under Xvfb what a
// GPU does on a performer's machine, so they are reported apart from the
// studio's own threads (Go, and onair's C calls). Target: the studio's own
// threads at most 0.10 cores above `onair live`. It prints a table and
// writes bench/window.json.
//
//	go run ./bench/window                 3 rounds, 20 s measured after 8 s
//	go run ./bench/window -rounds 3 -seconds 30
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"onair/internal/benchrun"
	"onair/internal/testpeer"
	"onair/studio"
)

func main() {
	f := benchrun.RoundFlags("bench/window", 3, 20, 8, filepath.Join("bench", "window.json"))
	testpeer.RunProgram("bench/window", func(p *testpeer.Program) error {
		return run(p, f.Rounds, f.Seconds, f.Warm, f.Out)
	})
}

// sample is one run's cost over the measured stretch.
type sample struct {
	Cores    float64 `json:"cores"`      // the whole process
	GLCores  float64 `json:"gl_cores"`   // its llvmpipe-* threads
	OwnCores float64 `json:"own_cores"`  // the rest: Go and onair's C calls
	RSSMB    float64 `json:"rss_mb"`     // at the end of the stretch
	Measured float64 `json:"measured_s"` // seconds measured
}

type result struct {
	Name    string   `json:"name"`
	Samples []sample `json:"samples"`
	Median  sample   `json:"median"`
}

type report struct {
	Date       string   `json:"date"`
	Machine    string   `json:"machine"`
	Rounds     int      `json:"rounds"`
	Seconds    float64  `json:"seconds_measured"`
	Show       string   `json:"show"`
	LoadBefore string   `json:"load_before"`
	LoadAfter  string   `json:"load_after"`
	Results    []result `json:"results"`
	// OverLive is the window's own threads above onair live, live (target
	// ≤ 0.10): the median over the rounds of each round's difference (the
	// two runs of a round follow each other, so they share the machine's
	// mood; medians of each apart would pair a quiet run with a busy one).
	OverLive float64 `json:"own_cores_over_live"`
	// OverLiveRounds are each round's differences.
	OverLiveRounds []float64 `json:"own_cores_over_live_rounds"`
}

func run(p *testpeer.Program, rounds int, seconds, warm time.Duration, outPath string) error {
	testpeer.Require(p, "nginx", "Xvfb")
	dir := p.TempDir()
	fmt.Println("building onair and onair-studio …")
	build := exec.Command("go", "build", "-o", dir+"/", "./cmd/onair", "./cmd/onair-studio")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		return fmt.Errorf("building: %w", err)
	}
	nginx := testpeer.StartNginxRTMP(p, "live")
	x := testpeer.StartXvfb(p, 1400, 900)

	prof := studio.DefaultProfile()
	prof.Canvas = studio.Canvas{Width: 1280, Height: 720, FPS: 30}
	prof.Video.BitrateKbps = 2500
	prof.Destinations = []studio.Destination{{Name: "local", URL: nginx.URL("live", "bench")}}
	config := filepath.Join(dir, "config")
	if err := os.MkdirAll(filepath.Join(config, "onair"), 0o700); err != nil {
		return err
	}
	b, _ := json.MarshalIndent(prof, "", "  ")
	profilePath := filepath.Join(config, "onair", "profile.json")
	if err := os.WriteFile(profilePath, b, 0o600); err != nil {
		return err
	}
	env := append(os.Environ(), "XDG_CONFIG_HOME="+config, "DISPLAY="+x.Display)
	runs := []struct {
		name string
		cmd  func() *exec.Cmd
	}{
		{"onair live (headless)", func() *exec.Cmd {
			c := exec.Command(filepath.Join(dir, "onair"), "live", "--profile", profilePath, "--quiet")
			c.Env = env
			return c
		}},
		{"studio window, live", func() *exec.Cmd {
			c := exec.Command(filepath.Join(dir, "onair-studio"))
			c.Env = append(env, "ONAIR_STUDIO_GO_LIVE=1")
			return c
		}},
		{"studio window, idle", func() *exec.Cmd {
			c := exec.Command(filepath.Join(dir, "onair-studio"))
			c.Env = env
			return c
		}},
	}
	rep := report{Date: time.Now().UTC().Format(time.RFC3339), Machine: testpeer.Machine(), Rounds: rounds,
		Seconds: seconds.Seconds(), Show: "720p30 test card and tone, x264 veryfast 2500 kb/s + AAC, to one nginx-rtmp on loopback; the window under Xvfb 1400x900",
		LoadBefore: benchrun.LoadAvg()}
	results := make([]result, len(runs))
	for rd := 0; rd < rounds; rd++ {
		for i, r := range runs {
			fmt.Printf("  round %d/%d %-24s …", rd+1, rounds, r.name)
			s, err := measure(r.cmd(), warm, seconds)
			if err != nil {
				return fmt.Errorf("%s: %w", r.name, err)
			}
			fmt.Printf(" %.3f cores (own %.3f, llvmpipe %.3f), RSS %.0f MB\n", s.Cores, s.OwnCores, s.GLCores, s.RSSMB)
			results[i].Name = r.name
			results[i].Samples = append(results[i].Samples, s)
		}
	}
	for i := range results {
		results[i].Median = medianOf(results[i].Samples)
	}
	rep.Results = results
	rep.LoadAfter = benchrun.LoadAvg()
	for rd := range rounds {
		rep.OverLiveRounds = append(rep.OverLiveRounds, results[1].Samples[rd].OwnCores-results[0].Samples[rd].Cores)
	}
	rep.OverLive = median(rep.OverLiveRounds)
	fmt.Printf("\nwindow cost — %s, %d round(s) of %v after %v; load before %s, after %s\n\n", rep.Machine, rounds, seconds, warm, rep.LoadBefore, rep.LoadAfter)
	fmt.Println("| run | cores | own threads | llvmpipe | RSS MB |")
	fmt.Println("| --- | --- | --- | --- | --- |")
	for _, r := range results {
		m := r.Median
		fmt.Printf("| %s | %.3f | %.3f | %.3f | %.0f |\n", r.Name, m.Cores, m.OwnCores, m.GLCores, m.RSSMB)
	}
	verdict := "met"
	if rep.OverLive > 0.10 {
		verdict = "NOT met"
	}
	fmt.Printf("\nthe window's own threads, live, above onair live: %+.3f cores, median of the rounds' differences %.3f (target ≤ 0.10: %s)\n", rep.OverLive, rep.OverLiveRounds, verdict)
	return benchrun.WriteJSON(outPath, rep)
}

// measure runs cmd over a steady stretch, its llvmpipe threads apart.
func measure(cmd *exec.Cmd, warm, d time.Duration) (sample, error) {
	st, err := benchrun.MeasureSteady(cmd, warm, d, "llvmpipe-", nil)
	if err != nil {
		return sample{}, err
	}
	return sample{Cores: st.Cores, GLCores: st.Matching, OwnCores: st.Cores - st.Matching, RSSMB: st.RSSMB, Measured: st.Measured}, nil
}

func median(v []float64) float64 { return benchrun.Median(v) }

func medianOf(ss []sample) sample {
	med := func(f func(sample) float64) float64 {
		v := make([]float64, len(ss))
		for i, s := range ss {
			v[i] = f(s)
		}
		return median(v)
	}
	return sample{
		Cores: med(func(s sample) float64 { return s.Cores }), GLCores: med(func(s sample) float64 { return s.GLCores }),
		OwnCores: med(func(s sample) float64 { return s.OwnCores }), RSSMB: med(func(s sample) float64 { return s.RSSMB }),
		Measured: med(func(s sample) float64 { return s.Measured }),
	}
}
