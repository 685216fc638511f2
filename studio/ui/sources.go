package ui

import (
	"context"
	"fmt"
	"image/color"
	"math"
	"strings"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"onair/capture/audio"
	"onair/capture/device"
)

// Sources is what the window's sources panel shows and drives: the camera
// and microphone pickers, a mixer strip per sound input and the mic check.
// onair-studio wires it; nil fields hide their part.
type Sources struct {
	// Cameras and Mics list the devices now (a re-scan: there is no
	// hot-plug on Linux). Called off the UI goroutine.
	Cameras, Mics func() []device.Info
	// Camera, CameraMode and Mic are the choices the window opens with:
	// Camera "" is the profile's other source (test card, file).
	Camera, CameraMode, Mic string
	// UseCamera shows camera label in mode ("" for the camera's best match
	// for the canvas). It may take a moment (opening the device): called off
	// the UI goroutine. notice says when the mode is not exactly the one asked.
	UseCamera func(label, mode string) (notice string, err error)
	// UseMic makes label ("none" for none) the main microphone.
	UseMic func(label string) error
	// Strips are the mixer's inputs now, the program last.
	Strips func() []AudioStrip
	// MicCheck records the main microphone for a few seconds and says how
	// it sounds ("too quiet: peaks at −32 dBFS").
	MicCheck func(ctx context.Context) (string, error)
}

// AudioStrip is one input of the mixer as its strip shows it.
type AudioStrip interface {
	Name() string
	// Reading is the meter now: dBFS per channel, the floor at -60.
	Reading() MeterReading
	GainDB() float64
	SetGainDB(db float64)
	Muted() bool
	SetMuted(bool)
}

// MeterReading is a meter's state: peak, RMS and peak hold per channel in
// dBFS (-60 is the floor), and the clip light.
type MeterReading struct {
	PeakDB, RMSDB, HoldDB [2]float64
	Clip                  bool
}

// The bar starts at the meter's floor, -60 dB; its zones (green, yellow from
// -20 dBFS, red from -9) are audio.Classify's.
const meterFloorDB = audio.FloorDB

var (
	meterGreen  = color.NRGBA{0x3c, 0xc8, 0x50, 0xff}
	meterYellow = color.NRGBA{0xe8, 0xc8, 0x30, 0xff}
	meterRed    = color.NRGBA{0xe0, 0x3c, 0x30, 0xff}
	meterBack   = color.NRGBA{0x30, 0x30, 0x30, 0xff}
	meterHold   = color.NRGBA{0xff, 0xff, 0xff, 0xff}
	clipOff     = color.NRGBA{0x50, 0x20, 0x20, 0xff}
)

// zoneColour is the bar's colour at level db.
func zoneColour(db float64) color.NRGBA {
	switch audio.Classify(db) {
	case audio.LevelRed:
		return meterRed
	case audio.LevelYellow:
		return meterYellow
	}
	return meterGreen
}

// meterFraction maps dBFS to the bar's fill, 0 at the floor and 1 at 0 dBFS.
func meterFraction(db float64) float32 {
	if math.IsNaN(db) || db <= meterFloorDB {
		return 0
	}
	return float32(min(1, (db-meterFloorDB)/-meterFloorDB))
}

// meterBar is one channel's bar: the peak fill coloured by zone, the RMS as
// a brighter core, a hold tick. Sized by its container; UI goroutine only.
type meterBar struct {
	back, peak, rms, hold *canvas.Rectangle
	box                   *fyne.Container
	r                     MeterReading
	ch                    int
}

func newMeterBar(ch int) *meterBar {
	m := &meterBar{ch: ch,
		back: canvas.NewRectangle(meterBack), peak: canvas.NewRectangle(meterGreen),
		rms: canvas.NewRectangle(meterGreen), hold: canvas.NewRectangle(meterHold)}
	m.box = container.New(m, m.back, m.peak, m.rms, m.hold)
	return m
}

