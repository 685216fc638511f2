package chat

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// ytPage is what one liveChat/messages answer gives.
type ytPage struct {
	msgs    []Message
	next    string        // the page token for the next poll
	poll    time.Duration // the wait the server asks for (0: none said)
	ended   bool          // the chat ended (chatEndedEvent)
	skipped []string      // why items were skipped
}

// Bounds on what an item may claim.
const (
	maxYTMicros = 1_000_000_000_000_000 // 10^12 in any currency
	maxYTItems  = 2000                  // the API gives at most 2000 a page
)

// ytNum is an integer the API writes as a JSON string ("2000000") or, for
// some fields, a number; "" when absent or not a whole number.
type ytNum string

func (n *ytNum) UnmarshalJSON(b []byte) error {
	var s string
	if len(b) > 0 && b[0] == '"' {
		if json.Unmarshal(b, &s) != nil {
			return nil
		}
	} else {
		s = string(b)
	}
	if _, err := strconv.ParseUint(s, 10, 64); err == nil {
		*n = ytNum(s)
	}
	return nil
}

// value is n bounded to [0, max].
func (n ytNum) value(max uint64) uint64 {
	v, _ := strconv.ParseUint(string(n), 10, 64)
	return min(v, max)
}

// ytItem is a liveChatMessage resource, the parts we read.
type ytItem struct {
	ID      string `json:"id"`
	Snippet struct {
		Type               string `json:"type"`
		PublishedAt        string `json:"publishedAt"`
		DisplayMessage     string `json:"displayMessage"`
		TextMessageDetails struct {
			MessageText string `json:"messageText"`
		} `json:"textMessageDetails"`
		SuperChatDetails    ytMoney `json:"superChatDetails"`
		SuperStickerDetails struct {
			ytMoney
			SuperStickerMetadata struct {
				AltText string `json:"altText"`
			} `json:"superStickerMetadata"`
		} `json:"superStickerDetails"`
		NewSponsorDetails struct {
			MemberLevelName string `json:"memberLevelName"`
			IsUpgrade       bool   `json:"isUpgrade"`
		} `json:"newSponsorDetails"`
		MemberMilestoneChatDetails struct {
			MemberLevelName string `json:"memberLevelName"`
			MemberMonth     ytNum  `json:"memberMonth"`
			UserComment     string `json:"userComment"`
		} `json:"memberMilestoneChatDetails"`
		MembershipGiftingDetails struct {
			GiftMembershipsCount     ytNum  `json:"giftMembershipsCount"`
			GiftMembershipsLevelName string `json:"giftMembershipsLevelName"`
		} `json:"membershipGiftingDetails"`
		GiftMembershipReceivedDetails struct {
			MemberLevelName string `json:"memberLevelName"`
			GifterChannelID string `json:"gifterChannelId"`
		} `json:"giftMembershipReceivedDetails"`
		MessageDeletedDetails struct {
			DeletedMessageID string `json:"deletedMessageId"`
		} `json:"messageDeletedDetails"`
		UserBannedDetails struct {
			BannedUserDetails struct {
				ChannelID   string `json:"channelId"`
				DisplayName string `json:"displayName"`
			} `json:"bannedUserDetails"`
			BanType            string `json:"banType"`
			BanDurationSeconds ytNum  `json:"banDurationSeconds"`
		} `json:"userBannedDetails"`
	} `json:"snippet"`
	AuthorDetails struct {
		ChannelID       string `json:"channelId"`
		DisplayName     string `json:"displayName"`
		IsVerified      bool   `json:"isVerified"`
		IsChatOwner     bool   `json:"isChatOwner"`
		IsChatSponsor   bool   `json:"isChatSponsor"`
		IsChatModerator bool   `json:"isChatModerator"`
	} `json:"authorDetails"`
}

// ytMoney is a Super Chat's or Super Sticker's amount.
type ytMoney struct {
	AmountMicros        ytNum  `json:"amountMicros"`
	Currency            string `json:"currency"`
	AmountDisplayString string `json:"amountDisplayString"`
	UserComment         string `json:"userComment"`
}

// parseYouTube reads a liveChat/messages answer. An item that is not a
// liveChatMessage is skipped (said in skipped); types the stream has no use
// for (polls, tombstones) are left out silently. The error is for a body
// that is not an answer at all.
func parseYouTube(body []byte, channel string, now time.Time) (ytPage, error) {
	var p ytPage
	if len(body) > maxBodyBytes || !utf8.Valid(body) {
		return p, errors.New("YouTube's answer is not the JSON expected")
	}
	var v struct {
		NextPageToken         string            `json:"nextPageToken"`
		PollingIntervalMillis json.Number       `json:"pollingIntervalMillis"`
		Items                 []json.RawMessage `json:"items"`
	}
	if json.Unmarshal(body, &v) != nil {
		return p, errors.New("YouTube's answer is not the JSON expected")
	}
	p.next = cleanText(v.NextPageToken, 1024)
	if ms, err := v.PollingIntervalMillis.Float64(); err == nil && ms > 0 {
		p.poll = time.Duration(min(ms, float64(ytMaxPoll/time.Millisecond))) * time.Millisecond
	}
	for i, raw := range v.Items {
		if i >= maxYTItems {
			p.skipped = append(p.skipped, fmt.Sprintf("%d items past the first %d", len(v.Items)-i, maxYTItems))
			break
		}
		var it ytItem
		if err := json.Unmarshal(raw, &it); err != nil {
			p.skipped = append(p.skipped, "an item that is not a chat message")
			continue
		}
		m, ended, ok := it.message(channel, now)
		if ended {
			p.ended = true
		}
		if ok {
			p.msgs = append(p.msgs, m)
		}
	}
	return p, nil
}

