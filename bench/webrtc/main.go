// Command webrtc measures what a WebRTC output costs next to one RTMP
// destination at 720p30 (issue 13): `onair live` on the test card and tone,
// run in turn
//
//	rtmp        one nginx-rtmp destination (the reference);
//	rtmp+rtmp   and a second RTMP destination on an encoder of its own in
//	            the settings a WebRTC destination gets (H.264 Constrained
//	            Baseline, dynamic bitrate: CAM4's preset with dynamic
//	            bitrate on) — the cost of that second encode alone;
//	rtmp+whip   and a WHIP destination (its own encode, the Opus encoder,
//	            RTP, SRTP, congestion control) to a pion receiver on loopback.
//
// The WebRTC output with its Opus encoder costs rtmp+whip − rtmp+rtmp (less
// what the second RTMP output itself costs, a TCP send and FLV muxing, a
// few thousandths of a core): target ≤ 0.05 cores. The whole cost of a WHIP
// destination, its own encode included, is rtmp+whip − rtmp. Differences are
// taken within each round (the runs of a round follow each other) and their
// median reported. It prints a table and writes bench/webrtc.json.
//
//	go run ./bench/webrtc                 3 rounds, 20 s measured after 6 s
//	go run ./bench/webrtc -rounds 5 -seconds 30
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
	f := benchrun.RoundFlags("bench/webrtc", 3, 20, 6, filepath.Join("bench", "webrtc.json"))
	testpeer.RunProgram("bench/webrtc", func(p *testpeer.Program) error {
		return run(p, f.Rounds, f.Seconds, f.Warm, f.Out)
	})
}

type sample struct {
	Cores    float64 `json:"cores"`
	RSSMB    float64 `json:"rss_mb"`
	Measured float64 `json:"measured_s"`
	// Frames is the pictures the WebRTC receiver got per second measured.
	FramesPerSec float64 `json:"webrtc_fps,omitempty"`
}

type result struct {
	Name    string   `json:"name"`
	Samples []sample `json:"samples"`
	Cores   float64  `json:"cores_median"`
	RSSMB   float64  `json:"rss_mb_median"`
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
	// OutputCores is the WebRTC output and its Opus encoder: rtmp+whip −
	// rtmp+rtmp, the median of the rounds' differences (target ≤ 0.05).
	OutputCores  float64   `json:"webrtc_output_and_opus_cores"`
	OutputRounds []float64 `json:"webrtc_output_and_opus_rounds"`
	// WholeCores is a WHIP destination with its own encode: rtmp+whip − rtmp.
	WholeCores  float64   `json:"whip_destination_cores"`
	WholeRounds []float64 `json:"whip_destination_rounds"`
	// EncodeCores is the second encode alone: rtmp+rtmp − rtmp.
	EncodeCores float64 `json:"second_encode_cores"`
}

