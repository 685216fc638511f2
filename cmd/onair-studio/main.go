// Command onair-studio is the studio window: the live preview, Go Live / End
// and each destination's health. `onair` with no arguments starts it; it is a
// program of its own so that the headless `onair live` carries no GUI toolkit
// (no OpenGL or X11 libraries to load, about 17 MB less memory).
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"reflect"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"

	"onair/assets"
	"onair/encoder/libav"
	"onair/internal/wire"
	"onair/outputs"
	"onair/studio"
	"onair/studio/preflight"
	"onair/studio/settings"
	"onair/studio/ui"
	_ "onair/studio/ui/posixlocale" // before Fyne reads the locale
)

func main() {
	libav.LimitMallocArenas(2)
	wire.Exit(runStudio(os.Stderr))
}

// runStudio is the studio window. The preview runs
// from the moment the window opens; closing it ends any broadcast cleanly.
func runStudio(stderr io.Writer) int {
	if os.Getenv("DISPLAY") == "" && os.Getenv("WAYLAND_DISPLAY") == "" {
		fmt.Fprintln(stderr, "onair: no display to open the studio window on (neither DISPLAY nor WAYLAND_DISPLAY is set); use `onair live` to broadcast without a window")
		return 1
	}
	defer startCPUProfile(stderr)()
	// The settings: the profile (stream keys and chat tokens in the desktop
	// keyring when there is one), saved whenever the window changes it.
	store, keyringNotice := settings.OpenDesktop(settings.DefaultDir())
	defer store.Close()
	path := store.ProfilePath()
	p, notices := store.LoadProfile()
	for _, n := range notices {
		fmt.Fprintln(stderr, "onair:", n)
	}
	if _, cam := p.CameraLabel(); cam || len(p.Mics()) > 0 {
		wire.ScanDevices()
	}
	srcs, err := wire.NewSources(p)
	if err != nil {
		fmt.Fprintf(stderr, "onair: %v\n", err)
		return 1
	}
	defer srcs.Close() // after the studio has stopped, below
	st := srcs.Studio
	// Every destination is listed and may be started while live, the disabled
	// ones too: mask all their secrets.
	all := wire.Secrets(p)
	// The logs' redactor learns the keys of destinations edited in the
	// window (and keeps the old ones: a line may still name them).
	var redactor atomic.Pointer[outputs.Redactor]
	redactor.Store(outputs.NewRedactor(all...))
	known := all
	redact := func(s string) string { return redactor.Load().Redact(s) }
	wire.RouteLibavLogsRedacted(stderr, redact)

	// The profile as the window last changed it: Go Live uses it.
	var mu sync.Mutex
	cur := p
	profile := func() studio.Profile {
		mu.Lock()
		defer mu.Unlock()
		return cur
	}
	var w *ui.Window
	// Saves happen off the UI goroutine (the keyring may take its time),
	// one at a time, the newest profile only; the saver is drained before
	// the layout is saved and the store closed.
	save := startSaver(store, func(msg string, bad bool) {
		fmt.Fprintln(stderr, "onair:", msg) // the window may be gone by then
		if bad {
			w.ShowError(msg)
		} else {
			w.ShowNotice(msg)
		}
	})
	defer save.close()
	// The phone monitor and private shows: the local server starts when
	// the performer first turns one on.
	viewers := wire.NewViewers(p.WebRTC, wire.CertDir())
	defer viewers.Close()                  // after the window and its broadcast have stopped
	a := app.NewWithID("studio.onair.app") // as in FyneApp.toml
	a.SetIcon(fyne.NewStaticResource("icon.png", assets.Icon))
	sources := windowSources(srcs)
	w, err = openWindow(a, ui.Config{
		Feed:         st,
		ProfilePath:  path,
		Destinations: p.Destinations,
		Check:        func(d studio.Destination) error { return d.Check(p.Canvas.FPS) },
		GoLive: func() (ui.Broadcast, error) {
			cfg := wire.BroadcastConfig(profile())
			cfg.OnNotice = func(n string) { fmt.Fprintln(stderr, "notice:", n) }
			// The viewers can join later (the monitor turned on while
			// live): their connector is always there.
			cfg.Connectors[outputs.Viewers] = viewers.Connector()
			index := -1
			if viewers.Wanted() {
				cfg.Destinations = append(cfg.Destinations, wire.ViewersDestination)
				index = len(cfg.Destinations) - 1
			}
			b, err := studio.NewBroadcast(st, cfg)
			if err != nil {
				return nil, err
			}
			return &liveWithViewers{Broadcast: b, viewers: viewers, index: index}, nil
		},
		OnChange: func(ds []studio.Destination) {
			mu.Lock()
			cur.Destinations = ds
			next := cur
			mu.Unlock()
			for _, t := range wire.Secrets(next) {
				if !slices.ContainsFunc(known, func(k outputs.Target) bool { return reflect.DeepEqual(k, t) }) {
					known = append(known, t)
				}
			}
			redactor.Store(outputs.NewRedactor(known...))
			save.put(next)
		},
		Redact:      redact,
		Sources:     sources,
		Viewers:     viewers,
		Show:        st,
		Mic:         mainStrip(srcs),
		StudioStats: st.Stats,
		Preflight: func(ctx context.Context) []ui.CheckLine {
			cp := profile()
			res := preflight.Run(ctx, preflight.Config{Profile: cp, Program: preflight.ProgramOn(cp, srcs)})
			out := make([]ui.CheckLine, len(res))
			for i, r := range res {
				out[i] = ui.CheckLine{Name: r.Name, Reason: r.Reason, Detail: r.Detail, Level: int(r.Level)}
			}
			return out
		},
	})
	if err != nil {
		fmt.Fprintf(stderr, "onair: could not open the studio window on display %q (%v); is the X server running? `onair live` broadcasts without a window\n", os.Getenv("DISPLAY"), err)
		return 1
	}
	for _, n := range notices {
		w.ShowNotice(n)
	}
	if keyringNotice != "" {
		fmt.Fprintln(stderr, "onair:", keyringNotice)
	}
	// The window says where the keys are kept (when nothing more pressing
	// is on its message line).
	if place := store.SecretsPlace(); len(notices) == 0 && place != 0 && (len(all) > 0 || len(p.Chat.Secrets()) > 0) {
		w.ShowNotice("Stream keys and chat tokens are " + place.String() + ".")
	}
	layout, _ := store.LoadLayout()
	w.Window().Resize(fyne.NewSize(layout.Width, layout.Height))

	// The chats beside the preview, their events on the scene.
	showChat, err := wire.NewChat(p.Chat, p.Backoff(), st.Stage(), func(s string) { fmt.Fprintln(stderr, "chat:", s) })
	if err != nil {
		w.ShowError("The chats could not start: " + err.Error())
	}
	if showChat != nil {
		panel := ui.NewChatPanel(showChat.Hub, w.Do, w.Paced())
		w.SetSidePanel(panel.Object())
		showChat.Start()
		defer showChat.Stop()
		panelCtx, stopPanel := context.WithCancel(context.Background())
		panelDone := make(chan struct{})
		go func() { defer close(panelDone); panel.Run(panelCtx) }()
		defer func() { stopPanel(); <-panelDone }()
	}

	studioCtx, stopStudio := context.WithCancel(context.Background())
	studioDone := make(chan error, 1)
	go func() { studioDone <- st.Run(studioCtx) }()
	sig, stopSignals := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stopSignals()
	// The watcher tells a capture failure in the window (which stays open) and
	// closes the window on Ctrl-C or SIGTERM.
	quit, watched := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(watched)
		stopped, signalled := studioDone, sig.Done()
		for {
			select {
			case n := <-st.Notices():
				fmt.Fprintln(stderr, "notice:", n)
				w.ShowNotice(n)
			case err := <-stopped:
				if err != nil {
					w.ShowError(fmt.Sprintf("The picture stopped: %v. Restart onair to get it back.", err))
				}
				studioDone <- err // for the final read below
				stopped = nil
			case <-signalled:
				w.Close()
				signalled = nil
			case <-quit:
				return
			}
		}
	}()

	w.Start()
	if p.WebRTC.Monitor {
		// The server takes a moment; the window says if it fails.
		started := make(chan struct{})
		go func() {
			defer close(started)
			if err := viewers.SetMonitor(true); err != nil {
				fmt.Fprintln(stderr, "onair:", err)
			}
		}()
		defer func() { <-started }() // before viewers.Close
	}
	// Scripted runs (the benchmark, make screenshot): live, the editor or
	// the pre-flight as the window opens.
	if os.Getenv("ONAIR_STUDIO_GO_LIVE") == "1" {
		w.GoLive()
	}
	switch os.Getenv("ONAIR_STUDIO_OPEN") {
	case "editor":
		w.AddDestination()
	case "check":
		w.Check()
	case "viewers":
		w.OpenViewers(false)
	case "viewers-code": // the link on screen: for a look, never for a picture to publish
		w.OpenViewers(true)
	}
	a.Run()
	w.LoopEnded() // Fyne may have quit on a signal by itself: GLFW is gone
	w.Stop()      // the broadcast ended and the window's goroutines gone before what they use closes
	if p99, worst, n := w.UILatency(); n > 0 {
		fmt.Fprintf(stderr, "onair: the window answered within %d ms (99th percentile of the last minute), %d ms at worst, over %d probes\n", p99.Milliseconds(), worst.Milliseconds(), n)
	}
	save.close() // every change saved before the layout and the store's end
	if sz := w.Window().Canvas().Size(); sz.Width > 0 && sz.Height > 0 {
		l := layout
		l.Width, l.Height = sz.Width, sz.Height
		if err := store.SaveLayout(l); err != nil {
			fmt.Fprintf(stderr, "onair: the window's layout was not saved: %v\n", err)
		}
	}
	close(quit)
	<-watched
	stopStudio()
	if err := <-studioDone; err != nil {
		fmt.Fprintf(stderr, "onair: %v\n", err)
		return 1
	}
	return 0
}

