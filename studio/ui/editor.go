package ui

import (
	"net/url"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"onair/studio"
)

// recordingKind is the editor's choice for a local recording; the others
// are the platform presets (assets/presets.json) by name.
const recordingKind = "Recording (a file on this computer)"

// destEditor is the "Add destination" / "Edit" dialog. UI goroutine only.
type destEditor struct {
	w     *Window
	index int // the destination edited, -1 for a new one
	kinds []studio.Preset

	kind             *widget.Select
	name, server     *widget.Entry
	key              *widget.Entry // masked until Reveal
	pass             *widget.Entry // an SRT passphrase, always masked
	passRow          fyne.CanvasObject
	reveal, paste    *widget.Button
	enabled, dynamic *widget.Check
	keyRow           fyne.CanvasObject
	serverLabel      *widget.Label
	hint             *widget.Label // the platform's notes
	problem          *widget.Label // why it cannot be saved, in words
	save, cancel     *widget.Button
	dlg              dialog.Dialog
}

// editDestination opens the editor on destination i (-1: a new one).
func (w *Window) editDestination(i int) {
	if w.cfg.OnChange == nil {
		return
	}
	if w.state != offAir {
		w.showInfo("End the broadcast to change the destinations.")
		return
	}
	e := &destEditor{w: w, index: i}
	e.kinds, _ = studio.Presets() // a broken preset file leaves custom URLs and recordings
	var names []string
	for _, p := range e.kinds {
		names = append(names, p.Name)
	}
	names = append(names, recordingKind)
	e.kind = widget.NewSelect(names, func(string) { e.kindChanged() })
	e.name = widget.NewEntry()
	e.name.SetPlaceHolder("shown in this window (optional)")
	e.server = widget.NewEntry()
	e.key = widget.NewPasswordEntry()
	e.key.ActionItem = nil // Reveal is the one way to show it, and says which it is
	e.key.SetPlaceHolder("paste it from the platform's dashboard")
	e.pass = widget.NewPasswordEntry()
	// No eye: a non-nil, empty action item (nil gets Fyne's reveal back).
	e.pass.ActionItem = layout.NewSpacer()
	e.pass.SetPlaceHolder("the SRT passphrase, if the server wants one")
	e.passRow = container.NewBorder(nil, nil, widget.NewLabel("Passphrase"), nil, e.pass)
	e.reveal = widget.NewButtonWithIcon("Reveal", theme.VisibilityIcon(), e.toggleReveal)
	e.paste = widget.NewButtonWithIcon("Paste", theme.ContentPasteIcon(), e.pasteKey)
	e.enabled = widget.NewCheck("Go live with it", nil)
	e.dynamic = widget.NewCheck("Dynamic bitrate (follows the connection)", nil)
	e.serverLabel = widget.NewLabel("Server")
	e.hint = widget.NewLabel("")
	e.hint.Wrapping = fyne.TextWrapWord
	e.hint.Importance = widget.LowImportance
	e.problem = widget.NewLabel("")
	e.problem.Wrapping = fyne.TextWrapWord
	e.problem.Importance = widget.DangerImportance
	e.save = widget.NewButton("Save", e.apply)
	e.save.Importance = widget.HighImportance
	e.cancel = widget.NewButton("Cancel", func() { e.dlg.Hide(); w.editor = nil })
	for _, en := range []*widget.Entry{e.name, e.server, e.key, e.pass} {
		en.OnChanged = func(string) { e.validate() }
	}

	e.keyRow = container.NewBorder(nil, nil, widget.NewLabel("Stream key"), container.NewHBox(e.reveal, e.paste), e.key)
	e.enabled.SetChecked(true)
	if i >= 0 && i < len(w.cfg.Destinations) {
		e.fill(w.cfg.Destinations[i])
	} else {
		e.kind.SetSelected(names[0])
	}
	form := container.NewVBox(
		container.NewBorder(nil, nil, widget.NewLabel("Platform"), nil, e.kind),
		container.NewBorder(nil, nil, widget.NewLabel("Name"), nil, e.name),
		container.NewBorder(nil, nil, e.serverLabel, nil, e.server),
		e.keyRow,
		e.passRow,
		e.hint,
		container.NewHBox(e.enabled, e.dynamic),
		e.problem,
		container.NewHBox(e.cancel, e.save),
	)
	title := "Add destination"
	if i >= 0 {
		title = "Edit destination"
	}
	e.dlg = dialog.NewCustomWithoutButtons(title, container.NewGridWrap(fyne.NewSize(620, form.MinSize().Height+40), form), w.win)
	w.editor = e
	e.kindChanged()
	e.dlg.Show()
}

// preset is the chosen platform (nil: a recording).
func (e *destEditor) preset() *studio.Preset {
	for i := range e.kinds {
		if e.kinds[i].Name == e.kind.Selected {
			return &e.kinds[i]
		}
	}
	return nil
}