// message is the item as a Message; ok is false for types the stream has
// no use for, ended is true for the chat's end.
func (it *ytItem) message(channel string, now time.Time) (m Message, ended, ok bool) {
	s := &it.Snippet
	a := &it.AuthorDetails
	m = Message{Platform: "youtube", Channel: channel, ID: cleanName(it.ID), Time: now}
	if t, err := time.Parse(time.RFC3339Nano, s.PublishedAt); err == nil {
		m.Time = t
	}
	m.Author = Author{ID: cleanName(a.ChannelID), Name: cleanName(a.DisplayName)}
	for _, b := range []struct {
		on   bool
		name string
		role Role
	}{{a.IsChatOwner, "owner", RoleBroadcaster}, {a.IsChatModerator, "moderator", RoleModerator}, {a.IsChatSponsor, "member", RoleSubscriber}, {a.IsVerified, "verified", RoleViewer}} {
		if b.on {
			m.Author.Badges = append(m.Author.Badges, b.name)
			m.Author.Role = max(m.Author.Role, b.role)
		}
	}
	text := func(s string) string { return cleanText(s, maxTextBytes) }
	money := func(d ytMoney) {
		m.Kind = KindTip
		m.Amount = float64(d.AmountMicros.value(maxYTMicros)) / 1e6
		m.Currency = cleanName(d.Currency)
		m.System = cleanName(d.AmountDisplayString)
		m.Text = text(d.UserComment)
	}
	switch s.Type {
	case "textMessageEvent":
		m.Kind, m.Text = KindChat, text(s.TextMessageDetails.MessageText)
		if m.Text == "" {
			m.Text = text(s.DisplayMessage)
		}
		if m.Text == "" {
			return m, false, false
		}
	case "superChatEvent":
		money(s.SuperChatDetails)
	case "superStickerEvent":
		money(s.SuperStickerDetails.ytMoney)
		if m.Text == "" {
			m.Text = text(s.SuperStickerDetails.SuperStickerMetadata.AltText)
		}
	case "newSponsorEvent":
		m.Kind, m.Tier, m.System = KindSub, cleanName(s.NewSponsorDetails.MemberLevelName), text(s.DisplayMessage)
	case "memberMilestoneChatEvent":
		d := s.MemberMilestoneChatDetails
		m.Kind, m.Tier, m.Months = KindSub, cleanName(d.MemberLevelName), int(d.MemberMonth.value(maxCount))
		m.Amount, m.Text, m.System = float64(m.Months), text(d.UserComment), text(s.DisplayMessage)
	case "membershipGiftingEvent":
		d := s.MembershipGiftingDetails
		m.Kind, m.Tier, m.Gifts = KindSub, cleanName(d.GiftMembershipsLevelName), int(d.GiftMembershipsCount.value(maxCount))
		m.GiftedBy, m.Amount, m.System = m.Author.Name, float64(m.Gifts), text(s.DisplayMessage)
	case "giftMembershipReceivedEvent":
		d := s.GiftMembershipReceivedDetails
		m.Kind, m.Tier, m.GiftedBy, m.System = KindSub, cleanName(d.MemberLevelName), cleanName(d.GifterChannelID), text(s.DisplayMessage)
	case "messageDeletedEvent":
		m.Kind, m.TargetID = KindDeleted, cleanName(s.MessageDeletedDetails.DeletedMessageID)
		if m.TargetID == "" {
			return m, false, false
		}
	case "userBannedEvent":
		d := s.UserBannedDetails
		m.Kind, m.TargetUser, m.System = KindBanned, cleanName(d.BannedUserDetails.ChannelID), text(s.DisplayMessage)
		if m.TargetUser == "" {
			return m, false, false
		}
		if d.BanType == "temporary" {
			m.Duration = time.Duration(d.BanDurationSeconds.value(maxTimeoutSec*365)) * time.Second
		}
	case "chatEndedEvent":
		m.Kind, m.System = KindNotice, "the live chat ended"
		return m, true, true
	case "sponsorOnlyModeStartedEvent":
		m.Kind, m.System = KindNotice, "the chat is for members only now"
	case "sponsorOnlyModeEndedEvent":
		m.Kind, m.System = KindNotice, "the chat is open to everyone again"
	default:
		return m, false, false
	}
	if m.System == "" && m.Kind == KindSub {
		m.System = strings.TrimSpace(m.Author.Name + " became a member")
	}
	return m, false, true
}
