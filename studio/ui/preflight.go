package ui

import (
	"context"
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"
)

// CheckLine is one line of the pre-flight: what was checked, how it went
// (Level 0 green, 1 amber, 2 red), why in words, and the figures.
type CheckLine struct {
	Name, Reason, Detail string
	Level                int
}

// levelColours are the pre-flight's green, amber and red.
var levelColours = [...]color.NRGBA{{0x2e, 0xcc, 0x40, 0xff}, {0xff, 0xb3, 0x00, 0xff}, {0xff, 0x41, 0x36, 0xff}}

// tapCheck runs the pre-flight (Config.Preflight) and shows its lines in a
// panel as they come; the window stays responsive meanwhile. UI goroutine.
func (w *Window) tapCheck() {
	if w.cfg.Preflight == nil || w.checking {
		return
	}
	if w.state != offAir {
		// It sends at three times the stream's rate and encodes a second
		// program: the show would drop frames.
		w.showInfo("Check runs off air: it would take upload and CPU from the show.")
		return
	}
	w.checking = true
	w.checkButton.Disable()
	w.checkButton.SetText("Checking…")
	lines := container.NewVBox(widget.NewLabel("Checking every destination and the program (at most 15 s)…"))
	scroll := container.NewVScroll(lines)
	scroll.SetMinSize(fyne.NewSize(720, 360))
	d := dialog.NewCustom("Pre-flight", "Close", scroll, w.win)
	// Closing the panel ends the check (Go Live waits for it otherwise).
	ctx, cancel := context.WithCancel(w.ctx)
	d.SetOnClosed(cancel)
	d.Show()
	if !w.spawn(func() {
		defer cancel()
		res := w.cfg.Preflight(ctx)
		w.do(func() {
			w.checking = false
			w.checkButton.Enable()
			w.checkButton.SetText("Check")
			lines.RemoveAll()
			lines.Add(checkSummary(res))
			for _, r := range res {
				lines.Add(checkRow(r, w.redact))
			}
			lines.Refresh()
		})
	}) {
		cancel()
		w.checking = false
		d.Hide()
	}
}

// checkSummary is the pre-flight's verdict in one line.
func checkSummary(res []CheckLine) fyne.CanvasObject {
	worst := 0
	for _, r := range res {
		worst = max(worst, r.Level)
	}
	text := [...]string{"All green: every destination will take the stream.", "It will work, with the warnings below.", "Not ready: fix the red lines below before going live."}[worst]
	l := widget.NewLabel(text)
	l.TextStyle.Bold = true
	return l
}

// checkRow is one result: a coloured dot, the name, the reason and figures.
func checkRow(r CheckLine, redact func(string) string) fyne.CanvasObject {
	dot := canvas.NewCircle(levelColours[min(max(r.Level, 0), 2)])
	dot.Resize(fyne.NewSize(12, 12))
	box := container.NewGridWrap(fyne.NewSize(14, 14), dot)
	name := widget.NewLabel(redact(r.Name))
	name.TextStyle.Bold = true
	text := redact(r.Reason)
	if r.Detail != "" {
		text += " (" + redact(r.Detail) + ")"
	}
	reason := widget.NewLabel(text)
	reason.Wrapping = fyne.TextWrapWord
	return container.NewBorder(nil, nil, container.NewHBox(box, name), nil, reason)
}
