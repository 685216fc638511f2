package ui

import (
	"fmt"
	"image"
	"strings"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
	qrcode "github.com/skip2/go-qrcode"

	"onair/studio"
)

// Viewers is onair's own WebRTC viewers, served from its local HTTPS
// server: the performer's phone monitor and the private one-to-one show
// (*wire.Viewers). Its methods may block briefly (the server starts); the
// window calls them off the UI goroutine.
type Viewers interface {
	// SetMonitor turns the phone monitor on or off.
	SetMonitor(on bool) error
	// RotateMonitor makes a new monitor link; whoever watches through the
	// old one is dropped.
	RotateMonitor() error
	// OpenPrivate makes a new private show link (ending a call under way).
	OpenPrivate() error
	// HangUp ends the private call (the link is used up: a new one for the
	// next viewer).
	HangUp()
	// ClosePrivate ends the call and the link.
	ClosePrivate()
	// State is what there is to show.
	State() studio.ViewersState
	// ViewerPicture is the private show viewer's newest camera picture
	// (nil: none).
	ViewerPicture() image.Image
	// OnChange is called, on any goroutine, when State changes.
	OnChange(func())
}

// linkShownFor is how long a link and its QR code stay on screen: a link
// is a key to the show, and performers share their screen.
const linkShownFor = 60 * time.Second

// viewersPanel is the window's part for them: a switch for the monitor, its
// link as a QR code (shown on demand, hidden after a minute), the
// certificate's fingerprint, how many watch, a new link; the private show's
// link, state, hang-up and the viewer's camera.
type viewersPanel struct {
	w *Window
	v Viewers

	monitor     *widget.Check
	monLine     *widget.Label
	monShow     *widget.Button
	monRotate   *widget.Button
	monQR       *canvas.Image
	monLink     *widget.Label
	fingerprint *widget.Label

	privOpen   *widget.Button
	privLine   *widget.Label
	privShow   *widget.Button
	privHang   *widget.Button
	privClose  *widget.Button
	privQR     *canvas.Image
	privLink   *widget.Label
	tile       *canvas.Image
	errLine    *widget.Label
	box        fyne.CanvasObject
	item       *widget.Accordion
	shownUntil [2]time.Time        // when each link hides again (UI goroutine)
	last       studio.ViewersState // UI goroutine
	updating   bool                // setting the switch from the state: not the performer
	// tileRunning: a goroutine redraws the tile (UI goroutine); inCall
	// tells it when to stop.
	tileRunning bool
	inCall      atomic.Bool
	qrOf        [2]string // the links the codes drawn hold (UI goroutine)
	callErr     string    // what the last action said went wrong (UI goroutine)
}

