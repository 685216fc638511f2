package testpeer

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Chromium is a headless Chromium started by a test on one page: the
// independent WebRTC peer (issue 13), with its fake camera and microphone.
type Chromium struct {
	*Process
	Profile string // its temporary profile directory
}

// ChromiumOption changes how Chromium starts.
type ChromiumOption func(*[]string)

// ChromiumFlags adds command-line flags (say
// --use-file-for-fake-video-capture=clip.y4m for a camera of the test's own).
func ChromiumFlags(flags ...string) ChromiumOption {
	return func(args *[]string) { *args = append(*args, flags...) }
}

// StartChromium opens url in a headless Chromium with a profile of its own,
// stopped (its whole process group) when the test ends. If the test failed,
// the tail of its stderr (the page's console lines included) is logged.
func StartChromium(t T, url string, opts ...ChromiumOption) *Chromium {
	t.Helper()
	Require(t, "chromium")
	dir := t.TempDir()
	profile := filepath.Join(dir, "profile")
	args := []string{"chromium",
		"--headless=new",
		"--user-data-dir=" + profile,
		// getUserMedia without a prompt, from the fake devices: a pattern
		// with a frame counter and a beep.
		"--use-fake-device-for-media-stream",
		"--use-fake-ui-for-media-stream",
		// The page plays what it receives with nobody to click; without it
		// frames are decoded but presented seconds late.
		"--autoplay-policy=no-user-gesture-required",
		// Tests run on loopback: gather 127.0.0.1, and show real addresses
		// instead of mDNS names a Go peer cannot resolve. pion connects
		// without them too (the browser's checks teach it a peer-reflexive
		// address); a peer that only dials the candidates it was given needs
		// them.
		"--allow-loopback-in-peer-connection",
		"--disable-features=WebRtcHideLocalIpsWithMdns",
		// Nothing from outside, no keyring, no first-run work.
		"--no-first-run", "--no-default-browser-check", "--disable-background-networking",
		"--disable-component-update", "--disable-sync", "--password-store=basic", "--use-mock-keychain",
		"--disable-crash-reporter", "--disable-breakpad",
		// console.log lines into its stderr, kept for failures.
		"--enable-logging=stderr", "--v=0",
	}
	if os.Geteuid() == 0 {
		args = append(args, "--no-sandbox") // Chromium refuses to run as root with its sandbox
	}
	for _, o := range opts {
		o(&args)
	}
	args = append(args, url)
	// Caches, configuration and its singleton socket's directory under the
	// test's directory, not $HOME or /tmp.
	tmp := filepath.Join(dir, "tmp")
	if err := os.Mkdir(tmp, 0o700); err != nil {
		t.Fatal(err)
	}
	env := append(os.Environ(), "TMPDIR="+tmp,
		"XDG_CONFIG_HOME="+filepath.Join(dir, "config"), "XDG_CACHE_HOME="+filepath.Join(dir, "cache"))
	c := &Chromium{Process: startWith(t, dir, "chromium", nil, env, args...), Profile: profile}
	t.Cleanup(func() {
		c.Stop()
		if f, ok := t.(interface {
			Failed() bool
			Logf(string, ...any)
		}); ok && f.Failed() {
			f.Logf("chromium's stderr (%s), its end:\n%s", c.Log, logTail(c.Log))
		}
	})
	return c
}

// Stop ends Chromium and its whole process group (renderers, GPU and
// utility processes): SIGTERM to the browser, which takes its children down
// and reaps them; SIGKILL to the group after 3 s; then waits until none is
// left.
func (c *Chromium) Stop() {
	pgid := c.PID()
	if !c.Exited() {
		syscall.Kill(pgid, syscall.SIGTERM)
		select {
		case <-c.done:
		case <-time.After(3 * time.Second):
			syscall.Kill(-pgid, syscall.SIGKILL)
			<-c.done
		}
	}
	// Children may outlive the browser for a moment; a group ID is not
	// reused while any member is alive.
	deadline, giveUp := time.Now().Add(3*time.Second), time.Now().Add(10*time.Second)
	for len(groupMembers(pgid)) > 0 && time.Now().Before(giveUp) { // (a process stuck in the kernel ignores even SIGKILL)
		if time.Now().After(deadline) {
			syscall.Kill(-pgid, syscall.SIGKILL)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Stderr is the end of what Chromium wrote, for a failure message.
func (c *Chromium) Stderr() string { return logTail(c.Log) }

// groupMembers lists the live processes of process group pgid.
func groupMembers(pgid int) []int {
	ents, _ := os.ReadDir("/proc")
	var pids []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid pgrp …; comm may hold spaces and parens.
		s := string(b)
		f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
		if len(f) >= 3 && f[0] != "Z" && f[2] == strconv.Itoa(pgid) {
			pids = append(pids, pid)
		}
	}
	return pids
}
