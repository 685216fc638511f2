package main

import (
	"fmt"
	"io"
	"os"
	"runtime/pprof"
)

// startCPUProfile writes a Go CPU profile of the whole session to the file
// named by ONAIR_CPUPROFILE (a developer's switch: how the window's cost is
// found). It returns what stops and flushes it.
func startCPUProfile(stderr io.Writer) func() {
	path := os.Getenv("ONAIR_CPUPROFILE")
	if path == "" {
		return func() {}
	}
	f, err := os.Create(path)
	if err != nil {
		fmt.Fprintf(stderr, "onair: CPU profile not written: %v\n", err)
		return func() {}
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		fmt.Fprintf(stderr, "onair: CPU profile not written: %v\n", err)
		return func() {}
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}
}
