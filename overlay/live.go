package overlay

import (
	"image"
	"math"
	"strings"
	"sync"
	"time"
)

// fields are what text templates show live. Guarded by Stage.mu.
type fields struct {
	live      bool
	liveSince time.Duration
	lastTip   string // "name 100 tokens"
	tips      map[string]float64
	topName   string
	topTotal  float64
	unit      string
	version   int // bumped when any of the above changes
}

// textKey says when a template must be drawn again: its fields changed, or a
// second passed for one that shows the time.
type textKey struct {
	version int
	second  int64
}

var timeFields = []string{"{clock}", "{elapsed}", "{date}"}

// key is the textKey of a template at studio time at.
func (st *Stage) key(dynamic bool, at time.Duration) textKey {
	st.mu.Lock()
	k := textKey{version: st.fields.version + st.goal.version<<20}
	st.mu.Unlock()
	if dynamic {
		k.second = int64(at / time.Second)
	}
	return k
}

// expand fills a template's fields.
func (st *Stage) expand(tmpl string, at time.Duration) string {
	if !strings.Contains(tmpl, "{") {
		return tmpl
	}
	st.mu.Lock()
	f := st.fields
	goal := st.goal.label()
	st.mu.Unlock()
	now := st.now()
	elapsed := time.Duration(0)
	if f.live && at > f.liveSince {
		elapsed = at - f.liveSince
	}
	top := ""
	if f.topName != "" {
		top = f.topName + " (" + withUnit(f.topTotal, f.unit) + ")"
	}
	return strings.NewReplacer(
		"{clock}", now.Format("15:04:05"),
		"{date}", now.Format("2006-01-02"),
		"{elapsed}", hms(elapsed),
		"{last_tip}", f.lastTip,
		"{top_tipper}", top,
		"{goal}", goal,
	).Replace(tmpl)
}

func hms(d time.Duration) string {
	s := int64(d / time.Second)
	return twoDigits(s/3600) + ":" + twoDigits(s/60%60) + ":" + twoDigits(s%60)
}

func twoDigits(v int64) string {
	if v < 10 {
		return "0" + string(rune('0'+v))
	}
	return formatAmount(float64(v))
}

// withUnit is an amount with its unit: a currency sign before it ("$5"),
// a word after it ("100 tokens").
func withUnit(v float64, u string) string {
	switch u {
	case "":
		return formatAmount(v)
	case "$", "€", "£", "¥":
		return u + formatAmount(v)
	}
	return formatAmount(v) + " " + u
}

// unitKey is a unit as compared: "$" and "USD", "token" and "Tokens" are the
// same.
func unitKey(u string) string {
	u = strings.ToLower(strings.TrimSpace(u))
	switch u {
	case "$", "usd":
		return "usd"
	case "€", "eur":
		return "eur"
	case "£", "gbp":
		return "gbp"
	case "token", "tk", "tks":
		return "tokens"
	}
	return u
}

// SameUnit tells whether a tip in unit a counts towards a goal in unit b:
// an empty unit matches any.
func SameUnit(a, b string) bool { return a == "" || b == "" || unitKey(a) == unitKey(b) }

// textLayer is a template drawn again only when what it shows changes.
type textLayer struct {
	tmpl    string
	style   TextStyle
	x, y    int
	opacity float64
	fields  bool // the template has live fields
	dynamic bool // … that show the time

	key  textKey
	box  TextBox
	done bool
}

func (t *textLayer) draw(st *Stage, dst *image.YCbCr, at time.Duration) {
	var k textKey // a template without fields never changes
	if t.fields {
		k = st.key(t.dynamic, at)
	}
	if !t.done || k != t.key {
		box, err := RenderTextBox(st.expand(t.tmpl, at), t.style)
		if err != nil {
			return // a font that vanished: the layer shows nothing
		}
		t.box, t.key, t.done = box, k, true
	}
	t.box.Pic.Draw(dst, t.x+t.box.Offset.X, t.y+t.box.Offset.Y, t.opacity)
}

// goalState is the tip goal: the current goal, what was tipped towards it,
// and the goals that follow. Guarded by Stage.mu.
type goalState struct {
	spec    *GoalSpec
	step    int // 0: spec itself; i: spec.Next[i-1]
	current float64
	version int
}

func (g *goalState) configure(spec *GoalSpec) {
	if spec == g.spec {
		return
	}
	g.spec, g.step, g.current = spec, 0, 0
	g.version++
}

func (g *goalState) now() (title string, target float64) {
	if g.spec == nil {
		return "", 0
	}
	if g.step > 0 && g.step <= len(g.spec.Next) {
		n := g.spec.Next[g.step-1]
		return n.Title, n.Target
	}
	return g.spec.Title, g.spec.Target
}

// add counts a tip towards the goal; reaching it moves to the next goal (or
// starts again), carrying over what went past it. However large the tip,
// whole rounds of the goals are skipped at once: the work is bounded.
func (g *goalState) add(amount float64) {
	if g.spec == nil || !(amount > 0) || math.IsInf(amount, 0) {
		return
	}
	g.current += amount
	round := g.spec.Target // the sum of a whole round of goals
	for _, n := range g.spec.Next {
		round += n.Target
	}
	for range 2 * (len(g.spec.Next) + 1) {
		_, target := g.now()
		if !(target > 0) || g.current < target {
			break
		}
		g.current -= target
		if g.step < len(g.spec.Next) {
			g.step++
		} else {
			g.step = 0
			if round > 0 && g.current >= round {
				g.current = math.Mod(g.current, round)
			}
		}
	}
	g.version++
}

