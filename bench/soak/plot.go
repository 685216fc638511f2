package main

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"math"
	"os"
	"strings"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"
)

// The plot: one panel per measure over the session's time, B's outages
// shaded, the warm-up greyed.
const (
	plotW      = 1200
	marginL    = 78
	marginR    = 24
	headerH    = 84
	panelH     = 150
	panelGap   = 34
	footerH    = 30
	tickLength = 4
)

var (
	colBG      = color.RGBA{255, 255, 255, 255}
	colAxis    = color.RGBA{60, 60, 60, 255}
	colGrid    = color.RGBA{225, 225, 225, 255}
	colText    = color.RGBA{20, 20, 20, 255}
	colWarmup  = color.RGBA{240, 240, 240, 255}
	colOutage  = color.RGBA{255, 222, 222, 255}
	colPass    = color.RGBA{0, 130, 40, 255}
	colFail    = color.RGBA{200, 0, 0, 255}
	colMain    = color.RGBA{30, 90, 200, 255}
	colSecond  = color.RGBA{150, 150, 150, 255}
	destColors = map[string]color.RGBA{"A": {30, 90, 200, 255}, "B": {220, 110, 0, 255}, "C": {140, 40, 170, 255}}
)

type series struct {
	name string
	col  color.RGBA
	x, y []float64 // NaN in y breaks the line
}

type panel struct {
	title  string
	series []series
	// minSpan keeps a flat line flat: noise of 0.3 MB does not fill the panel.
	minSpan float64
}

// plotPanels are the measures drawn, from the report's samples.
func plotPanels(r *report) []panel {
	rss := series{name: "RSS", col: colMain}
	gor := series{name: "goroutines", col: colMain}
	thr := series{name: "OS threads", col: colSecond}
	fds := series{name: "fds", col: colMain}
	queue := map[string]*series{}
	drops := map[string]*series{}
	for _, d := range r.Destinations {
		queue[d.ID] = &series{name: d.ID + " " + d.Role, col: destColors[d.ID]}
		drops[d.ID] = &series{name: d.ID + " " + d.Role, col: destColors[d.ID]}
	}
	for _, s := range r.Samples {
		rss.x, rss.y = append(rss.x, s.T), append(rss.y, float64(s.RSSKB)/1024)
		g := float64(s.Goroutines)
		if s.Goroutines < 0 {
			g = math.NaN()
		}
		gor.x, gor.y = append(gor.x, s.T), append(gor.y, g)
		thr.x, thr.y = append(thr.x, s.T), append(thr.y, float64(s.Threads))
		fds.x, fds.y = append(fds.x, s.T), append(fds.y, float64(s.FDs))
		for _, d := range s.Dests {
			if q := queue[d.ID]; q != nil {
				q.x, q.y = append(q.x, s.T), append(q.y, d.QueuedMs)
				dr := drops[d.ID]
				dr.x, dr.y = append(dr.x, s.T), append(dr.y, float64(d.DroppedVideo))
			}
		}
	}
	var qs, ds []series
	for _, d := range r.Destinations {
		qs, ds = append(qs, *queue[d.ID]), append(ds, *drops[d.ID])
	}
	return []panel{
		{"RSS (MB)", []series{rss}, 20},
		{"goroutines (and OS threads)", []series{gor, thr}, 20},
		{"open file descriptors", []series{fds}, 20},
		{"queued per destination (ms)", qs, 100},
		{"video frames dropped per destination (total)", ds, 10},
	}
}