// kindChanged fills the server with the platform's ingest (when it has one
// and the field holds no other address) and shows the fields that apply.
func (e *destEditor) kindChanged() {
	p := e.preset()
	switch {
	case p == nil:
		e.serverLabel.SetText("File")
		e.server.SetPlaceHolder("/home/me/Videos/show.mkv (or .ts)")
		e.keyRow.Hide()
		e.dynamic.Hide()
		e.hint.SetText("A recording goes on while the network is down.")
	default:
		e.serverLabel.SetText("Server")
		e.keyRow.Show()
		e.dynamic.Show()
		if p.Ingest != "" && (e.server.Text == "" || e.isIngest(e.server.Text)) {
			e.server.SetText(p.Ingest)
		}
		if p.Ingest == "" && e.isIngest(e.server.Text) {
			e.server.SetText("") // another platform's ingest is no use here
		}
		switch {
		case p.ID == "custom-srt":
			e.server.SetPlaceHolder("srt://host:port")
			e.hint.SetText("The stream key is sent as the SRT stream id.")
		case p.Ingest == "":
			e.server.SetPlaceHolder("rtmp://… or rtmps://… (from the platform's dashboard)")
			e.hint.SetText(hintFor(p, "Copy the server address from "+p.Name+"'s broadcast settings."))
		default:
			e.hint.SetText(hintFor(p, ""))
		}
	}
	if e.name.Text == "" && p != nil && !strings.HasPrefix(p.ID, "custom-") && e.index < 0 {
		e.name.SetText(p.Name)
	}
	e.validate()
}

func hintFor(p *studio.Preset, first string) string {
	var parts []string
	if first != "" {
		parts = append(parts, first)
	}
	if p.Notes != "" {
		parts = append(parts, p.Notes+".")
	}
	if p.MaxBitrateKbps > 0 {
		parts = append(parts, "At most "+strconv.Itoa(p.MaxBitrateKbps)+" kb/s, a keyframe every "+strconv.Itoa(p.KeyframeSec)+" s.")
	}
	return strings.Join(parts, " ")
}

// isIngest tells whether u is one of the presets' ingest addresses (left
// there by an earlier choice).
func (e *destEditor) isIngest(u string) bool {
	for _, p := range e.kinds {
		if p.Ingest != "" && u == p.Ingest {
			return true
		}
	}
	return false
}

func (e *destEditor) toggleReveal() {
	e.key.Password = !e.key.Password
	if e.key.Password {
		e.reveal.SetText("Reveal")
		e.reveal.SetIcon(theme.VisibilityIcon())
	} else {
		e.reveal.SetText("Hide")
		e.reveal.SetIcon(theme.VisibilityOffIcon())
	}
	e.key.Refresh()
}

// pasteKey puts the clipboard's text in the key field, trimmed: a key copied
// from a web page often comes with a space or a newline.
func (e *destEditor) pasteKey() {
	e.key.SetText(strings.TrimSpace(e.w.app.Clipboard().Content()))
}

// dest is the destination the fields describe.
func (e *destEditor) dest() studio.Destination {
	on := e.enabled.Checked
	d := studio.Destination{Name: strings.TrimSpace(e.name.Text), Enabled: &on}
	if on {
		d.Enabled = nil // the profile's default
	}
	server, key := strings.TrimSpace(e.server.Text), strings.TrimSpace(e.key.Text)
	p := e.preset()
	if p == nil {
		d.URL = server
		if strings.HasPrefix(server, "/") {
			d.URL = "file://" + server
		}
		return d
	}
	d.Preset = p.ID
	d.DynamicBitrate = e.dynamic.Checked
	d.URL = joinKey(server, key)
	if pass := strings.TrimSpace(e.pass.Text); pass != "" && strings.HasPrefix(strings.ToLower(d.URL), "srt://") {
		if pu, err := url.Parse(d.URL); err == nil {
			q := pu.Query()
			q.Set("passphrase", pass)
			pu.RawQuery = q.Encode()
			d.URL = pu.String()
		}
	}
	return d
}

// joinKey puts a stream key into a server address: the last path element
// of an RTMP(S) URL, the stream id of an SRT one.
func joinKey(server, key string) string {
	if key == "" {
		return server
	}
	if strings.HasPrefix(strings.ToLower(server), "srt://") {
		sep := "?"
		if strings.Contains(server, "?") {
			sep = "&"
		}
		return server + sep + "streamid=" + url.QueryEscape(key)
	}
	return strings.TrimRight(server, "/") + "/" + key
}

// splitKey is joinKey's inverse: the server address and the stream key.
func splitKey(u string) (server, key string) {
	if strings.HasPrefix(strings.ToLower(u), "srt://") {
		pu, err := url.Parse(u)
		if err != nil {
			return u, ""
		}
		q := pu.Query()
		key = q.Get("streamid")
		q.Del("streamid")
		pu.RawQuery = q.Encode()
		return pu.String(), key
	}
	i := strings.Index(u, "://")
	if i < 0 || strings.HasPrefix(u, "file:") {
		return u, ""
	}
	rest := u[i+3:]
	if strings.Count(rest, "/") < 2 {
		return u, ""
	}
	j := strings.LastIndexByte(u, '/')
	return u[:j], u[j+1:]
}

