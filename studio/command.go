package studio

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// CommandKind is what a show command asks for.
type CommandKind int

const (
	_          CommandKind = iota
	CmdScene               // switch to the scene Name
	CmdShow                // show the layer Name
	CmdHide                // hide the layer Name
	CmdAlert               // an alert: Alert
	CmdPrivacy             // the privacy cut on (On) or off
	CmdChat                // a chat message for the chat boxes: Alert.Name and Alert.Message
)

// AlertKind is an alert's event: a tip, a follow, a subscription, a raid.
type AlertKind int

const (
	_ AlertKind = iota
	AlertTip
	AlertFollow
	AlertSub
	AlertRaid
)

var alertKinds = map[string]AlertKind{"tip": AlertTip, "follow": AlertFollow, "sub": AlertSub, "raid": AlertRaid}

func (k AlertKind) String() string {
	for name, v := range alertKinds {
		if v == k {
			return name
		}
	}
	return "AlertKind(" + strconv.Itoa(int(k)) + ")"
}

// AlertEvent is an alert as a viewer's action gives it. Name and Message are
// untrusted text: CleanText has made them safe to draw.
type AlertEvent struct {
	Kind    AlertKind
	Amount  float64 // tip: tokens or currency; raid: viewers; sub: months
	Name    string
	Message string
}

// Command is one line of `onair live`'s standard input.
type Command struct {
	Kind  CommandKind
	Name  string        // scene or layer
	On    bool          // privacy
	Fade  time.Duration // scene: 0 cuts
	Alert AlertEvent
}

// Limits on untrusted text: a name longer than a line of the alert box is a
// name nobody reads, and a long message is a wall over the show.
const (
	MaxNameRunes    = 40
	MaxMessageRunes = 200
	maxCommandBytes = 4096
)

// commandHelp is what a line that is not a command is answered with.
const commandHelp = "commands: scene NAME [fade [DURATION]] | show LAYER | hide LAYER | alert tip|follow|sub|raid AMOUNT NAME [MESSAGE] | privacy on|off | chat NAME MESSAGE"

// ParseCommand reads one command line. A line that is not a command gives an
// error in words (with the list of commands), never a panic.
func ParseCommand(line string) (Command, error) {
	if len(line) > maxCommandBytes {
		return Command{}, fmt.Errorf("a command line of %d bytes is too long (at most %d)", len(line), maxCommandBytes)
	}
	if !utf8.ValidString(line) {
		return Command{}, errors.New("a command line that is not UTF-8 text")
	}
	verb, rest, _ := strings.Cut(strings.TrimSpace(line), " ")
	rest = strings.TrimSpace(rest)
	switch strings.ToLower(verb) {
	case "scene", "show", "hide":
		name := CleanText(rest, MaxNameRunes*2)
		if name == "" {
			return Command{}, fmt.Errorf("%s: which one? (%s)", verb, commandHelp)
		}
		kind := map[string]CommandKind{"scene": CmdScene, "show": CmdShow, "hide": CmdHide}[strings.ToLower(verb)]
		c := Command{Kind: kind, Name: name}
		if kind == CmdScene {
			c.Name, c.Fade = sceneFade(name)
			if c.Name == "" {
				return Command{}, fmt.Errorf("scene: which one? (%s)", commandHelp)
			}
		}
		return c, nil
	case "privacy":
		switch strings.ToLower(rest) {
		case "on":
			return Command{Kind: CmdPrivacy, On: true}, nil
		case "off":
			return Command{Kind: CmdPrivacy}, nil
		}
		return Command{}, fmt.Errorf("privacy %q: say privacy on or privacy off", CleanText(rest, 20))
	case "alert":
		return parseAlert(rest)
	case "chat":
		name, msg, _ := strings.Cut(rest, " ")
		name, msg = CleanText(name, MaxNameRunes), CleanText(msg, MaxMessageRunes)
		if name == "" || msg == "" {
			return Command{}, errors.New("chat: say chat NAME MESSAGE, e.g. chat Ana hello everyone")
		}
		return Command{Kind: CmdChat, Alert: AlertEvent{Name: name, Message: msg}}, nil
	case "":
		return Command{}, errors.New("an empty line: " + commandHelp)
	}
	return Command{}, fmt.Errorf("%q is not a command; %s", CleanText(verb, 20), commandHelp)
}

