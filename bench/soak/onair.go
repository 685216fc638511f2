package main

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"
)

// onairProc is the onair process under test.
type onairProc struct {
	cmd    *exec.Cmd
	start  time.Time
	exited chan struct{}
	mu     sync.Mutex
	evs    []destEvent
	last   string // the last line onair printed on stderr
}

// startOnair starts onair in its own process group (a Ctrl-C reaches the
// soak, which ends onair itself), its output into logPath and its
// destination lines timed as they come.
func startOnair(h *harness, bin string, args []string, logPath string, dests []dest) (*onairProc, error) {
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	log := &lockedWriter{w: logf}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "XDG_CONFIG_HOME="+h.TempDir()) // no profile of this machine's
	cmd.Stdout = log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	o := &onairProc{cmd: cmd, exited: make(chan struct{})}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting onair: %w", err)
	}
	o.start = time.Now()
	read := make(chan struct{})
	go func() {
		defer close(read)
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			t := o.since()
			io.WriteString(log, line+"\n")
			o.mu.Lock()
			o.last = line
			o.mu.Unlock()
			if e, ok := parseEvent(line, t, dests); ok {
				o.mu.Lock()
				o.evs = append(o.evs, e)
				o.mu.Unlock()
				fmt.Printf("  %s  %s\n", clock(t), line)
			} else if strings.HasPrefix(line, "onair live:") || strings.HasPrefix(line, "panic:") {
				fmt.Printf("  %s  %s\n", clock(t), line)
			}
		}
	}()
	go func() {
		<-read // Wait closes the pipe: read it to the end first
		cmd.Wait()
		logf.Close()
		close(o.exited)
	}()
	h.Cleanup(func() {
		select {
		case <-o.exited:
			return
		default:
		}
		syscall.Kill(cmd.Process.Pid, syscall.SIGINT)
		select {
		case <-o.exited:
		case <-time.After(15 * time.Second):
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-o.exited
		}
	})
	return o, nil
}

// since is the time since onair started, in seconds to the millisecond.
func (o *onairProc) since() float64 {
	return math.Round(time.Since(o.start).Seconds()*1000) / 1000
}

func (o *onairProc) events() []destEvent {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]destEvent(nil), o.evs...)
}

func (o *onairProc) lastLine() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.last
}

func (o *onairProc) exitCode() int {
	<-o.exited
	return o.cmd.ProcessState.ExitCode()
}

type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
