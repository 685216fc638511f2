package ui

import (
	"context"
	"fmt"
	"image"
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

// meterView is a strip's meter drawn as one picture: per channel a bar,
// the peak fill coloured by zone, the RMS as a brighter core and a hold
// tick; the clip light on the right. One picture rather than a dozen
// shapes: Fyne repaints the whole window with every preview frame, and its
// cost grows with the number of shapes. UI goroutine only.
type meterView struct {
	raster *canvas.Raster
	r      MeterReading
	shown  bool // r is on screen
	img    *image.NRGBA
}

// The meter's parts in device pixels per pixel of the window: each bar's
// height, the gap between the bars and before the clip light.
const (
	meterBarH  = 7
	meterGap   = 3
	meterWidth = 176
)

func newMeterView() *meterView {
	m := &meterView{}
	m.raster = canvas.NewRaster(m.draw)
	m.raster.SetMinSize(fyne.NewSize(meterWidth, 2*meterBarH+meterGap))
	return m
}

func (m *meterView) set(r MeterReading) {
	if m.shown && r == m.r {
		return // the same picture: nothing to repaint
	}
	m.r, m.shown = r, true
	m.raster.Refresh()
}

// draw paints the meter at w×h pixels.
func (m *meterView) draw(w, h int) image.Image {
	if m.img == nil || m.img.Rect.Dx() != w || m.img.Rect.Dy() != h {
		m.img = image.NewNRGBA(image.Rect(0, 0, w, h))
	} else {
		clear(m.img.Pix)
	}
	if w <= 0 || h <= 0 {
		return m.img
	}
	gap := max(1, h*meterGap/(2*meterBarH+meterGap))
	light := h // the clip light is a disc as high as both bars
	barW := max(1, w-light-gap)
	barH := max(1, (h-gap)/2)
	for ch := range 2 {
		y0 := ch * (barH + gap)
		pw := int(float32(barW)*meterFraction(m.r.PeakDB[ch]) + 0.5)
		rw := int(float32(barW)*meterFraction(m.r.RMSDB[ch]) + 0.5)
		hx := int(float32(barW)*meterFraction(m.r.HoldDB[ch]) + 0.5)
		pc := zoneColour(m.r.PeakDB[ch])
		peak := color.NRGBA{pc.R / 2, pc.G / 2, pc.B / 2, 0xff}
		rms := zoneColour(m.r.RMSDB[ch])
		for y := y0; y < y0+barH && y < h; y++ {
			core := y >= y0+barH/4 && y < y0+barH-barH/4
			for x := range barW {
				c := meterBack
				switch {
				case hx > 0 && x >= hx-2 && x < hx:
					c = meterHold
				case core && x < rw:
					c = rms
				case x < pw:
					c = peak
				}
				m.img.SetNRGBA(x, y, c)
			}
		}
	}
	lc := clipOff
	if m.r.Clip {
		lc = meterRed
	}
	r := float64(light) / 2
	cx, cy := float64(w)-r, r
	for y := range min(h, light) {
		for x := w - light; x < w; x++ {
			if dx, dy := float64(x)+0.5-cx, float64(y)+0.5-cy; dx*dx+dy*dy <= r*r {
				m.img.SetNRGBA(x, y, lc)
			}
		}
	}
	return m.img
}

// stripView is one mixer strip: name, two bars, the clip light, a gain
// slider in dB and mute. UI goroutine only.
type stripView struct {
	strip  AudioStrip
	name   *widget.Label
	meter  *meterView
	gain   *widget.Slider
	gainDB *widget.Label
	mute   *widget.Check
	level  *widget.Label // the peak in figures, for those who read numbers
	box    fyne.CanvasObject

	levelAt time.Time // when level last changed
}

func newStripView(s AudioStrip) *stripView {
	v := &stripView{strip: s, name: widget.NewLabel(s.Name())}
	v.name.TextStyle.Bold = true
	v.name.Truncation = fyne.TextTruncateEllipsis
	v.meter = newMeterView()
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
	v.box = container.NewVBox(
		container.NewBorder(nil, nil, nil, v.level, v.name),
		v.meter.raster,
		container.NewBorder(nil, nil, nil, container.NewHBox(v.gainDB, v.mute), v.gain),
	)
	return v
}

func (v *stripView) show(r MeterReading) {
	v.meter.set(r)
	// The figure changes at most levelEvery, and only when it changes: new
	// text costs a layout and a texture, and nobody reads figures faster.
	peak := max(r.PeakDB[0], r.PeakDB[1])
	text := "silence"
	if peak > meterFloorDB {
		text = fmt.Sprintf("%.0f dBFS", peak)
	}
	if now := time.Now(); text != v.level.Text && now.Sub(v.levelAt) >= levelEvery {
		v.levelAt = now
		v.level.SetText(text)
	}
}

// levelEvery is how often a strip's level in figures changes at most.
const levelEvery = 250 * time.Millisecond

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
	// pickers hold the camera and microphone choices; folded says they
	// were folded by going live (UI goroutine).
	pickers *widget.Accordion
	folded  bool
	// cameras and mics apply the choices made, in order.
	cameras chooser[[2]string]
	mics    chooser[string]
	shown   atomic.Pointer[[]*stripView] // strips, for the meter goroutine
	cams    []device.Info
	box     fyne.CanvasObject // the side column scrolls it
}

