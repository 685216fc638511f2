// Package preflight proves a show's set-up before it goes live: every
// destination (DNS, connect, TLS certificate, the RTMP handshake and connect
// to the app or the SRT handshake, the upload against the stream's bitrate),
// recordings' folders, and the program itself, encoded and decoded back. It
// never publishes and never shows a stream key. `onair check` prints its
// results; the studio window's panel shows them.
package preflight

import (
	"context"
	"crypto/x509"
	"fmt"
	"slices"
	"sync"
	"time"

	"onair/capture/audio"
	"onair/encoder"
	"onair/outputs"
	"onair/studio"
)

// Level is how a check went.
type Level uint8

const (
	Green Level = iota // fine
	Amber              // works, with a warning
	Red                // will not work
)

func (l Level) String() string {
	switch l {
	case Green:
		return "green"
	case Amber:
		return "amber"
	}
	return "red"
}

// Result is one line of the pre-flight.
type Result struct {
	// Name is what was checked: "Twitch: TLS", "program".
	Name  string
	Level Level
	// Reason says, in words, what was found and what to do.
	Reason string
	// Detail holds the figures ("RTT 12 ms, 5400 kb/s").
	Detail string
	// Took is how long the check ran.
	Took time.Duration
}

// Timeout is the longest the whole pre-flight runs.
const Timeout = 15 * time.Second

// Config is what to check.
type Config struct {
	// Profile's enabled destinations are checked, at its rendition's bitrate.
	Profile studio.Profile
	// Timeout bounds the whole pre-flight (default and most: 15 s).
	Timeout time.Duration
	// RootCAs verifies RTMPS certificates (nil: the system's, with
	// SSL_CERT_FILE as for `onair live`).
	RootCAs *x509.CertPool
	// UploadFor is how long each destination's upload is measured (default 2 s).
	UploadFor time.Duration
	// Program, when set, checks the program (the loopback encode); its
	// results come after the destinations'.
	Program func(ctx context.Context) []Result
}

// AllGreen reports whether every result is green.
func AllGreen(rs []Result) bool {
	return !slices.ContainsFunc(rs, func(r Result) bool { return r.Level != Green })
}

// Run runs every check concurrently, each with its own deadline, and
// returns their results in a stable order: destinations in the profile's
// order, then the program's. It returns within cfg.Timeout.
func Run(ctx context.Context, cfg Config) []Result {
	if cfg.Timeout <= 0 || cfg.Timeout > Timeout {
		cfg.Timeout = Timeout
	}
	if cfg.UploadFor <= 0 {
		cfg.UploadFor = 2 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
	defer cancel()
	dests := cfg.Profile.Enabled()
	needs := neededKbps(cfg.Profile, dests)
	groups := make([][]Result, len(dests)+1)
	ups := make([]*upload, len(dests))
	var wg sync.WaitGroup
	for i, d := range dests {
		wg.Go(func() { groups[i], ups[i] = checkDestination(ctx, cfg, d, needs[i]) })
	}
	if cfg.Program != nil {
		wg.Go(func() { groups[len(dests)] = cfg.Program(ctx) })
	}
	wg.Wait()
	var out []Result
	for i, g := range groups {
		out = append(out, g...)
		if i == len(dests)-1 {
			if r, ok := together(ups, needs); ok {
				out = append(out, r)
			}
		}
	}
	if len(dests) == 0 {
		out = append([]Result{{Name: "destinations", Level: Red, Reason: "no destination is enabled: give --dest URL or add one to the profile"}}, out...)
	}
	return out
}

// neededKbps is each destination's stream rate (video of its rendition plus
// audio), as Go Live would send it.
func neededKbps(p studio.Profile, dests []studio.Destination) []int {
	audio := p.Audio.BitrateKbps
	if audio == 0 {
		audio = 160
	}
	codec, _ := studio.ParseCodec(p.Video.Codec)
	base := encoder.VideoConfig{Width: p.Canvas.Width, Height: p.Canvas.Height, FPS: p.Canvas.FPS,
		BitrateKbps: p.Video.BitrateKbps, KeyframeSec: p.Video.KeyframeSec, Preset: p.Video.Preset, Codec: codec}
	out := make([]int, len(dests))
	for i, d := range dests {
		out[i] = p.Video.BitrateKbps + audio
		if pre, err := d.Platform(); err == nil && pre != nil {
			if c, err := pre.Constrain(base); err == nil {
				out[i] = c.BitrateKbps + audio
			}
		}
	}
	return out
}

// checkDestination runs one destination's checks in order, stopping at the
// first red one.
func checkDestination(ctx context.Context, cfg Config, d studio.Destination, kbps int) ([]Result, *upload) {
	label := d.Label()
	t, err := d.Target()
	if err != nil {
		return []Result{{Name: label, Level: Red, Reason: err.Error()}}, nil
	}
	switch t.Protocol {
	case outputs.File:
		return []Result{checkFile(label, t, kbps)}, nil
	case outputs.SRT:
		return checkSRT(ctx, label, t), nil
	case outputs.WHIP:
		return checkWHIP(ctx, label, t), nil
	case outputs.Viewers:
		return nil, nil // onair's own server: nothing out there to check
	default:
		return checkRTMP(ctx, cfg, label, t, kbps)
	}
}

// together judges the upload for every measured destination at once: they
// were measured at the same time, so the sum of their rates is what the
// connection carried for all of them (at least, when a test reached its cap).
func together(ups []*upload, needs []int) (Result, bool) {
	var carried float64
	var need []int
	total := 0
	for i, u := range ups {
		if u == nil || u.Window == 0 {
			continue
		}
		carried += u.Kbps
		need = append(need, needs[i])
		total += needs[i]
	}
	if len(need) < 2 {
		return Result{}, false
	}
	r := Result{Name: "upload, all destinations at once", Detail: fmt.Sprintf("%.0f kb/s carried, %d kb/s needed", carried, total)}
	slices.Sort(need)
	held, sum := 0, 0
	for _, n := range need {
		if float64(sum+n) > carried {
			break
		}
		sum += n
		held++
	}
	switch {
	case carried >= headroom*float64(total):
		r.Level, r.Reason = Green, fmt.Sprintf("your upload holds all %d destinations at once, with room to spare", len(need))
	case carried >= float64(total):
		r.Level, r.Reason = Amber, fmt.Sprintf("your upload carries all %d destinations with little room: lower the video bitrate, or drop one", len(need))
	default:
		r.Level, r.Reason = Red, fmt.Sprintf("your upload holds %d of these %d destinations: lower the video bitrate, or drop %d", held, len(need), len(need)-held)
	}
	return r, true
}

// step times one check into a result.
type steps struct {
	label string
	out   []Result
}

// add appends a result named label: what; it reports whether it was not red.
func (s *steps) add(what string, start time.Time, level Level, reason, detail string) bool {
	s.out = append(s.out, Result{Name: s.label + ": " + what, Level: level, Reason: reason, Detail: detail, Took: time.Since(start)})
	return level != Red
}

func ms(d time.Duration) string { return fmt.Sprintf("%.0f ms", float64(d)/float64(time.Millisecond)) }

func micLevel(v audio.Verdict) Level {
	switch v {
	case audio.VerdictGood:
		return Green
	case audio.VerdictSilent, audio.VerdictClipping:
		return Red
	}
	return Amber
}
