package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"onair/studio"
)

// commandReader reads show commands, one a line, from standard input while
// `onair live` runs (scripts and tests drive a headless show this way) and
// carries them out on the studio; what it cannot do is said on out. Stop
// ends it and waits for its goroutine.
//
// It waits with poll(2) and reads only what is there, so the open file's
// mode (shared with the shell, and with stdout when both are the terminal)
// is never changed; a terminal is read only while onair is in its
// foreground (a background read would stop the whole show with SIGTTIN).
type commandReader struct {
	stop chan struct{}
	done chan struct{}
	once sync.Once
}

// Lines longer than this are left out whole (ParseCommand's limit, with
// room); the next line is read as usual.
const maxCommandLine = 8 << 10

// pollEvery is how often the reader looks whether it should stop.
const pollEvery = 200 * time.Millisecond

func readCommands(in *os.File, st *studio.Studio, out io.Writer) *commandReader {
	return readLines(in, out, func(line []byte) {
		c, err := studio.ParseCommand(string(line))
		if err == nil {
			err = st.Do(c)
		}
		if err != nil {
			fmt.Fprintf(out, "command: %v\n", err)
		}
	})
}

// readLines gives do each line of in, from a goroutine of its own, until
// Stop; what goes wrong reading is said on out.
func readLines(in *os.File, out io.Writer, do func(line []byte)) *commandReader {
	r := &commandReader{stop: make(chan struct{}), done: make(chan struct{})}
	// The descriptor's number without Fd(), which would switch a
	// non-blocking standard input to blocking under the shell.
	fd := -1
	if rc, err := in.SyscallConn(); err == nil {
		rc.Control(func(f uintptr) { fd = int(f) })
	}
	if fd < 0 {
		close(r.done)
		return r
	}
	go func() {
		defer close(r.done)
		r.loop(fd, do, out)
	}()
	return r
}

func (r *commandReader) loop(fd int, do func([]byte), out io.Writer) {
	_, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	tty := err == nil
	if tty {
		// Between the foreground check and the read, a Ctrl-Z and bg could
		// make the read stop the whole show: ignored, the read fails (EIO)
		// and is tried again.
		signal.Ignore(syscall.SIGTTIN)
	}
	buf := make([]byte, 4096)
	var line []byte
	skipping := false // the rest of a line too long to be a command
	for {
		select {
		case <-r.stop:
			return
		default:
		}
		if tty && !foreground(fd) {
			if !r.sleep(pollEvery) {
				return
			}
			continue
		}
		fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
		n, err := unix.Poll(fds, int(pollEvery/time.Millisecond))
		if errors.Is(err, unix.EINTR) || (err == nil && n == 0) {
			continue
		}
		if err != nil || fds[0].Revents&unix.POLLNVAL != 0 {
			return // no standard input to read
		}
		m, err := unix.Read(fd, buf)
		switch {
		case errors.Is(err, unix.EINTR), errors.Is(err, unix.EAGAIN):
			continue
		case errors.Is(err, unix.EIO): // a terminal we lost: wait to get it back
			if !r.sleep(pollEvery) {
				return
			}
			continue
		case err != nil:
			fmt.Fprintf(out, "command: standard input: %v (no more commands are read)\n", err)
			return
		case m == 0:
			// End of input: a last line without its newline is a command too;
			// the show goes on without more.
			if !skipping && len(bytes.TrimSpace(line)) > 0 {
				do(bytes.TrimRight(line, "\r"))
			}
			return
		}
		data := buf[:m]
		for len(data) > 0 {
			i := bytes.IndexByte(data, '\n')
			part := data
			if i >= 0 {
				part = data[:i]
			}
			if !skipping {
				line = append(line, part...)
				if len(line) > maxCommandLine {
					fmt.Fprintf(out, "command: a line of more than %d bytes was left out\n", maxCommandLine)
					line, skipping = line[:0], true
				}
			}
			if i < 0 {
				break
			}
			if !skipping && len(bytes.TrimSpace(line)) > 0 {
				do(bytes.TrimRight(line, "\r"))
			}
			line, skipping = line[:0], false
			data = data[i+1:]
		}
	}
}

// foreground tells whether onair may read the terminal fd: its process
// group owns it, or it is not onair's controlling terminal (no job control
// applies to it).
func foreground(fd int) bool {
	pg, err := unix.IoctlGetInt(fd, unix.TIOCGPGRP)
	if errors.Is(err, unix.ENOTTY) {
		return true
	}
	return err == nil && pg == unix.Getpgrp()
}

// sleep waits d, or less when Stop is called (then it reports false).
func (r *commandReader) sleep(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-r.stop:
		return false
	case <-t.C:
		return true
	}
}

// Stop ends the reading and waits for it (at most about pollEvery).
func (r *commandReader) Stop() {
	r.once.Do(func() {
		close(r.stop)
		<-r.done
	})
}