// openWindow builds the window. Fyne panics when the display cannot be
// opened (a DISPLAY nobody serves); that becomes an error here.
func openWindow(a fyne.App, cfg ui.Config) (w *ui.Window, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	return ui.NewWindow(a, cfg), nil
}

// saver saves the profile the window last changed: one save at a time, the
// newest only (an older one can never land after a newer one).
type saver struct {
	next chan studio.Profile
	done chan struct{}
	once sync.Once
}

// startSaver starts the saver; say tells the window what it must know (a
// failed save; the keys moving out of the keyring).
func startSaver(store *settings.Store, say func(msg string, bad bool)) *saver {
	s := &saver{next: make(chan studio.Profile, 1), done: make(chan struct{})}
	go func() {
		defer close(s.done)
		place := store.SecretsPlace()
		for p := range s.next {
			if err := store.SaveProfile(p); err != nil {
				say("Your changes could not be saved: "+err.Error(), true)
				continue
			}
			if now := store.SecretsPlace(); now != place {
				place = now
				say("Stream keys and chat tokens are now "+now.String()+".", now != settings.InKeyring)
			}
		}
	}()
	return s
}

// put queues p, replacing a profile not saved yet. UI goroutine only.
func (s *saver) put(p studio.Profile) {
	select {
	case <-s.next: // an older one, not saved yet: superseded
	default:
	}
	s.next <- p
}

// close saves what is queued and ends the saver; again, it does nothing.
func (s *saver) close() {
	s.once.Do(func() { close(s.next) })
	<-s.done
}

// liveWithViewers is a broadcast that tells the viewers while it runs (so
// the monitor turned on mid-show joins it, and off stops feeding it).
type liveWithViewers struct {
	*studio.Broadcast
	viewers *wire.Viewers
	index   int // the viewers destination's, -1 without
}

func (l *liveWithViewers) Run(ctx context.Context) error {
	l.viewers.GoingLive(l.Broadcast, l.index)
	defer l.viewers.GoingLive(nil, -1)
	return l.Broadcast.Run(ctx)
}
