package main

import (
	"fmt"
	"slices"
	"strings"

	"onair/internal/benchrun"
)

// target is issue 10's: onair's scene at most as much CPU as ffmpeg's.
const target = 1.0

// sample is one run's figures.
type sample struct {
	CPUPerMediaSec float64 `json:"cpu_s_per_media_s"` // (user+sys) / media seconds
	PeakRSSMB      float64 `json:"peak_rss_mb"`
	PeakAnonMB     float64 `json:"peak_anon_rss_mb"`
	WallS          float64 `json:"wall_s"`
}

func (s sample) line() string {
	return fmt.Sprintf("cpu %.3f s per media s, rss %.0f MB (anon %.0f), wall %.1f s", s.CPUPerMediaSec, s.PeakRSSMB, s.PeakAnonMB, s.WallS)
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
	CPUPerMediaSec stat `json:"cpu_s_per_media_s"`
	// The source alone, and the scene's own share: total less source.
	SourceCPU  stat `json:"source_only_cpu_s_per_media_s"`
	SceneCPU   stat `json:"scene_own_cpu_s_per_media_s"`
	PeakRSSMB  stat `json:"peak_rss_mb"`
	PeakAnonMB stat `json:"peak_anon_rss_mb"`
	WallS      stat `json:"wall_s"`
}

type round struct {
	First      string  `json:"first"`
	Onair      sample  `json:"onair"`
	FFmpeg     sample  `json:"ffmpeg"`
	OnairBare  sample  `json:"onair_source_only"`
	FFmpegBare sample  `json:"ffmpeg_source_only"`
	CPURatio   float64 `json:"cpu_ratio"`
	SceneRatio float64 `json:"scene_own_cpu_ratio"`
}

type result struct {
	Resolution string  `json:"resolution"`
	Clip       string  `json:"clip"`
	Reference  string  `json:"reference"`
	Target     float64 `json:"target_cpu_ratio"`
	// CPURatio is the median of the rounds' onair/ffmpeg ratios.
	CPURatio float64 `json:"cpu_ratio_vs_ffmpeg"`
	// SceneRatio is the same for the scene's own CPU (total less source).
	SceneRatio float64    `json:"scene_own_cpu_ratio_vs_ffmpeg"`
	TargetMet  bool       `json:"target_met"`
	RSSRatio   float64    `json:"rss_ratio_vs_ffmpeg"`
	AnonRatio  float64    `json:"anon_rss_ratio_vs_ffmpeg"`
	Onair      toolResult `json:"onair"`
	FFmpeg     toolResult `json:"ffmpeg"`
	Rounds     []round    `json:"rounds"`
}

type report struct {
	Date         string   `json:"date"`
	Machine      string   `json:"machine"`
	Rounds       int      `json:"rounds"`
	MediaSeconds int      `json:"media_seconds"`
	Logo         string   `json:"logo"`
	Font         string   `json:"font"`
	LoadBefore   string   `json:"loadavg_before"`
	LoadAfter    string   `json:"loadavg_after"`
	Measurements []result `json:"measurements"`
}

func median(v []float64) float64 {
	slices.Sort(v)
	return v[len(v)/2]
}

