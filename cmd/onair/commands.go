package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"syscall"
	"time"

	"onair/studio"
)

// commandReader reads show commands, one a line, from standard input while
// `onair live` runs (scripts and tests drive a headless show this way) and
// carries them out on the studio; what it cannot do is said on out. Stop
// ends it and waits for its goroutine.
type commandReader struct {
	f       *os.File
	restore func()
	own     bool // f is a duplicate to close
	done    chan struct{}
	once    sync.Once
}

// Lines longer than this are refused whole (ParseCommand's limit, with room).
const maxCommandLine = 8 << 10

func readCommands(in *os.File, st *studio.Studio, out io.Writer) *commandReader {
	r := &commandReader{f: in, restore: func() {}, done: make(chan struct{})}
	// A pipe or a terminal blocks a read forever: made non-blocking, reads
	// go through Go's poller and a deadline ends them at Stop. The mode is
	// the open file's, shared with the shell: Stop puts it back.
	// Read through a duplicate, ours to close.
	fd := int(in.Fd())
	if dup, err := syscall.Dup(fd); err == nil {
		if err := syscall.SetNonblock(dup, true); err == nil {
			r.restore = func() { syscall.SetNonblock(fd, false) }
		}
		r.f = os.NewFile(uintptr(dup), in.Name())
		r.own = true
	}
	go func() {
		defer close(r.done)
		sc := bufio.NewScanner(r.f)
		sc.Buffer(make([]byte, 4096), maxCommandLine)
		for sc.Scan() {
			line := sc.Text()
			if len(line) == 0 {
				continue
			}
			c, err := studio.ParseCommand(line)
			if err == nil {
				err = st.Do(c)
			}
			if err != nil {
				fmt.Fprintf(out, "command: %v\n", err)
			}
		}
		if err := sc.Err(); err != nil && !errors.Is(err, os.ErrDeadlineExceeded) && !errors.Is(err, os.ErrClosed) {
			fmt.Fprintf(out, "command: standard input: %v (no more commands are read)\n", err)
		}
	}()
	return r
}

// Stop ends the reading and waits for it.
func (r *commandReader) Stop() {
	r.once.Do(func() {
		// A file that is not pollable (a regular file) never blocks long:
		// its read ends at EOF by itself.
		r.f.SetReadDeadline(time.Now())
		<-r.done
		if r.own {
			r.f.Close()
		}
		r.restore()
	})
}
