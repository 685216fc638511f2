package ui

import (
	"fmt"
	"image/color"
	"math"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"onair/encoder"
	"onair/outputs"
	"onair/studio"
)

// The optional things a broadcast on air can do for one destination
// (*studio.Broadcast does all three). i is the destination's index in the
// broadcast: GoLive's destinations are 0, 1, … (the enabled rows, in order),
// and AddDestination returns the index of the one it adds.
type (
	destinationStopper interface {
		RemoveDestination(i int) error
	}
	destinationStarter interface {
		AddDestination(d studio.Destination) (int, error)
	}
	destinationReconnecter interface {
		ReconnectDestination(i int) error
	}
)

// destRow is one destination's row. UI goroutine only.
type destRow struct {
	dest studio.Destination
	// problem says why it cannot be used (a disabled destination's broken
	// URL or preset); such a row cannot be started.
	problem string
	// index is the row's destination in the broadcast on air (-1: not in it).
	index int
	// pos is the row's place in Config.Destinations.
	pos int
	// last is its latest stats (nil: none since Go Live).
	last *studio.DestinationStatus
	// stopped: the performer stopped it; starting: AddDestination is under
	// way; busy: a Stop or Reconnect now is under way.
	stopped, starting, busy bool

	marker                 *canvas.Circle
	name, state, figures   *widget.Label
	queue                  *widget.ProgressBar
	queueBox               *fyne.Container
	spark                  *sparkline // the last minute's bitrate
	detail                 *widget.Label
	reconnect, start, stop *widget.Button
	edit, remove           *widget.Button      // off air only
	colour                 fyne.ThemeColorName // the marker's
	box                    fyne.CanvasObject   // the whole row
}

// newRow builds the widgets of dest's row.
func (w *Window) newRow(dest studio.Destination) (*destRow, fyne.CanvasObject) {
	r := &destRow{dest: dest, index: -1}
	if w.cfg.Check != nil {
		if err := w.cfg.Check(dest); err != nil {
			r.problem = err.Error()
		}
	}
	r.marker = canvas.NewCircle(theme.Color(theme.ColorNameDisabled))
	r.name = widget.NewLabel(w.redact(dest.Label()))
	r.name.TextStyle.Bold = true
	r.name.Truncation = fyne.TextTruncateEllipsis
	r.state = widget.NewLabel("")
	r.figures = widget.NewLabel("")
	r.queue = widget.NewProgressBar()
	r.queue.TextFormatter = func() string { return fmt.Sprintf("queue %.0f %%", r.queue.Value*100) }
	r.queueBox = container.NewGridWrap(fyne.NewSize(110, r.queue.MinSize().Height), r.queue)
	r.spark = newSparkline()
	r.detail = widget.NewLabel("")
	r.detail.Wrapping = fyne.TextWrapWord
	r.reconnect = widget.NewButton("Reconnect now", func() { w.reconnectDestination(r) })
	r.start = widget.NewButton("Start", func() { w.startDestination(r) })
	r.stop = widget.NewButton("Stop", func() { w.stopDestination(r) })
	// Icons only: the row's words stay its name and health.
	r.edit = widget.NewButtonWithIcon("", theme.DocumentCreateIcon(), func() { w.editDestination(r.pos) })
	r.remove = widget.NewButtonWithIcon("", theme.DeleteIcon(), func() { w.removeDestination(r.pos) })
	// Two lines: ● name … buttons, then state, figures, queue and the last
	// error (wrapped) under the name. Objects are listed in reading order.
	dot := container.NewCenter(container.NewGridWrap(fyne.NewSize(12, 12), r.marker))
	buttons := container.NewHBox(r.reconnect, r.start, r.stop, r.edit, r.remove)
	top := container.New(layout.NewBorderLayout(nil, nil, dot, buttons), dot, r.name, buttons)
	indent := canvas.NewRectangle(color.Transparent)
	indent.SetMinSize(fyne.NewSize(12, 0))
	figures := container.NewHBox(indent, r.state, r.figures, container.NewCenter(r.queueBox), container.NewCenter(r.spark.raster))
	health := container.New(layout.NewBorderLayout(nil, nil, figures, nil), figures, r.detail)
	r.box = container.NewVBox(top, health)
	w.refreshRow(r)
	return r, r.box
}

