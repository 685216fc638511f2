// Package ui is the studio's desktop window: the live preview of the canvas,
// Go Live / End, and each destination's health. It is the only package besides
// cmd/onair that imports Fyne; what it drives comes in through Config.
package ui

import (
	"context"
	"errors"
	"fmt"
	"image/color"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"onair/outputs"
	"onair/overlay"
	"onair/studio"
)

// Broadcast is a prepared Go Live session (*studio.Broadcast). Close frees
// what it holds when it will not run.
type Broadcast interface {
	Run(ctx context.Context) error
	Stats() studio.BroadcastStats
	Close()
}

// Config is what the window shows and drives.
type Config struct {
	// Feed gives the preview its frames.
	Feed VideoFeed
	// ProfilePath is where the profile lives; messages send the performer there.
	ProfilePath string
	// ProfileErr says why the profile could not be read (the defaults are in use).
	ProfileErr error
	// Destinations are every destination of the profile, in order, the
	// disabled ones too.
	Destinations []studio.Destination
	// Check says why a destination cannot be used (nil: it can).
	Check func(studio.Destination) error
	// GoLive prepares a broadcast to every enabled destination: its
	// destinations 0, 1, … are the enabled ones in order. The window runs it.
	GoLive func() (Broadcast, error)
	// Redact masks secrets in text from lower layers before it is shown.
	Redact func(string) string
	// PreviewWidth is the preview's width in pixels (default 640).
	PreviewWidth int
	// Sources, when set, adds the camera and microphone pickers, the mixer
	// strips and the mic check beside the preview.
	Sources *Sources
	// OnChange gets every destination (a copy) each time the performer
	// adds, edits or removes one, on the UI goroutine: the settings save
	// them there, and GoLive must use them from then on. Without it the
	// destinations cannot be edited in the window (GoLive would not see
	// the changes).
	OnChange func([]studio.Destination)
	// Show, when set, carries out the keyboard's scene switches and privacy
	// cut (*studio.Studio).
	Show Show
	// Mic, when set, is the main microphone's strip, which Ctrl+M mutes.
	Mic func() AudioStrip
	// StudioStats, when set, gives the compositor's counters for the status
	// bar while off air (*studio.Studio's Stats).
	StudioStats func() studio.StudioStats
	// Preflight, when set, adds Check: it proves every destination and the
	// program without going live (studio/preflight), within 15 s.
	Preflight func(ctx context.Context) []CheckLine
	// Viewers, when set, adds the phone monitor and the private show.
	Viewers Viewers
}

// Show is what the window's keys drive in the show (*studio.Studio).
type Show interface {
	// Do carries out a command: a scene switch, the privacy cut.
	Do(c studio.Command) error
	// Stage is the stage drawn (nil: a show without scenes).
	Stage() *overlay.Stage
}

// liveState is where Go Live is. The zero value is invalid.
type liveState uint8

const (
	offAir liveState = iota + 1
	starting
	onAir
	ending
)

// Window is the studio window. Build it with NewWindow, then Start it.
type Window struct {
	cfg Config
	// redact is Config.Redact and the keys of the destinations edited in
	// the window, which Config.Redact does not know. UI goroutine only.
	redact func(string) string
	app    fyne.App
	win    fyne.Window
	// do runs f on the UI goroutine (fyne.Do; tests swap in their own loop).
	do func(func())
	// loopEnded: the app's loop is over (GLFW is gone): UI work handed over
	// from now on is dropped, not run on a goroutine against a dead display.
	loopEnded atomic.Bool

	preview *preview
	paints  *paintQueue   // periodic updates, shown with the preview's pictures
	sources *sourcesPanel // nil without Config.Sources
	viewers *viewersPanel // nil without Config.Viewers
	button  *widget.Button
	status  *widget.Label // off air / live with elapsed time and frames
	addDest *widget.Button
	editor  *destEditor     // the open destination editor, nil when none
	side    *fyne.Container // the side panel (SetSidePanel), empty until filled
	bar     *statusBar
	guides  *guides
	message *widget.Label // what went wrong, in words
	destBox *fyne.Container
	rows    []*destRow    // one per Config.Destinations; UI goroutine only
	nudge   chan struct{} // asks the stats loop for a snapshot now

	// UI goroutine only: the broadcast on air, for per-destination actions,
	// and which Go Live it is (an action's result is for that one only).
	onAirNow Broadcast
	probe    loopProbe // the event loop's answer times

	// The pre-flight's button, and whether one runs. UI goroutine only.
	checkButton *widget.Button
	checking    bool
	session     int

	// UI goroutine only.
	state      liveState
	cancelLive context.CancelFunc

	ctx       context.Context // the window's lifetime
	cancel    context.CancelFunc
	closeOnce sync.Once
	mu        sync.Mutex // guards stopped and wg.Add against Stop
	stopped   bool
	wg        sync.WaitGroup
}

