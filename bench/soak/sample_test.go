package main

import (
	"os"
	"testing"
	"time"
)

func TestStatusField(t *testing.T) {
	status := []byte("Name:\tonair\nVmPeak:\t  200000 kB\nVmRSS:\t  114332 kB\nThreads:\t14\n")
	for key, want := range map[string]int{"VmRSS": 114332, "Threads": 14, "VmPeak": 200000, "VmSwap": 0} {
		if got := statusField(status, key); got != want {
			t.Errorf("%s = %d, want %d", key, got, want)
		}
	}
}

// The CPU time read from /proc grows as the process works.
func TestCPUSeconds(t *testing.T) {
	before := cpuSeconds(os.Getpid())
	deadline := time.Now().Add(5 * time.Second)
	for cpuSeconds(os.Getpid()) < before+0.05 {
		if time.Now().After(deadline) {
			t.Fatalf("CPU time stuck at %.2f s", before)
		}
		for i := 0; i < 1e6; i++ {
			_ = i * i
		}
	}
}
