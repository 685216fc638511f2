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
	"sync"
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
	wire.RouteLibavLogs(stderr, all)

	// The profile as the window last changed it: Go Live uses it.
	var mu sync.Mutex
	cur := p
	profile := func() studio.Profile {
		mu.Lock()
		defer mu.Unlock()
		return cur
	}
	var w *ui.Window
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
			b, err := studio.NewBroadcast(st, cfg)
			if err != nil {
				return nil, err
			}
			return b, nil
		},
		OnChange: func(ds []studio.Destination) {
			mu.Lock()
			cur.Destinations = ds
			next := cur
			mu.Unlock()
			// Off the UI goroutine: the keyring may take its time.
			go func() {
				if err := store.SaveProfile(next); err != nil {
					w.ShowError("The destinations could not be saved: " + err.Error())
				}
			}()
		},
		Redact:      outputs.NewRedactor(all...).Redact,
		Sources:     sources,
		Show:        st,
		Mic:         mainStrip(srcs),
		StudioStats: st.Stats,
		Preflight: func(ctx context.Context) []ui.CheckLine {
			cp := profile()
			res := preflight.Run(ctx, preflight.Config{Profile: cp, Program: preflight.Program(cp)})
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
		w.SetSidePanel(ui.NewChatPanel(showChat.Hub, fyne.Do).Object())
		showChat.Start()
		defer showChat.Stop()
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
	}
	a.Run()
	if sz := w.Window().Canvas().Size(); sz.Width > 0 && sz.Height > 0 {
		l := layout
		l.Width, l.Height = sz.Width, sz.Height
		if err := store.SaveLayout(l); err != nil {
			fmt.Fprintf(stderr, "onair: the window's layout was not saved: %v\n", err)
		}
	}
	w.Stop()
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
