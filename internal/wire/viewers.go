package wire

import (
	"errors"
	"fmt"
	"image"
	"net"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"

	"onair/capture/device"
	"onair/encoder/libav"
	"onair/outputs"
	"onair/outputs/webrtc"
	"onair/studio"
)

// Viewers is onair's own WebRTC viewers for both commands: the local HTTPS
// server (started when first needed), the phone monitor, the private show,
// and the program they watch, which the broadcast's viewers destination
// (outputs.Viewers) feeds. The window drives it (ui.Viewers).
type Viewers struct {
	settings studio.WebRTCSettings
	certDir  string
	prog     webrtc.Program

	mu       sync.Mutex
	srv      *webrtc.Server
	mon      *webrtc.Monitor
	show     *webrtc.PrivateShow
	monitor  bool
	private  bool
	err      string
	onChange func()
	// live is the broadcast on air and the index of its viewers
	// destination (-1: none), so turning the monitor on mid-show adds it.
	live      LiveBroadcast
	liveIndex int
	closed    bool

	// switching orders the switches (the monitor's state set, then told
	// to it, one switch at a time); the feeder goroutine alone adds and
	// removes the viewers' destination, woken by kick, until stop.
	switching sync.Mutex
	kick      chan struct{}
	stop      chan struct{}
	fed       chan struct{} // closed when the feeder has returned
	stopOnce  sync.Once

	picture atomic.Pointer[image.YCbCr] // the private viewer's newest camera picture

	// The private viewer's voice on the performer's sound output, opened
	// at their first sound and closed when the call ends.
	spMu     sync.Mutex
	speaker  *device.Speaker
	spFailed bool // said once: no output to play on
}

// LiveBroadcast is what Viewers needs of the broadcast on air
// (*studio.Broadcast).
type LiveBroadcast interface {
	AddDestination(d studio.Destination) (int, error)
	RemoveDestination(i int) error
}

// ViewersDestination is the broadcast's destination for onair's own viewers.
var ViewersDestination = studio.Destination{Name: "Phone monitor and private show", URL: outputs.ViewersURL}

// NewViewers prepares the viewers; nothing is served until the monitor is
// turned on or a private show opened. certDir keeps the server's
// certificate, so the fingerprint the performer checked stays the same.
func NewViewers(s studio.WebRTCSettings, certDir string) *Viewers {
	v := &Viewers{settings: s, certDir: certDir, liveIndex: -1,
		kick: make(chan struct{}, 1), stop: make(chan struct{}), fed: make(chan struct{})}
	go v.feeder()
	return v
}

// feeder makes the broadcast on air feed the viewers while they are wanted
// and stop when not (the viewers' rendition costs an encode), one change at
// a time, until Close.
func (v *Viewers) feeder() {
	defer close(v.fed)
	for {
		select {
		case <-v.stop:
			return
		case <-v.kick:
		}
		v.mu.Lock()
		b, want, idx := v.live, v.wantedLocked(), v.liveIndex
		switch {
		case b == nil || want == (idx >= 0):
			v.mu.Unlock()
		case want:
			v.mu.Unlock()
			i, err := b.AddDestination(ViewersDestination)
			v.mu.Lock()
			if err != nil {
				v.err = "The phone monitor and private show could not join the show: " + err.Error()
			} else if v.live == b {
				v.liveIndex = i
				v.poke() // wanted no more meanwhile: looked at again
			}
			v.mu.Unlock()
			v.changed()
		default:
			v.liveIndex = -1
			v.mu.Unlock()
			b.RemoveDestination(idx)
		}
	}
}

// poke wakes the feeder (never waits).
func (v *Viewers) poke() {
	select {
	case v.kick <- struct{}{}:
	default:
	}
}

// wantedLocked: the monitor is on, or a private link waits for its viewer
// or is in a call (a used-up link wants nothing). Called with v.mu held.
func (v *Viewers) wantedLocked() bool {
	if v.monitor {
		return true
	}
	if !v.private || v.show == nil {
		return false
	}
	st := v.show.State()
	return st == webrtc.ShowWaiting || st == webrtc.ShowInCall
}

// Connector is the viewers destination's connector (the broadcast's
// Connectors[outputs.Viewers]).
func (v *Viewers) Connector() outputs.Connector { return v.prog.Connector() }

