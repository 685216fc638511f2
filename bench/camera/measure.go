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
// second, wall time, and peak RSS.
//
// The peak RSS is the child's own VmHWM, sampled every 20 ms, not rusage's
// ru_maxrss: Go starts children with vfork (CLONE_VM), and at exec Linux
// folds the old mm's high-water mark — this program's — into the child's
// maxrss, so ru_maxrss never reads below this program's own peak (a run of
// ffmpeg read exactly as much as onair's worker did).
func measure(cmd *exec.Cmd, seconds int) (sample, error) {
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return sample{}, err
	}
	hwm := make(chan int64, 1)
	stop := make(chan struct{})
	go func() { hwm <- watchHWM(cmd.Process.Pid, stop) }()
	err := cmd.Wait()
	wall := time.Since(start)
	close(stop)
	peakKB := <-hwm
	if err != nil {
		return sample{}, err
	}
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	cpu := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	if peakKB == 0 {
		return sample{}, fmt.Errorf("could not read the peak RSS of pid %d from /proc", cmd.Process.Pid)
	}
	return sample{
		CPUPerMediaSec: cpu.Seconds() / float64(seconds),
		PeakRSSMB:      float64(peakKB) / 1024,
		WallS:          wall.Seconds(),
	}, nil
}

// watchHWM returns the highest VmHWM (kB) read from /proc/pid/status until
// stop is closed or the process is gone.
func watchHWM(pid int, stop <-chan struct{}) int64 {
	path := fmt.Sprintf("/proc/%d/status", pid)
	var peak int64
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	for {
		if v, ok := readHWM(path); ok {
			peak = max(peak, v)
		}
		select {
		case <-stop:
			return peak
		case <-t.C:
		}
	}
}

func readHWM(path string) (int64, bool) {
	f, err := os.Open(path)
	if err != nil {
		return 0, false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			n, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return n, err == nil
		}
	}
	return 0, false
}
