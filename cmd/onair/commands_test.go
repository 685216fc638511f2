package main

import (
	"os"
	"strings"
	"testing"
	"time"

	"onair/capture"
	"onair/capture/audio"
	"onair/overlay"
	"onair/studio"
)

// Commands come in a line at a time from a pipe; a line too long to be a
// command is left out with a word and the next one still works; Stop returns
// promptly while the pipe is still open, and leaves its mode alone.
func TestCommandReaderLines(t *testing.T) {
	st, stage := stageStudio(t)
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	out := &syncBuffer{}
	cr := readCommands(r, st, out)
	w.WriteString("scene Be right back\n")
	w.WriteString("chat Ana " + strings.Repeat("x", 9000) + "\n")
	w.WriteString("privacy on\r\n")
	deadline := time.Now().Add(5 * time.Second)
	for !stage.InPrivacy() && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if !stage.InPrivacy() {
		t.Fatalf("privacy on after a long line was not carried out; said:\n%s", out.String())
	}
	if !strings.Contains(out.String(), "was left out") {
		t.Errorf("the long line was not reported: %q", out.String())
	}
	start := time.Now()
	cr.Stop()
	if d := time.Since(start); d > time.Second {
		t.Errorf("Stop took %v with the pipe open", d)
	}
	cr.Stop() // twice is harmless
}

// The last line of a script without its newline is carried out too.
func TestCommandReaderLastLineWithoutNewline(t *testing.T) {
	st, stage := stageStudio(t)
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	w.WriteString("scene Be right back\nprivacy on")
	w.Close()
	cr := readCommands(r, st, &syncBuffer{})
	deadline := time.Now().Add(5 * time.Second)
	for !stage.InPrivacy() && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	cr.Stop()
	if !stage.InPrivacy() {
		t.Error("the last line, without a newline, was dropped")
	}
}

// stageStudio is a small studio with the default scenes, closed with the test.
func stageStudio(t *testing.T) (*studio.Studio, *overlay.Stage) {
	t.Helper()
	card, err := capture.NewTestCard(64, 64, 30)
	if err != nil {
		t.Fatal(err)
	}
	st := studio.NewStudio(64, 64, 30, card, audio.NewMixer())
	t.Cleanup(st.CloseSources)
	stage, err := overlay.NewStage(64, 64, nil)
	if err != nil {
		t.Fatal(err)
	}
	st.SetStage(stage)
	return st, stage
}