// Wanted says whether a broadcast starting now should feed the viewers:
// the monitor is on or a private show is open.
func (v *Viewers) Wanted() bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.wantedLocked()
}

// GoingLive tells the viewers the broadcast on air (nil when it ends) and
// the index of its viewers destination (-1 when it has none).
func (v *Viewers) GoingLive(b LiveBroadcast, index int) {
	v.mu.Lock()
	v.live, v.liveIndex = b, index
	v.mu.Unlock()
	v.poke() // what was switched while the show was being prepared
}

// server starts the local HTTPS server if it is not running. Called with
// v.mu held.
func (v *Viewers) serverLocked() (*webrtc.Server, error) {
	if v.closed {
		return nil, errors.New("onair is closing")
	}
	if v.srv != nil {
		return v.srv, nil
	}
	srv, err := webrtc.NewServer(webrtc.ServerConfig{
		Addr:       net.JoinHostPort("", strconv.Itoa(v.settings.ServerPort())),
		CertDir:    v.certDir,
		ICEServers: ICEServers(v.settings.ICEServers),
	})
	if err == nil {
		err = srv.Start()
	}
	if err != nil {
		return nil, fmt.Errorf("the local WebRTC server could not start: %w", err)
	}
	v.srv = srv
	v.mon = srv.Monitor(&v.prog)
	v.mon.OnChange(v.changed)
	v.show = webrtc.NewPrivateShow(webrtc.PrivateConfig{
		Program:         &v.prog,
		ICEServers:      ICEServers(v.settings.ICEServers),
		NewDecoder:      func(codec string) (webrtc.VideoDecoder, error) { return libav.NewVideoDecoder(codec) },
		NewAudioDecoder: func() (webrtc.AudioDecoder, error) { return libav.NewOpusDecoder() },
		OnViewerFrame:   func(p *image.YCbCr) { v.picture.Store(p) },
		OnViewerAudio:   v.hear,
		OnChange:        v.showChanged,
	})
	srv.HandleOpen("/show/", v.show) // the viewer may be anywhere
	return srv, nil
}

// hear plays the private viewer's voice on the performer's sound output
// (opened at the first sound of a call, without holding up quiet).
func (v *Viewers) hear(l, r []float32) {
	inCall := func() bool {
		v.mu.Lock()
		show := v.show
		v.mu.Unlock()
		return show != nil && show.State() == webrtc.ShowInCall
	}
	if !inCall() {
		return // the last packets of a call over: no output opened again
	}
	v.spMu.Lock()
	sp, failed := v.speaker, v.spFailed
	v.spMu.Unlock()
	if sp == nil && !failed {
		opened, err := device.OpenSpeaker()
		v.spMu.Lock()
		switch {
		case err != nil:
			v.spFailed = true
		case v.speaker == nil && inCall():
			v.speaker, sp = opened, opened
		default:
			defer opened.Close() // the call ended meanwhile
		}
		v.spMu.Unlock()
		if err != nil {
			v.mu.Lock()
			v.err = "Your viewer's voice cannot be played: " + err.Error()
			v.mu.Unlock()
			v.changed()
			return
		}
	}
	if sp != nil {
		sp.Write(l, r)
	}
}

// quiet closes the sound output (the call is over).
func (v *Viewers) quiet() {
	v.spMu.Lock()
	sp := v.speaker
	v.speaker, v.spFailed = nil, false
	v.spMu.Unlock()
	if sp != nil {
		sp.Close()
	}
}

// showChanged follows the private show: out of a call, the viewer's
// picture and voice go.
func (v *Viewers) showChanged() {
	v.mu.Lock()
	show := v.show
	v.mu.Unlock()
	if show != nil && show.State() != webrtc.ShowInCall {
		v.picture.Store(nil)
		v.quiet()
	}
	v.poke() // a used-up link wants no feed
	v.changed()
}

// changed tells the window.
func (v *Viewers) changed() {
	v.mu.Lock()
	fn := v.onChange
	v.mu.Unlock()
	if fn != nil {
		fn()
	}
}

// SetMonitor turns the phone monitor on or off.
func (v *Viewers) SetMonitor(on bool) error {
	var mon *webrtc.Monitor
	return v.turn(on, func() { v.monitor, mon = on, v.mon }, func() {
		if mon != nil {
			mon.Enable(on) // it tells of the change: not under v.mu
		}
	})
}

