package chat

import (
	"math"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// Real lines from Twitch (PROTOCOLS.md, after gempir/go-twitch-irc's
// fixtures), each with what the stream must get from it.
func TestParseTwitchLines(t *testing.T) {
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name, line string
		check      func(t *testing.T, m *Message)
	}{
		{"bits", `@badges=bits/5000;bits=5000;color=#007EFF;display-name=FletcherCodes;id=405c4ccb;mod=0;room-id=408892348;tmi-sent-ts=1551478518354;user-id=269899575 :fletchercodes!fletchercodes@fletchercodes.tmi.twitch.tv PRIVMSG #clippyassistant :showlove5000 Chew your food slower`,
			func(t *testing.T, m *Message) {
				if m.Kind != KindTip || m.Amount != 5000 || m.Currency != "bits" {
					t.Errorf("kind %v amount %v %s, want a tip of 5000 bits", m.Kind, m.Amount, m.Currency)
				}
				if m.Author.Name != "FletcherCodes" || m.Author.Login != "fletchercodes" || m.Author.Color != "#007EFF" || m.Author.ID != "269899575" {
					t.Errorf("author %+v", m.Author)
				}
				if m.Channel != "clippyassistant" || m.ID != "405c4ccb" || m.Text != "showlove5000 Chew your food slower" {
					t.Errorf("channel %q id %q text %q", m.Channel, m.ID, m.Text)
				}
				if !m.Time.Equal(time.UnixMilli(1551478518354)) {
					t.Errorf("time %v, want the tmi-sent-ts", m.Time)
				}
			}},
		{"sub", `@badges=subscriber/0;display-name=FletcherCodes;login=fletchercodes;msg-id=sub;msg-param-cumulative-months=0;msg-param-sub-plan=Prime;system-msg=fletchercodes\ssubscribed\swith\sTwitch\sPrime. :tmi.twitch.tv USERNOTICE #clippyassistant`,
			func(t *testing.T, m *Message) {
				if m.Kind != KindSub || m.Tier != "Prime" || m.Author.Name != "FletcherCodes" || m.Author.Role != RoleSubscriber {
					t.Errorf("got %+v", m)
				}
				if m.System != "fletchercodes subscribed with Twitch Prime." {
					t.Errorf("system-msg %q: tag escapes not undone", m.System)
				}
			}},
		{"raid", `@display-name=FletcherCodes;login=fletchercodes;msg-id=raid;msg-param-displayName=FletcherCodes;msg-param-viewerCount=538 :tmi.twitch.tv USERNOTICE #clippyassistant`,
			func(t *testing.T, m *Message) {
				if m.Kind != KindRaid || m.Amount != 538 || m.Author.Name != "FletcherCodes" {
					t.Errorf("got kind %v amount %v author %q", m.Kind, m.Amount, m.Author.Name)
				}
			}},
		{"subgift", `@badges=staff/1,premium/1;display-name=TWW2;login=tww2;msg-id=subgift;msg-param-months=1;msg-param-recipient-display-name=Mr_Woodchuck;msg-param-recipient-id=89614178;msg-param-recipient-user-name=mr_woodchuck;msg-param-sub-plan=1000;user-id=13405587 :tmi.twitch.tv USERNOTICE #forstycup`,
			func(t *testing.T, m *Message) {
				if m.Kind != KindSub || m.GiftedBy != "TWW2" || m.Author.Name != "Mr_Woodchuck" || m.Tier != "1000" {
					t.Errorf("got %+v", m)
				}
			}},
		{"mystery gift", `@display-name=AGifter;login=agifter;msg-id=submysterygift;msg-param-mass-gift-count=5;msg-param-sub-plan=1000 :tmi.twitch.tv USERNOTICE #ch`,
			func(t *testing.T, m *Message) {
				if m.Kind != KindSub || m.Gifts != 5 || m.GiftedBy != "AGifter" {
					t.Errorf("got %+v", m)
				}
			}},
		{"deleted", `@login=ronni;target-msg-id=abc-123-def :tmi.twitch.tv CLEARMSG #dallas :HeyGuys`,
			func(t *testing.T, m *Message) {
				if m.Kind != KindDeleted || m.TargetID != "abc-123-def" {
					t.Errorf("got %+v", m)
				}
			}},
		{"timeout", `@ban-duration=5;room-id=408892348;target-user-id=269899575;tmi-sent-ts=1551538496775 :tmi.twitch.tv CLEARCHAT #clippyassistant :fletchercodes`,
			func(t *testing.T, m *Message) {
				if m.Kind != KindBanned || m.TargetUser != "269899575" || m.Duration != 5*time.Second {
					t.Errorf("got %+v", m)
				}
			}},
		{"emotes and /me", "@display-name=Ana;emotes=25:0-4,12-16;id=m1 :ana!ana@ana.tmi.twitch.tv PRIVMSG #ch :\x01ACTION Kappa héllo Kappa\x01",
			func(t *testing.T, m *Message) {
				if m.Text != "Kappa héllo Kappa" || m.Kind != KindChat {
					t.Fatalf("text %q kind %v", m.Text, m.Kind)
				}
				if len(m.Emotes) != 2 || m.Text[m.Emotes[0].Start:m.Emotes[0].End] != "Kappa" || m.Text[m.Emotes[1].Start:m.Emotes[1].End] != "Kappa" {
					t.Errorf("emotes %+v (rune positions turned into byte offsets)", m.Emotes)
				}
			}},
		{"moderator", `@badges=moderator/1,subscriber/12;display-name=Mo :mo!mo@mo.tmi.twitch.tv PRIVMSG #ch :hi`,
			func(t *testing.T, m *Message) {
				if m.Author.Role != RoleModerator || len(m.Author.Badges) != 2 {
					t.Errorf("author %+v", m.Author)
				}
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ev := parseTwitch(tc.line+"\r\n", now)
			if ev.msg == nil {
				t.Fatalf("no message from %q", tc.line)
			}
			tc.check(t, ev.msg)
		})
	}
	if ev := parseTwitch("PING :tmi.twitch.tv", now); ev.ping != "tmi.twitch.tv" || ev.msg != nil {
		t.Errorf("PING gave %+v", ev)
	}
	if ev := parseTwitch(":tmi.twitch.tv RECONNECT", now); !ev.reconnect {
		t.Error("RECONNECT not seen")
	}
	for _, junk := range []string{"", "@", "@a=b", ":prefix", ":tmi.twitch.tv 001 justinfan123 :Welcome, GLHF!", ":x!x@x JOIN #ch", "@badges= :x PRIVMSG", strings.Repeat("a", maxIRCLine+1)} {
		if ev := parseTwitch(junk, now); ev.msg != nil {
			t.Errorf("%.40q gave a message %+v", junk, ev.msg)
		}
	}
}

