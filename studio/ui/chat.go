package ui

import (
	"context"
	"fmt"
	"image/color"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"onair/studio/chat"
)

// ChatPanel is the merged chat beside the preview: each platform's state,
// the last messages with their platform's badge (events starred), a line
// to send, and Hide for the author of the message selected. However fast
// the chats run, the panel redraws at most every chatEvery (Run): the hub's
// updates only mark it dirty, and a reader cannot read faster anyway.
type ChatPanel struct {
	hub    *chat.Hub
	do     func(func())
	redraw func(func()) // how Run's redraws reach the UI goroutine

	obj     fyne.CanvasObject
	states  *widget.Label
	list    *widget.List
	entry   *widget.Entry
	hide    *widget.Button
	say     *widget.Label
	items   []chat.Item // UI goroutine only: what the list shows, oldest first
	picked  *chat.Item  // the message selected (a copy: rows move as lines come)
	dirty   atomic.Bool // the hub changed since the last redraw
	pending atomic.Bool // a redraw is queued and has not run yet
}

// chatShown is how many messages the panel keeps on screen.
const chatShown = 200

// chatWidth is the panel's narrowest width.
const chatWidth = 280

// platformColours are the platforms' own colours for their badges.
var platformColours = map[string]color.NRGBA{
	"twitch": {0x91, 0x46, 0xff, 0xff}, "kick": {0x53, 0xfc, 0x18, 0xff}, "youtube": {0xff, 0x00, 0x33, 0xff},
	"chaturbate": {0xf4, 0x7c, 0x20, 0xff}, "owncast": {0x4e, 0x9c, 0xf5, 0xff},
}

// NewChatPanel builds the panel on h; do runs a function on the UI
// goroutine, and so does redraw, for the panel's redraws only: it may hold
// one back and replace it by a newer (Window.Paced). Nil redraw is do. Call
// before h runs: it listens to h's updates.
func NewChatPanel(h *chat.Hub, do, redraw func(func())) *ChatPanel {
	if redraw == nil {
		redraw = do
	}
	p := &ChatPanel{hub: h, do: do, redraw: redraw}
	p.states = widget.NewLabel("Chat: connecting…")
	p.states.Wrapping = fyne.TextWrapWord
	p.list = widget.NewList(
		func() int { return len(p.items) },
		func() fyne.CanvasObject {
			badge := canvas.NewText("platform", color.White)
			badge.TextStyle.Bold = true
			text := widget.NewLabel("")
			text.Wrapping = fyne.TextWrapWord
			return container.NewBorder(nil, nil, badge, nil, text)
		},
		func(i widget.ListItemID, o fyne.CanvasObject) {
			if i < 0 || i >= len(p.items) {
				return
			}
			c := o.(*fyne.Container)
			text, badge := c.Objects[0].(*widget.Label), c.Objects[1].(*canvas.Text)
			m := &p.items[i].Msg
			badge.Text = m.Platform
			badge.Color = platformColour(m.Platform)
			badge.Refresh()
			text.SetText(chat.Describe(m))
		})
	p.list.OnSelected = func(i widget.ListItemID) {
		if i < 0 || i >= len(p.items) {
			return
		}
		it := p.items[i]
		p.picked = &it
		if it.Msg.Kind == chat.KindChat {
			p.hide.SetText("Hide " + chatClip(it.Msg.Author.Display(), 24))
			p.hide.Enable()
		}
	}
	p.list.OnUnselected = func(widget.ListItemID) { p.picked = nil; p.hide.Disable() }
	p.hide = widget.NewButton("Hide user", p.hideAuthor)
	p.hide.Disable()
	p.entry = widget.NewEntry()
	p.entry.SetPlaceHolder("Say something (@twitch … for one platform)")
	p.entry.OnSubmitted = func(string) { p.send() }
	p.say = widget.NewLabel("")
	p.say.Wrapping = fyne.TextWrapWord
	title := widget.NewLabel("Chat")
	title.TextStyle.Bold = true
	top := container.NewVBox(title, p.states)
	bottom := container.NewVBox(container.NewBorder(nil, nil, nil, widget.NewButton("Send", p.send), p.entry), p.say, p.hide)
	// At least chatWidth wide, however narrow the lines.
	width := canvas.NewRectangle(color.Transparent)
	width.SetMinSize(fyne.NewSize(chatWidth, 0))
	p.obj = container.NewStack(width, container.NewBorder(top, bottom, nil, nil, p.list))
	h.OnUpdate(func(u chat.Update) {
		if len(u.Held) > 0 {
			held := strings.Join(u.Held, "; ")
			do(func() { p.say.SetText(held) })
		}
		p.dirty.Store(true)
	})
	return p
}