// Layout places the rectangles for the last reading (fyne.Layout).
func (m *meterBar) Layout(_ []fyne.CanvasObject, size fyne.Size) {
	m.back.Resize(size)
	m.back.Move(fyne.NewPos(0, 0))
	pw := size.Width * meterFraction(m.r.PeakDB[m.ch])
	m.peak.Resize(fyne.NewSize(pw, size.Height))
	m.peak.Move(fyne.NewPos(0, 0))
	rw := size.Width * meterFraction(m.r.RMSDB[m.ch])
	m.rms.Resize(fyne.NewSize(rw, size.Height/2))
	m.rms.Move(fyne.NewPos(0, size.Height/4))
	hx := size.Width * meterFraction(m.r.HoldDB[m.ch])
	m.hold.Resize(fyne.NewSize(2, size.Height))
	m.hold.Move(fyne.NewPos(max(0, hx-2), 0))
	if hx <= 0 {
		m.hold.Hide()
	} else {
		m.hold.Show()
	}
}

// MinSize is a bar's smallest size (fyne.Layout).
func (m *meterBar) MinSize([]fyne.CanvasObject) fyne.Size { return fyne.NewSize(160, 7) }

func (m *meterBar) set(r MeterReading) {
	m.r = r
	c := zoneColour(r.PeakDB[m.ch])
	m.peak.FillColor = color.NRGBA{c.R / 2, c.G / 2, c.B / 2, 0xff}
	m.rms.FillColor = zoneColour(r.RMSDB[m.ch])
	m.Layout(nil, m.box.Size())
	m.back.Refresh()
	m.peak.Refresh()
	m.rms.Refresh()
	m.hold.Refresh()
}

// stripView is one mixer strip: name, two bars, the clip light, a gain
// slider in dB and mute. UI goroutine only.
type stripView struct {
	strip  AudioStrip
	name   *widget.Label
	bars   [2]*meterBar
	clip   *canvas.Circle
	gain   *widget.Slider
	gainDB *widget.Label
	mute   *widget.Check
	level  *widget.Label // the peak in figures, for those who read numbers
	box    fyne.CanvasObject
}

func newStripView(s AudioStrip) *stripView {
	v := &stripView{strip: s, name: widget.NewLabel(s.Name())}
	v.name.TextStyle.Bold = true
	v.name.Truncation = fyne.TextTruncateEllipsis
	v.bars = [2]*meterBar{newMeterBar(0), newMeterBar(1)}
	v.clip = canvas.NewCircle(clipOff)
	v.gainDB = widget.NewLabel(fmt.Sprintf("%+.1f dB", s.GainDB()))
	v.gain = widget.NewSlider(-30, 30)
	v.gain.Step = 0.5
	v.gain.SetValue(s.GainDB())
	v.gain.OnChanged = func(db float64) {
		s.SetGainDB(db)
		v.gainDB.SetText(fmt.Sprintf("%+.1f dB", db))
	}
	v.mute = widget.NewCheck("Mute", func(on bool) { s.SetMuted(on) })
	v.mute.SetChecked(s.Muted())
	v.level = widget.NewLabel("")
	clip := container.NewGridWrap(fyne.NewSize(12, 12), v.clip)
	bars := container.NewVBox(v.bars[0].box, v.bars[1].box)
	v.box = container.NewVBox(
		container.NewBorder(nil, nil, nil, v.level, v.name),
		container.NewBorder(nil, nil, nil, clip, bars),
		container.NewBorder(nil, nil, nil, container.NewHBox(v.gainDB, v.mute), v.gain),
	)
	return v
}

func (v *stripView) show(r MeterReading) {
	for _, b := range v.bars {
		b.set(r)
	}
	if r.Clip {
		v.clip.FillColor = meterRed
	} else {
		v.clip.FillColor = clipOff
	}
	v.clip.Refresh()
	peak := max(r.PeakDB[0], r.PeakDB[1])
	if peak <= meterFloorDB {
		v.level.SetText("silence")
	} else {
		v.level.SetText(fmt.Sprintf("%.0f dBFS", peak))
	}
}

