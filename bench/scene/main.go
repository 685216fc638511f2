// Command scene measures onair's scene against ffmpeg's overlay and drawtext
// filters, in the same rounds, at 720p30 and 1080p30 (issue 10).
//
// The scene: a camera picture, a 300x150 PNG logo with alpha in the top
// right corner, and a clock (HH:MM:SS, Go Regular 36 px, 3 px black
// outline) in the top left. ffmpeg draws it in its fastest correct form:
//
//	ffmpeg -re -f rawvideo -pix_fmt yuv420p -s WxH -framerate 30 -stream_loop -1 -i clip.yuv -i logo.png
//	  -filter_complex "[1]scale=out_color_matrix=bt709:out_range=tv,format=yuva420p[l];
//	    [0][l]overlay=x=..:y=..:format=yuv420,drawtext=fontfile=GoRegular.ttf:text='%{localtime\:%T}':fontsize=36:borderw=3:.."
//	  -t S -f null -
//
// the logo decoded and converted to yuva420p once (overlay repeats the last
// logo frame), then blended onto every frame in place, in 4:2:0. onair is
// this program as a -worker child: overlay.Stage with a camera layer, the
// same logo as an image layer at the same place and a {clock} text layer of
// the same font, size and outline, driven by the studio's compositor
// (overlay.Compositor) from a 30 fps ticker; each program frame is released
// unused, as ffmpeg's null muxer drops its frames.
//
// The source is the same for both: a one-second raw yuv420p clip recorded
// once from testsrc2 into bench/cache, looped. ffmpeg reads it (one copy a
// frame, from the page cache, into a packet its overlay then draws on in
// place); the worker maps it, as bench/camera's worker maps its frames, and
// the camera layer copies each frame onto the canvas (one copy a frame).
// Raw frames keep a decoder's cost, which would dwarf the overlays and is
// measured by bench/camera, out of the comparison.
//
// Both tools run as child processes, one after the other within a round
// (alternating who goes first); the figure is CPU (user+sys) per media
// second, and a ratio is the median of the rounds' ratios. Target: at most
// 1.0. In the same rounds each tool also runs with the source alone (ffmpeg
// without filters, onair with only a camera layer: both hand the frame on
// uncopied), so the report also shows what the scene itself costs each,
// apart from reading the source. It prints a table and writes
// bench/scene.json.
//
//	go run ./bench/scene                     3 rounds of 10 s
//	go run ./bench/scene -rounds 5 -seconds 20
//	go run ./bench/scene -only 1080p30
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"onair/internal/benchrun"
	"onair/internal/testpeer"
)

const fps = 30

// resolution is one canvas the scene is measured on.
type resolution struct {
	name string
	w, h int
}

var resolutions = []resolution{{"720p30", 1280, 720}, {"1080p30", 1920, 1080}}

// The scene's geometry, the same for both tools. ffmpeg places 4:2:0
// overlays on even coordinates, so these are even.
const (
	logoW, logoH   = 300, 150
	logoMargin     = 40 // from the top and right edges
	clockX, clockY = 40, 40
	clockSize      = 36
	clockOutline   = 3
)

func logoX(r resolution) int { return r.w - logoW - logoMargin }

