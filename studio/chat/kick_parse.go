package chat

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Bounds on what a Kick event may claim.
const (
	maxKickTimeout  = 30 * 24 * time.Hour // longer than Kick's longest timeout
	maxKickActivity = 10 * time.Minute    // a server asking for more is not believed
	maxKickEmotes   = 256
)

// kickEvent is what one frame from Kick's Pusher server asks of the
// connector. At most one of its parts is set; bad says why a frame was
// skipped as malformed (unknown events are not malformed: all zero).
type kickEvent struct {
	msg         *Message      // a message or event for the stream
	channel     string        // the Pusher channel the event came on
	established bool          // pusher:connection_established
	activity    time.Duration // with established: the server's activity_timeout (0: none given)
	subscribed  bool          // pusher_internal:subscription_succeeded for channel
	ping        bool          // pusher:ping: answer with pusher:pong
	errCode     int           // pusher:error: its code (0: none)
	errText     string        // pusher:error: its message, cleaned
	isError     bool
	bad         string
}

// kickID is an id Kick sends as a number or a string.
type kickID string

func (k *kickID) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*k = kickID(s)
	case bytes.Equal(b, []byte("null")):
		*k = ""
	default:
		var n json.Number
		if err := json.Unmarshal(b, &n); err != nil {
			return err
		}
		*k = kickID(n.String())
	}
	return nil
}

type kickUser struct {
	ID       kickID `json:"id"`
	Username string `json:"username"`
	Slug     string `json:"slug"`
	Identity struct {
		Color  string `json:"color"`
		Badges []struct {
			Type  string `json:"type"`
			Count int    `json:"count"`
		} `json:"badges"`
	} `json:"identity"`
}

// kickData is the fields of every Kick event the stream reads, one struct
// for all (each event fills its own).
type kickData struct {
	ID        kickID   `json:"id"`
	Content   string   `json:"content"`
	CreatedAt string   `json:"created_at"`
	Sender    kickUser `json:"sender"`

	Username        string   `json:"username"` // SubscriptionEvent
	Months          int      `json:"months"`
	GifterUsername  string   `json:"gifter_username"` // GiftedSubscriptionsEvent
	GiftedUsernames []string `json:"gifted_usernames"`

	User      kickUser `json:"user"` // UserBannedEvent
	BannedBy  kickUser `json:"banned_by"`
	Permanent bool     `json:"permanent"`
	Duration  float64  `json:"duration"` // minutes
	ExpiresAt string   `json:"expires_at"`

	Message struct { // MessageDeletedEvent
		ID kickID `json:"id"`
	} `json:"message"`

	HostUsername    string  `json:"host_username"` // StreamHostEvent
	NumberViewers   float64 `json:"number_viewers"`
	OptionalMessage string  `json:"optional_message"`
}