func (w *Window) newViewersPanel(v Viewers) *viewersPanel {
	p := &viewersPanel{w: w, v: v}
	p.monitor = widget.NewCheck("Watch the show on my phone", p.toggleMonitor)
	p.monLine = widget.NewLabel("Off: nothing is served.")
	p.monLine.Wrapping = fyne.TextWrapWord
	p.monShow = widget.NewButtonWithIcon("Show the code", theme.VisibilityIcon(), func() { p.reveal(0) })
	p.monRotate = widget.NewButtonWithIcon("New link", theme.ViewRefreshIcon(), func() {
		p.call(func() error { return v.RotateMonitor() })
	})
	p.monQR, p.monLink = qrImage(), linkLabel()
	p.fingerprint = widget.NewLabel("")
	p.fingerprint.Wrapping = fyne.TextWrapWord

	p.privOpen = widget.NewButtonWithIcon("New private show link", theme.ContentAddIcon(), func() {
		p.call(func() error { return v.OpenPrivate() })
	})
	p.privLine = widget.NewLabel("")
	p.privLine.Wrapping = fyne.TextWrapWord
	p.privShow = widget.NewButtonWithIcon("Show the code", theme.VisibilityIcon(), func() { p.reveal(1) })
	p.privHang = widget.NewButtonWithIcon("Hang up", theme.MediaStopIcon(), func() {
		p.call(func() error { v.HangUp(); return nil })
	})
	p.privHang.Importance = widget.DangerImportance
	p.privClose = widget.NewButton("End the link", func() { p.call(func() error { v.ClosePrivate(); return nil }) })
	p.privQR, p.privLink = qrImage(), linkLabel()
	p.tile = canvas.NewImageFromImage(nil)
	p.tile.FillMode = canvas.ImageFillContain
	p.tile.SetMinSize(fyne.NewSize(240, 135))
	p.tile.Hide()
	p.errLine = widget.NewLabel("")
	p.errLine.Wrapping = fyne.TextWrapWord
	p.errLine.Importance = widget.DangerImportance
	p.errLine.Hide()

	monTitle := widget.NewLabel("Phone monitor")
	monTitle.TextStyle.Bold = true
	privTitle := widget.NewLabel("Private show")
	privTitle.TextStyle.Bold = true
	body := container.NewVBox(
		monTitle, p.monitor, p.monLine, container.NewHBox(p.monShow, p.monRotate), p.monQR, p.monLink, p.fingerprint,
		widget.NewSeparator(),
		privTitle, p.privOpen, p.privLine, container.NewHBox(p.privShow, p.privHang, p.privClose), p.privQR, p.privLink, p.tile,
		p.errLine,
	)
	// Folded until opened: the window repaints whole, and this is drawn
	// only when the performer looks.
	p.item = widget.NewAccordion(widget.NewAccordionItem("Phone monitor and private show", body))
	p.box = p.item
	v.OnChange(func() { w.do(p.refresh) })
	p.refresh()
	return p
}

func qrImage() *canvas.Image {
	img := canvas.NewImageFromImage(nil)
	img.FillMode = canvas.ImageFillContain
	img.ScaleMode = canvas.ImageScalePixels
	img.SetMinSize(fyne.NewSize(180, 180))
	img.Hide()
	return img
}

func linkLabel() *widget.Label {
	l := widget.NewLabel("")
	l.Wrapping = fyne.TextWrapBreak
	l.Selectable = true
	l.Hide()
	return l
}

// call runs f off the UI goroutine (the server may take a moment to start)
// and shows what went wrong.
func (p *viewersPanel) call(f func() error) {
	p.w.spawn(func() {
		err := f()
		p.w.do(func() {
			p.callErr = ""
			if err != nil {
				p.callErr = err.Error()
			}
			p.refresh()
		})
	})
}

func (p *viewersPanel) toggleMonitor(on bool) {
	if p.updating {
		return
	}
	p.call(func() error { return p.v.SetMonitor(on) })
}

// reveal shows link i's code and text for linkShownFor.
func (p *viewersPanel) reveal(i int) {
	until := time.Now().Add(linkShownFor)
	p.shownUntil[i] = until
	p.refresh()
	p.w.spawn(func() {
		select {
		case <-time.After(linkShownFor):
		case <-p.w.ctx.Done():
			return
		}
		p.w.do(func() {
			if p.shownUntil[i] == until {
				p.shownUntil[i] = time.Time{}
				p.refresh()
			}
		})
	})
}

