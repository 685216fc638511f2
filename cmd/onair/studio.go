package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
)

// studioProgram is the window's program, installed beside onair.
const studioProgram = "onair-studio"

// runStudio opens the studio window by becoming onair-studio: the one found
// beside this executable, else on PATH.
func runStudio(stderr io.Writer) int {
	path, err := findStudio()
	if err != nil {
		fmt.Fprintf(stderr, "onair: %v\n", err)
		return 1
	}
	err = syscall.Exec(path, append([]string{path}, os.Args[1:]...), os.Environ())
	fmt.Fprintf(stderr, "onair: starting %s: %v\n", path, err)
	return 1
}

func findStudio() (string, error) {
	if exe, err := os.Executable(); err == nil {
		p := filepath.Join(filepath.Dir(exe), studioProgram)
		if fi, err := os.Stat(p); err == nil && fi.Mode()&0o111 != 0 {
			return p, nil
		} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return "", err
		}
	}
	if p, err := exec.LookPath(studioProgram); err == nil {
		return p, nil
	}
	return "", fmt.Errorf("the studio window (%s) is not installed beside onair: build it with `make build`, or use `onair live` to broadcast without a window", studioProgram)
}