// DefaultFade is a fade between scenes when its length is not given.
const DefaultFade = 300 * time.Millisecond

// sceneFade splits "NAME fade [DURATION]" (a duration as 500ms, 0.5s or a
// number of milliseconds, at most half a second) from a scene command.
func sceneFade(s string) (name string, fade time.Duration) {
	f := strings.Fields(s)
	n := len(f)
	switch {
	case n >= 2 && strings.EqualFold(f[n-1], "fade"):
		return strings.Join(f[:n-1], " "), DefaultFade
	case n >= 3 && strings.EqualFold(f[n-2], "fade"):
		d, err := time.ParseDuration(f[n-1])
		if err != nil {
			ms, err2 := strconv.ParseFloat(f[n-1], 64)
			if err2 != nil {
				return s, 0 // "fade" is part of the name
			}
			d = time.Duration(ms * float64(time.Millisecond))
		}
		return strings.Join(f[:n-2], " "), min(max(d, 0), 500*time.Millisecond)
	}
	return s, 0
}

func parseAlert(s string) (Command, error) {
	fields := strings.Fields(s)
	if len(fields) < 3 {
		return Command{}, errors.New("alert: say alert tip|follow|sub|raid AMOUNT NAME [MESSAGE], e.g. alert tip 100 Ana thanks!")
	}
	kind, ok := alertKinds[strings.ToLower(fields[0])]
	if !ok {
		return Command{}, fmt.Errorf("alert %q: the kinds are tip, follow, sub and raid", CleanText(fields[0], 20))
	}
	amount, err := strconv.ParseFloat(fields[1], 64)
	if err != nil || amount < 0 || amount > 1e9 || amount != amount {
		return Command{}, fmt.Errorf("alert %s: the amount %q is not a number from 0 to 1e9", fields[0], CleanText(fields[1], 20))
	}
	name := CleanText(fields[2], MaxNameRunes)
	if name == "" {
		return Command{}, fmt.Errorf("alert %s: the viewer's name is empty once cleaned", fields[0])
	}
	// The message is what follows the name, as typed: skip three fields.
	rest := s
	for range 3 {
		rest = strings.TrimLeftFunc(rest, unicode.IsSpace)
		rest = rest[len(strings.FieldsFunc(rest, unicode.IsSpace)[0]):]
	}
	msg := CleanText(rest, MaxMessageRunes)
	return Command{Kind: CmdAlert, Alert: AlertEvent{Kind: kind, Amount: amount, Name: name, Message: msg}}, nil
}

// maxMarks is how many combining marks one letter keeps: enough for any
// script's real text (Vietnamese stacks two, Hebrew points three).
const maxMarks = 4

// invisibleFiller tells letters that draw as nothing (Hangul fillers, the
// blank braille pattern): a name made of them is an invisible name.
func invisibleFiller(r rune) bool {
	switch r {
	case 0x115F, 0x1160, 0x3164, 0xFFA0, 0x2800:
		return true
	}
	return false
}

// CleanText makes untrusted text (a viewer's name, a tip message, a chat
// line) safe to draw as plain text: control characters become spaces, bidi
// overrides and isolates, zero-width and other format characters are
// removed (they can turn text around or hide it), as are letters that draw
// as nothing and combining marks past four on a letter; runs of spaces fold
// into one, and it is cut to at most limit runes (with "…" when cut).
func CleanText(s string, limit int) string {
	limit = min(max(limit, 1), 1<<20)
	out := make([]rune, 0, min(len(s), limit+1))
	space := false
	marks := 0 // combining marks on the current letter
	for _, r := range s {
		if unicode.In(r, unicode.Mn, unicode.Me) {
			if marks++; marks > maxMarks {
				continue // a tower of marks over the lines above
			}
		} else {
			marks = 0
		}
		switch {
		case r == utf8.RuneError:
			continue
		case invisibleFiller(r):
			continue
		case unicode.IsControl(r) || unicode.IsSpace(r):
			space = len(out) > 0
			continue
		case unicode.In(r, unicode.Cf, unicode.Co, unicode.Cs, unicode.Noncharacter_Code_Point):
			continue // format (bidi controls, zero-width), private use, surrogates
		}
		if space {
			out = append(out, ' ')
			space = false
		}
		out = append(out, r)
		if len(out) > limit {
			return strings.TrimSpace(string(out[:limit-1])) + "…"
		}
	}
	return string(out)
}