// Marker colours.
const (
	grey  = theme.ColorNameDisabled
	green = theme.ColorNameSuccess
	amber = theme.ColorNameWarning
	red   = theme.ColorNameError
)

// health says in words and colour where a row's destination is.
func (w *Window) health(r *destRow) (string, fyne.ThemeColorName) {
	d := r.last
	goingLive := w.state == starting || w.state == onAir
	switch {
	case r.problem != "":
		return "cannot be used", red
	case r.starting:
		return "starting…", amber
	case d == nil && r.index >= 0 && goingLive:
		return "connecting…", amber
	case d == nil && !r.dest.On():
		return "off — disabled in your profile", grey
	case d == nil:
		return "not live", grey
	case r.stopped && d.State != outputs.Stopped && d.State != outputs.Failed:
		return "stopping…", grey // sending what it has queued
	case r.stopped:
		return "stopped", grey // also when it was waiting to reconnect
	}
	switch d.State {
	case outputs.Live:
		return "live", green
	case outputs.Reconnecting:
		if d.RetryIn > 0 {
			return "reconnecting in " + countdown(d.RetryIn), amber
		}
		return "reconnecting now…", amber
	case outputs.Failed:
		return "failed", red
	case outputs.Stopped:
		return "stopped", grey
	}
	return "connecting…", amber
}

// refreshRow shows r's health and the buttons its state allows.
func (w *Window) refreshRow(r *destRow) {
	text, colour := w.health(r)
	r.state.Importance = map[fyne.ThemeColorName]widget.Importance{
		green: widget.SuccessImportance, amber: widget.WarningImportance, red: widget.DangerImportance, grey: widget.LowImportance,
	}[colour]
	r.state.SetText(text)
	if r.colour != colour {
		r.colour = colour
		r.marker.FillColor = theme.Color(colour)
		r.marker.Refresh()
	}

	detail := r.problem
	if d := r.last; d != nil {
		kbps := d.BitrateKbps
		if d.State != outputs.Live {
			kbps = 0 // the last second's rate would linger after the stream ended
		}
		figures := fmt.Sprintf("%.0f kb/s · %d dropped (%s)", kbps, d.Queue.DroppedVideo, dropPercent(d.Queue))
		if d.Adaptive {
			figures += fmt.Sprintf(" · video %d kb/s (dynamic)", d.VideoKbps)
		}
		r.figures.SetText(figures)
		r.figures.Show()
		// Offline, the queue holds the last keyframe on: that is no congestion.
		r.queue.SetValue(d.Queue.Congestion)
		if d.State == outputs.Live {
			r.queueBox.Show()
		} else {
			r.queueBox.Hide()
		}
		if d.LastError != "" {
			detail = strings.TrimPrefix(d.LastError, d.Name+": ")
		}
	} else {
		r.figures.Hide()
		r.queueBox.Hide()
	}
	r.detail.SetText(w.redact(detail))
	r.detail.Importance = widget.LowImportance
	if colour == red {
		r.detail.Importance = widget.DangerImportance
	}
	if detail == "" {
		r.detail.Hide()
	} else {
		r.detail.Show()
	}
	w.rowButtons(r)
}

