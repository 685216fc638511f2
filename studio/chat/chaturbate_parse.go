package chat

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// cbPage is what one answer of the Events API gives the stream.
type cbPage struct {
	msgs    []Message
	next    string   // the answer's nextUrl, as given
	skipped []string // why each malformed event was left out
}

// The Events API's JSON (the fields the stream uses).
type (
	cbUser struct {
		Username   string `json:"username"`
		ColorGroup string `json:"colorGroup"`
		InFanclub  bool   `json:"inFanclub"`
		IsMod      bool   `json:"isMod"`
		IsOwner    bool   `json:"isOwner"`
	}
	cbTip struct {
		Tokens  int64  `json:"tokens"`
		IsAnon  bool   `json:"isAnon"`
		Message string `json:"message"`
	}
	cbChat struct {
		Message  string `json:"message"`
		Color    string `json:"color"`
		FromUser string `json:"fromUser"`
		ToUser   string `json:"toUser"`
	}
	cbMedia struct {
		Name   string `json:"name"`
		Type   string `json:"type"`
		Tokens int64  `json:"tokens"`
	}
	cbEvent struct {
		Method string `json:"method"`
		ID     string `json:"id"`
		Object struct {
			Broadcaster string   `json:"broadcaster"`
			User        *cbUser  `json:"user"`
			Tip         *cbTip   `json:"tip"`
			Message     *cbChat  `json:"message"`
			Media       *cbMedia `json:"media"`
			Subject     *string  `json:"subject"`
		} `json:"object"`
	}
)

// cbMethods are the events the stream shows; others are left out quietly.
var cbMethods = map[string]bool{
	"tip": true, "chatMessage": true, "privateMessage": true, "follow": true, "unfollow": true,
	"userEnter": true, "userLeave": true, "fanclubJoin": true, "mediaPurchase": true,
	"broadcastStart": true, "broadcastStop": true, "roomSubjectChange": true,
}

// parseChaturbate reads one answer of the Events API. An event that is not
// the JSON expected is left out and said in skipped; an answer that is not
// JSON at all is an error. Chaturbate gives no time: events are stamped now.
func parseChaturbate(body []byte, channel string, now time.Time) (cbPage, error) {
	var page cbPage
	if len(body) > maxBodyBytes {
		return page, fmt.Errorf("an answer over %d bytes", maxBodyBytes)
	}
	var raw struct {
		Events  []json.RawMessage `json:"events"`
		NextURL string            `json:"nextUrl"`
	}
	if err := json.Unmarshal(body, &raw); err != nil {
		return page, errors.New("an answer that is not the events JSON expected")
	}
	page.next = raw.NextURL
	for _, e := range raw.Events {
		var head struct {
			Method string `json:"method"`
		}
		if err := json.Unmarshal(e, &head); err != nil {
			page.skipped = append(page.skipped, "an event that is not the JSON expected")
			continue
		}
		if !cbMethods[head.Method] {
			continue // a kind of event the stream has no use for
		}
		var ev cbEvent
		if err := json.Unmarshal(e, &ev); err != nil {
			page.skipped = append(page.skipped, fmt.Sprintf("a %s event that is not the JSON expected", head.Method))
			continue
		}
		m, why := cbMessage(&ev, channel, now)
		if why != "" {
			page.skipped = append(page.skipped, fmt.Sprintf("a %s event %s", ev.Method, why))
			continue
		}
		page.msgs = append(page.msgs, m)
	}
	return page, nil
}

// cbMessage is the stream's Message for one event, or why it has none.
func cbMessage(ev *cbEvent, channel string, now time.Time) (Message, string) {
	o := &ev.Object
	m := Message{Platform: "chaturbate", Channel: channel, ID: cleanName(ev.ID), Time: now}
	if m.ID == "" {
		return m, "without an id"
	}
	hasUser := o.User != nil && o.User.Username != ""
	if hasUser {
		m.Author = cbAuthor(o.User)
	}
	needUser := func() string {
		if !hasUser {
			return "without its user"
		}
		return ""
	}
	name := m.Author.Name
	switch ev.Method {
	case "tip":
		if o.Tip == nil || o.Tip.Tokens <= 0 || o.Tip.Tokens > maxTokens {
			return m, "without a number of tokens"
		}
		m.Kind, m.Amount, m.Currency = KindTip, float64(o.Tip.Tokens), "tokens"
		m.Text = cleanText(o.Tip.Message, maxTextBytes)
		if o.Tip.IsAnon {
			m.Author = Author{Name: "anonymous"}
		} else if !hasUser {
			return m, "without its user"
		}
	case "chatMessage", "privateMessage":
		if o.Message == nil {
			return m, "without its message"
		}
		if !hasUser && o.Message.FromUser != "" {
			n := cleanName(o.Message.FromUser)
			m.Author = Author{ID: strings.ToLower(n), Login: strings.ToLower(n), Name: n}
			hasUser = true
		}
		if why := needUser(); why != "" {
			return m, why
		}
		m.Kind, m.Text = KindChat, cleanText(o.Message.Message, maxTextBytes)
		m.Private = ev.Method == "privateMessage"
		if c := o.Message.Color; isHexColor(c) {
			m.Author.Color = strings.ToUpper(c)
		}
	case "follow":
		m.Kind = KindFollow
		return m, needUser()
	case "fanclubJoin":
		m.Kind, m.Tier = KindSub, "fanclub"
		return m, needUser()
	case "mediaPurchase":
		if o.Media == nil || o.Media.Tokens < 0 || o.Media.Tokens > maxTokens {
			return m, "without its media"
		}
		m.Kind, m.Amount, m.Currency = KindTip, float64(o.Media.Tokens), "tokens"
		what := cleanName(o.Media.Name)
		if what == "" {
			what = cleanName(o.Media.Type)
		}
		m.System = "bought " + what
		return m, needUser()
	case "unfollow", "userEnter", "userLeave":
		m.Kind = KindNotice
		m.System = name + map[string]string{"unfollow": " unfollowed", "userEnter": " entered", "userLeave": " left"}[ev.Method]
		return m, needUser()
	case "broadcastStart":
		m.Kind, m.System = KindNotice, "the broadcast started"
	case "broadcastStop":
		m.Kind, m.System = KindNotice, "the broadcast stopped"
	case "roomSubjectChange":
		if o.Subject == nil {
			return m, "without its subject"
		}
		m.Kind, m.System = KindNotice, "room subject: "+cleanText(*o.Subject, maxTextBytes-len("room subject: "))
	}
	return m, ""
}

// cbAuthor is the user who made an event.
func cbAuthor(u *cbUser) Author {
	n := cleanName(u.Username)
	a := Author{ID: strings.ToLower(n), Login: strings.ToLower(n), Name: n}
	if g := cleanName(u.ColorGroup); g != "" && len(g) <= 8 {
		a.Badges = append(a.Badges, "colorgroup/"+g)
	}
	if u.InFanclub {
		a.Badges, a.Role = append(a.Badges, "fanclub/1"), RoleSubscriber
	}
	if u.IsMod {
		a.Badges, a.Role = append(a.Badges, "moderator/1"), RoleModerator
	}
	if u.IsOwner {
		a.Badges, a.Role = append(a.Badges, "broadcaster/1"), RoleBroadcaster
	}
	return a
}

// isHexColor tells "#RRGGBB".
func isHexColor(s string) bool {
	if len(s) != 7 || s[0] != '#' {
		return false
	}
	for i := 1; i < 7; i++ {
		c := s[i] | 0x20
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}
