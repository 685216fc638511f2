package main

import (
	"fmt"
	"os"
	"slices"
	"strings"

	"onair/internal/benchrun"
)

// sample is one run's figures. The frame and stream fields are the whole
// show's: what nginx recorded.
type sample struct {
	CPUPerMediaSec float64 `json:"cpu_s_per_media_s"` // (user+sys) / media seconds
	PeakRSSMB      float64 `json:"peak_rss_mb"`
	WallS          float64 `json:"wall_s"`
	VideoFrames    int     `json:"video_frames_received,omitempty"`
	Realtime       float64 `json:"realtime,omitempty"` // frames received / frames expected
	Dropped        float64 `json:"dropped_frames"`
	Video          string  `json:"video,omitempty"`
	Audio          string  `json:"audio,omitempty"`
}

func (s sample) line() string {
	l := fmt.Sprintf("cpu %.3f s per media s, rss %.0f MB, wall %.1f s", s.CPUPerMediaSec, s.PeakRSSMB, s.WallS)
	if s.Video != "" {
		l += fmt.Sprintf(", %d frames received (%.3f), dropped %.0f; video %s; audio %s", s.VideoFrames, s.Realtime, s.Dropped, s.Video, s.Audio)
	}
	return l
}

// stat is the median of runs with their min and max.
type stat = benchrun.Stat

func statOf(s []sample, f func(sample) float64) stat {
	v := make([]float64, len(s))
	for i := range s {
		v[i] = f(s[i])
	}
	return benchrun.StatOf(v)
}

type toolResult struct {
	CPUPerMediaSec stat  `json:"cpu_s_per_media_s"`
	PeakRSSMB      stat  `json:"peak_rss_mb"`
	WallS          stat  `json:"wall_s"`
	Realtime       *stat `json:"realtime,omitempty"`
}

type round struct {
	First    string  `json:"first"`
	Onair    sample  `json:"onair"`
	FFmpeg   sample  `json:"ffmpeg"`
	CPURatio float64 `json:"cpu_ratio"`
}

type result struct {
	Name      string  `json:"name"`
	Title     string  `json:"title"`
	Reference string  `json:"reference"`
	Target    float64 `json:"target_cpu_ratio"`
	// CPURatio is the median of the rounds' onair/ffmpeg ratios.
	CPURatio  float64    `json:"cpu_ratio_vs_ffmpeg"`
	TargetMet bool       `json:"target_met"`
	RSSRatio  float64    `json:"rss_ratio_vs_ffmpeg"`
	Realtime  *bool      `json:"realtime_kept,omitempty"`
	Onair     toolResult `json:"onair"`
	FFmpeg    toolResult `json:"ffmpeg"`
	Rounds    []round    `json:"rounds"`
}

type clip struct {
	Path   string `json:"path"`
	Bytes  int64  `json:"bytes"`
	Format string `json:"format"`
}

type report struct {
	Date         string   `json:"date"`
	Machine      string   `json:"machine"`
	Rounds       int      `json:"rounds"`
	MediaSeconds int      `json:"media_seconds"`
	Clip         clip     `json:"clip"`
	LoadBefore   string   `json:"loadavg_before"`
	LoadAfter    string   `json:"loadavg_after"`
	Measurements []result `json:"measurements"`
}

// realtimeKept: nginx got at least 98 % of the frames of N media seconds,
// and the run took no more than 2 s beyond them (ffmpeg falls behind
// rather than dropping: its lag shows in the wall time).
func realtimeKept(s sample, seconds int) bool {
	return s.Realtime >= 0.98 && s.WallS <= float64(seconds)+2
}

