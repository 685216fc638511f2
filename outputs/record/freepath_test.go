package record

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"onair/outputs"
)

// A recording never writes over another: a reconnect or a second show with
// the same name goes beside it, numbered.
func TestFreePathNeverOverwrites(t *testing.T) {
	dir := t.TempDir()
	show := filepath.Join(dir, "show.mkv")
	if got := freePath(show); got != show {
		t.Errorf("no file yet: %s, want %s", got, show)
	}
	os.WriteFile(show, []byte("part one"), 0o644)
	if got, want := freePath(show), filepath.Join(dir, "show-2.mkv"); got != want {
		t.Errorf("after part one: %s, want %s", got, want)
	}
	os.WriteFile(filepath.Join(dir, "show-2.mkv"), []byte("part two"), 0o644)
	os.WriteFile(filepath.Join(dir, "show-3.mkv"), nil, 0o644) // opened, nothing written
	if got, want := freePath(show), filepath.Join(dir, "show-3.mkv"); got != want {
		t.Errorf("after part two: %s, want %s", got, want)
	}
	if b, _ := os.ReadFile(show); string(b) != "part one" {
		t.Errorf("part one was changed: %q", b)
	}
}

// A recording aimed at a pipe is refused at once (opening it would wait for
// a reader for ever), and for good.
func TestRecordingToAPipeIsRefused(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "show.mkv")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skip("no FIFOs here:", err)
	}
	tg, err := outputs.ParseTarget("file://" + fifo)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := Connector{}.Connect(context.Background(), tg, nil)
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, outputs.ErrPermanent) || !strings.Contains(err.Error(), "is not a file") {
			t.Errorf("Connect = %v, want a permanent 'is not a file'", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Connect to a FIFO hangs")
	}
}