// splitPassphrase takes an SRT address's passphrase out of it, for its
// masked field.
func splitPassphrase(u string) (rest, pass string) {
	if !strings.HasPrefix(strings.ToLower(u), "srt://") {
		return u, ""
	}
	pu, err := url.Parse(u)
	if err != nil {
		return u, ""
	}
	q := pu.Query()
	pass = q.Get("passphrase")
	q.Del("passphrase")
	pu.RawQuery = q.Encode()
	return pu.String(), pass
}

// fill shows d in the fields.
func (e *destEditor) fill(d studio.Destination) {
	kind := recordingKind
	if strings.HasPrefix(d.URL, "file:") {
		e.server.SetText(strings.TrimPrefix(d.URL, "file://"))
	} else {
		id := d.Preset
		if id == "" {
			id = "custom-rtmp"
			if strings.HasPrefix(strings.ToLower(d.URL), "srt://") {
				id = "custom-srt"
			}
		}
		for _, p := range e.kinds {
			if strings.EqualFold(p.ID, id) {
				kind = p.Name
			}
		}
		server, pass := splitPassphrase(d.URL)
		server, key := splitKey(server)
		e.server.SetText(server)
		e.key.SetText(key)
		e.pass.SetText(pass)
	}
	e.name.SetText(d.Name)
	e.enabled.SetChecked(d.On())
	e.dynamic.SetChecked(d.DynamicBitrate)
	e.kind.SetSelected(kind)
}

// validate says beside the fields why the destination cannot be saved, in
// words that never show the key.
func (e *destEditor) validate() {
	if e.problem == nil || e.save == nil {
		return // still being built
	}
	msg := ""
	p := e.preset()
	// The passphrase row, for SRT only (the platform, or the address typed).
	if p != nil && (p.ID == "custom-srt" || strings.HasPrefix(strings.ToLower(strings.TrimSpace(e.server.Text)), "srt://")) {
		e.passRow.Show()
	} else {
		e.passRow.Hide()
	}
	switch {
	case strings.TrimSpace(e.server.Text) == "" && p == nil:
		msg = "Enter where to save the recording, e.g. /home/me/Videos/show.mkv."
	case strings.TrimSpace(e.server.Text) == "":
		msg = "Enter the server address (rtmp://…, rtmps://… or srt://…)."
	case p != nil && strings.TrimSpace(e.key.Text) == "" && !strings.Contains(e.server.Text, "streamid="):
		msg = "Paste your stream key (from " + p.Name + "'s dashboard)."
	default:
		if err := e.w.check(e.dest()); err != nil {
			msg = e.mask(err.Error())
		}
	}
	e.problem.SetText(msg)
	if msg == "" {
		e.problem.Hide()
		e.save.Enable()
	} else {
		e.problem.Show()
		e.save.Disable()
	}
}

// mask hides the key being typed (the profile's redactor does not know it
// yet) as well as the profile's secrets.
func (e *destEditor) mask(s string) string {
	s = e.w.redact(s)
	for _, k := range []string{strings.TrimSpace(e.key.Text), strings.TrimSpace(e.pass.Text)} {
		if k != "" {
			s = strings.ReplaceAll(s, k, "****")
			s = strings.ReplaceAll(s, url.QueryEscape(k), "****")
		}
	}
	return s
}

// apply saves the destination into the window's list and tells OnChange.
func (e *destEditor) apply() {
	e.validate()
	if e.save.Disabled() || e.w.state != offAir {
		return
	}
	dests := append([]studio.Destination(nil), e.w.cfg.Destinations...)
	if e.index >= 0 && e.index < len(dests) {
		dests[e.index] = e.dest()
	} else {
		dests = append(dests, e.dest())
	}
	e.dlg.Hide()
	e.w.editor = nil
	e.w.setDestinations(dests)
}

// check is Config.Check, or the destination's own check at any rate.
func (w *Window) check(d studio.Destination) error {
	if w.cfg.Check != nil {
		return w.cfg.Check(d)
	}
	return d.Check(0)
}

// removeDestination asks, then takes destination i out of the list.
func (w *Window) removeDestination(i int) {
	if w.cfg.OnChange == nil || w.state != offAir || i < 0 || i >= len(w.cfg.Destinations) {
		return
	}
	label := w.redact(w.cfg.Destinations[i].Label())
	w.confirm("Remove destination?", "Remove "+label+"? Its stream key goes with it.", "Remove", "Keep it", func() {
		if w.state != offAir || i >= len(w.cfg.Destinations) {
			return
		}
		dests := append([]studio.Destination(nil), w.cfg.Destinations[:i]...)
		w.setDestinations(append(dests, w.cfg.Destinations[i+1:]...))
	})
}

// setDestinations makes dests the window's destinations (off air), rebuilds
// the rows and tells OnChange.
func (w *Window) setDestinations(dests []studio.Destination) {
	w.cfg.Destinations = dests
	w.updateRedact()
	w.buildRows()
	w.destBox.Refresh()
	if w.message.Visible() && w.message.Importance != widget.DangerImportance {
		w.showInfo(w.idleMessage())
	}
	if w.cfg.OnChange != nil {
		w.cfg.OnChange(append([]studio.Destination(nil), dests...))
	}
}
