package ui

import (
	"context"
	"fmt"
	"syscall"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"onair/studio"
)

// statusBar is the line at the window's foot: what onair costs and what
// the pipeline did. Its fields are the UI goroutine's.
type statusBar struct {
	label, keys *widget.Label
	box         fyne.CanvasObject

	cpuPercent float64 // of one core, over the last second (-1: unknown)
	fps        float64 // frames composed over the last second (-1: unknown)
	missed     int64   // frames the compositor missed
	skipped    int64   // frames the encoder was too slow to take (last broadcast)
	sentBytes  int64   // uploaded by the last broadcast, every destination

	// Counters of the broadcast's snapshot, for the fps when the window has
	// no StudioStats of its own.
	lastComposed int64
	lastAt       time.Duration
	ownStats     bool
}

func newStatusBar() *statusBar {
	b := &statusBar{cpuPercent: -1, fps: -1}
	b.label = widget.NewLabel("")
	b.label.Importance = widget.LowImportance
	b.keys = widget.NewLabel(shortcutHelp)
	b.keys.Importance = widget.LowImportance
	b.keys.Truncation = fyne.TextTruncateEllipsis
	b.box = container.NewBorder(nil, nil, b.label, nil, b.keys)
	b.show()
	return b
}

// text is the bar's line.
func (b *statusBar) text() string {
	cpu := "…"
	if b.cpuPercent >= 0 {
		cpu = fmt.Sprintf("%.0f %%", b.cpuPercent)
	}
	fps := "…"
	if b.fps >= 0 {
		fps = fmt.Sprintf("%.0f", b.fps)
	}
	return fmt.Sprintf("CPU %s · canvas %s fps · encoder skipped %d · compositor missed %d · sent %s",
		cpu, fps, b.skipped, b.missed, megabytes(b.sentBytes))
}

func (b *statusBar) show() { b.label.SetText(b.text()) }

func megabytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.2f GB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	}
	return fmt.Sprintf("%d kB", n>>10)
}

// broadcast takes the figures of a broadcast's snapshot. UI goroutine.
func (b *statusBar) broadcast(s studio.BroadcastStats) {
	b.skipped = s.EncoderSkipped
	var sent int64
	for _, d := range s.Destinations {
		sent += d.BytesSent
	}
	b.sentBytes = sent
	if !b.ownStats {
		if dt := s.Elapsed - b.lastAt; dt > 0 && s.Studio.Composed >= b.lastComposed && b.lastAt > 0 {
			b.fps = float64(s.Studio.Composed-b.lastComposed) / dt.Seconds()
		}
		b.lastComposed, b.lastAt = s.Studio.Composed, s.Elapsed
		b.missed = s.Studio.Missed
	}
	b.show()
}

// run measures onair's CPU use (getrusage of the whole process: every
// thread, Go's and C's) and the compositor's rate once a second until ctx
// ends. studioStats may be nil. It owns no widget: do brings its figures to
// the UI goroutine.
func (b *statusBar) run(ctx context.Context, studioStats func() studio.StudioStats, do func(func())) {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	prevCPU, prevWall := cpuTime(), time.Now()
	var prev studio.StudioStats
	if studioStats != nil {
		prev = studioStats()
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		cpu, now := cpuTime(), time.Now()
		wall := now.Sub(prevWall)
		pct := -1.0
		if cpu >= 0 && prevCPU >= 0 && wall > 0 {
			pct = 100 * float64(cpu-prevCPU) / float64(wall)
		}
		prevCPU, prevWall = cpu, now
		var fps float64
		var missed int64
		if studioStats != nil {
			s := studioStats()
			fps = float64(s.Composed-prev.Composed) / wall.Seconds()
			missed = s.Missed
			prev = s
		}
		do(func() {
			b.cpuPercent = pct
			if b.ownStats {
				b.fps, b.missed = fps, missed
			}
			b.show()
		})
	}
}

// cpuTime is the CPU time the process has used, user and system (-1 when
// the system will not say).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return -1
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
