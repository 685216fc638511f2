// Package testpeer starts the real servers onair's tests talk to — nginx with
// the RTMP module, srt-live-transmit, headless Chromium as the WebRTC peer —
// on free loopback ports, stops them by PID, and reads what arrived with
// ffprobe.
package testpeer

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"
)

// T is what the peers need from their owner: *testing.T and *testing.B
// satisfy it, and so does the benchmark harness.
type T interface {
	Helper()
	Fatal(args ...any)
	Fatalf(format string, args ...any)
	Skipf(format string, args ...any)
	TempDir() string
	Cleanup(func())
}

// Require skips the test when a peer program is missing, naming the package
// that provides it (`make test` installs them all).
func Require(t T, programs ...string) {
	t.Helper()
	for _, p := range programs {
		if _, err := exec.LookPath(p); err != nil {
			if os.Getenv("CI") != "" {
				t.Fatalf("%s is not installed: run `make test`, which installs the test peers", p)
			}
			t.Skipf("%s is not installed: run `make test`, which installs the test peers", p)
		}
	}
}

// FreeTCPPort returns a loopback TCP port that was free a moment ago.
func FreeTCPPort(t T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// FreeUDPPort returns a loopback UDP port that was free a moment ago.
func FreeUDPPort(t T) int {
	t.Helper()
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).Port
}

// Process is a peer started by a test.
type Process struct {
	cmd  *exec.Cmd
	done chan struct{}
	Log  string // path of its combined stderr
}

func start(t T, dir, name string, stdout *os.File, args ...string) *Process {
	t.Helper()
	return startWith(t, dir, name, stdout, nil, args...)
}

// startWith starts a peer; env nil is this process's environment.
func startWith(t T, dir, name string, stdout *os.File, env []string, args ...string) *Process {
	t.Helper()
	return startFull(t, dir, name, stdout, env, nil, args...)
}

// startFiles starts a peer with extra open files (fd 3 on).
func startFiles(t T, dir, name string, files []*os.File, args ...string) *Process {
	t.Helper()
	return startFull(t, dir, name, nil, nil, files, args...)
}

func startFull(t T, dir, name string, stdout *os.File, env []string, files []*os.File, args ...string) *Process {
	t.Helper()
	logPath := filepath.Join(dir, name+".log")
	logf, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Dir = dir
	cmd.Env = env
	cmd.ExtraFiles = files
	cmd.Stderr = logf
	cmd.Stdout = logf
	if stdout != nil {
		cmd.Stdout = stdout
	}
	// Pdeathsig: a test binary that dies (a -timeout panic, SIGKILL) runs
	// no cleanups; its peers die with it. Linux ties the signal to the
	// thread that forked, hence the thread held while starting.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	runtime.LockOSThread()
	err = cmd.Start()
	runtime.UnlockOSThread()
	if err != nil {
		logf.Close()
		t.Fatalf("starting %s: %v", name, err)
	}
	p := &Process{cmd: cmd, done: make(chan struct{}), Log: logPath}
	go func() { cmd.Wait(); logf.Close(); close(p.done) }()
	t.Cleanup(func() { p.Stop() })
	return p
}

// PID is the peer's process id.
func (p *Process) PID() int { return p.cmd.Process.Pid }

// Stop sends SIGINT, then SIGKILL after 3 s, and waits for the exit.
func (p *Process) Stop() {
	select {
	case <-p.done:
		return
	default:
	}
	syscall.Kill(p.PID(), syscall.SIGINT)
	select {
	case <-p.done:
	case <-time.After(3 * time.Second):
		syscall.Kill(-p.PID(), syscall.SIGKILL)
		<-p.done
	}
}

// Kill stops the peer at once (SIGKILL).
func (p *Process) Kill() {
	syscall.Kill(-p.PID(), syscall.SIGKILL)
	<-p.done
}

// Exited reports whether the peer has stopped.
func (p *Process) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

func logTail(path string) string {
	b, _ := os.ReadFile(path)
	s := string(b)
	if len(s) > 2000 {
		s = s[len(s)-2000:]
	}
	return strings.TrimSpace(s)
}

// waitTCP waits until something accepts on addr.
func waitTCP(t T, addr string, p *Process) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond); err == nil {
			c.Close()
			return
		}
		if p.Exited() {
			t.Fatalf("peer exited before listening on %s:\n%s", addr, logTail(p.Log))
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("nothing listening on %s after 10 s:\n%s", addr, logTail(p.Log))
}

// Eventually polls cond every 50 ms until it holds or timeout passes.
func Eventually(t T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after %s: %s", timeout, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func mustWrite(t T, path, s string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}
