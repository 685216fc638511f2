package overlay

import (
	"fmt"
	"image"
	"strings"
	"sync"
	"time"
)

// Alert takes a viewer's action: a tip fills the goal and the live fields,
// and the alert box shows it when its kind's rule lets it (amount at least
// the rule's minimum), after the alerts before it. Past the queue's limit it
// is skipped and counted. shown tells whether it was queued.
func (st *Stage) Alert(ev Event) (queued bool, err error) {
	if _, ok := DefaultAlertTexts[ev.Kind]; !ok {
		return false, fmt.Errorf("alert kind %q: the kinds are tip, follow, sub and raid", ev.Kind)
	}
	if !(ev.Amount >= 0 && ev.Amount <= MaxAmount) {
		return false, fmt.Errorf("alert %s: the amount %g is not a number from 0 to %g", ev.Kind, ev.Amount, MaxAmount)
	}
	if ev.Kind == "tip" {
		st.mu.Lock()
		f := &st.fields
		if f.tips == nil {
			f.tips = map[string]float64{}
		}
		goalUnit := ""
		if st.goal.spec != nil {
			goalUnit = st.goal.spec.Unit
		}
		if goalUnit == "" {
			goalUnit = f.unit // a goal without a unit takes the first tip's
		}
		unit := ev.Unit
		if unit == "" {
			unit = goalUnit
		}
		ev.Unit = unit // the alert's {amount} says it too
		f.lastTip = strings.TrimSpace(ev.Name + " " + withUnit(ev.Amount, unit))
		// The goal and the top tipper count one unit only (the goal's, or
		// the first tip's): 100 tokens and $5 do not add up.
		if SameUnit(unit, goalUnit) {
			st.goal.add(ev.Amount)
			if f.unit == "" {
				f.unit = unit
			}
			if SameUnit(unit, f.unit) && (len(f.tips) < 10000 || f.tips[ev.Name] > 0) { // bounded: a flood of names
				f.tips[ev.Name] += ev.Amount
				if f.tips[ev.Name] > f.topTotal {
					f.topName, f.topTotal = ev.Name, f.tips[ev.Name]
				}
			}
		}
		f.version++
		st.mu.Unlock()
	}
	return st.alerts.push(st, ev)
}

// alertQueue holds the alerts waiting and the one on screen.
type alertQueue struct {
	mu      sync.Mutex
	box     *alertLayer // the alert box of the scenes (the last one built)
	waiting []Event
	cur     *activeAlert
}

type activeAlert struct {
	ev    Event
	start time.Duration
	text  TextBox
	img   *animation
	total time.Duration
}

// configure sets the alert box of new scenes. Without one, the alerts
// waiting and the one on screen are dropped (counted as skipped): they would
// otherwise wait, unseen, for a box that may come back an hour later.
func (q *alertQueue) configure(st *Stage, a *alertLayer) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.box = a
	if a == nil {
		st.skipped.Add(int64(len(q.waiting)))
		q.waiting, q.cur = q.waiting[:0], nil
	}
}

func (q *alertQueue) push(st *Stage, ev Event) (bool, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.box == nil {
		return false, nil // no scene shows alerts (a tip still fills the goal)
	}
	rule := q.box.rules[ev.Kind]
	if rule.Off || ev.Amount < rule.MinAmount {
		return false, nil
	}
	if len(q.waiting) >= q.box.limit {
		st.skipped.Add(1)
		return false, nil
	}
	q.waiting = append(q.waiting, ev)
	return true, nil
}

func (q *alertQueue) busy() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.cur != nil || len(q.waiting) > 0
}

