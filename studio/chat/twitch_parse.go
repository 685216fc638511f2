package chat

import (
	"strconv"
	"strings"
	"time"
)

// ircLine is one IRC line: its IRCv3 tags (unescaped), prefix, command and
// parameters (the trailing one included, without its colon).
type ircLine struct {
	tags    map[string]string
	prefix  string
	command string
	params  []string
}

// Bounds on what a line may claim: Twitch's own limits, with room.
const (
	maxBits       = 10_000_000
	maxTimeoutSec = 14 * 24 * 3600 // Twitch's longest timeout
	maxCount      = 100_000        // months, gifted subs, raiders
)

// maxIRCLine bounds a line: Twitch's are at most 8 KB with tags; anything
// longer is not Twitch.
const maxIRCLine = 16 << 10

// parseIRC reads one line (without its CR LF). ok is false for what is not
// an IRC line.
func parseIRC(s string) (l ircLine, ok bool) {
	if len(s) == 0 || len(s) > maxIRCLine {
		return l, false
	}
	if s[0] == '@' {
		raw, rest, found := strings.Cut(s[1:], " ")
		if !found {
			return l, false
		}
		l.tags = map[string]string{}
		for _, kv := range strings.Split(raw, ";") {
			k, v, _ := strings.Cut(kv, "=")
			if k != "" {
				l.tags[k] = unescapeTag(v)
			}
		}
		s = strings.TrimLeft(rest, " ")
	}
	if strings.HasPrefix(s, ":") {
		p, rest, found := strings.Cut(s[1:], " ")
		if !found {
			return l, false
		}
		l.prefix, s = p, strings.TrimLeft(rest, " ")
	}
	for s != "" {
		if s[0] == ':' {
			l.params = append(l.params, s[1:])
			break
		}
		p, rest, _ := strings.Cut(s, " ")
		if l.command == "" {
			l.command = p
		} else {
			l.params = append(l.params, p)
		}
		s = strings.TrimLeft(rest, " ")
	}
	return l, l.command != ""
}

