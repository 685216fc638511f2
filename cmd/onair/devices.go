package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"onair/capture/audio"
	"onair/capture/device"
	"onair/internal/wire"
	"onair/studio"
)

// runDevices is `onair devices`: the cameras and microphones onair can use,
// by the labels profiles and --source camera:LABEL / --mic LABEL take.
// With --test-mic it records a few seconds and says how the microphone sounds.
func runDevices(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("onair devices", flag.ContinueOnError)
	fs.SetOutput(stderr)
	testMic := fs.Bool("test-mic", false, "record 5 s from the microphone and say how it sounds (level, clipping)")
	mic := fs.String("mic", "default", "with --test-mic: which microphone (a label, or default)")
	secs := fs.Float64("seconds", 5, "with --test-mic: how long to record")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "onair devices: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	wire.ScanDevices()
	if *testMic {
		if !(*secs >= 1 && *secs <= 60) {
			fmt.Fprintf(stderr, "onair devices: --seconds %g: record 1 to 60 s\n", *secs)
			return 2
		}
		return runMicTest(*mic, *secs, stdout, stderr)
	}
	printDevices(stdout, device.List(device.Camera), device.List(device.Microphone))
	return 0
}

func printDevices(w io.Writer, cams, mics []device.Info) {
	if len(cams) == 0 {
		fmt.Fprintln(w, "No cameras were found.")
	} else {
		fmt.Fprintln(w, "Cameras (--source camera:LABEL):")
		for _, c := range cams {
			fmt.Fprintf(w, "  %q\n", c.Label)
			if c.Name != c.Label {
				fmt.Fprintf(w, "      %s\n", c.Name)
			}
			if len(c.Modes) == 0 {
				fmt.Fprintln(w, "      (its modes could not be read)")
			}
			for _, m := range c.Modes {
				fmt.Fprintf(w, "      %s\n", m)
			}
		}
	}
	if len(mics) == 0 {
		fmt.Fprintln(w, "No microphones were found.")
		return
	}
	fmt.Fprintln(w, "Microphones (--mic LABEL, or --mic default):")
	for _, m := range mics {
		var notes []string
		if m.Default {
			notes = append(notes, "default")
		}
		if m.Channels > 0 {
			notes = append(notes, fmt.Sprintf("%d ch", m.Channels))
		}
		if m.SampleRate > 0 {
			notes = append(notes, fmt.Sprintf("%d Hz", m.SampleRate))
		}
		fmt.Fprintf(w, "  %q", m.Label)
		if len(notes) > 0 {
			fmt.Fprintf(w, "  (%s)", strings.Join(notes, ", "))
		}
		fmt.Fprintln(w)
	}
}

// runMicTest records secs from microphone label through the same path a show
// uses (device, ring, mixer) and prints the verdict. Exit 0: it sounds
// right; 1: it is silent, too quiet or clipping; 2: no such microphone.
func runMicTest(label string, secs float64, stdout, stderr io.Writer) int {
	p := studio.DefaultProfile()
	p.Canvas = studio.Canvas{Width: 320, Height: 180, FPS: 30}
	p.Mic = studio.AudioInput{Device: label}
	srcs, err := wire.NewSources(p)
	if err != nil {
		fmt.Fprintf(stderr, "onair devices: %v\n", err)
		return 2
	}
	defer srcs.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srcs.Studio.Run(ctx) }()
	defer func() { cancel(); <-done }()
	fmt.Fprintf(stdout, "Listening to %q for %g s: speak or play as loud as you will on the show…\n", label, secs)
	// The first moments of a fresh capture are the device starting: skip them.
	time.Sleep(300 * time.Millisecond)
	r, err := srcs.MicCheck(ctx, time.Duration(secs*float64(time.Second)))
	if err != nil {
		fmt.Fprintf(stderr, "onair devices: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "%s (peak %.1f dBFS, RMS %.1f dBFS)\n", r.Text, r.PeakDB, r.RMSDB)
	if r.Verdict != audio.VerdictGood {
		return 1
	}
	return 0
}
