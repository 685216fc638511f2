package benchrun

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"syscall"
	"time"
)

// Steady is a long-running child's cost over a steady stretch.
type Steady struct {
	Cores    float64 // the whole process, in cores
	Matching float64 // its threads whose name starts with the prefix asked
	RSSMB    float64 // at the end of the stretch
	Measured float64 // seconds measured
}

// MeasureSteady starts cmd (in a process group of its own), waits warm,
// reads its CPU over d (and that of its threads named prefix…), then stops
// it: SIGTERM, and SIGKILL to the group after 15 s. ready, if set, is called
// after the warm-up and must say whether the child does its job (a bench
// that measures a child doing nothing measures nothing).
func MeasureSteady(cmd *exec.Cmd, warm, d time.Duration, prefix string, ready func() error) (Steady, error) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return Steady{}, err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	stop := func() {
		syscall.Kill(cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-done
		}
	}
	pid := cmd.Process.Pid
	select {
	case err := <-done:
		return Steady{}, fmt.Errorf("ended during the warm-up: %v", err)
	case <-time.After(warm):
	}
	if ready != nil {
		if err := ready(); err != nil {
			stop()
			return Steady{}, err
		}
	}
	t0, g0, err := ThreadCPU(pid, prefix)
	start := time.Now()
	if err != nil {
		stop()
		return Steady{}, err
	}
	select {
	case err := <-done:
		return Steady{}, fmt.Errorf("ended while measured: %v", err)
	case <-time.After(d):
	}
	t1, g1, err := ThreadCPU(pid, prefix)
	wall := time.Since(start)
	rss := RSSKB(pid)
	stop()
	if err != nil {
		return Steady{}, err
	}
	return Steady{Cores: (t1 - t0).Seconds() / wall.Seconds(), Matching: (g1 - g0).Seconds() / wall.Seconds(),
		RSSMB: float64(rss) / 1024, Measured: wall.Seconds()}, nil
}

// Median is the middle of v (the mean of the two middle ones).
func Median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	v = slices.Clone(v)
	slices.Sort(v)
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}

// Rounds are the flags of a benchmark run in rounds of steady stretches.
type Rounds struct {
	Rounds        int
	Seconds, Warm time.Duration
	Out           string
}

// RoundFlags reads -rounds, -seconds, -warm and -out (defaults given);
// a value below 1 exits with status 2.
func RoundFlags(name string, rounds, seconds, warm int, out string) Rounds {
	r := flag.Int("rounds", rounds, "rounds (medians are reported)")
	s := flag.Int("seconds", seconds, "seconds measured in each run")
	w := flag.Int("warm", warm, "seconds before measuring (the program starts, the encoders settle)")
	o := flag.String("out", out, "where to write the results")
	flag.Parse()
	if *r < 1 || *s < 1 || *w < 1 {
		fmt.Fprintln(os.Stderr, name+": -rounds, -seconds and -warm must be at least 1")
		os.Exit(2)
	}
	return Rounds{Rounds: *r, Seconds: time.Duration(*s) * time.Second, Warm: time.Duration(*w) * time.Second, Out: *o}
}
