package overlay

import (
	"errors"
	"fmt"
	"image"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"onair/capture"
)

// Stage is the show's scenes on the canvas: one on air, a cut or a fade to
// another, layers shown and hidden, the alert queue, the tip goal, the chat
// box and the live fields of text templates. Its methods may be called from
// any goroutine while the compositor draws it.
type Stage struct {
	w, h    int
	scratch *capture.FramePool // the outgoing scene during a fade
	now     func() time.Time   // wall clock for {clock} and {date}

	// privMu keeps each privacy change and its hook (the mute) together, so
	// two callers cannot leave the scene and the sound disagreeing.
	privMu sync.Mutex

	mu            sync.Mutex
	scenes        []*scene
	onAir         *scene
	pending       *switchTo // asked for, starts at the next frame
	fade          fade
	beforePrivacy string
	privacy       bool
	onPrivacy     func(on bool)
	fields        fields

	alerts alertQueue
	chat   chatLog
	goal   goalState

	shown, skipped atomic.Int64
	lastAt         atomic.Int64 // studio time of the last frame composed
	onAlert        func(ev Event, sound string)
}

type switchTo struct {
	to  *scene
	dur time.Duration
}

// fade is a transition in progress: from fades out over dur from start.
type fade struct {
	from       *scene
	start, dur time.Duration
}

// scene is a built scene: its layers, each with its own visibility.
type scene struct {
	name   string
	layers []*stageLayer
}

type stageLayer struct {
	spec    LayerSpec
	visible atomic.Bool
	draw    func(st *Stage, dst *image.YCbCr, src *capture.Frame, at time.Duration)
}

// NewStage builds scenes for a w×h canvas (none: DefaultScenes), on air the
// first. Images are read now: a missing or broken one is an error naming it.
func NewStage(w, h int, scenes []SceneSpec) (*Stage, error) {
	st := &Stage{w: w, h: h, scratch: capture.NewFramePool(w, h), now: time.Now}
	st.chat.init()
	if err := st.SetScenes(scenes); err != nil {
		return nil, err
	}
	return st, nil
}

