package overlay

import (
	"errors"
	"fmt"
	"image/color"
	"strconv"
	"strings"
	"time"
)

// SceneSpec is a scene as the profile saves it: its layers, bottom first.
type SceneSpec struct {
	Name   string      `json:"name"`
	Layers []LayerSpec `json:"layers"`
}

// Layer kinds.
const (
	KindCamera = "camera" // the program's picture source
	KindImage  = "image"  // PNG, JPEG or GIF (animated GIFs play)
	KindText   = "text"   // a template with live fields
	KindGoal   = "goal"   // the tip goal bar
	KindChat   = "chat"   // the last chat messages
	KindAlert  = "alert"  // the alert box
)

// LayerSpec is one layer of a scene as the profile saves it. Positions and
// sizes are canvas pixels; a zero size is the layer's natural size (the
// whole canvas for a camera).
type LayerSpec struct {
	Name    string   `json:"name"`
	Kind    string   `json:"kind"`
	Hidden  bool     `json:"hidden,omitempty"`
	X       int      `json:"x,omitempty"`
	Y       int      `json:"y,omitempty"`
	Width   int      `json:"width,omitempty"`
	Height  int      `json:"height,omitempty"`
	Opacity *float64 `json:"opacity,omitempty"` // 0..1; default 1

	// camera
	Crop   [4]int `json:"crop,omitempty"`   // pixels cut from the source: left, top, right, bottom
	Mirror bool   `json:"mirror,omitempty"` // flipped left to right
	Fill   bool   `json:"fill,omitempty"`   // fill the box, cutting what overflows (default: fit inside it)

	// image
	Path  string  `json:"path,omitempty"`
	Scale float64 `json:"scale,omitempty"` // default 1

	// text: a template with {clock} {elapsed} {date} {last_tip} {top_tipper} {goal}
	Text  string    `json:"text,omitempty"`
	Style TextSpec  `json:"style,omitempty"`
	Goal  *GoalSpec `json:"goal,omitempty"`

	// chat
	Lines   int     `json:"lines,omitempty"`    // messages shown; default 8
	FadeSec float64 `json:"fade_sec,omitempty"` // a message fades out after this long; default 30

	// alert
	Alerts *AlertSpec `json:"alerts,omitempty"`
}

// TextSpec is how text is drawn: a font ("" the bundled one, "bold", or a
// TTF/OTF path), its pixel size, colours as "#RRGGBB" or "#RRGGBBAA", an
// outline and shadow, and a box width to wrap in (0: one line).
type TextSpec struct {
	Font         string  `json:"font,omitempty"`
	Size         float64 `json:"size,omitempty"`
	Color        string  `json:"color,omitempty"`
	Outline      float64 `json:"outline,omitempty"`
	OutlineColor string  `json:"outline_color,omitempty"`
	Shadow       [2]int  `json:"shadow,omitempty"`
	Wrap         int     `json:"wrap,omitempty"`
	MaxLines     int     `json:"max_lines,omitempty"`
	Align        string  `json:"align,omitempty"` // left, center, right
}

// GoalSpec is a tip goal: a title, a target, and the goals that follow when
// it is reached (none: it starts again from zero).
type GoalSpec struct {
	Title  string     `json:"title"`
	Target float64    `json:"target"`
	Unit   string     `json:"unit,omitempty"` // "tokens", "$"
	Next   []GoalStep `json:"next,omitempty"`
}

// GoalStep is a goal that follows.
type GoalStep struct {
	Title  string  `json:"title"`
	Target float64 `json:"target"`
}

// AlertSpec is the alert box's rules per kind (tip, follow, sub, raid), how
// alerts come and go, and how many may wait.
type AlertSpec struct {
	Rules     map[string]AlertRule `json:"rules,omitempty"`
	HoldSec   float64              `json:"hold_sec,omitempty"`  // on screen, default 4
	EnterSec  float64              `json:"enter_sec,omitempty"` // default 0.4
	ExitSec   float64              `json:"exit_sec,omitempty"`  // default 0.4
	Animation string               `json:"animation,omitempty"` // fade (default) or slide
	Queue     int                  `json:"queue,omitempty"`     // alerts waiting at most; default 10
}

// AlertRule is what one kind of alert shows: only from MinAmount on, with
// an image, a sound mixed into the program, and a text template ({name},
// {amount}, {message}).
type AlertRule struct {
	MinAmount float64 `json:"min_amount,omitempty"`
	Image     string  `json:"image,omitempty"`
	Sound     string  `json:"sound,omitempty"` // a WAV file, or "chime"
	Text      string  `json:"text,omitempty"`
	Off       bool    `json:"off,omitempty"`
}

// DefaultAlertTexts are the alert templates when a rule gives none.
var DefaultAlertTexts = map[string]string{
	"tip":    "{name} tipped {amount}!",
	"follow": "{name} is following!",
	"sub":    "{name} subscribed ({amount} months)!",
	"raid":   "{name} is raiding with {amount} viewers!",
}

