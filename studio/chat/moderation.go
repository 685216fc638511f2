package chat

import (
	"fmt"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Moderation is the studio's own moderation: it hides messages from the
// performer's view (and the chat box on stream); it removes nothing on the
// platforms.
type Moderation struct {
	// HiddenUsers are hidden: "login" on every platform, "platform:login"
	// on one.
	HiddenUsers []string `json:"hidden_users,omitempty"`
	// Filters hide a message, or mask the words, that match.
	Filters []Filter `json:"filters,omitempty"`
	// TrustedOnly shows only the broadcaster, moderators, subscribers and
	// Trusted users.
	TrustedOnly bool     `json:"trusted_only,omitempty"`
	Trusted     []string `json:"trusted,omitempty"` // as HiddenUsers
	// Bots are ignored altogether, events too ("nightbot", "streamelements").
	Bots []string `json:"bots,omitempty"`
}

// Filter is a word, a phrase or a regular expression.
type Filter struct {
	Pattern string `json:"pattern"`
	Regex   bool   `json:"regex,omitempty"`  // else a word or phrase, any case
	Action  string `json:"action,omitempty"` // "hide" (the default) or "mask"
}

// Limits on moderation lists: a profile is untrusted input too.
const (
	maxFilters       = 500
	maxPatternBytes  = 500
	maxModerationSet = 100000
)

// moderator is a Moderation made ready: sets and compiled patterns.
type moderator struct {
	hidden, trusted, bots map[string]bool // "login" or "platform:login"
	hide, mask            []*pattern
	trustedOnly           bool
}

// pattern is a filter made ready. A word or phrase matches where it stands
// alone, not inside a longer word of any script (Go's \b knows only ASCII
// letters, so the edges are checked here).
type pattern struct {
	re          *regexp.Regexp
	lead, trail bool // a word: the phrase starts / ends with a letter, digit or _
}

func isWordRune(r rune) bool {
	return r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r)
}

// matches tells whether p is in s.
func (p *pattern) matches(s string) bool {
	if !p.lead && !p.trail {
		return p.re.MatchString(s)
	}
	return p.re.MatchString(s) && len(p.spans(s)) > 0
}

// spans is where p matches s: byte offsets, in order, not overlapping.
func (p *pattern) spans(s string) [][]int {
	all := p.re.FindAllStringIndex(s, -1)
	if !p.lead && !p.trail {
		return all
	}
	out := all[:0]
	for _, m := range all {
		if p.lead && m[0] > 0 {
			if r, _ := utf8.DecodeLastRuneInString(s[:m[0]]); isWordRune(r) {
				continue
			}
		}
		if p.trail && m[1] < len(s) {
			if r, _ := utf8.DecodeRuneInString(s[m[1]:]); isWordRune(r) {
				continue
			}
		}
		out = append(out, m)
	}
	return out
}

// compile checks m and makes it ready; errors are in words.
func (m Moderation) compile() (*moderator, error) {
	if len(m.Filters) > maxFilters {
		return nil, fmt.Errorf("chat moderation: %d filters; at most %d", len(m.Filters), maxFilters)
	}
	if len(m.HiddenUsers)+len(m.Trusted)+len(m.Bots) > maxModerationSet {
		return nil, fmt.Errorf("chat moderation: more than %d names", maxModerationSet)
	}
	set := func(names []string) map[string]bool {
		s := make(map[string]bool, len(names))
		for _, n := range names {
			if n = strings.ToLower(strings.TrimSpace(n)); n != "" {
				s[n] = true
			}
		}
		return s
	}
	mo := &moderator{hidden: set(m.HiddenUsers), trusted: set(m.Trusted), bots: set(m.Bots), trustedOnly: m.TrustedOnly}
	for i, f := range m.Filters {
		p := f.Pattern
		if strings.TrimSpace(p) == "" {
			return nil, fmt.Errorf("chat filter %d: the pattern is empty", i+1)
		}
		if len(p) > maxPatternBytes {
			return nil, fmt.Errorf("chat filter %d: the pattern is over %d bytes", i+1, maxPatternBytes)
		}
		pat := &pattern{}
		if !f.Regex {
			// A word or phrase: where it stands alone, any case.
			p = strings.TrimSpace(p)
			first, _ := utf8.DecodeRuneInString(p)
			last, _ := utf8.DecodeLastRuneInString(p)
			pat.lead, pat.trail = isWordRune(first), isWordRune(last)
			p = `(?i)` + regexp.QuoteMeta(p)
		}
		re, err := regexp.Compile(p)
		if err != nil {
			return nil, fmt.Errorf("chat filter %d (%q) is not a valid regular expression: %v", i+1, f.Pattern, strings.TrimPrefix(err.Error(), "error parsing regexp: "))
		}
		pat.re = re
		switch strings.ToLower(f.Action) {
		case "", "hide":
			mo.hide = append(mo.hide, pat)
		case "mask":
			mo.mask = append(mo.mask, pat)
		default:
			return nil, fmt.Errorf("chat filter %d: action %q; it is hide or mask", i+1, f.Action)
		}
	}
	return mo, nil
}

// in tells whether the author of m is in set (by login, name or id, on every
// platform or on m's).
func in(set map[string]bool, m *Message) bool {
	if len(set) == 0 {
		return false
	}
	for _, n := range [...]string{m.Author.Login, m.Author.Name, m.Author.ID} {
		if n == "" {
			continue
		}
		n = strings.ToLower(n)
		if set[n] || set[m.Platform+":"+n] {
			return true
		}
	}
	return false
}

// bot tells a message to ignore altogether.
func (mo *moderator) bot(m *Message) bool { return in(mo.bots, m) }

// judge tells whether m is hidden from the view, and masks its text in
// place. Events are never hidden by trusted-only mode (a tip counts whoever
// gives it), but a hidden user's or a filtered message's words are dropped
// from them.
func (mo *moderator) judge(m *Message) (hidden bool) {
	for _, p := range mo.mask {
		spans := p.spans(m.Text)
		if len(spans) == 0 {
			continue
		}
		var b strings.Builder
		at := 0
		for _, sp := range spans {
			b.WriteString(m.Text[at:sp[0]])
			b.WriteString(strings.Repeat("*", min(utf8.RuneCountInString(m.Text[sp[0]:sp[1]]), 12)))
			at = sp[1]
		}
		b.WriteString(m.Text[at:])
		m.Text = b.String()
		m.Emotes = nil // the spans moved
	}
	hidden = in(mo.hidden, m)
	for _, p := range mo.hide {
		if hidden {
			break
		}
		hidden = p.matches(m.Text)
	}
	if m.Kind != KindChat {
		if hidden {
			m.Text = "" // the event stays, its words go
		}
		return false
	}
	if !hidden && mo.trustedOnly && m.Author.Role == RoleViewer && !in(mo.trusted, m) {
		hidden = true
	}
	return hidden
}
