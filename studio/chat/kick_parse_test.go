package chat

import (
	"math"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// Real frames from Kick's Pusher socket: the chat message from
// PROTOCOLS.md (January 2026); the others as public Kick clients captured
// them in their comments and fixtures (ids and names as captured).
const (
	kickChatFrame     = `{"event":"App\\Events\\ChatMessageEvent","data":"{\"id\":\"c0c85e41-2d34-45f4-9b57-bc7799245858\",\"chatroom_id\":332923,\"content\":\"corsette is crazy\",\"type\":\"message\",\"created_at\":\"2026-01-08T10:12:23+00:00\",\"sender\":{\"id\":2789967,\"username\":\"virtualmeal\",\"slug\":\"virtualmeal\",\"identity\":{\"color\":\"#BC66FF\",\"badges\":[{\"type\":\"moderator\",\"text\":\"Moderator\"},{\"type\":\"subscriber\",\"text\":\"Subscriber\",\"count\":4}]}},\"metadata\":{\"message_ref\":\"1767867143097\"}}","channel":"chatrooms.332923.v2"}`
	kickSubFrame      = `{"event":"App\\Events\\SubscriptionEvent","data":"{\"chatroom_id\":715,\"username\":\"harleydagoat\",\"months\":1}","channel":"chatrooms.715.v2"}`
	kickGiftFrame     = `{"event":"GiftedSubscriptionsEvent","data":"{\"chatroom_id\":715,\"gifted_usernames\":[\"pokerrolex\",\"fukinjuan\",\"EvilNero\",\"Monkey_Toes219\",\"Turkii13\"],\"gifter_username\":\"Bagginsss\",\"gifted_total\":5,\"gifter_total\":5,\"chunk_details\":null}","channel":"chatroom_715"}`
	kickOldGiftFrame  = `{"event":"App\\Events\\GiftedSubscriptionsEvent","data":"{\"chatroom_id\":2507974,\"gifted_usernames\":[\"bigboss_23\"],\"gifter_username\":\"court\"}","channel":"chatrooms.2507974.v2"}`
	kickTimeoutFrame  = `{"event":"App\\Events\\UserBannedEvent","data":"{\"id\":\"286ae0b2-bba8-497d-a783-1adf703cbe03\",\"user\":{\"id\":63349022,\"username\":\"darer123\",\"slug\":\"darer123\"},\"banned_by\":{\"id\":0,\"username\":\"Vixie_Vu\",\"slug\":\"vixie_vu\"},\"permanent\":false,\"duration\":1,\"expires_at\":\"2025-07-18T08:12:14+00:00\"}","channel":"chatrooms.28037413.v2"}`
	kickBanFrame      = `{"event":"App\\Events\\UserBannedEvent","data":"{\"id\":\"8fa06ed7-f2cf-4210-8ddb-d497ee661e38\",\"user\":{\"id\":20886158,\"username\":\"RicardoBotoshi\",\"slug\":\"ricardobotoshi\"},\"banned_by\":{\"id\":0,\"username\":\"mzinha\",\"slug\":\"mzinha\"}}","channel":"chatrooms.7022952.v2"}`
	kickDeletedFrame  = `{"event":"App\\Events\\MessageDeletedEvent","data":"{\"id\":\"3b03e221-480a-4c2c-bc65-61573d3336d9\",\"message\":{\"id\":\"499500b9-ea91-467f-9034-9eee6e6e164a\"},\"aiModerated\":false,\"violatedRules\":[]}","channel":"chatrooms.715.v2"}`
	kickHostFrame     = `{"event":"App\\Events\\StreamHostEvent","data":"{\"chatroom_id\":715,\"optional_message\":\"raid time\",\"number_viewers\":538,\"host_username\":\"court\"}","channel":"chatrooms.715.v2"}`
	kickWelcomeFrame  = `{"event":"pusher:connection_established","data":"{\"socket_id\":\"189245.1234567\",\"activity_timeout\":120}"}`
	kickSubOKFrame    = `{"event":"pusher_internal:subscription_succeeded","data":"{}","channel":"chatrooms.715.v2"}`
	kickPusherErrorFr = `{"event":"pusher:error","data":{"code":4001,"message":"App key 32cbd69e4b950bf97679x not in this cluster. Did you forget to specify the cluster?"}}`
)

func TestParseKickFrames(t *testing.T) {
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name, frame string
		check       func(t *testing.T, m *Message)
	}{
		{"chat", kickChatFrame, func(t *testing.T, m *Message) {
			if m.Kind != KindChat || m.ID != "c0c85e41-2d34-45f4-9b57-bc7799245858" || m.Text != "corsette is crazy" || m.Platform != "kick" {
				t.Errorf("got %+v", m)
			}
			a := m.Author
			if a.ID != "2789967" || a.Login != "virtualmeal" || a.Name != "virtualmeal" || a.Color != "#BC66FF" || a.Role != RoleModerator {
				t.Errorf("author %+v", a)
			}
			if strings.Join(a.Badges, ",") != "moderator/1,subscriber/4" {
				t.Errorf("badges %q", a.Badges)
			}
			if !m.Time.Equal(time.Date(2026, 1, 8, 10, 12, 23, 0, time.UTC)) {
				t.Errorf("time %v, want created_at", m.Time)
			}
		}},
		{"sub", kickSubFrame, func(t *testing.T, m *Message) {
			if m.Kind != KindSub || m.Months != 1 || m.Author.Name != "harleydagoat" || m.Amount != 1 || !m.Time.Equal(now) {
				t.Errorf("got %+v", m)
			}
		}},
		{"gift subs on chatroom_", kickGiftFrame, func(t *testing.T, m *Message) {
			if m.Kind != KindSub || m.Gifts != 5 || m.GiftedBy != "Bagginsss" || m.Author.Name != "Bagginsss" {
				t.Errorf("got %+v", m)
			}
		}},
		{"gift sub", kickOldGiftFrame, func(t *testing.T, m *Message) {
			if m.Kind != KindSub || m.Gifts != 1 || m.GiftedBy != "court" {
				t.Errorf("got %+v", m)
			}
		}},
		{"timeout", kickTimeoutFrame, func(t *testing.T, m *Message) {
			if m.Kind != KindBanned || m.TargetUser != "darer123" || m.Duration != time.Minute || m.ID != "286ae0b2-bba8-497d-a783-1adf703cbe03" {
				t.Errorf("got %+v", m)
			}
			if m.System != "darer123 was timed out for 1m0s by Vixie_Vu" {
				t.Errorf("system %q", m.System)
			}
		}},
		{"ban", kickBanFrame, func(t *testing.T, m *Message) {
			if m.Kind != KindBanned || m.TargetUser != "RicardoBotoshi" || m.Duration != 0 || m.System != "RicardoBotoshi was banned by mzinha" {
				t.Errorf("got %+v", m)
			}
		}},
		{"deleted", kickDeletedFrame, func(t *testing.T, m *Message) {
			if m.Kind != KindDeleted || m.TargetID != "499500b9-ea91-467f-9034-9eee6e6e164a" {
				t.Errorf("got %+v", m)
			}
		}},
		{"host", kickHostFrame, func(t *testing.T, m *Message) {
			if m.Kind != KindRaid || m.Amount != 538 || m.Author.Name != "court" || m.Text != "raid time" {
				t.Errorf("got %+v", m)
			}
		}},
		{"emotes", `{"event":"App\\Events\\ChatMessageEvent","data":{"id":"e1","content":"hello [emote:37226:KEKW] [emote:x:no] é[emote:39:Pog]","sender":{"id":"7","username":"Ana","slug":"ana","identity":{"color":"red","badges":[{"type":"broadcaster","text":"Broadcaster"}]}}},"channel":"chatrooms.1.v2"}`,
			func(t *testing.T, m *Message) {
				if m.Text != "hello KEKW [emote:x:no] éPog" {
					t.Fatalf("text %q", m.Text)
				}
				if len(m.Emotes) != 2 || m.Emotes[0].ID != "37226" || m.Text[m.Emotes[0].Start:m.Emotes[0].End] != "KEKW" || m.Text[m.Emotes[1].Start:m.Emotes[1].End] != "Pog" {
					t.Errorf("emotes %+v", m.Emotes)
				}
				if m.Author.Color != "" || m.Author.Role != RoleBroadcaster || m.Author.ID != "7" {
					t.Errorf("author %+v (a colour not #RRGGBB is dropped; data as an object is read)", m.Author)
				}
			}},
		{"control characters", "{\"event\":\"App\\\\Events\\\\ChatMessageEvent\",\"data\":{\"id\":\"e2\",\"content\":\"a\\nb\\u0000c\\u202ed\",\"sender\":{\"username\":\"Bo\\r\\nPRIVMSG\"}}}",
			func(t *testing.T, m *Message) {
				if m.Text != "a bcd" || m.Author.Name != "Bo  PRIVMSG" {
					t.Errorf("text %q name %q", m.Text, m.Author.Name)
				}
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ev := parseKick([]byte(tc.frame), now)
			if ev.msg == nil {
				t.Fatalf("no message from %s (bad %q)", tc.frame, ev.bad)
			}
			tc.check(t, ev.msg)
		})
	}

	if ev := parseKick([]byte(kickWelcomeFrame), now); !ev.established || ev.activity != 120*time.Second {
		t.Errorf("welcome gave %+v", ev)
	}
	if ev := parseKick([]byte(kickSubOKFrame), now); !ev.subscribed || ev.channel != "chatrooms.715.v2" {
		t.Errorf("subscription_succeeded gave %+v", ev)
	}
	if ev := parseKick([]byte(`{"event":"pusher:ping","data":{}}`), now); !ev.ping {
		t.Errorf("ping gave %+v", ev)
	}
	if ev := parseKick([]byte(kickPusherErrorFr), now); !ev.isError || ev.errCode != 4001 {
		t.Errorf("pusher:error gave %+v", ev)
	}
	if ev := parseKick([]byte(`{"event":"pusher:error","data":"{\"code\":4201,\"message\":\"Pong reply not received\"}"}`), now); ev.errCode != 4201 || ev.errText != "Pong reply not received" {
		t.Errorf("pusher:error in a string gave %+v", ev)
	}
	// Unknown events are nothing, silently; malformed ones say why.
	for _, quiet := range []string{`{"event":"App\\Events\\ChatroomUpdatedEvent","data":"{}"}`, `{"event":"pusher:pong","data":"{}"}`, `{"event":"App\\Events\\PollUpdateEvent","data":"not json"}`} {
		if ev := parseKick([]byte(quiet), now); ev.msg != nil || ev.bad != "" {
			t.Errorf("%s gave %+v", quiet, ev)
		}
	}
	for _, junk := range []string{"", "{", "[]", `{"event":5}`, `{"data":"{}"}`, "{\"event\":\"x\xff\"}",
		`{"event":"App\\Events\\ChatMessageEvent","data":"{"}`,
		`{"event":"App\\Events\\ChatMessageEvent","data":"{\"content\":\"no id\"}"}`,
		`{"event":"App\\Events\\ChatMessageEvent","data":"{\"id\":\"1\",\"content\":\"no sender\"}"}`,
		`{"event":"App\\Events\\ChatMessageEvent","data":{"id":{},"content":"x"}}`,
		`{"event":"App\\Events\\MessageDeletedEvent","data":{"message":5}}`,
		`{"event":"App\\Events\\MessageDeletedEvent","data":{"message":{}}}`,
		`{"event":"App\\Events\\UserBannedEvent","data":"{}"}`,
	} {
		if ev := parseKick([]byte(junk), now); ev.msg != nil || ev.bad == "" {
			t.Errorf("%.60q gave %+v, want skipped as malformed", junk, ev)
		}
	}
}