// DefaultScenes is what a profile without scenes gets: the camera live, and
// the three scenes performers cut to.
func DefaultScenes() []SceneSpec {
	card := func(title string) []LayerSpec {
		return []LayerSpec{{Name: "title", Kind: KindText, Text: title, X: 0, Y: 0,
			Style: TextSpec{Size: 64, Outline: 3, Align: "center"}}}
	}
	return []SceneSpec{
		{Name: "Live", Layers: []LayerSpec{{Name: "camera", Kind: KindCamera}, {Name: "alerts", Kind: KindAlert}}},
		{Name: "Be right back", Layers: card("Be right back")},
		{Name: "Starting soon", Layers: card("Starting soon")},
		{Name: "Privacy", Layers: card("Back in a moment")},
	}
}

// PrivacyScene is the scene the privacy cut shows.
const PrivacyScene = "Privacy"

// ValidateScenes reports, in words, the first thing wrong with scenes (w×h:
// the canvas).
func ValidateScenes(scenes []SceneSpec) error {
	seen := map[string]bool{}
	for i, s := range scenes {
		if strings.TrimSpace(s.Name) == "" {
			return fmt.Errorf("scene %d has no name", i+1)
		}
		if seen[strings.ToLower(s.Name)] {
			return fmt.Errorf("two scenes are named %q", s.Name)
		}
		seen[strings.ToLower(s.Name)] = true
		layers := map[string]bool{}
		for j, l := range s.Layers {
			where := fmt.Sprintf("scene %q, layer %d", s.Name, j+1)
			if l.Name != "" {
				where = fmt.Sprintf("scene %q, layer %q", s.Name, l.Name)
				if layers[strings.ToLower(l.Name)] {
					return fmt.Errorf("%s: two layers have that name", where)
				}
				layers[strings.ToLower(l.Name)] = true
			}
			if err := l.validate(); err != nil {
				return fmt.Errorf("%s: %w", where, err)
			}
		}
	}
	return nil
}

func (l LayerSpec) validate() error {
	switch l.Kind {
	case KindCamera, KindText, KindChat:
	case KindImage:
		if l.Path == "" {
			return errors.New("an image layer needs a path")
		}
	case KindGoal:
		if l.Goal == nil {
			return errors.New("a goal layer needs a goal with a target")
		}
		for _, t := range append([]GoalStep{{Title: l.Goal.Title, Target: l.Goal.Target}}, l.Goal.Next...) {
			if !(t.Target >= MinGoal && t.Target <= MaxAmount) {
				return fmt.Errorf("goal %q: its target %g must be %g to %g", t.Title, t.Target, MinGoal, MaxAmount)
			}
		}
	case KindAlert:
	case "":
		return errors.New("no kind (camera, image, text, goal, chat or alert)")
	default:
		return fmt.Errorf("kind %q is not one of camera, image, text, goal, chat, alert", l.Kind)
	}
	if l.Width < 0 || l.Height < 0 || l.Width > 1<<14 || l.Height > 1<<14 {
		return fmt.Errorf("size %dx%d is out of range", l.Width, l.Height)
	}
	if l.Opacity != nil && !(*l.Opacity >= 0 && *l.Opacity <= 1) {
		return errors.New("opacity must be between 0 and 1")
	}
	for _, c := range []string{l.Style.Color, l.Style.OutlineColor} {
		if _, err := ParseColor(c, color.NRGBA{}); err != nil {
			return err
		}
	}
	if l.Alerts != nil {
		for kind := range l.Alerts.Rules {
			if _, ok := DefaultAlertTexts[kind]; !ok {
				return fmt.Errorf("alert rule %q: the kinds are tip, follow, sub and raid", kind)
			}
		}
		if a := l.Alerts.Animation; a != "" && a != "fade" && a != "slide" {
			return fmt.Errorf("alert animation %q: use fade or slide", a)
		}
	}
	return nil
}

// ParseColor reads "#RRGGBB" or "#RRGGBBAA"; "" gives def.
func ParseColor(s string, def color.NRGBA) (color.NRGBA, error) {
	if s == "" {
		return def, nil
	}
	h, ok := strings.CutPrefix(s, "#")
	if !ok || (len(h) != 6 && len(h) != 8) {
		return def, fmt.Errorf("colour %q: write it #RRGGBB or #RRGGBBAA", s)
	}
	v, err := strconv.ParseUint(h, 16, 32)
	if err != nil {
		return def, fmt.Errorf("colour %q: write it #RRGGBB or #RRGGBBAA", s)
	}
	if len(h) == 6 {
		v = v<<8 | 0xff
	}
	return color.NRGBA{uint8(v >> 24), uint8(v >> 16), uint8(v >> 8), uint8(v)}, nil
}

// Amounts: a goal's target is at least MinGoal (a goal of a fraction of a
// cent is no goal), and an event's amount at most MaxAmount.
const (
	MinGoal   = 0.01
	MaxAmount = 1e9
)

// Event is a viewer's action that shows as an alert and fills the goal.
// Name and Message are untrusted text, cleaned by the caller.
type Event struct {
	Kind    string  // tip, follow, sub, raid
	Amount  float64 // tip: tokens or currency; sub: months; raid: viewers
	Unit    string  // "tokens", "$"; "" takes the goal's
	Name    string
	Message string
}

func seconds(v, def float64) time.Duration {
	if !(v > 0) {
		v = def
	}
	return time.Duration(min(v, 3600) * float64(time.Second))
}