// NewWindow builds the window; nothing runs until Start.
func NewWindow(a fyne.App, cfg Config) *Window {
	if cfg.Redact == nil {
		cfg.Redact = func(s string) string { return s }
	}
	if cfg.PreviewWidth <= 0 {
		cfg.PreviewWidth = 640
	}
	w := &Window{cfg: cfg, app: a, win: a.NewWindow("onair"), state: offAir, nudge: make(chan struct{}, 1)}
	w.do = w.onUI
	w.ctx, w.cancel = context.WithCancel(context.Background())
	w.paints = newPaintQueue(func(f func()) { w.do(f) })
	w.preview = newPreview(cfg.PreviewWidth, func(f func()) { w.do(f) }, w.paints)
	w.button = widget.NewButton("Go Live", w.tapGoLive)
	w.button.Importance = widget.HighImportance
	w.status = widget.NewLabel("Off air")
	w.status.TextStyle.Bold = true
	w.addDest = widget.NewButtonWithIcon("Add destination", theme.ContentAddIcon(), func() { w.editDestination(-1) })
	if cfg.OnChange == nil {
		w.addDest.Hide()
	}
	w.message = widget.NewLabel("")
	w.message.Wrapping = fyne.TextWrapWord
	w.message.Hide() // until there is something to say
	w.destBox = container.NewVBox()
	w.updateRedact()
	w.buildRows()

	if cfg.ProfileErr != nil {
		w.showError("Your profile could not be read, so the defaults are in use: " + cfg.ProfileErr.Error())
	} else {
		w.showInfo(w.idleMessage())
	}

	w.guides = w.newGuides()
	left := container.NewHBox(w.button, w.status)
	if cfg.Preflight != nil {
		w.checkButton = widget.NewButton("Check", w.tapCheck)
		left = container.NewHBox(w.button, w.checkButton, w.status)
	}
	bar := container.NewBorder(nil, nil, left, w.guides.button)
	dests := widget.NewLabel("Destinations")
	dests.TextStyle.Bold = true
	w.bar = newStatusBar()
	bottom := container.NewVBox(bar, w.message, container.NewBorder(nil, nil, dests, w.addDest), w.destBox, widget.NewSeparator(), w.bar.box)
	var side fyne.CanvasObject
	column := container.NewVBox()
	if cfg.Sources != nil {
		w.sources = w.newSourcesPanel(*cfg.Sources)
		column.Add(w.sources.box)
	}
	if cfg.Viewers != nil {
		w.viewers = w.newViewersPanel(cfg.Viewers)
		if len(column.Objects) > 0 {
			column.Add(widget.NewSeparator())
		}
		column.Add(w.viewers.box)
	}
	if len(column.Objects) > 0 {
		// 300 wide, as tall as the window lets it (it scrolls): a fixed
		// height made the window taller than a 1280x800 screen.
		width := canvas.NewRectangle(color.Transparent)
		width.SetMinSize(fyne.NewSize(300, 160))
		side = container.NewStack(width, container.NewVScroll(column))
	}
	// The lead's chat panel goes on the left (SetSidePanel).
	w.side = container.NewStack()
	w.side.Hide()
	w.win.SetContent(container.NewBorder(nil, bottom, w.side, side, w.guides.box))
	w.addShortcuts()
	if side != nil {
		w.win.Resize(fyne.NewSize(1240, 720))
	} else {
		w.win.Resize(fyne.NewSize(960, 640))
	}
	w.win.SetMaster()
	w.win.SetCloseIntercept(w.askClose)
	return w
}

