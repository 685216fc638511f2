package main

import (
	"os/exec"

	"onair/internal/benchrun"
)

// measure runs cmd to the end: CPU (user+sys) per media second, wall time
// and peak RSS (see benchrun.Run).
func measure(cmd *exec.Cmd, seconds int) (sample, error) {
	u, err := benchrun.Run(cmd)
	if err != nil {
		return sample{}, err
	}
	return sample{
		CPUPerMediaSec: u.CPU.Seconds() / float64(seconds),
		PeakRSSMB:      float64(u.PeakKB) / 1024,
		WallS:          u.Wall.Seconds(),
	}, nil
}