func writePlot(path string, r *report) error {
	panels := plotPanels(r)
	h := headerH + len(panels)*(panelH+panelGap) + footerH
	img := image.NewRGBA(image.Rect(0, 0, plotW, h))
	draw.Draw(img, img.Bounds(), image.NewUniform(colBG), image.Point{}, draw.Src)

	verdict, vcol := "PASS", colPass
	if !r.Pass {
		verdict, vcol = "FAIL", colFail
	}
	text(img, 12, 20, colText, fmt.Sprintf("onair soak - %s at %s@%d, %d kb/s, %s", r.Config.Duration, r.Config.Size, r.Config.FPS, r.Config.BitrateKbps, r.Date))
	text(img, plotW-marginR-7*len(verdict), 20, vcol, verdict)
	text(img, 12, 36, colText, fmt.Sprintf("A healthy nginx-rtmp   B nginx-rtmp killed every %s (shaded: down until live again)   C thin link %d kb/s   grey: warm-up (criteria use the last %s)",
		r.Config.KillEvery, r.Config.ThinKbps, r.Config.Window))
	result := r.Reason
	if r.Pass {
		result = okLine(r)
	}
	for i, l := range wrap(asciiText.Replace(result), (plotW-24)/7) {
		if i < 2 {
			text(img, 12, 52+i*15, vcol, l)
		}
	}

	x0, x1 := marginL, plotW-marginR
	span := r.Config.Duration.Seconds()
	px := func(t float64) int { return x0 + int(math.Round(t/span*float64(x1-x0))) }
	warm := r.Config.Duration.Seconds() - r.Config.Window.Seconds()
	for i, p := range panels {
		top := headerH + i*(panelH+panelGap) + 16
		bottom := top + panelH
		text(img, x0, top-5, colText, p.title)
		fill(img, x0, top, px(warm), bottom, colWarmup)
		for _, k := range r.Reconnects {
			end := k.RestartS
			if k.LiveS != nil {
				end = *k.LiveS
			}
			fill(img, px(k.KillS), top, px(end)+1, bottom, colOutage)
		}
		lo, hi := yRange(p.series, p.minSpan)
		py := func(v float64) int { return bottom - int(math.Round((v-lo)/(hi-lo)*float64(panelH))) }
		for _, v := range niceTicks(lo, hi, 4) {
			y := py(v)
			hline(img, x0, x1, y, colGrid)
			hline(img, x0-tickLength, x0, y, colAxis)
			l := label(v)
			text(img, x0-tickLength-3-7*len(l), y+4, colText, l)
		}
		for _, t := range timeTicks(span) {
			vline(img, px(t), top, bottom, colGrid)
		}
		for _, s := range p.series {
			for j := 1; j < len(s.x); j++ {
				if math.IsNaN(s.y[j-1]) || math.IsNaN(s.y[j]) {
					continue
				}
				line(img, px(s.x[j-1]), py(s.y[j-1]), px(s.x[j]), py(s.y[j]), s.col)
			}
		}
		hline(img, x0, x1, bottom, colAxis)
		vline(img, x0, top, bottom, colAxis)
		if len(p.series) > 1 {
			lx := x1
			for j := len(p.series) - 1; j >= 0; j-- {
				s := p.series[j]
				lx -= 7*len(s.name) + 26
				fill(img, lx, top-13, lx+10, top-5, s.col)
				text(img, lx+14, top-5, colText, s.name)
			}
		}
	}
	axisY := headerH + len(panels)*(panelH+panelGap) + 4
	for _, t := range timeTicks(span) {
		l := clock(t)
		text(img, px(t)-7*len(l)/2, axisY, colText, l)
	}
	text(img, x1-7*len("time since start (m:ss)"), axisY+16, colText, "time since start (m:ss)")

	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := png.Encode(f, img); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// wrap breaks s into lines of at most n characters, at spaces.
func wrap(s string, n int) []string {
	var out []string
	for len([]rune(s)) > n {
		r := []rune(s)
		cut := n
		for cut > n/2 && r[cut] != ' ' {
			cut--
		}
		out = append(out, string(r[:cut]))
		s = strings.TrimLeft(string(r[cut:]), " ")
	}
	return append(out, s)
}

func yRange(ss []series, minSpan float64) (lo, hi float64) {
	minSpan = max(minSpan, 1)
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, s := range ss {
		for _, v := range s.y {
			if !math.IsNaN(v) {
				lo, hi = min(lo, v), max(hi, v)
			}
		}
	}
	if math.IsInf(lo, 1) {
		return 0, 1
	}
	nonNegative := lo >= 0
	if hi-lo < minSpan {
		mid := (hi + lo) / 2
		lo, hi = mid-minSpan/2, mid+minSpan/2
	}
	if nonNegative && lo < 0 {
		lo, hi = 0, hi-lo
	}
	pad := (hi - lo) * 0.08
	if nonNegative && lo-pad < 0 {
		return 0, hi + pad
	}
	return lo - pad, hi + pad
}

// niceTicks are about n round values between lo and hi.
func niceTicks(lo, hi float64, n int) []float64 {
	raw := (hi - lo) / float64(n)
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step := mag
	for _, m := range []float64{1, 2, 5, 10} {
		if m*mag >= raw {
			step = m * mag
			break
		}
	}
	var out []float64
	for v := math.Ceil(lo/step) * step; v <= hi+step*1e-9; v += step {
		out = append(out, v)
	}
	return out
}

// timeTicks are round times across the session, 6 to 12 of them.
func timeTicks(span float64) []float64 {
	step := 10.0
	for _, s := range []float64{10, 20, 30, 60, 120, 300, 600, 900, 1800} {
		step = s
		if span/s <= 12 {
			break
		}
	}
	var out []float64
	for t := 0.0; t <= span+1e-9; t += step {
		out = append(out, t)
	}
	return out
}

func clock(t float64) string {
	s := int(math.Round(t))
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}

func label(v float64) string {
	if math.Abs(v) >= 1000 || v == math.Trunc(v) {
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.3g", v)
}

// basicfont has ASCII only.
var asciiText = strings.NewReplacer("→", "->", "×", "x", "±", "+/-", "…", "...", "—", "-", "–", "-")

func text(img *image.RGBA, x, y int, c color.Color, s string) {
	d := font.Drawer{Dst: img, Src: image.NewUniform(c), Face: basicfont.Face7x13, Dot: fixed.P(x, y)}
	d.DrawString(asciiText.Replace(s))
}

func fill(img *image.RGBA, x0, y0, x1, y1 int, c color.RGBA) {
	draw.Draw(img, image.Rect(x0, y0, x1, y1), image.NewUniform(c), image.Point{}, draw.Src)
}

func hline(img *image.RGBA, x0, x1, y int, c color.RGBA) {
	for x := x0; x <= x1; x++ {
		img.SetRGBA(x, y, c)
	}
}

func vline(img *image.RGBA, x, y0, y1 int, c color.RGBA) {
	for y := y0; y <= y1; y++ {
		img.SetRGBA(x, y, c)
	}
}

// line draws a 2-pixel line (Bresenham, doubled downwards).
func line(img *image.RGBA, x0, y0, x1, y1 int, c color.RGBA) {
	dx, dy := abs(x1-x0), -abs(y1-y0)
	sx, sy := 1, 1
	if x0 > x1 {
		sx = -1
	}
	if y0 > y1 {
		sy = -1
	}
	err := dx + dy
	for {
		img.SetRGBA(x0, y0, c)
		img.SetRGBA(x0, y0+1, c)
		if x0 == x1 && y0 == y1 {
			return
		}
		e2 := 2 * err
		if e2 >= dy {
			err += dy
			x0 += sx
		}
		if e2 <= dx {
			err += dx
			y0 += sy
		}
	}
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}