// Any line: no panic, emote spans inside the text, valid UTF-8 in, valid
// out.
func FuzzParseTwitch(f *testing.F) {
	for _, s := range []string{
		`@badges=bits/5000;bits=5000;color=#007EFF;display-name=FletcherCodes;id=405c4ccb;mod=0;room-id=408892348;tmi-sent-ts=1551478518354;user-id=269899575 :fletchercodes!fletchercodes@fletchercodes.tmi.twitch.tv PRIVMSG #clippyassistant :showlove5000 Chew your food slower`,
		`@display-name=FletcherCodes;login=fletchercodes;msg-id=raid;msg-param-displayName=FletcherCodes;msg-param-viewerCount=538 :tmi.twitch.tv USERNOTICE #clippyassistant`,
		`@ban-duration=5;room-id=408892348;target-user-id=269899575;tmi-sent-ts=1551538496775 :tmi.twitch.tv CLEARCHAT #clippyassistant :fletchercodes`,
		"@emotes=25:0-4,12-16 :a!a@a PRIVMSG #c :Kappa héllo Kappa",
		`@system-msg=a\sb\:c\\d\ :tmi.twitch.tv USERNOTICE #c`,
		"PING :tmi.twitch.tv",
		"@emotes=25:0-9223372036854775807 :a!a@a PRIVMSG #c :Kappa",
		"@bits=Inf :a!a@a PRIVMSG #c :x",
		"@ban-duration=9223372036854775807 :tmi.twitch.tv CLEARCHAT #c :u",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		ev := parseTwitch(line, time.Unix(0, 0))
		m := ev.msg
		if m == nil {
			return
		}
		for _, e := range m.Emotes {
			if e.Start < 0 || e.End > len(m.Text) || e.Start >= e.End {
				t.Fatalf("emote %+v outside %q", e, m.Text)
			}
		}
		if utf8.ValidString(line) && !utf8.ValidString(m.Text) {
			t.Fatalf("valid line, invalid text %q", m.Text)
		}
		if m.Amount < 0 || m.Amount != m.Amount || math.IsInf(m.Amount, 0) || m.Duration < 0 {
			t.Fatalf("amount %v, duration %v", m.Amount, m.Duration)
		}
	})
}
