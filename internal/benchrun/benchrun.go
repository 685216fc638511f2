// Package benchrun is what the comparison benchmarks (bench/camera,
// bench/scene) share: running a child process and measuring it, and the
// bits of their reports.
package benchrun

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Usage is what one run of a child process cost.
type Usage struct {
	CPU    time.Duration // user + sys, from rusage
	Wall   time.Duration
	PeakKB int64 // highest VmHWM seen
	AnonKB int64 // highest RssAnon seen: without file pages (a mapped clip)
}

// Run runs cmd to the end and measures it.
//
// The peak RSS is the child's own VmHWM, sampled every 20 ms, not rusage's
// ru_maxrss: Go starts children with vfork (CLONE_VM), and at exec Linux
// folds the old mm's high-water mark — the benchmark's own — into the
// child's maxrss, so ru_maxrss never reads below the benchmark's peak.
func Run(cmd *exec.Cmd) (Usage, error) {
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return Usage{}, err
	}
	peaks := make(chan Usage, 1)
	stop := make(chan struct{})
	go func() { peaks <- watch(cmd.Process.Pid, stop) }()
	err := cmd.Wait()
	wall := time.Since(start)
	close(stop)
	u := <-peaks
	if err != nil {
		return Usage{}, err
	}
	if u.PeakKB == 0 {
		return Usage{}, fmt.Errorf("could not read the peak RSS of pid %d from /proc", cmd.Process.Pid)
	}
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	u.CPU = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	u.Wall = wall
	return u, nil
}

// watch returns the highest VmHWM and RssAnon read from /proc/pid/status
// until stop is closed or the process is gone.
func watch(pid int, stop <-chan struct{}) Usage {
	path := fmt.Sprintf("/proc/%d/status", pid)
	var u Usage
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	for {
		if hwm, anon, ok := readStatus(path); ok {
			u.PeakKB, u.AnonKB = max(u.PeakKB, hwm), max(u.AnonKB, anon)
		}
		select {
		case <-stop:
			return u
		case <-t.C:
		}
	}
}

func readStatus(path string) (hwm, anon int64, ok bool) {
	f, err := os.Open(path)
	if err != nil {
		return 0, 0, false
	}
	defer f.Close()
	kB := func(v string) int64 {
		n, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
		return n
	}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, found := strings.CutPrefix(sc.Text(), "VmHWM:"); found {
			hwm = kB(v)
		} else if v, found := strings.CutPrefix(sc.Text(), "RssAnon:"); found {
			anon = kB(v)
		}
	}
	return hwm, anon, hwm > 0
}

// WriteJSON writes v, indented, to path and says so.
func WriteJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		return err
	}
	fmt.Println("results written to", path)
	return nil
}

// LoadAvg is the machine's load average ("unknown" when unreadable).
func LoadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

// QuoteArgs joins a command line for a report, quoting what needs it.
func QuoteArgs(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		if a == "" || strings.ContainsAny(a, " \"'|;&") {
			a = fmt.Sprintf("%q", a)
		}
		q[i] = a
	}
	return strings.Join(q, " ")
}

// Stat is the median of runs with their min and max.
type Stat struct {
	Median float64 `json:"median"`
	Min    float64 `json:"min"`
	Max    float64 `json:"max"`
}

func (s Stat) String() string {
	if s.Min == s.Max {
		return fmt.Sprintf("%.3g", s.Median)
	}
	return fmt.Sprintf("%.3g (%.3g–%.3g)", s.Median, s.Min, s.Max)
}

// StatOf is the Stat of v (at least one value; v is sorted in place).
func StatOf(v []float64) Stat {
	slices.Sort(v)
	return Stat{Median: v[len(v)/2], Min: v[0], Max: v[len(v)-1]}
}
