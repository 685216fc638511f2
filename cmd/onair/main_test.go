package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
)

var (
	onairBin     string
	onairRaceBin string // onair built with -race (under go test -race only)
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "onair-test-")
	if err != nil {
		panic(err)
	}
	onairBin = filepath.Join(dir, "onair")
	// Both programs, side by side as installed: onair starts onair-studio.
	for pkg, out := range map[string]string{".": onairBin, "../onair-studio": filepath.Join(dir, "onair-studio")} {
		// fakedevices: ONAIR_FAKE_CAMERA registers a recorded camera (this
		// machine has none); without that variable the build is the same.
		build := exec.Command("go", "build", "-tags", "fakedevices", "-o", out, pkg)
		build.Stderr = os.Stderr
		if err := build.Run(); err != nil {
			os.RemoveAll(dir)
			panic("building " + out + ": " + err.Error())
		}
	}
	// Under go test -race, one more onair built with the race detector, for
	// TestLiveUnderTheRaceDetector. The others run the normal build: they
	// count frames in real time, and an instrumented compositor misses some.
	if len(raceBuild) > 0 {
		onairRaceBin = filepath.Join(dir, "onair-race")
		build := exec.Command("go", "build", "-race", "-o", onairRaceBin, ".")
		build.Stderr = os.Stderr
		if err := build.Run(); err != nil {
			os.RemoveAll(dir)
			panic("building " + onairRaceBin + ": " + err.Error())
		}
	}
	code := m.Run()
	os.RemoveAll(dir)
	// Every peer and helper a test started has been waited for.
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintf(os.Stderr, "goleak: %v\n", err)
			code = 1
		}
	}
	os.Exit(code)
}

type result struct {
	code           int
	stdout, stderr string
	took           time.Duration
}

// runOnair runs the built binary with a deadline and an empty config home
// (so no profile on this machine leaks in).
func runOnair(t *testing.T, timeout time.Duration, args ...string) result {
	t.Helper()
	return runOnairEnv(t, timeout, nil, args...)
}

// runOnairEnv is runOnair with extra environment variables.
func runOnairEnv(t *testing.T, timeout time.Duration, env []string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, onairBin, args...)
	cmd.Env = append(append(os.Environ(), "XDG_CONFIG_HOME="+t.TempDir()), env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	start := time.Now()
	err := cmd.Run()
	r := result{stdout: out.String(), stderr: errb.String(), took: time.Since(start)}
	if ctx.Err() != nil {
		t.Fatalf("onair %v did not finish within %s\nstdout:\n%s\nstderr:\n%s", args, timeout, r.stdout, r.stderr)
	}
	if ee, ok := err.(*exec.ExitError); ok {
		r.code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("running onair: %v", err)
	}
	checkNoRace(t, r.stderr)
	return r
}

// checkNoRace fails the test when onair (built with -race under go test
// -race) reported a data race: it says so on stderr as it finds one.
func checkNoRace(t *testing.T, stderr string) {
	t.Helper()
	if i := strings.Index(stderr, "WARNING: DATA RACE"); i >= 0 {
		t.Errorf("onair has a data race:\n%s", stderr[i:])
	}
}

// syncBuffer is a bytes.Buffer a running process may write while the test reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startOnair starts the built binary in the background with an empty config
// home, its output captured; the caller waits for it.
func startOnair(t *testing.T, env []string, args ...string) (cmd *exec.Cmd, stdout, stderr *syncBuffer) {
	t.Helper()
	cmd = exec.Command(onairBin, args...)
	cmd.Env = append(append(os.Environ(), "XDG_CONFIG_HOME="+t.TempDir()), env...)
	stdout, stderr = &syncBuffer{}, &syncBuffer{}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { checkNoRace(t, stderr.String()) })
	return cmd, stdout, stderr
}