// unescapeTag undoes IRCv3's tag escapes: \s space, \: semicolon, \\
// backslash, \r and \n; a lone trailing backslash is dropped.
func unescapeTag(v string) string {
	if !strings.Contains(v, `\`) {
		return v
	}
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c != '\\' {
			b.WriteByte(c)
			continue
		}
		i++
		if i == len(v) {
			break
		}
		switch v[i] {
		case 's':
			b.WriteByte(' ')
		case ':':
			b.WriteByte(';')
		case 'r':
			b.WriteByte('\r')
		case 'n':
			b.WriteByte('\n')
		default:
			b.WriteByte(v[i])
		}
	}
	return b.String()
}

// twitchEvent is what one line from Twitch's chat asks of the connector.
type twitchEvent struct {
	msg       *Message // a message or event for the stream
	ping      string   // answer PONG with this
	reconnect bool     // the server asks us to reconnect
	malformed bool     // not an IRC line: skipped
}

// parseTwitch reads one line of Twitch chat. Lines that carry nothing for
// the stream (JOIN, numeric replies, CAP) give a zero event.
func parseTwitch(line string, now time.Time) twitchEvent {
	l, ok := parseIRC(strings.TrimRight(line, "\r\n"))
	if !ok {
		return twitchEvent{malformed: true}
	}
	switch l.command {
	case "PING":
		return twitchEvent{ping: lastParam(l)}
	case "RECONNECT":
		return twitchEvent{reconnect: true}
	}
	m := &Message{Platform: "twitch", Time: now}
	if len(l.params) > 0 {
		m.Channel = strings.TrimPrefix(l.params[0], "#")
	}
	if ts, err := strconv.ParseInt(l.tags["tmi-sent-ts"], 10, 64); err == nil && ts > 0 {
		m.Time = time.UnixMilli(ts)
	}
	m.ID = l.tags["id"]
	m.Author = twitchAuthor(l)
	switch l.command {
	case "PRIVMSG":
		if len(l.params) < 2 {
			return twitchEvent{}
		}
		m.Kind, m.Text = KindChat, l.params[1]
		if a, ok := strings.CutPrefix(m.Text, "\x01ACTION "); ok { // /me
			m.Text = strings.TrimSuffix(a, "\x01")
		}
		m.Emotes = twitchEmotes(l.tags["emotes"], m.Text)
		if bits, err := strconv.ParseUint(l.tags["bits"], 10, 32); err == nil && bits > 0 && bits <= maxBits {
			m.Kind, m.Amount, m.Currency = KindTip, float64(bits), "bits"
		}
	case "USERNOTICE":
		m.Text = lastParamAfter(l, 1)
		m.System = l.tags["system-msg"]
		if !twitchUserNotice(m, l.tags) {
			return twitchEvent{}
		}
	case "CLEARMSG":
		m.Kind, m.TargetID = KindDeleted, l.tags["target-msg-id"]
		if m.TargetID == "" {
			return twitchEvent{}
		}
	case "CLEARCHAT":
		if len(l.params) < 2 {
			// The whole chat cleared: a notice; the view keeps its lines.
			m.Kind, m.System = KindNotice, "the chat was cleared by a moderator"
			break
		}
		m.Kind, m.TargetUser = KindBanned, l.params[1]
		if id := l.tags["target-user-id"]; id != "" {
			m.TargetUser = id
		}
		if s, err := strconv.Atoi(l.tags["ban-duration"]); err == nil && s > 0 {
			m.Duration = time.Duration(min(s, maxTimeoutSec)) * time.Second
		}
	case "NOTICE":
		m.Kind, m.System = KindNotice, lastParam(l)
	default:
		return twitchEvent{}
	}
	cleanMessage(m)
	return twitchEvent{msg: m}
}

// twitchUserNotice fills an event from a USERNOTICE's tags; false for the
// kinds the stream has no use for.
func twitchUserNotice(m *Message, tags map[string]string) bool {
	num := func(k string) int {
		n, _ := strconv.Atoi(tags[k])
		return min(max(n, 0), maxCount)
	}
	switch tags["msg-id"] {
	case "sub", "resub":
		m.Kind, m.Tier, m.Months = KindSub, tags["msg-param-sub-plan"], num("msg-param-cumulative-months")
		m.Amount = float64(m.Months)
	case "subgift", "anonsubgift":
		m.Kind, m.Tier, m.Months = KindSub, tags["msg-param-sub-plan"], num("msg-param-months")
		m.GiftedBy = m.Author.Name
		if tags["msg-id"] == "anonsubgift" || m.Author.Login == "ananonymousgifter" {
			m.GiftedBy = "anonymous"
		}
		// The event's viewer is the one who got the sub.
		m.Author = Author{ID: tags["msg-param-recipient-id"], Login: tags["msg-param-recipient-user-name"], Name: tags["msg-param-recipient-display-name"]}
		m.Amount = float64(max(m.Months, 1))
	case "submysterygift", "anonsubmysterygift":
		m.Kind, m.Tier, m.Gifts = KindSub, tags["msg-param-sub-plan"], num("msg-param-mass-gift-count")
		m.GiftedBy, m.Amount = m.Author.Name, float64(m.Gifts)
		if m.GiftedBy == "" || tags["msg-id"] == "anonsubmysterygift" {
			m.GiftedBy = "anonymous"
		}
	case "giftpaidupgrade", "anongiftpaidupgrade", "primepaidupgrade":
		m.Kind, m.Tier = KindSub, tags["msg-param-sub-plan"]
	case "raid":
		m.Kind, m.Amount = KindRaid, float64(num("msg-param-viewerCount"))
		if n := tags["msg-param-displayName"]; n != "" {
			m.Author.Name = n
		}
	case "unraid", "announcement", "bitsbadgetier", "ritual":
		m.Kind = KindNotice
		if m.System == "" {
			m.System = m.Text
		}
	default:
		return false
	}
	return true
}

func twitchAuthor(l ircLine) Author {
	a := Author{ID: l.tags["user-id"], Login: l.tags["login"], Name: l.tags["display-name"], Color: l.tags["color"]}
	if a.Login == "" {
		if nick, _, ok := strings.Cut(l.prefix, "!"); ok {
			a.Login = nick
		}
	}
	if a.Name == "" {
		a.Name = a.Login
	}
	if b := l.tags["badges"]; b != "" {
		a.Badges = strings.Split(b, ",")
	}
	for _, b := range a.Badges {
		switch {
		case strings.HasPrefix(b, "broadcaster/"):
			a.Role = max(a.Role, RoleBroadcaster)
		case strings.HasPrefix(b, "moderator/"):
			a.Role = max(a.Role, RoleModerator)
		case strings.HasPrefix(b, "subscriber/"), strings.HasPrefix(b, "founder/"):
			a.Role = max(a.Role, RoleSubscriber)
		}
	}
	if l.tags["mod"] == "1" {
		a.Role = max(a.Role, RoleModerator)
	}
	return a
}

// twitchEmotes reads the emotes tag ("25:0-4,12-16/1902:6-10"): positions are
// in characters (runes) of the text, end inclusive; spans out of the text
// are left out.
func twitchEmotes(tag, text string) []Emote {
	if tag == "" {
		return nil
	}
	// Byte offset of each rune, and of the end.
	var offsets []int
	for i := range text {
		offsets = append(offsets, i)
	}
	offsets = append(offsets, len(text))
	var out []Emote
	for _, e := range strings.Split(tag, "/") {
		id, spans, ok := strings.Cut(e, ":")
		if !ok {
			continue
		}
		for _, sp := range strings.Split(spans, ",") {
			a, b, ok := strings.Cut(sp, "-")
			if !ok {
				continue
			}
			s, err1 := strconv.Atoi(a)
			t, err2 := strconv.Atoi(b)
			if err1 != nil || err2 != nil || s < 0 || t < s || t >= len(offsets)-1 || len(out) >= 256 {
				continue
			}
			out = append(out, Emote{ID: id, Start: offsets[s], End: offsets[t+1]})
		}
	}
	return out
}

func lastParam(l ircLine) string {
	if len(l.params) == 0 {
		return ""
	}
	return l.params[len(l.params)-1]
}

// lastParamAfter is the trailing parameter when there are more than n.
func lastParamAfter(l ircLine, n int) string {
	if len(l.params) <= n {
		return ""
	}
	return l.params[len(l.params)-1]
}