// chatEvery is how often the panel redraws at most.
const chatEvery = 200 * time.Millisecond

// Run redraws the panel when the chats changed, at most every chatEvery,
// until ctx ends.
func (p *ChatPanel) Run(ctx context.Context) {
	t := time.NewTicker(chatEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			// One redraw queued at a time: a stalled UI does not pile them up.
			if !p.pending.Load() && p.dirty.Swap(false) {
				p.pending.Store(true)
				p.redraw(p.refresh)
			}
		}
	}
}

// Object is the panel to put in the window.
func (p *ChatPanel) Object() fyne.CanvasObject { return p.obj }

// refresh shows the hub's view now. UI goroutine.
func (p *ChatPanel) refresh() {
	p.pending.Store(false)
	view := p.hub.Tail(chatShown)
	atEnd := p.picked == nil
	p.items = view
	p.list.Refresh()
	if atEnd && len(p.items) > 0 {
		p.list.ScrollToBottom()
	}
	p.states.SetText(statesLine(p.hub.States()))
}

// send posts the entry's text; the answer is said under it.
func (p *ChatPanel) send() {
	platform, text := chat.ParseSendLine(p.entry.Text)
	if text == "" {
		return
	}
	said, err := p.hub.Send(platform, text)
	if err != nil {
		p.say.SetText("Not sent: " + err.Error())
		return
	}
	p.say.SetText(strings.ToUpper(said[:1]) + said[1:])
	p.entry.SetText("")
}

// hideAuthor hides the selected message's author on its platform.
func (p *ChatPanel) hideAuthor() {
	if p.picked == nil {
		return
	}
	m := p.picked.Msg
	who := m.Author.Login
	if who == "" {
		who = m.Author.Name
	}
	if who == "" {
		return
	}
	if err := p.hub.HideUser(m.Platform + ":" + who); err != nil {
		p.say.SetText(err.Error())
		return
	}
	p.say.SetText(fmt.Sprintf("%s's messages on %s are hidden here and on stream.", chatClip(m.Author.Display(), 24), m.Platform))
	p.list.UnselectAll()
	p.refresh()
}

func platformColour(p string) color.NRGBA {
	if c, ok := platformColours[p]; ok {
		return c
	}
	return color.NRGBA{0x9e, 0x9e, 0x9e, 0xff}
}

// statesLine is each platform's state in a few words.
func statesLine(states map[string]chat.State) string {
	names := make([]string, 0, len(states))
	for n := range states {
		names = append(names, n)
	}
	slices.Sort(names)
	var parts []string
	for _, n := range names {
		s := states[n]
		switch s.Phase {
		case chat.Live:
			parts = append(parts, n+" ✓")
		case chat.Reconnecting:
			parts = append(parts, fmt.Sprintf("%s: again in %s (%s)", n, s.Retry.Round(time.Second), s.Err))
		case chat.Failed:
			parts = append(parts, n+": "+s.Err)
		default:
			parts = append(parts, n+": "+s.Phase.String())
		}
	}
	if len(parts) == 0 {
		return "Chat: connecting…"
	}
	return "Chat: " + strings.Join(parts, " · ")
}

// clip cuts s to n letters.
func chatClip(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}