// SetScenes replaces every scene (added, removed, reordered, edited while
// live). The scene on air stays on air when a scene of its name remains;
// otherwise the first goes on air with a cut. While the privacy cut is on,
// the new privacy scene stays on air. A set without a "Privacy" scene gets
// onair's own (black, "Back in a moment"): the privacy cut always works. A
// set that cannot be built changes nothing.
func (st *Stage) SetScenes(specs []SceneSpec) error {
	if len(specs) == 0 {
		specs = DefaultScenes()
	}
	if err := ValidateScenes(specs); err != nil {
		return err
	}
	hasPrivacy := false
	for _, s := range specs {
		hasPrivacy = hasPrivacy || strings.EqualFold(s.Name, PrivacyScene)
	}
	if !hasPrivacy {
		specs = append(slices.Clip(specs), privacyCard(st.h))
	}
	b := &building{images: map[string]*animation{}}
	built := make([]*scene, 0, len(specs))
	var goal *GoalSpec
	for _, spec := range specs {
		sc := &scene{name: spec.Name}
		for _, l := range spec.Layers {
			sl, err := st.build(l, b)
			if err != nil {
				return fmt.Errorf("scene %q, layer %q: %w", spec.Name, l.Name, err)
			}
			sc.layers = append(sc.layers, sl)
			if l.Kind == KindGoal && goal == nil {
				goal = l.Goal
			}
		}
		built = append(built, sc)
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	name := ""
	if st.onAir != nil {
		name = st.onAir.name
	}
	var pending string
	if st.pending != nil {
		pending = st.pending.to.name
	}
	st.scenes = built
	st.onAir = built[0]
	if sc := st.find(name); sc != nil {
		st.onAir = sc
	}
	st.pending, st.fade = nil, fade{}
	if sc := st.find(pending); sc != nil {
		st.pending = &switchTo{to: sc}
	}
	if st.privacy {
		st.onAir, st.pending = st.find(PrivacyScene), nil
	}
	st.goal.configure(goal)
	st.alerts.configure(st, b.box) // nil: no scene has an alert box
	return nil
}

// privacyCard is the privacy scene of a set that has none: black, a line
// in the middle of an h-high canvas.
func privacyCard(h int) SceneSpec {
	size := float64(min(56, max(h/10, 12)))
	return SceneSpec{Name: PrivacyScene, Layers: []LayerSpec{{Name: "title", Kind: KindText, Text: "Back in a moment",
		Y: max(h/2-int(size*0.7), 0), Style: TextSpec{Size: size, Outline: 3, Align: "center"}}}}
}

// find is the scene called name (any case). Call it under mu.
func (st *Stage) find(name string) *scene {
	for _, sc := range st.scenes {
		if strings.EqualFold(sc.name, name) {
			return sc
		}
	}
	return nil
}

// Goal is the goal bar's state: the goal now, what was tipped towards it,
// and its unit (title "" when no scene has a goal).
func (st *Stage) Goal() (title string, current, target float64, unit string) {
	st.mu.Lock()
	defer st.mu.Unlock()
	title, target = st.goal.now()
	if st.goal.spec != nil {
		unit = st.goal.spec.Unit
	}
	return title, st.goal.current, target, unit
}

// Scenes are the scenes' names, in order, and the one on air.
func (st *Stage) Scenes() (names []string, onAir string) {
	st.mu.Lock()
	defer st.mu.Unlock()
	for _, sc := range st.scenes {
		names = append(names, sc.name)
	}
	return names, st.onAir.name
}

// MaxFade is the longest fade between scenes.
const MaxFade = 500 * time.Millisecond

// SwitchScene puts the scene called name on air from the next frame: a cut
// when fade is 0, else a fade of at most MaxFade. While the privacy cut is on,
// the scene to come back to changes instead.
func (st *Stage) SwitchScene(name string, fade time.Duration) error {
	st.mu.Lock()
	defer st.mu.Unlock()
	sc := st.find(name)
	if sc == nil {
		return fmt.Errorf("there is no scene %q (the scenes: %s)", name, st.namesLocked())
	}
	if st.privacy {
		st.beforePrivacy = sc.name
		return nil
	}
	st.pending = &switchTo{to: sc, dur: min(max(fade, 0), MaxFade)}
	return nil
}

func (st *Stage) namesLocked() string {
	var n []string
	for _, sc := range st.scenes {
		n = append(n, sc.name)
	}
	return strings.Join(n, ", ")
}

// SetVisible shows or hides the layer called name: in the scene on air when
// it has one, else in every scene that has one.
func (st *Stage) SetVisible(name string, visible bool) error {
	st.mu.Lock()
	defer st.mu.Unlock()
	found := false
	for _, l := range st.onAir.layers {
		if strings.EqualFold(l.spec.Name, name) {
			l.visible.Store(visible)
			found = true
		}
	}
	if found {
		return nil
	}
	for _, sc := range st.scenes {
		for _, l := range sc.layers {
			if strings.EqualFold(l.spec.Name, name) {
				l.visible.Store(visible)
				found = true
			}
		}
	}
	if !found {
		return fmt.Errorf("no scene has a layer %q", name)
	}
	return nil
}

// OnPrivacy sets what the privacy cut also does (mute the microphones); it
// runs with the cut, on the caller's goroutine.
func (st *Stage) OnPrivacy(f func(on bool)) {
	st.mu.Lock()
	st.onPrivacy = f
	st.mu.Unlock()
}

// Privacy is the privacy cut: on, the privacy scene goes on air at the next
// frame (a cut) and the microphones are muted; off, the scene that was on air
// comes back and they are unmuted. Asking twice for the same does nothing.
func (st *Stage) Privacy(on bool) error {
	st.privMu.Lock()
	defer st.privMu.Unlock()
	st.mu.Lock()
	if on == st.privacy {
		st.mu.Unlock()
		return nil
	}
	var to *scene
	if on {
		to = st.find(PrivacyScene)
		if to == nil {
			st.mu.Unlock()
			return fmt.Errorf("there is no scene %q to cut to", PrivacyScene)
		}
		st.beforePrivacy = st.onAir.name
		if st.pending != nil {
			st.beforePrivacy = st.pending.to.name
		}
	} else if to = st.find(st.beforePrivacy); to == nil {
		to = st.scenes[0]
	}
	st.privacy = on
	st.pending = &switchTo{to: to}
	f := st.onPrivacy
	st.mu.Unlock()
	if f != nil {
		f(on)
	}
	return nil
}

// OnAlert sets what starting an alert also does (play its sound); it runs on
// the compositor's goroutine and must not block. Call it before the stage is
// drawn.
func (st *Stage) OnAlert(f func(ev Event, sound string)) { st.onAlert = f }

// InPrivacy tells whether the privacy cut is on.
func (st *Stage) InPrivacy() bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.privacy
}

// SetLiveSince sets when the show went live (studio time) for {elapsed};
// negative: not live.
func (st *Stage) SetLiveSince(at time.Duration) {
	st.mu.Lock()
	st.fields.liveSince = at
	st.fields.live = at >= 0
	st.mu.Unlock()
}