// SetSidePanel puts o (the chat panel) on the window's left, beside the
// preview; nil takes it away. UI goroutine.
func (w *Window) SetSidePanel(o fyne.CanvasObject) {
	w.side.RemoveAll()
	if o == nil {
		w.side.Hide()
		return
	}
	w.side.Add(o)
	w.side.Show()
}

// updateRedact masks the secrets of the destinations now listed too.
func (w *Window) updateRedact() {
	var ts []outputs.Target
	for _, d := range w.cfg.Destinations {
		if t, err := d.Target(); err == nil {
			ts = append(ts, t)
		}
	}
	mine, theirs := outputs.NewRedactor(ts...).Redact, w.cfg.Redact
	w.redact = func(s string) string { return mine(theirs(s)) }
}

// buildRows makes a row per destination.
func (w *Window) buildRows() {
	w.rows = nil
	w.destBox.RemoveAll()
	for i, d := range w.cfg.Destinations {
		r, o := w.newRow(d)
		r.pos = i
		if i > 0 {
			w.destBox.Add(widget.NewSeparator())
		}
		w.rows = append(w.rows, r)
		w.destBox.Add(o)
	}
	if len(w.cfg.Destinations) == 0 {
		w.destBox.Add(widget.NewLabel("No destination yet."))
	}
}

// idleMessage is what the window says off air before anything went wrong.
func (w *Window) idleMessage() string {
	switch {
	case len(w.cfg.Destinations) == 0 && w.cfg.OnChange != nil:
		return "Add a destination to " + w.cfg.ProfilePath + " to go live: press Add destination."
	case len(w.cfg.Destinations) == 0:
		return "Add a destination to " + w.cfg.ProfilePath + " to go live."
	case w.enabledRows() == 0:
		return w.allDisabled()
	}
	return ""
}

// confirm asks a yes/no question in a dialog; yes runs only on confirmation.
func (w *Window) confirm(title, question, yesText, noText string, yes func()) {
	msg := widget.NewLabel(question)
	msg.Wrapping = fyne.TextWrapWord
	d := dialog.NewCustomConfirm(title, yesText, noText, container.NewGridWrap(fyne.NewSize(380, msg.MinSize().Height*2), msg), func(ok bool) {
		if ok {
			yes()
		}
	}, w.win)
	d.Show()
}

// askClose is the window's close button: while live it asks first.
func (w *Window) askClose() {
	if w.state != onAir && w.state != starting {
		w.Close()
		return
	}
	w.confirm("You are live", "Closing onair ends the broadcast on every destination. End it and close?", "End and close", "Stay live", w.Close)
}

// Window is the Fyne window.
func (w *Window) Window() fyne.Window { return w.win }

// Start shows the window and starts the preview. Call it on the UI goroutine
// (or before the app runs).
func (w *Window) Start() {
	if w.cfg.Feed != nil {
		w.spawn(func() { w.preview.run(w.ctx, w.cfg.Feed) })
	}
	w.bar.ownStats = w.cfg.StudioStats != nil
	w.spawn(func() { w.bar.run(w.ctx, w.cfg.StudioStats, w.paints.to(paintStatusBar)) })
	w.spawn(func() { w.probe.run(w.ctx, w.do) })
	if w.sources != nil {
		w.sources.start()
	}
	w.win.Show()
}

