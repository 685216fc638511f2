package wire

import (
	"context"
	"fmt"
	"strings"

	"onair/outputs"
	"onair/overlay"
	"onair/studio"
	"onair/studio/chat"
)

// Chat is the profile's chats running beside a show: the hub, feeding the
// stage. Add listeners to Hub before Start.
type Chat struct {
	Hub    *chat.Hub
	cancel context.CancelFunc
	done   chan struct{}
}

// NewChat builds the chats of cfg (nil, nil when none is set up); their lines
// and events go on stage (when not nil), and what they skip, and what the
// stage refuses, to say (secrets masked).
func NewChat(cfg chat.Config, backoff outputs.Backoff, stage *overlay.Stage, say func(string)) (*Chat, error) {
	if cfg.Empty() {
		return nil, nil
	}
	mask := chat.Masker(cfg.Secrets())
	masked := func(s string) { say(mask(s)) }
	h, err := cfg.Hub(backoff, masked)
	if err != nil {
		return nil, err
	}
	if stage != nil {
		FeedStage(h, stage, masked)
	}
	return &Chat{Hub: h, done: make(chan struct{})}, nil
}

// Start runs the chats until Stop.
func (c *Chat) Start() {
	ctx, cancel := context.WithCancel(context.Background())
	c.cancel = cancel
	go func() {
		defer close(c.done)
		c.Hub.Run(ctx)
	}()
}

// Stop ends the chats and waits for them; again, or before Start, it does
// nothing.
func (c *Chat) Stop() {
	if c == nil || c.cancel == nil {
		return
	}
	c.cancel()
	<-c.done
}

// FeedStage shows the merged chat on the stage: chat lines in the chat
// boxes (never a private message, never a hidden one), lines the platform
// deleted taken out again, and tips, follows, subs and raids as alerts that
// fill the goal bar. notice gets what the stage refuses (nil: dropped).
func FeedStage(h *chat.Hub, st *overlay.Stage, notice func(string)) {
	h.OnUpdate(func(u chat.Update) {
		for _, it := range u.Added {
			m := &it.Msg
			if ev, ok := AlertFor(m); ok {
				if _, err := st.Alert(ev); err != nil && notice != nil {
					notice("alert: " + err.Error())
				}
				continue
			}
			if m.Kind == chat.KindChat && !it.Hidden && !m.Private {
				st.Chat(overlay.ChatLine{Author: displayName(m), Text: studio.CleanText(m.Text, 300), Key: lineKey(it)})
			}
		}
		if len(u.Removed) > 0 {
			keys := make([]string, len(u.Removed))
			for i, it := range u.Removed {
				keys[i] = lineKey(it)
			}
			st.RemoveChat(keys...)
		}
	})
}

// lineKey names a chat line on the stage: the hub's sequence number.
func lineKey(it chat.Item) string { return fmt.Sprint(it.Seq) }

func displayName(m *chat.Message) string { return studio.CleanText(m.Author.Display(), 40) }

// AlertFor is the scene's alert for a chat event: a tip with its amount and
// unit, a follow, a sub with its months (or the number of subs gifted), a
// raid with its viewers. Other messages give none.
func AlertFor(m *chat.Message) (overlay.Event, bool) {
	ev := overlay.Event{Name: displayName(m), Message: studio.CleanText(m.Text, 200)}
	switch m.Kind {
	case chat.KindTip:
		ev.Kind, ev.Amount, ev.Unit = "tip", m.Amount, Unit(m.Currency)
	case chat.KindFollow:
		ev.Kind = "follow"
	case chat.KindSub:
		ev.Kind, ev.Amount = "sub", float64(max(m.Months, 1))
		if m.Gifts > 0 {
			ev.Amount = float64(m.Gifts)
		}
		if ev.Message == "" {
			ev.Message = studio.CleanText(m.System, 200)
		}
	case chat.KindRaid:
		ev.Kind, ev.Amount = "raid", m.Amount
	default:
		return ev, false
	}
	if !(ev.Amount >= 0 && ev.Amount <= overlay.MaxAmount) {
		ev.Amount = 0
	}
	return ev, true
}

// Unit is a currency as the scene shows it: a sign for the common ones
// ("$", "€", "£", "¥"), the platform's word otherwise ("tokens", "bits").
func Unit(currency string) string {
	switch strings.ToUpper(currency) {
	case "USD":
		return "$"
	case "EUR":
		return "€"
	case "GBP":
		return "£"
	case "JPY":
		return "¥"
	}
	return currency
}
