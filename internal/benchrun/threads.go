package benchrun

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// clockTick is the kernel's USER_HZ: /proc's CPU times are in these.
const clockTick = 10 * time.Millisecond

// ThreadCPU is a process's CPU time (user + sys) so far, in total and for
// its threads whose name starts with prefix (Mesa's "llvmpipe-" threads:
// work a GPU does on a performer's machine); prefix "" matches none.
func ThreadCPU(pid int, prefix string) (total, matching time.Duration, err error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, 0, err
	}
	_, total, err = parseStat(string(b))
	if err != nil || prefix == "" {
		return total, 0, err
	}
	tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/stat", pid))
	for _, t := range tasks {
		b, err := os.ReadFile(t)
		if err != nil {
			continue // the thread ended
		}
		name, cpu, err := parseStat(string(b))
		if err == nil && strings.HasPrefix(name, prefix) {
			matching += cpu
		}
	}
	return total, matching, nil
}

// parseStat reads a /proc stat line: the name and utime + stime.
func parseStat(s string) (name string, cpu time.Duration, err error) {
	open, close := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
	if open < 0 || close < open {
		return "", 0, fmt.Errorf("not a stat line")
	}
	name = s[open+1 : close]
	f := strings.Fields(s[close+1:])
	// After the name: state(0) … utime(11) stime(12).
	if len(f) < 13 {
		return "", 0, fmt.Errorf("a short stat line")
	}
	u, err1 := strconv.ParseInt(f[11], 10, 64)
	k, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return "", 0, fmt.Errorf("a stat line without times")
	}
	return name, time.Duration(u+k) * clockTick, nil
}

// RSSKB is a process's resident memory now, in kB.
func RSSKB(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return n
		}
	}
	return 0
}