// turn starts the server when needed (start), sets what is wanted under
// v.mu (set), then, with the lock released, does what follows (then), and
// has the feeder follow. One switch at a time.
func (v *Viewers) turn(start bool, set, then func()) error {
	v.switching.Lock()
	defer v.switching.Unlock()
	v.mu.Lock()
	if start {
		if _, err := v.serverLocked(); err != nil {
			v.err = err.Error()
			v.mu.Unlock()
			v.changed()
			return err
		}
	}
	set()
	v.err = ""
	v.mu.Unlock()
	then()
	v.poke()
	v.changed()
	return nil
}

// RotateMonitor makes a new monitor link and drops whoever watches.
func (v *Viewers) RotateMonitor() error {
	v.mu.Lock()
	mon := v.mon
	v.mu.Unlock()
	if mon == nil {
		return errors.New("the phone monitor is off")
	}
	mon.Rotate()
	v.changed()
	return nil
}

// OpenPrivate makes a new private show link (ending a call under way).
func (v *Viewers) OpenPrivate() error {
	var show *webrtc.PrivateShow
	return v.turn(true, func() { v.private, show = true, v.show }, func() {
		v.quiet()
		show.Open()
	})
}

// HangUp ends the private call.
func (v *Viewers) HangUp() {
	v.mu.Lock()
	show := v.show
	v.mu.Unlock()
	if show != nil {
		show.HangUp()
	}
	v.picture.Store(nil)
	v.changed()
}

// ClosePrivate ends the call and the link.
func (v *Viewers) ClosePrivate() {
	var show *webrtc.PrivateShow
	v.turn(false, func() { v.private, show = false, v.show }, func() {
		if show != nil {
			show.HangUp() // the link is used up
		}
		v.picture.Store(nil)
	})
}

// ViewerPicture is the private viewer's newest camera picture.
func (v *Viewers) ViewerPicture() image.Image {
	if p := v.picture.Load(); p != nil {
		return p
	}
	return nil
}

// OnChange sets what is called when the state changes.
func (v *Viewers) OnChange(fn func()) {
	v.mu.Lock()
	v.onChange = fn
	v.mu.Unlock()
}

// State is what the window shows.
func (v *Viewers) State() studio.ViewersState {
	v.mu.Lock()
	defer v.mu.Unlock()
	s := studio.ViewersState{Monitor: v.monitor, Private: v.private, Err: v.err}
	if v.srv != nil {
		s.Fingerprint = v.srv.Fingerprint()
	}
	if v.monitor && v.mon != nil {
		s.Link = v.mon.URL()
		s.Watching = v.mon.Viewers()
	}
	if v.private && v.show != nil {
		st := v.show.Stats()
		s.PrivateLink = v.show.Link(v.srv.BaseURLs()[0])
		s.Call, s.InCall = callInWords(st), st.State == webrtc.ShowInCall
	}
	return s
}

// callInWords is the private show's state for the window.
func callInWords(st webrtc.PrivateStats) string {
	switch st.State {
	case webrtc.ShowWaiting:
		return "Waiting for your viewer: send them the link (one viewer; it works once)."
	case webrtc.ShowInCall:
		r := st.Viewer
		if r.FramesDecoded > 0 && r.Width > 0 {
			return fmt.Sprintf("In a call. Your viewer receives your show at %dx%d; you receive their camera.", r.Width, r.Height)
		}
		return "In a call: your viewer is connecting to your show."
	case webrtc.ShowEnded:
		if st.Ended != "" {
			return "The call ended: " + st.Ended + ". Make a new link for another."
		}
		return "The call ended. Make a new link for another."
	}
	return ""
}

// Close ends the private show and the server, and waits for them.
func (v *Viewers) Close() {
	v.mu.Lock()
	v.closed = true
	srv, show := v.srv, v.show
	v.mu.Unlock()
	if show != nil {
		show.Close()
	}
	if srv != nil {
		srv.Close()
	}
	v.quiet()
	v.stopOnce.Do(func() { close(v.stop) })
	<-v.fed
}

// CertDir is where the local server's certificate is kept: beside the
// profile.
func CertDir() string { return filepath.Join(filepath.Dir(studio.DefaultProfilePath()), "webrtc") }