func main() {
	rounds := flag.Int("rounds", 3, "rounds (the median ratio is reported)")
	seconds := flag.Int("seconds", 10, "media seconds per run")
	only := flag.String("only", "", "measure one resolution: 720p30 or 1080p30")
	out := flag.String("out", filepath.Join("bench", "scene.json"), "where to write the results")
	worker := flag.String("worker", "", "internal: compose onair's scene at this resolution")
	clip := flag.String("clip", "", "internal: the worker's raw yuv420p clip")
	logo := flag.String("logo", "", "internal: the worker's logo")
	snapshot := flag.String("snapshot", "", "internal: the worker writes its last frame here (PNG), to look at")
	bare := flag.Bool("bare", false, "internal: the worker's scene is the camera alone")
	flag.Parse()
	if *worker != "" {
		r, ok := findResolution(*worker)
		if !ok {
			fmt.Fprintf(os.Stderr, "scene worker: unknown resolution %q\n", *worker)
			os.Exit(2)
		}
		if err := runWorker(r, *clip, *logo, *bare, *seconds*fps, *snapshot); err != nil {
			fmt.Fprintln(os.Stderr, "scene worker:", err)
			os.Exit(1)
		}
		return
	}
	res := resolutions
	if *only != "" {
		r, ok := findResolution(*only)
		if !ok {
			fmt.Fprintf(os.Stderr, "bench/scene: -only %q: use 720p30 or 1080p30\n", *only)
			os.Exit(2)
		}
		res = []resolution{r}
	}
	if *rounds < 1 || *seconds < 1 {
		fmt.Fprintln(os.Stderr, "bench/scene: -rounds and -seconds must be at least 1")
		os.Exit(2)
	}
	p, err := testpeer.NewProgram("onair-bench-scene-", false, func(msg string) {
		fmt.Fprintln(os.Stderr, "bench/scene:", msg)
		os.Exit(1)
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench/scene:", err)
		os.Exit(1)
	}
	err = run(p, res, *rounds, *seconds, *out)
	p.Close()
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench/scene:", err)
		os.Exit(1)
	}
}

func findResolution(name string) (resolution, bool) {
	for _, r := range resolutions {
		if r.name == name {
			return r, true
		}
	}
	return resolution{}, false
}

// tool is one side of a measurement: it runs once and measures itself.
// bare: the source alone.
type tool func(bare bool) (sample, error)

// measurement is one resolution: onair against ffmpeg.
type measurement struct {
	res       resolution
	clip      string
	reference string // the ffmpeg command, for the report
	onair     tool
	ffmpeg    tool
	onairS    []sample
	ffmpegS   []sample
	// The source alone, in the same rounds.
	onairBareS  []sample
	ffmpegBareS []sample
	first       []string // who went first in each round
}

func run(p *testpeer.Program, res []resolution, rounds, seconds int, outPath string) error {
	testpeer.Require(p, "ffmpeg")
	in, err := prepare(res)
	if err != nil {
		return err
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	var ms []*measurement
	for _, r := range res {
		ms = append(ms, sceneMeasurement(self, r, in, seconds))
	}
	loadBefore := benchrun.LoadAvg()
	fmt.Println("load average before:", loadBefore)
	// Rounds: both resolutions and both tools once per round, back to back,
	// so a drift in the machine's speed hits all alike.
	for rd := 0; rd < rounds; rd++ {
		for _, m := range ms {
			order := []string{"onair", "ffmpeg"}
			if rd%2 == 1 {
				order = []string{"ffmpeg", "onair"}
			}
			m.first = append(m.first, order[0])
			for _, bare := range []bool{false, true} {
				for _, name := range order {
					if err := m.runOnce(rd, rounds, name, bare); err != nil {
						return err
					}
				}
			}
		}
	}
	rep := report{
		Date: time.Now().UTC().Format(time.RFC3339), Machine: testpeer.Machine(),
		Rounds: rounds, MediaSeconds: seconds, Logo: in.logo, Font: in.font,
		LoadBefore: loadBefore, LoadAfter: benchrun.LoadAvg(),
	}
	for _, m := range ms {
		rep.Measurements = append(rep.Measurements, m.result())
	}
	printTable(rep)
	return benchrun.WriteJSON(outPath, rep)
}

// runOnce runs one tool once and keeps its sample.
func (m *measurement) runOnce(rd, rounds int, name string, bare bool) error {
	t, into, label := m.onair, &m.onairS, name
	if name == "ffmpeg" {
		t, into = m.ffmpeg, &m.ffmpegS
	}
	if bare {
		label += " (source only)"
		into = &m.onairBareS
		if name == "ffmpeg" {
			into = &m.ffmpegBareS
		}
	}
	fmt.Printf("  round %d/%d %-7s %-20s …", rd+1, rounds, m.res.name, label)
	s, err := t(bare)
	if err != nil {
		return fmt.Errorf("%s, %s: %w", m.res.name, label, err)
	}
	fmt.Println(" " + s.line())
	*into = append(*into, s)
	return nil
}