func run(p *testpeer.Program, rounds int, seconds, warm time.Duration, outPath string) error {
	testpeer.Require(p, "nginx")
	dir := p.TempDir()
	fmt.Println("building onair …")
	build := exec.Command("go", "build", "-o", dir+"/", "./cmd/onair")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		return fmt.Errorf("building: %w", err)
	}
	nginx := testpeer.StartNginxRTMP(p, "live")
	whip := testpeer.StartWHIPEndpoint(p, "bench-token")

	profile := func(name string, ds ...studio.Destination) (string, error) {
		prof := studio.DefaultProfile()
		prof.Source = "testcard"
		prof.Canvas = studio.Canvas{Width: 1280, Height: 720, FPS: 30}
		prof.Video.BitrateKbps = 2500
		// The keyframe interval CAM4 asks, for every run: the second
		// encode then differs from the WebRTC one in nothing.
		prof.Video.KeyframeSec = 1
		prof.Destinations = append([]studio.Destination{{Name: "rtmp", URL: nginx.URL("live", "ref")}}, ds...)
		b, _ := json.MarshalIndent(prof, "", "  ")
		path := filepath.Join(dir, name+".json")
		return path, os.WriteFile(path, b, 0o600)
	}
	second, err := profile("rtmp2", studio.Destination{Name: "second", URL: nginx.URL("live", "second"), Preset: "cam4", DynamicBitrate: true})
	if err != nil {
		return err
	}
	ref, err := profile("rtmp")
	if err != nil {
		return err
	}
	withWHIP, err := profile("whip", studio.Destination{Name: "whip", URL: whip.URL()})
	if err != nil {
		return err
	}
	type runSpec struct {
		name, profile string
		webrtc        bool
	}
	runs := []runSpec{{"rtmp", ref, false}, {"rtmp+rtmp", second, false}, {"rtmp+whip", withWHIP, true}}
	rep := report{Date: time.Now().UTC().Format(time.RFC3339), Machine: testpeer.Machine(), Rounds: rounds,
		Seconds: seconds.Seconds(), LoadBefore: benchrun.LoadAvg(),
		Show: "720p30 test card and tone, x264 veryfast 2500 kb/s, keyframe every 1 s, AAC, to one nginx-rtmp on loopback; the WHIP receiver is pion on loopback (NACK, reports, transport-wide feedback)"}
	results := make([]result, len(runs))
	for rd := 0; rd < rounds; rd++ {
		for i, r := range runs {
			fmt.Printf("  round %d/%d %-10s …", rd+1, rounds, r.name)
			cmd := exec.Command(filepath.Join(dir, "onair"), "live", "--profile", r.profile, "--quiet")
			cmd.Env = append(os.Environ(), "XDG_CONFIG_HOME="+filepath.Join(dir, "config"))
			if pd := os.Getenv("ONAIR_BENCH_PPROF"); pd != "" && r.webrtc { // where the WebRTC run's profiles go
				cmd.Env = append(cmd.Env, "ONAIR_PPROF="+pd)
			}
			var f0 int64
			var t0 time.Time
			ready := func() error {
				if !r.webrtc {
					return nil
				}
				f0, t0 = whip.Frames.Load(), time.Now()
				if f0 == 0 {
					return fmt.Errorf("%s: the WHIP receiver got no picture in the warm-up", r.name)
				}
				return nil
			}
			st, err := benchrun.MeasureSteady(cmd, warm, seconds, "", ready)
			if err != nil {
				return fmt.Errorf("%s: %w", r.name, err)
			}
			s := sample{Cores: st.Cores, RSSMB: st.RSSMB, Measured: st.Measured}
			if r.webrtc {
				s.FramesPerSec = float64(whip.Frames.Load()-f0) / time.Since(t0).Seconds()
				if s.FramesPerSec < 27 {
					return fmt.Errorf("%s: the WHIP receiver got %.1f pictures a second, want about 30", r.name, s.FramesPerSec)
				}
			}
			fmt.Printf(" %.3f cores, RSS %.0f MB", s.Cores, s.RSSMB)
			if r.webrtc {
				fmt.Printf(", WebRTC %.1f fps received", s.FramesPerSec)
			}
			fmt.Println()
			results[i].Name = r.name
			results[i].Samples = append(results[i].Samples, s)
		}
	}
	for i := range results {
		var c, m []float64
		for _, s := range results[i].Samples {
			c, m = append(c, s.Cores), append(m, s.RSSMB)
		}
		results[i].Cores, results[i].RSSMB = benchrun.Median(c), benchrun.Median(m)
	}
	rep.Results = results
	rep.LoadAfter = benchrun.LoadAvg()
	var enc []float64
	for rd := range rounds {
		r, v, w := results[0].Samples[rd].Cores, results[1].Samples[rd].Cores, results[2].Samples[rd].Cores
		rep.OutputRounds = append(rep.OutputRounds, w-v)
		rep.WholeRounds = append(rep.WholeRounds, w-r)
		enc = append(enc, v-r)
	}
	rep.OutputCores, rep.WholeCores, rep.EncodeCores = benchrun.Median(rep.OutputRounds), benchrun.Median(rep.WholeRounds), benchrun.Median(enc)
	fmt.Printf("\nWebRTC output cost — %s, %d round(s) of %v after %v; load before %s, after %s\n\n", rep.Machine, rounds, seconds, warm, rep.LoadBefore, rep.LoadAfter)
	fmt.Println("| run | cores | RSS MB |")
	fmt.Println("| --- | --- | --- |")
	for _, r := range results {
		fmt.Printf("| %s | %.3f | %.0f |\n", r.Name, r.Cores, r.RSSMB)
	}
	verdict := "met"
	if rep.OutputCores > 0.05 {
		verdict = "NOT met"
	}
	fmt.Printf("\nthe second encode alone (rtmp+rtmp − rtmp): %+.3f cores\n", rep.EncodeCores)
	fmt.Printf("a WHIP destination, its own encode included (rtmp+whip − rtmp): %+.3f cores, rounds %.3f\n", rep.WholeCores, rep.WholeRounds)
	fmt.Printf("the WebRTC output and the Opus encoder (rtmp+whip − rtmp+rtmp): %+.3f cores, rounds %.3f (target ≤ 0.05: %s)\n", rep.OutputCores, rep.OutputRounds, verdict)
	return benchrun.WriteJSON(outPath, rep)
}