// spawn runs f in a goroutine Stop waits for; after Stop it runs nothing.
func (w *Window) spawn(f func()) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.stopped {
		return false
	}
	w.wg.Add(1)
	go func() {
		defer w.wg.Done()
		f()
	}()
	return true
}

// Stop ends the broadcast (waiting for it to finish cleanly) and the
// preview, and returns when they have stopped. Any goroutine but the UI's.
func (w *Window) Stop() {
	w.mu.Lock()
	w.stopped = true
	w.mu.Unlock()
	w.cancel()
	w.wg.Wait()
}

// onUI runs f on the UI goroutine (fyne.Do), or drops it once the app's
// loop has ended. Fyne quits on SIGINT/SIGTERM by itself, and then runs
// what fyne.Do is given on the caller's goroutine: a stats tick arriving in
// that moment would call GLFW after it terminated and panic. The panic is
// caught, said on stderr, and the window hands nothing more over.
func (w *Window) onUI(f func()) {
	if w.loopEnded.Load() {
		return
	}
	fyne.Do(func() {
		if w.loopEnded.Load() {
			return
		}
		defer func() {
			if r := recover(); r != nil {
				w.loopEnded.Store(true)
				fmt.Fprintf(os.Stderr, "onair: the window stopped drawing: %v\n", r)
			}
		}()
		f()
	})
}

// Do runs f on the UI goroutine, or drops it once the app's loop is over.
func (w *Window) Do(f func()) { w.do(f) }

// Paced returns how to bring the chat panel's redraws to the UI goroutine:
// with the preview's next picture, one repaint for both, a newer redraw
// replacing one not yet shown.
func (w *Window) Paced() func(func()) { return w.paints.to(paintChat) }

// LoopEnded tells the window that the app's loop is over: what its
// goroutines hand the UI from now on is dropped. Call it as soon as the
// app's Run returns.
func (w *Window) LoopEnded() { w.loopEnded.Store(true) }

// GoLive presses Go Live (a scripted show, the benchmark). Safe from any
// goroutine; off air only.
func (w *Window) GoLive() {
	w.do(func() {
		if w.state == offAir {
			w.tapGoLive()
		}
	})
}

// AddDestination opens the "Add destination" editor (a scripted run, the
// screenshots). Safe from any goroutine; when editing is possible only.
func (w *Window) AddDestination() {
	w.do(func() {
		if w.cfg.OnChange != nil {
			w.editDestination(-1)
		}
	})
}

// Check runs the pre-flight as the Check button does. Safe from any
// goroutine.
func (w *Window) Check() { w.do(w.tapCheck) }

// Close stops everything, then closes the window (which quits the app).
// Safe from any goroutine; the UI stays responsive while a broadcast drains.
func (w *Window) Close() {
	w.closeOnce.Do(func() {
		go func() {
			w.do(func() {
				if w.state == onAir || w.state == starting {
					w.state = ending
					w.button.Disable()
					w.button.SetText("Ending…")
				}
			})
			w.Stop()
			w.do(w.win.Close)
		}()
	})
}

// ShowError puts msg on the message line. Safe from any goroutine.
func (w *Window) ShowError(msg string) {
	w.do(func() { w.showError(msg) })
}

// ShowNotice puts msg on the message line as information (a source's
// notice: a camera lost, a microphone back). Safe from any goroutine.
func (w *Window) ShowNotice(msg string) {
	w.do(func() { w.showInfo(msg) })
}

func (w *Window) showError(msg string) {
	w.message.Importance = widget.DangerImportance
	w.setMessage(msg)
}

func (w *Window) showInfo(msg string) {
	w.message.Importance = widget.MediumImportance
	w.setMessage(msg)
}

// setMessage shows msg, or hides the line when there is nothing to say.
func (w *Window) setMessage(msg string) {
	w.message.SetText(w.redact(msg))
	if msg == "" {
		w.message.Hide()
	} else {
		w.message.Show()
	}
}