// sourcesPanel is the window's right-hand column. UI goroutine only, except
// where it says.
type sourcesPanel struct {
	w      *Window
	src    Sources
	camera *widget.Select
	mode   *widget.Select
	mic    *widget.Select
	note   *widget.Label
	check  *widget.Button
	mixer  *fyne.Container
	strips []*stripView
	shown  atomic.Pointer[[]*stripView] // strips, for the meter goroutine
	cams   []device.Info
	box    fyne.CanvasObject
}

// noCamera is the picker's entry for the profile's own source.
const noCamera = "(no camera: the profile's source)"

func (w *Window) newSourcesPanel(src Sources) *sourcesPanel {
	p := &sourcesPanel{w: w, src: src}
	p.note = widget.NewLabel("")
	p.note.Wrapping = fyne.TextWrapWord
	p.note.Hide()
	var rows []fyne.CanvasObject
	title := widget.NewLabel("Sources")
	title.TextStyle.Bold = true
	rows = append(rows, title)
	if src.Cameras != nil && src.UseCamera != nil {
		p.camera = widget.NewSelect(nil, nil)
		p.camera.PlaceHolder = "Camera"
		p.mode = widget.NewSelect(nil, nil)
		p.mode.PlaceHolder = "Mode"
		rows = append(rows, widget.NewLabel("Camera"), p.camera, p.mode)
	}
	if src.Mics != nil && src.UseMic != nil {
		p.mic = widget.NewSelect(nil, nil)
		p.mic.PlaceHolder = "Microphone"
		rows = append(rows, widget.NewLabel("Microphone"), p.mic)
	}
	if src.MicCheck != nil {
		p.check = widget.NewButton("Check my mic (5 s)", p.tapCheck)
		rows = append(rows, p.check)
	}
	rows = append(rows, p.note)
	p.mixer = container.NewVBox()
	mixTitle := widget.NewLabel("Mixer")
	mixTitle.TextStyle.Bold = true
	rows = append(rows, widget.NewSeparator(), mixTitle, p.mixer)
	p.box = container.NewVScroll(container.NewVBox(rows...))
	p.rebuildStrips()
	return p
}

// start lists the devices and runs the meters until the window stops.
func (p *sourcesPanel) start() {
	p.w.spawn(func() { p.scan() })
	if p.src.Strips != nil {
		p.w.spawn(p.runMeters)
	}
}

// scan lists the devices (off the UI goroutine) and fills the pickers.
func (p *sourcesPanel) scan() {
	var cams, mics []device.Info
	if p.src.Cameras != nil {
		cams = p.src.Cameras()
	}
	if p.src.Mics != nil {
		mics = p.src.Mics()
	}
	p.w.do(func() { p.fill(cams, mics) })
}

func (p *sourcesPanel) fill(cams, mics []device.Info) {
	p.cams = cams
	var missing []string
	if p.camera != nil {
		opts := []string{noCamera}
		for _, c := range cams {
			opts = append(opts, c.Label)
		}
		p.camera.Options = opts
		cur := p.src.Camera
		if cur == "" {
			cur = noCamera
		}
		// The opening choices are applied already: select them before the
		// handlers are set, so nothing is opened again.
		p.camera.SetSelected(cur)
		p.fillModes(p.src.Camera)
		if p.src.CameraMode != "" {
			p.mode.SetSelected(p.src.CameraMode)
		}
		p.camera.OnChanged = func(label string) {
			p.fillModes(label)
			p.apply()
		}
		p.mode.OnChanged = func(string) { p.apply() }
		if len(cams) == 0 {
			missing = append(missing, "No cameras were found.")
		}
	}
	if p.mic != nil {
		opts := []string{"none", "default"}
		for _, m := range mics {
			opts = append(opts, m.Label)
		}
		p.mic.Options = opts
		cur := p.src.Mic
		if cur == "" {
			cur = "none"
		}
		p.mic.SetSelected(cur)
		p.mic.OnChanged = func(label string) { p.applyMic(label) }
		if len(mics) == 0 {
			missing = append(missing, "No microphones were found.")
		}
	}
	if len(missing) > 0 {
		p.say(strings.Join(missing, " "))
	}
}

