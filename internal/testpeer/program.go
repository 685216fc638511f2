package testpeer

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
)

// Program is the T of a program that starts peers (make bench, make soak):
// it owns them and a work directory. A peer that fails to start ends the
// program: everything started so far is stopped (by PID), Fail is told the
// reason. Safe from several goroutines.
type Program struct {
	tmp  string
	keep bool         // leave the work directory in place
	fail func(string) // says why and exits

	mu       sync.Mutex
	cleanups []func()
	closed   bool
	closing  sync.Mutex // a second Close waits for the first to finish
}

// NewProgram makes the work directory (named after prefix); fail ends the
// program with a reason.
func NewProgram(prefix string, keep bool, fail func(reason string)) (*Program, error) {
	dir, err := os.MkdirTemp("", prefix)
	if err != nil {
		return nil, err
	}
	return &Program{tmp: dir, keep: keep, fail: fail}, nil
}

func (h *Program) Helper()                   {}
func (h *Program) Fatal(a ...any)            { h.die(fmt.Sprint(a...)) }
func (h *Program) Fatalf(f string, a ...any) { h.die(fmt.Sprintf(f, a...)) }
func (h *Program) Skipf(f string, a ...any)  { h.die(fmt.Sprintf(f, a...)) }

// Dir is the work directory.
func (h *Program) Dir() string { return h.tmp }

// Cleanup runs f when the program ends; once it has ended, at once (a peer
// restarted while the program was being stopped is stopped too).
func (h *Program) Cleanup(f func()) {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		f()
		return
	}
	h.cleanups = append(h.cleanups, f)
	h.mu.Unlock()
}

func (h *Program) TempDir() string {
	d, err := os.MkdirTemp(h.tmp, "")
	if err != nil {
		h.die(err.Error())
	}
	return d
}

func (h *Program) die(msg string) {
	h.Close()
	h.fail(msg)
}

// Close stops everything in the reverse order of starting.
func (h *Program) Close() {
	h.closing.Lock()
	defer h.closing.Unlock()
	h.mu.Lock()
	fs := h.cleanups
	h.cleanups, h.closed = nil, true
	h.mu.Unlock()
	for i := len(fs) - 1; i >= 0; i-- {
		fs[i]()
	}
	if !h.keep {
		os.RemoveAll(h.tmp)
	}
}

// Machine names this machine's CPU and FFmpeg, for a report.
func Machine() string {
	cpu := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(l, "model name"); ok {
				cpu = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), ":"))
				break
			}
		}
	}
	ff := "ffmpeg ?"
	if out, err := exec.Command("ffmpeg", "-version").Output(); err == nil {
		if f := strings.Fields(strings.SplitN(string(out), "\n", 2)[0]); len(f) >= 3 {
			ff = strings.Join(f[:3], " ")
		}
	}
	return fmt.Sprintf("%d cores (%s), %s, %s", runtime.NumCPU(), cpu, ff, runtime.Version())
}

// RunProgram is a benchmark's main: run with a Program (its peers stopped
// and its directory removed after), every failure one line on stderr and
// exit status 1.
func RunProgram(name string, run func(p *Program) error) {
	p, err := NewProgram("onair-"+strings.ReplaceAll(name, "/", "-")+"-", false, func(msg string) {
		fmt.Fprintln(os.Stderr, name+":", msg)
		os.Exit(1)
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, name+":", err)
		os.Exit(1)
	}
	err = run(p)
	p.Close()
	if err != nil {
		fmt.Fprintln(os.Stderr, name+":", err)
		os.Exit(1)
	}
}