// rowButtons shows the buttons r's state allows: Stop while it streams,
// Start when it is not in the show, Reconnect now while it waits to retry
// or has failed. Off air they stay in place, disabled.
func (w *Window) rowButtons(r *destRow) {
	show := func(b *widget.Button, visible, enabled bool) {
		if !visible {
			b.Hide()
			return
		}
		b.Show()
		if enabled {
			b.Enable()
		} else {
			b.Disable()
		}
	}
	editable := w.cfg.OnChange != nil
	show(r.edit, editable, w.state == offAir)
	show(r.remove, editable, w.state == offAir)
	var st outputs.State
	if r.last != nil {
		st = r.last.State
	}
	ended := st == outputs.Stopped || st == outputs.Failed
	if r.problem != "" {
		show(r.stop, false, false)
		show(r.start, false, false)
		show(r.reconnect, false, false)
		return
	}
	if w.state != onAir {
		show(r.stop, r.dest.On(), false)
		show(r.start, !r.dest.On(), false)
		show(r.reconnect, false, false)
		return
	}
	_, canStop := w.onAirNow.(destinationStopper)
	_, canStart := w.onAirNow.(destinationStarter)
	_, canRetry := w.onAirNow.(destinationReconnecter)
	switch {
	case r.starting:
		show(r.stop, false, false)
		show(r.start, true, false)
		show(r.reconnect, false, false)
	case r.index < 0, r.stopped && ended:
		show(r.stop, false, false)
		show(r.start, true, canStart)
		show(r.reconnect, false, false)
	case r.stopped: // draining
		show(r.stop, true, false)
		show(r.start, false, false)
		show(r.reconnect, false, false)
	default:
		show(r.stop, true, canStop && !ended && !r.busy)
		show(r.start, false, false)
		show(r.reconnect, canRetry && (st == outputs.Reconnecting || st == outputs.Failed), !r.busy)
	}
}

// stopDestination ends r's stream while live; the others stream on.
func (w *Window) stopDestination(r *destRow) {
	b, ok := w.onAirNow.(destinationStopper)
	if !ok || w.state != onAir || r.index < 0 || r.stopped {
		return
	}
	i := r.index
	r.stopped, r.busy = true, true
	w.refreshRow(r)
	w.act(r, func() error { return b.RemoveDestination(i) }, "Could not stop that destination: ", func(err error) {
		if err != nil {
			r.stopped = false
		}
	})
}

// reconnectDestination retries r at once.
func (w *Window) reconnectDestination(r *destRow) {
	b, ok := w.onAirNow.(destinationReconnecter)
	if !ok || w.state != onAir || r.index < 0 || r.stopped {
		return
	}
	i := r.index
	r.busy = true
	w.refreshRow(r)
	w.act(r, func() error { return b.ReconnectDestination(i) }, "Could not reconnect that destination: ", nil)
}

// startDestination adds r to the broadcast on air, with its preset: a
// destination stopped earlier, or one disabled in the profile.
func (w *Window) startDestination(r *destRow) {
	b, ok := w.onAirNow.(destinationStarter)
	if !ok || w.state != onAir || r.starting || r.problem != "" || (r.index >= 0 && !r.stopped) {
		return
	}
	r.starting = true
	w.refreshRow(r)
	var j int
	w.act(r, func() (err error) {
		j, err = b.AddDestination(r.dest)
		return err
	}, "Could not start that destination: ", func(err error) {
		r.starting = false
		if err == nil {
			r.index, r.stopped, r.last = j, false, nil
			r.spark.clear()
		}
	})
}

// act runs call off the UI goroutine, then done (UI goroutine) with its
// error, shows the error in words, and asks for fresh stats.
func (w *Window) act(r *destRow, call func() error, failed string, done func(error)) {
	session := w.session
	ran := w.spawn(func() {
		err := call()
		w.do(func() {
			if w.session != session {
				return // that broadcast has ended; Go Live reset the rows
			}
			r.busy = false
			if done != nil {
				done(err)
			}
			if err != nil {
				w.showError(failed + err.Error())
			}
			w.refreshRow(r)
			w.nudgeStats()
		})
	})
	if !ran { // the window is closing
		r.busy, r.starting = false, false
	}
}

// countdown is a retry wait in words, rounded up to the second.
func countdown(d time.Duration) string {
	s := int(math.Ceil(d.Seconds()))
	if s < 60 {
		return fmt.Sprintf("%d s", s)
	}
	return fmt.Sprintf("%d min %02d s", s/60, s%60)
}

// dropPercent is the share of packets dropped since the destination was
// connected.
func dropPercent(q encoder.QueueStats) string {
	dropped, total := q.DroppedVideo+q.DroppedAudio, q.Pushed-q.SkippedOffline
	if dropped == 0 || total <= 0 {
		return "0 %"
	}
	return fmt.Sprintf("%.1f %%", 100*float64(dropped)/float64(total))
}
