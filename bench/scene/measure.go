package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// measure runs cmd to the end: CPU (user+sys, from rusage) per media
// second, wall time, and peak RSS, whole and anonymous.
//
// The peak RSS is the child's own VmHWM, sampled every 20 ms, not rusage's
// ru_maxrss: Go starts children with vfork (CLONE_VM), and at exec Linux
// folds the old mm's high-water mark — this program's — into the child's
// maxrss, so ru_maxrss never reads below this program's own peak (a run of
// ffmpeg read exactly as much as onair's worker did).
//
// The anonymous peak (RssAnon, sampled) leaves out file pages: the clip
// onair's worker maps counts in its VmHWM, while ffmpeg reads it through a
// small buffer.
func measure(cmd *exec.Cmd, seconds int) (sample, error) {
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return sample{}, err
	}
	hwm := make(chan peaks, 1)
	stop := make(chan struct{})
	go func() { hwm <- watchHWM(cmd.Process.Pid, stop) }()
	err := cmd.Wait()
	wall := time.Since(start)
	close(stop)
	peak := <-hwm
	if err != nil {
		return sample{}, err
	}
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	cpu := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	if peak.hwmKB == 0 {
		return sample{}, fmt.Errorf("could not read the peak RSS of pid %d from /proc", cmd.Process.Pid)
	}
	return sample{
		CPUPerMediaSec: cpu.Seconds() / float64(seconds),
		PeakRSSMB:      float64(peak.hwmKB) / 1024,
		PeakAnonMB:     float64(peak.anonKB) / 1024,
		WallS:          wall.Seconds(),
	}, nil
}

// peaks are a process's highest VmHWM and RssAnon seen, in kB.
type peaks struct{ hwmKB, anonKB int64 }

// watchHWM returns the peaks read from /proc/pid/status until stop is
// closed or the process is gone.
func watchHWM(pid int, stop <-chan struct{}) peaks {
	path := fmt.Sprintf("/proc/%d/status", pid)
	var p peaks
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	for {
		if v, ok := readStatus(path); ok {
			p.hwmKB, p.anonKB = max(p.hwmKB, v.hwmKB), max(p.anonKB, v.anonKB)
		}
		select {
		case <-stop:
			return p
		case <-t.C:
		}
	}
}

func readStatus(path string) (peaks, bool) {
	f, err := os.Open(path)
	if err != nil {
		return peaks{}, false
	}
	defer f.Close()
	var p peaks
	kB := func(v string) int64 {
		n, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
		return n
	}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			p.hwmKB = kB(v)
		} else if v, ok := strings.CutPrefix(sc.Text(), "RssAnon:"); ok {
			p.anonKB = kB(v)
		}
	}
	return p, p.hwmKB > 0
}