// advance ends the alert on screen when its time is up and starts the next:
// one at a time, in order.
func (q *alertQueue) advance(st *Stage, at time.Duration) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.cur != nil && at-q.cur.start >= q.cur.total {
		q.cur = nil
	}
	if q.cur != nil || len(q.waiting) == 0 || q.box == nil {
		return
	}
	ev := q.waiting[0]
	q.waiting = append(q.waiting[:0], q.waiting[1:]...)
	b := q.box
	rule := b.rules[ev.Kind]
	tmpl := rule.Text
	if tmpl == "" {
		tmpl = DefaultAlertTexts[ev.Kind]
	}
	text := strings.NewReplacer("{name}", ev.Name, "{amount}", withUnit(ev.Amount, ev.Unit), "{message}", ev.Message).Replace(tmpl)
	if ev.Message != "" && !strings.Contains(tmpl, "{message}") {
		text += "\n" + ev.Message
	}
	box, err := RenderTextBox(text, b.style)
	if err != nil {
		box = TextBox{}
	}
	q.cur = &activeAlert{ev: ev, start: at, text: box, img: b.images[ev.Kind], total: b.enter + b.hold + b.exit}
	st.shown.Add(1)
	if st.onAlert != nil {
		st.onAlert(ev, rule.Sound)
	}
}

// alertLayer is the alert box: where alerts show, their rules and pictures,
// and how they come and go.
type alertLayer struct {
	x, y, w     int
	opacity     float64
	rules       map[string]AlertRule
	images      map[string]*animation
	style       TextStyle
	enter, hold time.Duration
	exit        time.Duration
	slide       bool
	limit       int
}

func newAlertLayer(st *Stage, l LayerSpec, opacity float64, b *building) (*alertLayer, error) {
	spec := AlertSpec{}
	if l.Alerts != nil {
		spec = *l.Alerts
	}
	style, err := l.Style.textStyle(l.Width)
	if err != nil {
		return nil, err
	}
	if l.Style.Size == 0 {
		style.Size = 48
	}
	if l.Style.Outline == 0 {
		style.Outline = 3
	}
	w := l.Width
	if w == 0 {
		w = st.w
	}
	style.Width, style.Align, style.MaxLines = w, AlignCenter, max(style.MaxLines, 4)
	a := &alertLayer{x: l.X, y: l.Y, w: w, opacity: opacity, rules: spec.Rules, images: map[string]*animation{},
		style: style, enter: seconds(spec.EnterSec, 0.4), hold: seconds(spec.HoldSec, 4), exit: seconds(spec.ExitSec, 0.4),
		slide: spec.Animation == "slide", limit: spec.Queue}
	if a.limit <= 0 {
		a.limit = 10
	}
	if a.rules == nil {
		a.rules = map[string]AlertRule{}
	}
	for kind, r := range a.rules {
		if r.Image == "" {
			continue
		}
		img, err := b.loadImage(LayerSpec{Path: r.Image})
		if err != nil {
			return nil, fmt.Errorf("alert %s: %w", kind, err)
		}
		a.images[kind] = img
	}
	return a, nil
}

// draw shows the alert on screen, if any, at its point of entering, holding
// or leaving: fading, or sliding down from above the canvas.
func (a *alertLayer) draw(st *Stage, dst *image.YCbCr, at time.Duration) {
	q := &st.alerts
	q.mu.Lock()
	cur := q.cur
	q.mu.Unlock()
	if cur == nil {
		return
	}
	t := at - cur.start
	k := 1.0 // how far in: 0 out of sight, 1 in place
	switch {
	case t < a.enter:
		k = float64(t) / float64(a.enter)
	case t >= a.enter+a.hold:
		k = 1 - float64(t-a.enter-a.hold)/float64(a.exit)
	}
	k = min(max(k, 0), 1)
	o, dy := a.opacity, 0
	imgH := 0
	var img *YUVA
	if cur.img != nil {
		img = cur.img.frame(t)
		imgH = img.Bounds().Dy()
	}
	if a.slide {
		dy = -int((1 - k) * float64(a.y+imgH+cur.text.Size.Y))
	} else {
		o *= k
	}
	y := a.y + dy
	if img != nil {
		img.Draw(dst, a.x+(a.w-img.Bounds().Dx())/2, y, o)
		y += imgH
	}
	if cur.text.Pic != nil {
		cur.text.Pic.Draw(dst, a.x+cur.text.Offset.X, y+cur.text.Offset.Y, o)
	}
}
