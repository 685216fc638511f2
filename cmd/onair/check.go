package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
	"unicode/utf8"

	"onair/internal/wire"
	"onair/outputs"

	"onair/studio/preflight"
)

// runCheck is `onair check`: the pre-flight, headless. Exit codes: 0 every
// check green, 1 something amber or red, 2 bad flags or settings.
func runCheck(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("onair check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var show showFlags
	show.define(fs)
	noProgram := fs.Bool("no-program", false, "skip the loopback encode of the program (and the microphone)")
	color := fs.String("color", "auto", "colour the results: auto (when a terminal), always or never")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "onair check: unexpected argument %q (destinations go after --dest)\n", outputs.RedactURL(fs.Arg(0)))
		return 2
	}
	if *color != "auto" && *color != "always" && *color != "never" {
		fmt.Fprintf(stderr, "onair check: --color %q: use auto, always or never\n", *color)
		return 2
	}
	p, path, ok := show.load("onair check", stderr)
	if !ok {
		return 2
	}
	if err := p.Validate(); err != nil {
		fmt.Fprintf(stderr, "onair check: %v\n", err)
		return 2
	}
	if len(p.Enabled()) == 0 {
		fmt.Fprintf(stderr, "onair check: no destination: give --dest URL or add one to %s\n", path)
		return 2
	}
	wire.RouteLibavLogs(stderr, wire.Secrets(p))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cfg := preflight.Config{Profile: p}
	if !*noProgram {
		cfg.Program = preflight.Program(p)
	}
	fmt.Fprintf(stderr, "onair check: %d destination(s), %dx%d@%d at %d kb/s; nothing goes live (at most %s)\n",
		len(p.Enabled()), p.Canvas.Width, p.Canvas.Height, p.Canvas.FPS, p.Video.BitrateKbps, preflight.Timeout)
	start := time.Now()
	rs := preflight.Run(ctx, cfg)
	colour := *color == "always" || *color == "auto" && writerIsTerminal(stdout) && os.Getenv("NO_COLOR") == ""
	printResults(stdout, rs, colour)
	fmt.Fprintf(stdout, "checked in %.1f s: %s\n", time.Since(start).Seconds(), verdictLine(rs))
	if !preflight.AllGreen(rs) {
		return 1
	}
	return 0
}

func writerIsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && isTerminal(f)
}

// printResults is the table: one line per check, its level, name, reason
// and figures.
func printResults(w io.Writer, rs []preflight.Result, colour bool) {
	width := 0
	for _, r := range rs {
		width = max(width, utf8.RuneCountInString(r.Name))
	}
	for _, r := range rs {
		mark := map[preflight.Level]string{preflight.Green: " OK ", preflight.Amber: "WARN", preflight.Red: "FAIL"}[r.Level]
		if colour {
			code := map[preflight.Level]string{preflight.Green: "32", preflight.Amber: "33", preflight.Red: "31"}[r.Level]
			mark = "\x1b[1;" + code + "m" + mark + "\x1b[0m"
		}
		line := fmt.Sprintf("%s  %-*s  %s", mark, width, r.Name, r.Reason)
		if r.Detail != "" {
			line += " [" + r.Detail + "]"
		}
		fmt.Fprintln(w, line)
	}
}

func verdictLine(rs []preflight.Result) string {
	n := map[preflight.Level]int{}
	for _, r := range rs {
		n[r.Level]++
	}
	if n[preflight.Amber]+n[preflight.Red] == 0 {
		return fmt.Sprintf("all %d checks green: ready to go live", len(rs))
	}
	var parts []string
	if n[preflight.Red] > 0 {
		parts = append(parts, fmt.Sprintf("%d red", n[preflight.Red]))
	}
	if n[preflight.Amber] > 0 {
		parts = append(parts, fmt.Sprintf("%d amber", n[preflight.Amber]))
	}
	return fmt.Sprintf("%s of %d checks: fix them before going live", strings.Join(parts, ", "), len(rs))
}
