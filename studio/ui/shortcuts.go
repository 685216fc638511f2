package ui

import (
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"

	"onair/studio"
)

// The window's keys (Ctrl on Linux and Windows, Cmd on macOS):
//
//	Ctrl+Enter  Go Live, or End (which asks first)
//	Ctrl+1…9    the show's scenes, in the order of the profile
//	Ctrl+M      mute or unmute the microphone
//	Ctrl+P      the privacy cut on or off
const shortcutHelp = "Keys: Ctrl+Enter Go Live/End · Ctrl+1…9 scenes · Ctrl+M mute · Ctrl+P privacy cut"

func (w *Window) addShortcuts() {
	c := w.win.Canvas()
	key := func(k fyne.KeyName, f func()) {
		c.AddShortcut(&desktop.CustomShortcut{KeyName: k, Modifier: fyne.KeyModifierShortcutDefault}, func(fyne.Shortcut) { f() })
	}
	key(fyne.KeyReturn, w.tapGoLive)
	key(fyne.KeyEnter, w.tapGoLive)
	for i, k := range []fyne.KeyName{fyne.Key1, fyne.Key2, fyne.Key3, fyne.Key4, fyne.Key5, fyne.Key6, fyne.Key7, fyne.Key8, fyne.Key9} {
		key(k, func() { w.switchScene(i) })
	}
	key(fyne.KeyM, w.toggleMute)
	key(fyne.KeyP, w.togglePrivacy)
}

// switchScene puts the show's scene i (from 0) on air, with a cut.
func (w *Window) switchScene(i int) {
	st := w.stage()
	if st == nil {
		w.showInfo("This show has no scenes to switch: add scenes to " + w.cfg.ProfilePath + ".")
		return
	}
	names, _ := st.Scenes()
	if i >= len(names) {
		w.showInfo(fmt.Sprintf("There is no scene %d: this show has %d.", i+1, len(names)))
		return
	}
	if err := w.cfg.Show.Do(studio.Command{Kind: studio.CmdScene, Name: names[i]}); err != nil {
		w.showError("Could not switch scene: " + err.Error())
		return
	}
	if st.InPrivacy() {
		w.showInfo("The privacy cut is on: " + names[i] + " comes back when you end it (Ctrl+P).")
		return
	}
	w.showInfo("Scene: " + names[i])
}

// togglePrivacy turns the privacy cut on or off.
func (w *Window) togglePrivacy() {
	st := w.stage()
	if st == nil {
		w.showInfo("This show has no privacy scene: add scenes to " + w.cfg.ProfilePath + ".")
		return
	}
	on := !st.InPrivacy()
	if err := w.cfg.Show.Do(studio.Command{Kind: studio.CmdPrivacy, On: on}); err != nil {
		w.showError("Could not cut to privacy: " + err.Error())
		return
	}
	w.syncMuteBoxes()
	if on {
		w.showError("PRIVACY CUT: your viewers see the privacy scene and hear nothing. Ctrl+P to come back.")
	} else {
		w.showInfo("Privacy cut ended: you are back on.")
	}
}

// toggleMute mutes or unmutes the main microphone.
func (w *Window) toggleMute() {
	var m AudioStrip
	if w.cfg.Mic != nil {
		m = w.cfg.Mic()
	}
	if m == nil {
		w.showInfo("There is no microphone to mute.")
		return
	}
	muted := !m.Muted()
	m.SetMuted(muted)
	w.syncMuteBoxes()
	if muted {
		w.showError("Microphone muted (Ctrl+M to unmute).")
	} else {
		w.showInfo("Microphone on.")
	}
}

// syncMuteBoxes makes the mixer's Mute boxes show what the strips are.
func (w *Window) syncMuteBoxes() {
	if w.sources == nil {
		return
	}
	for _, v := range w.sources.strips {
		if v.mute.Checked != v.strip.Muted() {
			v.mute.SetChecked(v.strip.Muted())
		}
	}
}

func (w *Window) stage() interface {
	Scenes() ([]string, string)
	InPrivacy() bool
} {
	if w.cfg.Show == nil {
		return nil
	}
	if st := w.cfg.Show.Stage(); st != nil {
		return st
	}
	return nil
}