func (w *Window) noDestination() string {
	return fmt.Sprintf(`There is no destination to go live to: add a destination to %s, e.g. {"destinations": [{"url": "rtmp://host/app/STREAM-KEY"}]}, then restart onair.`, w.cfg.ProfilePath)
}

func (w *Window) allDisabled() string {
	return fmt.Sprintf(`Every destination is disabled in %s: set "enabled": true on one to go live with it; the others can then be started while live.`, w.cfg.ProfilePath)
}

// enabledRows counts the destinations Go Live starts.
func (w *Window) enabledRows() int {
	n := 0
	for _, r := range w.rows {
		if r.dest.On() {
			n++
		}
	}
	return n
}

// resetRows maps the enabled rows to the new broadcast's destinations 0, 1, …
func (w *Window) resetRows() {
	i := 0
	for _, r := range w.rows {
		r.index, r.last, r.stopped, r.starting, r.busy = -1, nil, false, false, false
		r.spark.clear()
		if r.dest.On() {
			r.index = i
			i++
		}
	}
}

func (w *Window) refreshRows() {
	for _, r := range w.rows {
		w.refreshRow(r)
	}
}

// nudgeStats asks the stats loop for a snapshot now, after an action.
func (w *Window) nudgeStats() {
	select {
	case w.nudge <- struct{}{}:
	default:
	}
}

func (w *Window) tapGoLive() {
	if w.checking && w.state == offAir {
		w.showInfo("The check is still running (15 s at most): Go Live when it is done.")
		return
	}
	switch w.state {
	case offAir:
		// The phone monitor or a private show is a show on its own.
		viewers := w.cfg.Viewers != nil && (w.viewers.last.Monitor || w.viewers.last.Private)
		if (len(w.cfg.Destinations) == 0 && !viewers) || w.cfg.GoLive == nil {
			w.showError(w.noDestination())
			return
		}
		if w.enabledRows() == 0 && !viewers {
			w.showError(w.allDisabled())
			return
		}
		ctx, cancel := context.WithCancel(w.ctx)
		w.resetRows()
		w.session++
		w.state = starting
		w.cancelLive = cancel
		w.button.Disable()
		w.button.SetText("Starting…")
		w.addDest.Disable()
		w.closeEditor()
		w.showInfo("")
		w.refreshRows()
		if !w.spawn(func() {
			defer cancel()
			w.runLive(ctx)
		}) {
			cancel()
			w.setOffAir() // the window is closing
		}
	case onAir:
		session := w.session // a question left open must not end a later broadcast
		w.confirm("End the broadcast?", "Your viewers on every destination will see the stream end.", "End broadcast", "Keep streaming", func() {
			if w.session == session {
				w.endLive()
			}
		})
	}
}

// endLive ends the broadcast on air (after the performer confirmed).
func (w *Window) endLive() {
	if w.state != onAir {
		return
	}
	w.state = ending
	w.button.Disable()
	w.button.SetText("Ending…")
	w.cancelLive()
}