// noCamera is the picker's entry for the profile's own source.
const noCamera = "(no camera: the profile's source)"

func (w *Window) newSourcesPanel(src Sources) *sourcesPanel {
	p := &sourcesPanel{w: w, src: src}
	p.note = widget.NewLabel("")
	p.note.Wrapping = fyne.TextWrapWord
	p.note.Hide()
	var pickers []fyne.CanvasObject
	if src.Cameras != nil && src.UseCamera != nil {
		p.camera = widget.NewSelect(nil, nil)
		p.camera.PlaceHolder = "Camera"
		p.mode = widget.NewSelect(nil, nil)
		p.mode.PlaceHolder = "Mode"
		pickers = append(pickers, widget.NewLabel("Camera"), p.camera, p.mode)
	}
	if src.Mics != nil && src.UseMic != nil {
		p.mic = widget.NewSelect(nil, nil)
		p.mic.PlaceHolder = "Microphone"
		pickers = append(pickers, widget.NewLabel("Microphone"), p.mic)
	}
	if src.MicCheck != nil {
		p.check = widget.NewButton("Check my mic (5 s)", p.tapCheck)
		pickers = append(pickers, p.check)
	}
	// The pickers fold away while live (and unfold after, unless the
	// performer folded them): the window repaints whole with every preview
	// frame, and the pickers are a third of what it draws.
	p.pickers = widget.NewAccordion(widget.NewAccordionItem("Camera and microphone", container.NewVBox(pickers...)))
	p.pickers.Open(0)
	rows := []fyne.CanvasObject{p.pickers, p.note}
	p.mixer = container.NewVBox()
	mixTitle := widget.NewLabel("Mixer")
	mixTitle.TextStyle.Bold = true
	rows = append(rows, widget.NewSeparator(), mixTitle, p.mixer)
	p.box = container.NewVBox(rows...)
	p.rebuildStrips()
	return p
}

// onAir folds the pickers away when the show goes live, if they are open,
// and unfolds them when it ends if it was going live that folded them.
func (p *sourcesPanel) onAir(live bool) {
	item := p.pickers.Items[0]
	switch {
	case live && item.Open:
		p.pickers.Close(0)
		p.folded = true
	case !live && p.folded:
		p.folded = false
		if !item.Open {
			p.pickers.Open(0)
		}
	}
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
	p.cameras.choose([2]string{label, mode}, p.w.spawn, func(c [2]string) func() {
		if p.w.ctx.Err() != nil {
			return nil // the window is closing: open nothing more
		}
		notice, err := p.src.UseCamera(c[0], c[1])
		return func() {
			p.w.do(func() {
				switch {
				case err != nil:
					p.say("The camera could not be opened: " + err.Error())
				default:
					p.say(notice)
				}
				p.rebuildStrips()
			})
		}
	})
}

func (p *sourcesPanel) applyMic(label string) {
	p.mics.choose(label, p.w.spawn, func(label string) func() {
		if p.w.ctx.Err() != nil {
			return nil
		}
		err := p.src.UseMic(label)
		return func() {
			p.w.do(func() {
				if err != nil {
					p.say("The microphone could not be opened: " + err.Error())
				} else {
					p.say("")
				}
				p.rebuildStrips()
			})
		}
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
// shows them (with the preview's next picture: one repaint for both).
func (p *sourcesPanel) runMeters() {
	t := time.NewTicker(50 * time.Millisecond)
	defer t.Stop()
	show := p.w.paints.to(paintMeters)
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
		show(func() {
			for i, v := range views {
				if i < len(rs) {
					v.show(rs[i])
				}
			}
		})
	}
}