func (m *measurement) result() result {
	r := result{Resolution: m.res.name, Clip: m.clip, Reference: m.reference, Target: target}
	var ratios, scene, rss, anon []float64
	for i := range m.onairS {
		a, b := m.onairS[i], m.ffmpegS[i]
		ab, bb := m.onairBareS[i], m.ffmpegBareS[i]
		rd := round{First: m.first[i], Onair: a, FFmpeg: b, OnairBare: ab, FFmpegBare: bb,
			CPURatio:   a.CPUPerMediaSec / b.CPUPerMediaSec,
			SceneRatio: (a.CPUPerMediaSec - ab.CPUPerMediaSec) / (b.CPUPerMediaSec - bb.CPUPerMediaSec)}
		r.Rounds = append(r.Rounds, rd)
		ratios = append(ratios, rd.CPURatio)
		scene = append(scene, rd.SceneRatio)
		rss = append(rss, a.PeakRSSMB/b.PeakRSSMB)
		anon = append(anon, a.PeakAnonMB/b.PeakAnonMB)
	}
	r.CPURatio, r.SceneRatio, r.RSSRatio, r.AnonRatio = median(ratios), median(scene), median(rss), median(anon)
	r.TargetMet = r.CPURatio <= r.Target
	tr := func(s, bare []sample) toolResult {
		own := make([]sample, len(s))
		for i := range s {
			own[i].CPUPerMediaSec = s[i].CPUPerMediaSec - bare[i].CPUPerMediaSec
		}
		cpu := func(x sample) float64 { return x.CPUPerMediaSec }
		return toolResult{
			CPUPerMediaSec: statOf(s, cpu),
			SourceCPU:      statOf(bare, cpu),
			SceneCPU:       statOf(own, cpu),
			PeakRSSMB:      statOf(s, func(x sample) float64 { return x.PeakRSSMB }),
			PeakAnonMB:     statOf(s, func(x sample) float64 { return x.PeakAnonMB }),
			WallS:          statOf(s, func(x sample) float64 { return x.WallS }),
		}
	}
	r.Onair, r.FFmpeg = tr(m.onairS, m.onairBareS), tr(m.ffmpegS, m.ffmpegBareS)
	return r
}

func printTable(r report) {
	fmt.Printf("\nonair vs ffmpeg, scene (camera + PNG logo + clock) — %s, %s. %d round(s) of %d media s; median (min–max); ratios are medians of same-round ratios.\n",
		r.Date, r.Machine, r.Rounds, r.MediaSeconds)
	fmt.Printf("Logo: %s. Font: %s. Load average before: %s; after: %s.\n\n", r.Logo, r.Font, r.LoadBefore, r.LoadAfter)
	fmt.Println("| resolution | tool | CPU s / media s | ratio (per round) | source only CPU | scene's own CPU | its ratio (per round) | peak RSS MB | peak anon RSS MB | wall s |")
	fmt.Println("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
	for _, m := range r.Measurements {
		var per, perScene []string
		for _, rd := range m.Rounds {
			per = append(per, fmt.Sprintf("%.3f", rd.CPURatio))
			perScene = append(perScene, fmt.Sprintf("%.3f", rd.SceneRatio))
		}
		o, f := m.Onair, m.FFmpeg
		fmt.Printf("| %s | onair | %s | %.3f (%s) | %s | %s | %.3f (%s) | %s | %s | %s |\n", m.Resolution, o.CPUPerMediaSec, m.CPURatio, strings.Join(per, ", "),
			o.SourceCPU, o.SceneCPU, m.SceneRatio, strings.Join(perScene, ", "), o.PeakRSSMB, o.PeakAnonMB, o.WallS)
		fmt.Printf("| %s | ffmpeg | %s | 1 | %s | %s | 1 | %s | %s | %s |\n", m.Resolution, f.CPUPerMediaSec, f.SourceCPU, f.SceneCPU, f.PeakRSSMB, f.PeakAnonMB, f.WallS)
	}
	fmt.Println()
	for _, m := range r.Measurements {
		verdict := "met"
		if !m.TargetMet {
			verdict = "MISSED"
		}
		fmt.Printf("%s: CPU onair/ffmpeg %.3f (target ≤ %g: %s; the scene's own share %.3f), peak RSS onair/ffmpeg %.3f (anonymous %.3f)\n",
			m.Resolution, m.CPURatio, m.Target, verdict, m.SceneRatio, m.RSSRatio, m.AnonRatio)
	}
	for _, m := range r.Measurements {
		fmt.Printf("reference for %s: %s\n", m.Resolution, m.Reference)
	}
}