// Compose draws the scene on air (or the fade in progress) onto dst, src as
// its camera layers. dst is the compositor's.
func (st *Stage) Compose(dst *image.YCbCr, src *capture.Frame, at time.Duration) {
	st.mu.Lock()
	if p := st.pending; p != nil {
		st.pending = nil
		if p.dur > 0 && p.to != st.onAir {
			st.fade = fade{from: st.onAir, start: at, dur: p.dur}
		} else {
			st.fade = fade{}
		}
		st.onAir = p.to
	}
	on, fd := st.onAir, st.fade
	if fd.from != nil && at-fd.start >= fd.dur {
		st.fade, fd = fade{}, fade{}
	}
	st.mu.Unlock()

	st.lastAt.Store(int64(at))
	st.alerts.advance(st, at)
	st.drawScene(dst, on, src, at)
	if fd.from == nil {
		return
	}
	// The outgoing scene on a frame of its own, laid over with the alpha
	// left of the fade.
	out := st.scratch.Get()
	st.drawScene(out.Pic, fd.from, src, at)
	left := 1 - float64(at-fd.start)/float64(fd.dur)
	mixPictures(dst, out.Pic, int(left*255+0.5))
	out.Release()
}

// drawScene paints sc on dst: black, then the visible layers bottom first.
func (st *Stage) drawScene(dst *image.YCbCr, sc *scene, src *capture.Frame, at time.Duration) {
	if !st.coversCanvas(sc, src) {
		fillBlack(dst)
	}
	for _, l := range sc.layers {
		if l.visible.Load() {
			l.draw(st, dst, src, at)
		}
	}
}

// coversCanvas tells whether the scene's first visible layer is a camera
// filling the canvas opaquely, so no black is needed under it.
func (st *Stage) coversCanvas(sc *scene, src *capture.Frame) bool {
	for _, l := range sc.layers {
		if !l.visible.Load() {
			continue
		}
		s := l.spec
		// A camera layer paints its whole box, bars included.
		return s.Kind == KindCamera && src != nil && s.X == 0 && s.Y == 0 &&
			(s.Width == 0 || s.Width == st.w) && (s.Height == 0 || s.Height == st.h) &&
			(s.Opacity == nil || *s.Opacity >= 1)
	}
	return false
}

// Passthrough tells whether the frame at hand is the source itself: the scene
// on air is only a canvas-sized camera with nothing over it and no fade or
// switch waiting. The compositor then hands the source on without a copy.
func (st *Stage) Passthrough(src *capture.Frame) bool {
	if src == nil || src.Pic.Rect.Dx() != st.w || src.Pic.Rect.Dy() != st.h {
		return false
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.pending != nil || st.fade.from != nil || st.alerts.busy() {
		return false
	}
	visible := 0
	var cam *stageLayer
	for _, l := range st.onAir.layers {
		if !l.visible.Load() {
			continue
		}
		visible++
		if l.spec.Kind == KindCamera {
			cam = l
		} else if l.spec.Kind != KindAlert {
			return false
		}
	}
	if cam == nil {
		return false
	}
	s := cam.spec
	return s.X == 0 && s.Y == 0 && (s.Width == 0 || s.Width == st.w) && (s.Height == 0 || s.Height == st.h) &&
		(s.Opacity == nil || *s.Opacity >= 1) && s.Crop == [4]int{} && !s.Mirror
}

// Stats are the alerts shown and skipped (past the queue's limit) so far.
func (st *Stage) Stats() (shown, skipped int64) { return st.shown.Load(), st.skipped.Load() }

func fillBlack(d *image.YCbCr) {
	w, h := d.Rect.Dx(), d.Rect.Dy()
	for y := range h {
		row := d.Y[y*d.YStride:][:w]
		for i := range row {
			row[i] = 16
		}
	}
	for y := range (h + 1) / 2 {
		cb, cr := d.Cb[y*d.CStride:][:(w+1)/2], d.Cr[y*d.CStride:][:(w+1)/2]
		for i := range cb {
			cb[i], cr[i] = 128, 128
		}
	}
}

// mixPictures lays s over d with alpha a/255, plane by plane (same size).
func mixPictures(d, s *image.YCbCr, a int) {
	if a <= 0 {
		return
	}
	a = min(a, 255)
	w, h := d.Rect.Dx(), d.Rect.Dy()
	for y := range h {
		blendConst(d.Y[y*d.YStride:][:w], s.Y[y*s.YStride:][:w], a)
	}
	for y := range (h + 1) / 2 {
		cw := (w + 1) / 2
		blendConst(d.Cb[y*d.CStride:][:cw], s.Cb[y*s.CStride:][:cw], a)
		blendConst(d.Cr[y*d.CStride:][:cw], s.Cr[y*s.CStride:][:cw], a)
	}
}

// errNoPicture is a layer whose file holds no picture.
var errNoPicture = errors.New("the file holds no picture")
