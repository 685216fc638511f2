// Package chat is every platform's chat in one stream: one message type,
// the connectors (each in its own file) that read their platform's protocol
// into it, and the merged view. No Fyne here: the window shows what it
// gives.
package chat

import "time"

// Kind is what a message is: a line of chat, or an event.
type Kind int

const (
	_           Kind = iota
	KindChat         // a line of chat
	KindTip          // bits, a tip, a super chat: Amount and Currency
	KindFollow       // a new follower
	KindSub          // a subscription: Tier, Months, GiftedBy
	KindRaid         // a raid: Viewers
	KindDeleted      // the platform deleted the message TargetID
	KindBanned       // the platform banned (or timed out, Duration) the user TargetUser
	KindNotice       // something the platform says (System)
)

var kindNames = [...]string{"", "chat", "tip", "follow", "sub", "raid", "deleted", "banned", "notice"}

func (k Kind) String() string {
	if k > 0 && int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "unknown"
}

// Role is what the author is to the channel.
type Role int

const (
	RoleViewer Role = iota
	RoleSubscriber
	RoleModerator
	RoleBroadcaster
)

// Author is who wrote a message. Name and the rest are untrusted: drawn as
// plain text only.
type Author struct {
	ID     string   // the platform's user id
	Login  string   // the account name, lower case where the platform has one
	Name   string   // the display name
	Color  string   // "#RRGGBB" or ""
	Badges []string // "subscriber/12", "moderator/1", …
	Role   Role
}

// Display is the name to show: the display name, else the login, else
// "anonymous". Untrusted: draw it as plain text.
func (a Author) Display() string {
	switch {
	case a.Name != "":
		return a.Name
	case a.Login != "":
		return a.Login
	}
	return "anonymous"
}

// Emote is a span of Text (byte offsets, end exclusive) that is an emote.
type Emote struct {
	ID         string
	Start, End int
}

// Message is one line of chat or one event, from any platform.
type Message struct {
	Platform string // "twitch", "kick", "chaturbate", "owncast", "youtube", …
	Channel  string
	ID       string // the platform's message id ("" when it has none)
	Kind     Kind
	Author   Author
	Text     string
	Emotes   []Emote
	Time     time.Time
	Private  bool // a private message to the performer (not shown to the room)

	// Events.
	Amount     float64       // tip: bits, tokens or money; raid: viewers; sub: months
	Currency   string        // "bits", "tokens", "USD", …
	Tier       string        // sub: "1000", "2000", "3000", "Prime"
	Months     int           // sub: cumulative months
	GiftedBy   string        // sub: who gave it ("" for none, "anonymous")
	Gifts      int           // a mystery gift: how many subs
	TargetID   string        // deleted: the message removed
	TargetUser string        // banned: the user (login or id) whose messages go
	Duration   time.Duration // banned: a timeout's length (0: a ban)
	System     string        // the platform's own words for an event
}