// parseKick reads one frame from Kick's Pusher WebSocket. now is the time
// for events that carry none.
func parseKick(frame []byte, now time.Time) kickEvent {
	if !utf8.Valid(frame) {
		return kickEvent{bad: "not UTF-8 text"}
	}
	var env struct {
		Event   string          `json:"event"`
		Data    json.RawMessage `json:"data"`
		Channel string          `json:"channel"`
	}
	if err := json.Unmarshal(frame, &env); err != nil {
		return kickEvent{bad: "not the JSON expected"}
	}
	if env.Event == "" {
		return kickEvent{bad: "no event name"}
	}
	ev := kickEvent{channel: env.Channel}
	// data is JSON in a JSON string, or (pusher:error, some servers) an
	// object of its own.
	data := bytes.TrimSpace(env.Data)
	if len(data) > 0 && data[0] == '"' {
		var s string
		if err := json.Unmarshal(data, &s); err != nil {
			return kickEvent{bad: "its data is not the JSON expected"}
		}
		data = []byte(s)
	}
	switch env.Event {
	case "pusher:connection_established":
		var d struct {
			ActivityTimeout float64 `json:"activity_timeout"`
		}
		if len(data) > 0 && json.Unmarshal(data, &d) != nil {
			return kickEvent{bad: "a connection message that is not the JSON expected"}
		}
		ev.established = true
		if s := d.ActivityTimeout; s >= 1 {
			ev.activity = min(time.Duration(min(s, 1e6))*time.Second, maxKickActivity)
		}
		return ev
	case "pusher_internal:subscription_succeeded":
		ev.subscribed = true
		return ev
	case "pusher:ping":
		ev.ping = true
		return ev
	case "pusher:error":
		var d struct {
			Code    *float64 `json:"code"`
			Message string   `json:"message"`
		}
		json.Unmarshal(data, &d) // a code-less error is still an error
		ev.isError = true
		if d.Code != nil && *d.Code >= 0 && *d.Code < 100000 {
			ev.errCode = int(*d.Code)
		}
		ev.errText = cleanText(d.Message, 200)
		return ev
	}
	// Kick names events "App\Events\X", or (gift subs on chatroom_<id>,
	// 2026) plain "X".
	name := strings.TrimPrefix(env.Event, `App\Events\`)
	switch name {
	case "ChatMessageEvent", "SubscriptionEvent", "GiftedSubscriptionsEvent", "UserBannedEvent", "MessageDeletedEvent", "StreamHostEvent":
	default:
		return ev // pusher:pong and others: nothing for the stream
	}
	var d kickData
	if err := json.Unmarshal(data, &d); err != nil {
		return kickEvent{bad: name + " with data that is not the JSON expected"}
	}
	m := &Message{Platform: "kick", ID: cleanName(string(d.ID)), Time: now}
	if t, err := time.Parse(time.RFC3339, d.CreatedAt); err == nil {
		m.Time = t
	}
	switch name {
	case "ChatMessageEvent":
		if m.ID == "" {
			return kickEvent{bad: "a chat message without an id"}
		}
		m.Kind, m.Author = KindChat, kickAuthor(d.Sender)
		m.Text, m.Emotes = kickEmotes(cleanText(d.Content, maxTextBytes))
		if m.Author.Login == "" {
			return kickEvent{bad: "a chat message without a sender"}
		}
	case "SubscriptionEvent":
		m.Kind, m.Months = KindSub, min(max(d.Months, 0), maxCount)
		m.Amount = float64(m.Months)
		m.Author = kickAuthor(kickUser{Username: d.Username})
		m.System = fmt.Sprintf("%s subscribed for %d months", m.Author.Name, m.Months)
	case "GiftedSubscriptionsEvent":
		m.Kind, m.Gifts = KindSub, min(len(d.GiftedUsernames), maxCount)
		m.Amount = float64(m.Gifts)
		m.GiftedBy = cleanName(d.GifterUsername)
		if m.GiftedBy == "" {
			m.GiftedBy = "anonymous"
		} else {
			m.Author = kickAuthor(kickUser{Username: d.GifterUsername})
		}
		m.System = fmt.Sprintf("%s gifted %d subs", m.GiftedBy, m.Gifts)
	case "UserBannedEvent":
		m.Kind = KindBanned
		m.TargetUser = cleanName(d.User.Username)
		if m.TargetUser == "" {
			m.TargetUser = cleanName(d.User.Slug)
		}
		if m.TargetUser == "" {
			return kickEvent{bad: "a ban without a user"}
		}
		if !d.Permanent {
			m.Duration = kickTimeout(d, now)
		}
		by := cleanName(d.BannedBy.Username)
		if by == "" {
			by = "a moderator"
		}
		if m.Duration > 0 {
			m.System = fmt.Sprintf("%s was timed out for %v by %s", m.TargetUser, m.Duration, by)
		} else {
			m.System = fmt.Sprintf("%s was banned by %s", m.TargetUser, by)
		}
	case "MessageDeletedEvent":
		m.Kind, m.TargetID = KindDeleted, cleanName(string(d.Message.ID))
		if m.TargetID == "" {
			return kickEvent{bad: "a deletion without a message id"}
		}
	case "StreamHostEvent":
		m.Kind = KindRaid
		if v := d.NumberViewers; v >= 1 {
			m.Amount = math.Floor(min(v, maxCount))
		}
		m.Author = kickAuthor(kickUser{Username: d.HostUsername})
		m.Text = cleanText(d.OptionalMessage, maxTextBytes)
		m.System = fmt.Sprintf("%s is hosting with %v viewers", m.Author.Name, m.Amount)
	}
	ev.msg = m
	return ev
}

// kickTimeout is a timeout's length: its duration in minutes, else the
// time left until it expires; 0 when neither is given.
func kickTimeout(d kickData, now time.Time) time.Duration {
	if d.Duration >= 1 {
		return min(time.Duration(min(d.Duration, 1e6))*time.Minute, maxKickTimeout)
	}
	if t, err := time.Parse(time.RFC3339, d.ExpiresAt); err == nil && t.After(now) {
		return min(t.Sub(now).Round(time.Second), maxKickTimeout)
	}
	return 0
}

func kickAuthor(u kickUser) Author {
	a := Author{ID: cleanName(string(u.ID)), Name: cleanName(u.Username), Login: strings.ToLower(cleanName(u.Slug))}
	if a.Login == "" {
		a.Login = strings.ToLower(a.Name)
	}
	if a.Name == "" {
		a.Name = a.Login
	}
	if validColor(u.Identity.Color) {
		a.Color = strings.ToUpper(u.Identity.Color)
	}
	for _, b := range u.Identity.Badges {
		typ := cleanName(b.Type)
		if typ == "" || strings.Contains(typ, "/") || len(a.Badges) >= 32 {
			continue
		}
		a.Badges = append(a.Badges, typ+"/"+strconv.Itoa(min(max(b.Count, 1), maxCount)))
		switch typ {
		case "broadcaster":
			a.Role = max(a.Role, RoleBroadcaster)
		case "moderator":
			a.Role = max(a.Role, RoleModerator)
		case "subscriber", "founder", "og":
			a.Role = max(a.Role, RoleSubscriber)
		}
	}
	return a
}

// validColor is "#RRGGBB".
func validColor(c string) bool {
	if len(c) != 7 || c[0] != '#' {
		return false
	}
	for i := 1; i < 7; i++ {
		if !strings.ContainsRune("0123456789abcdefABCDEF", rune(c[i])) {
			return false
		}
	}
	return true
}

// kickEmotes turns Kick's emote markup "[emote:37226:KEKW]" into the
// emote's name, each with its span. text is clean already.
func kickEmotes(text string) (string, []Emote) {
	if !strings.Contains(text, "[emote:") {
		return text, nil
	}
	var b strings.Builder
	var emotes []Emote
	for {
		i := strings.Index(text, "[emote:")
		if i < 0 {
			break
		}
		b.WriteString(text[:i])
		rest := text[i+len("[emote:"):]
		id, after, ok := strings.Cut(rest, ":")
		name, tail, ok2 := strings.Cut(after, "]")
		if !ok || !ok2 || !kickEmoteID(id) || name == "" || len(name) > 100 || strings.ContainsAny(name, "[: ") || len(emotes) >= maxKickEmotes {
			b.WriteString("[emote:") // not an emote: kept as text
			text = rest
			continue
		}
		emotes = append(emotes, Emote{ID: id, Start: b.Len(), End: b.Len() + len(name)})
		b.WriteString(name)
		text = tail
	}
	b.WriteString(text)
	return b.String(), emotes
}

func kickEmoteID(id string) bool {
	if len(id) == 0 || len(id) > 20 {
		return false
	}
	for i := 0; i < len(id); i++ {
		if id[i] < '0' || id[i] > '9' {
			return false
		}
	}
	return true
}
