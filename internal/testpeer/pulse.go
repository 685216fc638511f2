package testpeer

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// PulseMic is the description of the microphone a Pulse server offers: a
// remap source on the monitor of a null sink, so what is played into the
// sink comes back as a microphone. It is the server's default source.
const PulseMic = "onair-test-mic"

// PulseSink is the null sink tones are played into.
const PulseSink = "onair_sink"

// Pulse is a headless PulseAudio user daemon, the test's child, listening on
// a unix socket of its own with anonymous access. Starting it points this
// process (and the children it starts) at it through PULSE_SERVER; Server is
// that value for other processes.
type Pulse struct {
	*Process
	Dir    string
	Server string // "unix:/…/native", for PULSE_SERVER
	t      T
	conf   string
}

// StartPulse starts the daemon and waits until it answers.
func StartPulse(t T) *Pulse {
	t.Helper()
	Require(t, "pulseaudio", "pactl", "paplay", "sox")
	dir := t.TempDir()
	sock := filepath.Join(dir, "native")
	// A float 48 kHz sink: no conversion between what is played and what
	// the microphone reads, so levels come back exactly.
	conf := filepath.Join(dir, "onair.pa")
	mustWrite(t, conf, fmt.Sprintf(`load-module module-native-protocol-unix auth-anonymous=1 socket=%s
load-module module-null-sink sink_name=%s format=float32le rate=48000 channels=2 sink_properties=device.description=onair-test-sink
load-module module-remap-source master=%s.monitor source_name=onair_mic source_properties=device.description=%s
set-default-sink %s
set-default-source onair_mic
`, sock, PulseSink, PulseSink, PulseMic, PulseSink))
	for _, d := range []string{"home", "runtime", "config"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	p := &Pulse{Dir: dir, Server: "unix:" + sock, t: t, conf: conf}
	old, had := os.LookupEnv("PULSE_SERVER")
	os.Setenv("PULSE_SERVER", p.Server)
	t.Cleanup(func() {
		if had {
			os.Setenv("PULSE_SERVER", old)
		} else {
			os.Unsetenv("PULSE_SERVER")
		}
	})
	p.Restart()
	return p
}

// Restart starts the daemon again on the same socket (after Stop or Exit).
func (p *Pulse) Restart() {
	t := p.t
	t.Helper()
	if p.Process != nil && !p.Process.Exited() {
		t.Fatal("pulseaudio is still running: Stop or Exit it first")
	}
	os.Remove(strings.TrimPrefix(p.Server, "unix:"))
	// We run as root in CI: PulseAudio warns and carries on as a user
	// daemon. Its home, runtime and config directories are ours, so it
	// shares nothing with any other sound server on the machine.
	p.Process = startEnv(t, p.Dir, "pulseaudio", p.env(),
		"pulseaudio", "--daemonize=no", "--exit-idle-time=-1", "-n", "--disallow-exit=no",
		"--use-pid-file=no", "--realtime=no", "--high-priority=no", "--system=no",
		"--disable-shm=yes", "--log-target=stderr", "--log-level=notice", "-F", p.conf)
	Eventually(t, 10*time.Second, "pulseaudio answering on "+p.Server, func() bool {
		if p.Exited() {
			t.Fatalf("pulseaudio exited at start:\n%s", logTail(p.Log))
		}
		return p.pactl("info") == nil
	})
}

func (p *Pulse) env() []string {
	return append(os.Environ(),
		"PULSE_SERVER="+p.Server,
		"HOME="+filepath.Join(p.Dir, "home"),
		"XDG_RUNTIME_DIR="+filepath.Join(p.Dir, "runtime"),
		"XDG_CONFIG_HOME="+filepath.Join(p.Dir, "config"),
	)
}

func (p *Pulse) pactl(args ...string) error {
	cmd := exec.Command("pactl", args...)
	cmd.Env = p.env()
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("pactl %s: %v: %s", strings.Join(args, " "), err, out)
	}
	return nil
}

// Exit asks the server to quit (`pactl exit`), as a crashing or restarted
// sound server looks to its clients, and waits until it has gone.
func (p *Pulse) Exit() {
	t := p.t
	t.Helper()
	if err := p.pactl("exit"); err != nil {
		t.Fatal(err)
	}
	Eventually(t, 5*time.Second, "pulseaudio exiting after pactl exit", p.Exited)
}

// Tone makes a 440 Hz sine file at -9 dBFS peak, 48 kHz stereo float,
// seconds long (a whole number of seconds is a whole number of periods, so
// the end is not a click).
func (p *Pulse) Tone(seconds int) string {
	t := p.t
	t.Helper()
	path := filepath.Join(p.Dir, fmt.Sprintf("tone-%ds.wav", seconds))
	if _, err := os.Stat(path); err == nil {
		return path
	}
	out, err := exec.Command("sox", "-n", "-r", "48000", "-c", "2", "-b", "32", "-e", "floating-point",
		path, "synth", fmt.Sprint(seconds), "sine", "440", "gain", "-9").CombinedOutput()
	if err != nil {
		t.Fatalf("sox making the tone: %v: %s", err, out)
	}
	return path
}

// PlayTone plays Tone(seconds) into the null sink with paplay. The player
// is stopped at cleanup if still playing; Exited says when it has finished.
func (p *Pulse) PlayTone(seconds int) *Process {
	t := p.t
	t.Helper()
	file := p.Tone(seconds)
	return startEnv(t, p.Dir, "paplay", p.env(), "paplay", "--device="+PulseSink, file)
}

// startEnv is start with an environment of the peer's own.
func startEnv(t T, dir, name string, env []string, args ...string) *Process {
	t.Helper()
	return startWith(t, dir, name, nil, env, args...)
}