// runLive prepares the broadcast, runs it until ctx ends or it fails, and
// reports its stats once a second. It owns the broadcast's goroutine.
func (w *Window) runLive(ctx context.Context) {
	b, err := w.cfg.GoLive()
	if err != nil {
		w.do(func() {
			w.setOffAir()
			w.showError("Could not go live: " + err.Error())
		})
		return
	}
	if ctx.Err() != nil {
		// The window closed while the encoders were opening: don't connect,
		// and free them.
		b.Close()
		w.do(w.setOffAir)
		return
	}
	w.do(func() {
		if w.state == starting {
			w.state = onAir
			w.button.SetText("End")
			w.button.Enable()
			if w.sources != nil {
				w.sources.onAir(true)
			}
		}
		w.onAirNow = b
		w.showInfo("")
		w.refreshRows()
		w.showLive(0)
	})
	// What the performer should know, such as a hardware encoder replaced
	// by software: shown at once, and again when a destination started
	// while live adds to it.
	shown := 0
	showNotices := func() {
		if n := notices(b); len(n) != shown {
			shown = len(n)
			w.do(func() { w.showInfo(strings.Join(n, "\n")) })
		}
	}
	showNotices()
	done := make(chan error, 1)
	go func() { done <- b.Run(ctx) }()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	// The figures wait for the next preview picture (one repaint for both);
	// one still waiting when the show ends is dropped, and one taken by a
	// picture just before finds the show over and is not shown: the last
	// figures are the final ones, below.
	paced := w.paints.to(paintLive)
	showStats := func() {
		s := b.Stats()
		paced(func() {
			if w.onAirNow == b {
				w.showStats(s)
			}
		})
	}
	for {
		select {
		case err := <-done:
			w.paints.drop(paintLive)
			s := b.Stats()
			w.do(func() {
				w.showStats(s)
				w.setOffAir()
				w.showResult(err, s)
			})
			return
		case <-tick.C:
			showStats()
			showNotices()
		case <-w.nudge:
			// After a button: through the same slot, so an older tick's
			// figures cannot come after these.
			showStats()
		}
	}
}

// notices are the broadcast's notices, when it has any to give.
func notices(b Broadcast) []string {
	if n, ok := b.(interface{ Notices() []string }); ok {
		return n.Notices()
	}
	return nil
}

func (w *Window) setOffAir() {
	w.state = offAir
	if w.sources != nil {
		w.sources.onAir(false)
	}
	w.cancelLive = nil
	w.onAirNow = nil
	w.button.SetText("Go Live")
	w.button.Enable()
	w.status.SetText("Off air")
	w.status.Importance = widget.MediumImportance
	w.status.Refresh()
	w.win.SetTitle("onair")
	w.addDest.Enable()
	w.refreshRows()
}

// showLive shows that the show is on air: "● LIVE" in red with the timer,
// and in the window's title (seen in the task bar when the window is covered).
func (w *Window) showLive(elapsed time.Duration) {
	if w.status.Importance != widget.DangerImportance {
		w.status.Importance = widget.DangerImportance
		w.status.SetText("● LIVE  " + clock(elapsed))
	}
	w.win.SetTitle("● LIVE " + clock(elapsed) + " — onair")
	w.addDest.Disable()
}

func (w *Window) showResult(err error, s studio.BroadcastStats) {
	switch {
	case errors.Is(err, studio.ErrNoDestination):
		w.showError(fmt.Sprintf("No destination could be reached, so nothing was broadcast: check each URL and stream key in %s (the reason is beside each destination).", w.cfg.ProfilePath))
	case err != nil:
		w.showError("The broadcast stopped: " + err.Error())
	default:
		w.showInfo(fmt.Sprintf("Broadcast ended after %s.", clock(s.Elapsed)))
	}
}

func (w *Window) showStats(s studio.BroadcastStats) {
	if w.state == onAir || w.state == ending {
		w.status.SetText(fmt.Sprintf("● LIVE  %s  %d frames", clock(s.Elapsed), s.FramesEncoded))
		w.showLive(s.Elapsed)
	}
	w.bar.broadcast(s)
	for _, r := range w.rows {
		// Destinations the window stopped and started again stay in the
		// broadcast's list under their old index; each row follows its own.
		if r.index >= 0 && r.index < len(s.Destinations) {
			d := s.Destinations[r.index]
			r.last = &d
			kbps := d.BitrateKbps
			if d.State != outputs.Live {
				kbps = 0
			}
			r.spark.add(kbps, int64(s.Elapsed/time.Second))
		}
		w.refreshRow(r)
	}
}

func clock(d time.Duration) string {
	s := int(d / time.Second)
	return fmt.Sprintf("%02d:%02d:%02d", s/3600, s/60%60, s%60)
}

// closeEditor closes the destination editor without saving.
func (w *Window) closeEditor() {
	if w.editor != nil {
		w.editor.dlg.Hide()
		w.editor = nil
	}
}