// Any frame: no panic, emote spans inside the text on emote names, valid
// UTF-8 out, bounded numbers.
func FuzzParseKick(f *testing.F) {
	for _, s := range []string{kickChatFrame, kickSubFrame, kickGiftFrame, kickTimeoutFrame, kickDeletedFrame, kickHostFrame, kickWelcomeFrame, kickPusherErrorFr,
		`{"event":"App\\Events\\ChatMessageEvent","data":{"id":"e1","content":"[emote:37226:KEKW][emote:1:]][emote:99999999999999999999:x]","sender":{"username":"a"}}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, frame []byte) {
		ev := parseKick(frame, time.Unix(0, 0))
		if ev.activity < 0 || ev.activity > maxKickActivity {
			t.Fatalf("activity %v", ev.activity)
		}
		if !utf8.ValidString(ev.errText) {
			t.Fatalf("invalid error text %q", ev.errText)
		}
		m := ev.msg
		if m == nil {
			return
		}
		if !utf8.ValidString(m.Text) || !utf8.ValidString(m.Author.Name) || !utf8.ValidString(m.TargetUser) || !utf8.ValidString(m.System) {
			t.Fatalf("invalid UTF-8 out: %+v", m)
		}
		if len(m.Text) > maxTextBytes {
			t.Fatalf("text of %d bytes", len(m.Text))
		}
		for _, e := range m.Emotes {
			if e.Start < 0 || e.End > len(m.Text) || e.Start >= e.End || e.ID == "" {
				t.Fatalf("emote %+v outside %q", e, m.Text)
			}
		}
		if m.Amount < 0 || m.Amount > maxCount || math.IsNaN(m.Amount) || m.Duration < 0 || m.Duration > maxKickTimeout || m.Gifts < 0 || m.Months < 0 {
			t.Fatalf("amount %v, duration %v, gifts %d, months %d", m.Amount, m.Duration, m.Gifts, m.Months)
		}
	})
}