func (p *sourcesPanel) fillModes(label string) {
	if p.mode == nil {
		return
	}
	handler := p.mode.OnChanged
	p.mode.OnChanged = nil // filling the list is not a choice
	p.mode.Options = nil
	p.mode.ClearSelected()
	for _, c := range p.cams {
		if c.Label == label {
			for _, m := range c.Modes {
				p.mode.Options = append(p.mode.Options, device.Mode{Width: m.Width, Height: m.Height, FPS: m.FPS}.String())
			}
		}
	}
	p.mode.Options = dedupe(p.mode.Options)
	p.mode.OnChanged = handler
	p.mode.Refresh()
}

func dedupe(s []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, v := range s {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}

func (p *sourcesPanel) say(msg string) {
	p.note.SetText(msg)
	if msg == "" {
		p.note.Hide()
	} else {
		p.note.Show()
	}
}

// apply opens the chosen camera in the chosen mode, off the UI goroutine.
func (p *sourcesPanel) apply() {
	label, mode := p.camera.Selected, p.mode.Selected
	if label == noCamera {
		label = ""
	}
	p.say("Opening the camera…")
	p.w.spawn(func() {
		notice, err := p.src.UseCamera(label, mode)
		p.w.do(func() {
			switch {
			case err != nil:
				p.say("The camera could not be opened: " + err.Error())
			default:
				p.say(notice)
			}
			p.rebuildStrips()
		})
	})
}

func (p *sourcesPanel) applyMic(label string) {
	p.w.spawn(func() {
		err := p.src.UseMic(label)
		p.w.do(func() {
			if err != nil {
				p.say("The microphone could not be opened: " + err.Error())
			} else {
				p.say("")
			}
			p.rebuildStrips()
		})
	})
}

func (p *sourcesPanel) tapCheck() {
	p.check.Disable()
	p.check.SetText("Listening… speak as you will on the show")
	p.w.spawn(func() {
		ctx, cancel := context.WithTimeout(p.w.ctx, 30*time.Second)
		defer cancel()
		verdict, err := p.src.MicCheck(ctx)
		p.w.do(func() {
			p.check.SetText("Check my mic (5 s)")
			p.check.Enable()
			if err != nil {
				p.say("Mic check: " + err.Error())
			} else {
				p.say("Mic check: " + verdict)
			}
		})
	})
}

// rebuildStrips makes one strip per mixer input.
func (p *sourcesPanel) rebuildStrips() {
	p.mixer.RemoveAll()
	p.strips = nil
	if p.src.Strips == nil {
		return
	}
	for _, s := range p.src.Strips() {
		v := newStripView(s)
		p.strips = append(p.strips, v)
		p.mixer.Add(v.box)
	}
	if len(p.strips) == 0 {
		p.mixer.Add(widget.NewLabel("No sound input."))
	}
	views := p.strips
	p.shown.Store(&views)
	p.mixer.Refresh()
}

// runMeters reads the meters 20 times a second (off the UI goroutine) and
// shows them.
func (p *sourcesPanel) runMeters() {
	t := time.NewTicker(50 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-p.w.ctx.Done():
			return
		case <-t.C:
		}
		views := *p.shown.Load()
		rs := make([]MeterReading, len(views))
		for i, v := range views {
			rs[i] = v.strip.Reading()
		}
		p.w.do(func() {
			for i, v := range views {
				if i < len(rs) {
					v.show(rs[i])
				}
			}
		})
	}
}