func (g *goalState) label() string {
	title, target := g.now()
	if g.spec == nil {
		return ""
	}
	if u := g.spec.Unit; u == "$" || u == "€" || u == "£" || u == "¥" {
		return title + ": " + withUnit(g.current, u) + " / " + withUnit(target, u)
	}
	return title + ": " + formatAmount(g.current) + " / " + withUnit(target, g.spec.Unit)
}

type goalLayer struct {
	x, y    int
	opacity float64
	style   GoalStyle
	version int
	pic     *YUVA
}

func (g *goalLayer) draw(st *Stage, dst *image.YCbCr) {
	st.mu.Lock()
	v := st.goal.version
	title, target := st.goal.now()
	cur := st.goal.current
	unit := ""
	if st.goal.spec != nil {
		unit = st.goal.spec.Unit
	}
	st.mu.Unlock()
	if g.pic == nil || v != g.version {
		pic, err := RenderGoal(title, cur, target, unit, g.style)
		if err != nil {
			return
		}
		g.pic, g.version = pic, v
	}
	g.pic.Draw(dst, g.x, g.y, g.opacity)
}

// Chat messages the stage keeps, at most.
const chatKeep = 64

// ChatLine is a chat message for the chat box. Author and Text are
// untrusted: cleaned by the caller.
type ChatLine struct {
	Author, Text string
	Key          string // names the line for RemoveChat ("" for none)
}

// chatLog is the last messages, newest last, each stamped with the studio
// time it came.
type chatLog struct {
	mu    sync.Mutex
	lines []chatEntry
	seq   int64
	at    func() time.Duration
}

type chatEntry struct {
	id   int64
	line ChatLine
	at   time.Duration
}

func (c *chatLog) init() {}

// Chat adds a message to the chat boxes, stamped with the time of the last
// frame composed.
func (st *Stage) Chat(l ChatLine) {
	st.chat.mu.Lock()
	defer st.chat.mu.Unlock()
	st.chat.seq++
	st.chat.lines = append(st.chat.lines, chatEntry{id: st.chat.seq, line: l, at: time.Duration(st.lastAt.Load())})
	if n := len(st.chat.lines); n > chatKeep {
		st.chat.lines = append(st.chat.lines[:0], st.chat.lines[n-chatKeep:]...)
	}
}

// ChatLines is the chat boxes' lines, oldest first.
func (st *Stage) ChatLines() []ChatLine {
	st.chat.mu.Lock()
	defer st.chat.mu.Unlock()
	out := make([]ChatLine, len(st.chat.lines))
	for i, e := range st.chat.lines {
		out[i] = e.line
	}
	return out
}

// RemoveChat takes lines out of the chat boxes by Key (a message the
// platform deleted, a banned user's).
func (st *Stage) RemoveChat(keys ...string) {
	if len(keys) == 0 {
		return
	}
	drop := make(map[string]bool, len(keys))
	for _, k := range keys {
		if k != "" {
			drop[k] = true
		}
	}
	st.chat.mu.Lock()
	defer st.chat.mu.Unlock()
	kept := st.chat.lines[:0]
	for _, e := range st.chat.lines {
		if !drop[e.line.Key] {
			kept = append(kept, e)
		}
	}
	clear(st.chat.lines[len(kept):])
	st.chat.lines = kept
}

// chatLayer draws the last messages top-down, newest at the bottom, each
// fading out in the last second of its time on screen.
type chatLayer struct {
	x, y    int
	opacity float64
	style   TextStyle
	lines   int
	fade    time.Duration
	shown   []chatEntry
	boxes   map[int64]TextBox
}

func (c *chatLayer) draw(st *Stage, dst *image.YCbCr, at time.Duration) {
	st.chat.mu.Lock()
	all := st.chat.lines
	from := max(0, len(all)-c.lines)
	c.shown = append(c.shown[:0], all[from:]...)
	st.chat.mu.Unlock()
	if c.boxes == nil {
		c.boxes = map[int64]TextBox{}
	}
	y := c.y
	for _, e := range c.shown {
		age := at - e.at
		if age >= c.fade {
			continue
		}
		b, ok := c.boxes[e.id]
		if !ok {
			var err error
			if b, err = RenderTextBox(e.line.Author+": "+e.line.Text, c.style); err != nil {
				continue
			}
			c.boxes[e.id] = b
		}
		o := c.opacity
		if left := c.fade - age; left < time.Second {
			o *= float64(left) / float64(time.Second)
		}
		b.Pic.Draw(dst, c.x+b.Offset.X, y+b.Offset.Y, o)
		y += b.Size.Y
	}
	// Forget the pictures of messages gone from the box.
	if len(c.boxes) > 2*c.lines {
		keep := map[int64]bool{}
		for _, e := range c.shown {
			keep[e.id] = true
		}
		for id := range c.boxes {
			if !keep[id] {
				delete(c.boxes, id)
			}
		}
	}
}
