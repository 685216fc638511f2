package chat

import (
	"fmt"
	"strings"
)

// Describe is a message in one line of plain text, as the terminal and the
// window show it: "Ana: hello", "★ Bo tipped 100 bits: cheer100",
// "✕ troll was banned". Its texts are cleaned (the hub did it already).
func Describe(m *Message) string {
	name := clipRunes(cleanName(m.Author.Display()), 40)
	text := cleanText(m.Text, 500)
	system := cleanText(m.System, 300)
	with := func(s, more string) string {
		if more != "" {
			return s + ": " + more
		}
		return s
	}
	switch m.Kind {
	case KindChat:
		s := name + ": " + text
		if m.Private {
			s = "(private) " + s
		}
		return s
	case KindTip:
		amount := strings.TrimRight(strings.TrimRight(fmt.Sprintf("%.2f", m.Amount), "0"), ".")
		return with(fmt.Sprintf("★ %s tipped %s %s", name, amount, clipRunes(cleanName(m.Currency), 12)), text)
	case KindFollow:
		return "★ " + name + " is following"
	case KindSub:
		s := "★ " + name + " subscribed"
		switch {
		case m.Gifts > 0:
			s = fmt.Sprintf("★ %s gave %d subs", name, m.Gifts)
		case m.GiftedBy != "":
			s += " (a gift from " + clipRunes(cleanName(m.GiftedBy), 40) + ")"
		case m.Months > 1:
			s += fmt.Sprintf(" (%d months)", m.Months)
		}
		return with(s, text)
	case KindRaid:
		return fmt.Sprintf("★ %s raided with %d viewers", name, int(m.Amount))
	case KindBanned:
		if system != "" {
			return "✕ " + system
		}
		who := clipRunes(cleanName(m.TargetUser), 40)
		if m.Duration > 0 {
			return fmt.Sprintf("✕ %s timed out for %v", who, m.Duration)
		}
		return "✕ " + who + " was banned"
	}
	if system == "" {
		system = text
	}
	return "· " + system
}

// ParseSendLine splits a line typed to send: "@twitch hello" is "hello" for
// Twitch alone; anything else is for every platform that can send.
func ParseSendLine(line string) (platform, text string) {
	text = strings.TrimSpace(line)
	if strings.HasPrefix(text, "@") {
		name, rest, _ := strings.Cut(text, " ")
		return name[1:], strings.TrimSpace(rest)
	}
	return "", text
}

// clipRunes cuts s to n letters, with "…" when cut.
func clipRunes(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}