func (m *measurement) result(seconds int) result {
	r := result{Name: m.name, Title: m.title, Reference: m.reference, Target: m.target}
	var ratios, rss []float64
	kept, show := true, false
	for i := range m.onairS {
		a, b := m.onairS[i], m.ffmpegS[i]
		r.Rounds = append(r.Rounds, round{First: m.first[i], Onair: a, FFmpeg: b, CPURatio: a.CPUPerMediaSec / b.CPUPerMediaSec})
		ratios = append(ratios, a.CPUPerMediaSec/b.CPUPerMediaSec)
		rss = append(rss, a.PeakRSSMB/b.PeakRSSMB)
		if a.Video != "" {
			show = true
			kept = kept && realtimeKept(a, seconds) && realtimeKept(b, seconds)
		}
	}
	slices.Sort(ratios)
	slices.Sort(rss)
	r.CPURatio, r.RSSRatio = ratios[len(ratios)/2], rss[len(rss)/2]
	r.TargetMet = r.CPURatio <= r.Target
	tr := func(s []sample) toolResult {
		t := toolResult{
			CPUPerMediaSec: statOf(s, func(x sample) float64 { return x.CPUPerMediaSec }),
			PeakRSSMB:      statOf(s, func(x sample) float64 { return x.PeakRSSMB }),
			WallS:          statOf(s, func(x sample) float64 { return x.WallS }),
		}
		if show {
			rt := statOf(s, func(x sample) float64 { return x.Realtime })
			t.Realtime = &rt
		}
		return t
	}
	r.Onair, r.FFmpeg = tr(m.onairS), tr(m.ffmpegS)
	if show {
		r.Realtime = &kept
	}
	return r
}

func printTable(r report) {
	fmt.Printf("\nonair vs ffmpeg, camera — %s, %s. %d round(s) of %d media s; median (min–max); ratios are medians of same-round ratios.\n",
		r.Date, r.Machine, r.Rounds, r.MediaSeconds)
	fmt.Printf("Input: %s (%s, %.1f MB). Load average before: %s; after: %s.\n\n", r.Clip.Path, r.Clip.Format, float64(r.Clip.Bytes)/1e6, r.LoadBefore, r.LoadAfter)
	fmt.Println("| measurement | tool | CPU s / media s | ratio (per round) | peak RSS MB | wall s | frames received / expected | dropped | audio |")
	fmt.Println("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
	for _, m := range r.Measurements {
		var per []string
		for _, rd := range m.Rounds {
			per = append(per, fmt.Sprintf("%.3f", rd.CPURatio))
		}
		frames := func(t toolResult, pick func(round) sample) (string, string, string) {
			if t.Realtime == nil {
				return "—", "—", "—"
			}
			var dropped []string
			for _, rd := range m.Rounds {
				dropped = append(dropped, fmt.Sprintf("%.0f", pick(rd).Dropped))
			}
			return t.Realtime.String(), strings.Join(dropped, ", "), pick(m.Rounds[0]).Audio
		}
		f, d, a := frames(m.Onair, func(rd round) sample { return rd.Onair })
		fmt.Printf("| %s | onair | %s | %.3f (%s) | %s | %s | %s | %s | %s |\n", m.Name, m.Onair.CPUPerMediaSec, m.CPURatio, strings.Join(per, ", "), m.Onair.PeakRSSMB, m.Onair.WallS, f, d, a)
		f, d, a = frames(m.FFmpeg, func(rd round) sample { return rd.FFmpeg })
		fmt.Printf("| %s | ffmpeg | %s | 1 | %s | %s | %s | %s | %s |\n", m.Name, m.FFmpeg.CPUPerMediaSec, m.FFmpeg.PeakRSSMB, m.FFmpeg.WallS, f, d, a)
	}
	fmt.Println()
	for _, m := range r.Measurements {
		verdict := "met"
		if !m.TargetMet {
			verdict = "MISSED"
		}
		fmt.Printf("%s: CPU onair/ffmpeg %.3f (target ≤ %g: %s), peak RSS onair/ffmpeg %.3f", m.Title, m.CPURatio, m.Target, verdict, m.RSSRatio)
		if m.Realtime != nil {
			kept := "realtime kept by both"
			if !*m.Realtime {
				kept = "realtime NOT kept (see frames and wall time)"
			}
			fmt.Printf("; %s", kept)
		}
		fmt.Println()
	}
	for _, m := range r.Measurements {
		fmt.Printf("reference for %s: %s\n", m.Name, m.Reference)
	}
}

func clipInfo(path string) clip {
	c := clip{Path: path, Format: fmt.Sprintf("%dx%d %d fps 4:2:2 MJPEG (testsrc2)", w, h, fps)}
	if fi, err := os.Stat(path); err == nil {
		c.Bytes = fi.Size()
	}
	return c
}