// refresh shows the state. UI goroutine.
func (p *viewersPanel) refresh() {
	s := p.v.State()
	prev := p.last
	p.last = s
	p.updating = true
	p.monitor.SetChecked(s.Monitor)
	p.updating = false
	// A link replaced: its old code must not stay on screen.
	if prev.Link != "" && s.Link != prev.Link {
		p.shownUntil[0] = time.Time{}
	}
	if prev.PrivateLink != "" && s.PrivateLink != prev.PrivateLink {
		p.shownUntil[1] = time.Time{}
	}
	shown := func(i int) bool { return !p.shownUntil[i].IsZero() && time.Now().Before(p.shownUntil[i]) }
	if s.Monitor {
		p.monLine.SetText(fmt.Sprintf("On: %s. Scan the code with your phone (same Wi-Fi).", watching(s.Watching)))
		p.monShow.Show()
		p.monRotate.Show()
		p.fingerprint.SetText("Certificate " + shortFingerprint(s.Fingerprint) + " — your phone warns that nobody vouches for it: open the page if its SHA-256 fingerprint starts the same.")
		p.fingerprint.Show()
	} else {
		p.monLine.SetText("Off: nothing is served.")
		p.monShow.Hide()
		p.monRotate.Hide()
		p.fingerprint.Hide()
	}
	showLink(p.monQR, p.monLink, p.monShow, &p.qrOf[0], s.Link, s.Monitor && shown(0))

	if s.Private {
		p.privOpen.SetText("New link (ends this one)")
		p.privLine.SetText(s.Call)
		p.privShow.Show()
		p.privClose.Show()
		if s.InCall {
			p.privHang.Show()
		} else {
			p.privHang.Hide()
		}
	} else {
		p.privOpen.SetText("New private show link")
		p.privLine.SetText("A link for one viewer: you see and hear each other; nothing passes through a server.")
		p.privShow.Hide()
		p.privHang.Hide()
		p.privClose.Hide()
	}
	showLink(p.privQR, p.privLink, p.privShow, &p.qrOf[1], s.PrivateLink, s.Private && shown(1))
	p.inCall.Store(s.InCall)
	if s.InCall {
		p.tile.Show()
		p.runTile()
	} else {
		p.tile.Image = nil
		p.tile.Hide()
	}
	switch {
	case p.callErr != "":
		p.errLine.SetText(p.callErr)
		p.errLine.Show()
	case s.Err != "":
		p.errLine.SetText(s.Err)
		p.errLine.Show()
	default:
		p.errLine.Hide()
	}
}

func watching(n int) string {
	switch n {
	case 0:
		return "nobody watching yet"
	case 1:
		return "1 phone watching"
	}
	return fmt.Sprintf("%d phones watching", n)
}

// shortFingerprint is the first 8 bytes of a colon-hex fingerprint: enough
// to compare by eye.
func shortFingerprint(fp string) string {
	parts := strings.Split(fp, ":")
	if len(parts) > 8 {
		return strings.Join(parts[:8], ":") + "…"
	}
	return fp
}

// showLink shows link as a QR code and text when show, otherwise neither;
// of is the link the code now drawn holds (made again only for another).
func showLink(qr *canvas.Image, text *widget.Label, button *widget.Button, of *string, link string, show bool) {
	if !show || link == "" {
		qr.Image, *of = nil, ""
		qr.Hide()
		text.SetText("")
		text.Hide()
		button.SetText("Show the code")
		return
	}
	if *of != link {
		if code, err := qrcode.New(link, qrcode.Medium); err == nil {
			qr.Image, *of = code.Image(360), link
			qr.Refresh()
		}
	}
	qr.Show()
	text.SetText(link)
	text.Show()
	button.SetText("Shown for a minute")
}

// runTile redraws the viewer's camera tile five times a second while the
// call lasts (one runner at a time). UI goroutine.
func (p *viewersPanel) runTile() {
	if p.tileRunning {
		return
	}
	p.tileRunning = true
	ok := p.w.spawn(func() {
		tick := time.NewTicker(200 * time.Millisecond)
		defer tick.Stop()
		for p.inCall.Load() {
			select {
			case <-p.w.ctx.Done():
				return
			case <-tick.C:
			}
			if img := p.v.ViewerPicture(); img != nil {
				p.w.do(func() {
					if p.last.InCall {
						p.tile.Image = img
						p.tile.Refresh()
					}
				})
			}
		}
		p.w.do(func() {
			p.tileRunning = false
			if p.last.InCall { // a new call came as this one ended
				p.runTile()
			}
		})
	})
	if !ok {
		p.tileRunning = false // the window is closing
	}
}

// OpenViewers unfolds the phone monitor and private show panel (scripted
// runs: the screenshots); reveal also shows the monitor's code.
func (w *Window) OpenViewers(reveal bool) {
	w.do(func() {
		if w.viewers == nil {
			return
		}
		if w.sources != nil {
			w.sources.pickers.Close(0) // room for it
		}
		w.viewers.item.Open(0)
		if reveal {
			w.viewers.reveal(0)
		}
	})
}
