//go:build fakedevices

package main

// A build for benchmarks and end-to-end tests on machines without a camera:
// `go build -tags fakedevices` and ONAIR_FAKE_CAMERA=frames.mjpeg registers
// a camera labelled "Fake Camera" delivering those frames in a loop, so
// the window offers it. This is the one registration done in init: it only
// exists in this test build.

import (
	"fmt"
	"os"

	"onair/capture/device/devicetest"
)

func init() {
	if path := os.Getenv("ONAIR_FAKE_CAMERA"); path != "" {
		if err := devicetest.RegisterFile("Fake Camera", path); err != nil {
			fmt.Fprintln(os.Stderr, "onair: fake camera:", err)
			os.Exit(2)
		}
	}
}
