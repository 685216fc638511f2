package testpeer

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// Xvfb is a virtual X server started by a test or a benchmark.
type Xvfb struct {
	*Process
	Display string // ":N"
}

// StartXvfb starts a w×h×24 X server on a display number it picks itself
// (-displayfd), stopped by PID when the test ends.
func StartXvfb(t T, w, h int) *Xvfb {
	t.Helper()
	Require(t, "Xvfb")
	r, wr, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	dir := t.TempDir()
	// fd 3 in the child: the pipe's write end, where Xvfb writes its number.
	p := startFiles(t, dir, "xvfb", []*os.File{wr}, "Xvfb", "-displayfd", "3", "-screen", "0", fmt.Sprintf("%dx%dx24", w, h), "-nolisten", "tcp")
	wr.Close()
	got := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(r).ReadString('\n')
		got <- strings.TrimSpace(line)
	}()
	select {
	case n := <-got:
		if _, err := strconv.Atoi(n); err != nil {
			p.Stop()
			t.Fatalf("Xvfb gave no display number (%q): %s", n, logTail(p.Log))
		}
		return &Xvfb{Process: p, Display: ":" + n}
	case <-time.After(15 * time.Second):
		p.Stop()
		t.Fatalf("Xvfb did not start within 15 s: %s", logTail(p.Log))
	}
	return nil
}
