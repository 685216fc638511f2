package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
)

// startProfiles writes cpu.pprof and, when stopped, heap.pprof (with every
// allocation sampled) into dir: ONAIR_PPROF=dir onair live …
func startProfiles(dir string, stderr io.Writer) (stop func()) {
	runtime.MemProfileRate = 4096
	f, err := os.Create(filepath.Join(dir, "cpu.pprof"))
	if err != nil {
		fmt.Fprintf(stderr, "onair: profiling: %v\n", err)
		return func() {}
	}
	pprof.StartCPUProfile(f)
	return func() {
		pprof.StopCPUProfile()
		f.Close()
		if h, err := os.Create(filepath.Join(dir, "heap.pprof")); err == nil {
			pprof.Lookup("allocs").WriteTo(h, 0)
			h.Close()
		}
	}
}
