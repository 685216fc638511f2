package chat

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"onair/outputs"
	"onair/studio/chat/chattest"
)

const kickRoom = "chatrooms.715.v2"

// kickRun runs k in the background: what it emitted so far, the states it
// went through (a buffered channel, also kept in order), and stop, which
// ends the run and returns Run's error.
type kickRun struct {
	mu     sync.Mutex
	msgs   []Message
	phases []string
	logs   []string
	states chan State
	stop   func() error
}

func runKick(t *testing.T, k *Kick) *kickRun {
	t.Helper()
	r := &kickRun{states: make(chan State, 256)}
	k.Log = func(s string) { r.mu.Lock(); r.logs = append(r.logs, s); r.mu.Unlock() }
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- k.Run(ctx, func(m Message) {
			r.mu.Lock()
			r.msgs = append(r.msgs, m)
			r.mu.Unlock()
		}, func(s State) {
			r.mu.Lock()
			r.phases = append(r.phases, s.Phase.String())
			r.mu.Unlock()
			select {
			case r.states <- s:
			default:
			}
		})
	}()
	var once sync.Once
	var err error
	r.stop = func() error {
		once.Do(func() { cancel(); err = <-done })
		return err
	}
	t.Cleanup(func() { r.stop() })
	return r
}

func (r *kickRun) messages() []Message {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Message(nil), r.msgs...)
}

// eventually polls cond for up to 10 s.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("not within 10 s: %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// data is the JSON inside a real frame's data string, as an object.
func fixtureData(t *testing.T, frame string) map[string]any {
	t.Helper()
	var env struct{ Data string }
	var d map[string]any
	if err := json.Unmarshal([]byte(frame), &env); err != nil || json.Unmarshal([]byte(env.Data), &d) != nil {
		t.Fatalf("fixture %s: %v", frame, err)
	}
	return d
}

// Every event kind arrives with its fields over a real socket; a dropped
// connection and a server-asked reconnect (4200) resume, a message the
// server sends again after the reconnect keeps its id; pings are answered.
func TestKickReadsAndReconnects(t *testing.T) {
	f := chattest.NewKick(t)
	k := &Kick{Channel: "trainwreckstv", ChatroomID: 715, Server: f.URL(), Backoff: outputs.Backoff{First: 50 * time.Millisecond, Factor: 1.5, Max: time.Second}}
	r := runKick(t, k)
	subscribed := func(dials int) func() bool {
		return func() bool {
			return f.Dials() == dials && f.Subscribers(kickRoom) == 1 && f.Subscribers("chatroom_715") == 1
		}
	}
	count := func(n int) func() bool { return func() bool { return len(r.messages()) >= n } }
	eventually(t, "subscribed to both channels", subscribed(1))

	chat := fixtureData(t, kickChatFrame)
	f.Broadcast(kickRoom, "ChatMessageEvent", chat)
	f.Broadcast(kickRoom, "SubscriptionEvent", fixtureData(t, kickSubFrame))
	f.Broadcast("chatroom_715", "GiftedSubscriptionsEvent", fixtureData(t, kickGiftFrame))
	f.Broadcast(kickRoom, "UserBannedEvent", fixtureData(t, kickTimeoutFrame))
	f.Broadcast(kickRoom, "MessageDeletedEvent", fixtureData(t, kickDeletedFrame))
	f.Broadcast(kickRoom, "StreamHostEvent", fixtureData(t, kickHostFrame))
	f.SendRaw(`{"event":"pusher:ping","data":{}}`)
	eventually(t, "six messages", count(6))
	eventually(t, "the ping answered", func() bool { return len(f.Sent("pusher:pong")) == 1 })

	f.DropAll()
	eventually(t, "subscribed again after the drop", subscribed(2))
	f.Broadcast(kickRoom, "ChatMessageEvent", chat) // the server sends it again
	chat2 := fixtureData(t, kickChatFrame)
	chat2["id"], chat2["content"] = "after-drop", "still here [emote:37226:KEKW]"
	f.Broadcast(kickRoom, "ChatMessageEvent", chat2)
	eventually(t, "eight messages", count(8))

	f.SendError(4200, "Generic reconnect immediately")
	eventually(t, "subscribed again after 4200", subscribed(3))
	chat3 := fixtureData(t, kickChatFrame)
	chat3["id"] = "after-4200"
	f.Broadcast(kickRoom, "ChatMessageEvent", chat3)
	eventually(t, "nine messages", count(9))
	if err := r.stop(); err != nil {
		t.Fatal(err)
	}

	msgs := r.messages()
	var got []string
	for _, m := range msgs {
		got = append(got, m.Kind.String()+":"+m.ID)
		if m.Platform != "kick" || m.Channel != "trainwreckstv" {
			t.Errorf("platform %q channel %q", m.Platform, m.Channel)
		}
	}
	want := "chat:c0c85e41-2d34-45f4-9b57-bc7799245858 sub: sub: banned:286ae0b2-bba8-497d-a783-1adf703cbe03 deleted:3b03e221-480a-4c2c-bc65-61573d3336d9 raid: " +
		"chat:c0c85e41-2d34-45f4-9b57-bc7799245858 chat:after-drop chat:after-4200"
	if g := strings.Join(got, " "); g != want {
		t.Errorf("messages\n %s\nwant\n %s", g, want)
	}
	if len(msgs) == 9 {
		if m := msgs[0]; m.Text != "corsette is crazy" || m.Author.Name != "virtualmeal" || m.Author.Color != "#BC66FF" || m.Author.Role != RoleModerator {
			t.Errorf("chat %+v", m)
		}
		if m := msgs[1]; m.Months != 1 || m.Author.Name != "harleydagoat" {
			t.Errorf("sub %+v", m)
		}
		if m := msgs[2]; m.Gifts != 5 || m.GiftedBy != "Bagginsss" {
			t.Errorf("gift %+v", m)
		}
		if m := msgs[3]; m.TargetUser != "darer123" || m.Duration != time.Minute {
			t.Errorf("timeout %+v", m)
		}
		if m := msgs[4]; m.TargetID != "499500b9-ea91-467f-9034-9eee6e6e164a" {
			t.Errorf("deleted %+v", m)
		}
		if m := msgs[5]; m.Amount != 538 || m.Author.Name != "court" {
			t.Errorf("raid %+v", m)
		}
		if m := msgs[7]; m.Text != "still here KEKW" || len(m.Emotes) != 1 || m.Emotes[0].ID != "37226" {
			t.Errorf("emote %+v", m)
		}
	}
	r.mu.Lock()
	phases := strings.Join(r.phases, " ")
	r.mu.Unlock()
	if !strings.HasPrefix(phases, "connecting live reconnecting connecting live connecting live") {
		t.Errorf("phases %q; want connecting live, reconnecting after the drop, live, and at once again after 4200", phases)
	}
	p := f.Paths()
	if len(p) != 3 || p[0] != "/app/"+KickAppKey+"?protocol=7&client=js&version=8.4.0&flash=false" {
		t.Errorf("dialled %q", p)
	}
	if s := f.Sent("pusher:subscribe"); len(s) != 6 || s[0] != `{"event":"pusher:subscribe","data":{"auth":"","channel":"chatrooms.715.v2"}}` {
		t.Errorf("subscribes %q", s)
	}
}

// A refused app key fails for good, said in words without the key; a
// missing chatroom id or a bad server address fail at once; a busy server
// (4100) is retried after a wait.
func TestKickRefusalsAndBadConfig(t *testing.T) {
	f := chattest.NewKick(t)
	f.SetAppKey("therightkey")
	const key = "wrongkey12345"
	k := &Kick{ChatroomID: 715, AppKey: key, Server: f.URL()}
	var last State
	err := k.Run(context.Background(), func(Message) {}, func(s State) { last = s })
	if err == nil || last.Phase != Failed || !strings.Contains(last.Err, "refused the connection") || !strings.Contains(last.Err, "check the app key") {
		t.Errorf("a refused key: %v, state %+v", err, last)
	}
	if strings.Contains(last.Err, key) || strings.Contains(err.Error(), key) {
		t.Errorf("the key shows: %q / %v", last.Err, err)
	}

	for _, bad := range []*Kick{{Server: f.URL()}, {ChatroomID: 1, Server: "http://127.0.0.1:1"}} {
		last = State{}
		if err := bad.Run(context.Background(), func(Message) {}, func(s State) { last = s }); err == nil || last.Phase != Failed {
			t.Errorf("%+v: %v, state %+v", bad, err, last)
		}
	}
	if (&Kick{}).Run(context.Background(), func(Message) {}, func(s State) { last = s }); !strings.Contains(last.Err, "chatroom id") {
		t.Errorf("no chatroom id: %+v", last)
	}

	busy := chattest.NewKick(t)
	k = &Kick{ChatroomID: 715, Server: busy.URL(), Backoff: outputs.Backoff{First: 10 * time.Millisecond, Factor: 1, Max: 10 * time.Millisecond}}
	r := runKick(t, k)
	waitPhase(t, r.states, Live)
	busy.SendError(4100, "Over capacity")
	s := waitPhase(t, r.states, Reconnecting)
	if s.Retry < 5*time.Second || !strings.Contains(s.Err, "busy") {
		t.Errorf("over capacity: %+v; want a wait of 5 s", s)
	}
	r.stop()
}

// A quiet chatroom whose server answers pings stays up; one that stops
// answering is found by the keepalive, pinged after the server's own
// activity_timeout when Idle is not set.
func TestKickKeepalive(t *testing.T) {
	f := chattest.NewKick(t)
	k := &Kick{ChatroomID: 715, Server: f.URL(), Idle: 100 * time.Millisecond, Timeout: time.Second}
	r := runKick(t, k)
	waitPhase(t, r.states, Live)
	time.Sleep(800 * time.Millisecond)
	r.stop()
	r.mu.Lock()
	if p := strings.Join(r.phases, " "); p != "connecting live" {
		t.Errorf("a quiet chatroom answering pings: phases %q", p)
	}
	r.mu.Unlock()
	if n := len(f.Sent("pusher:ping")); n < 3 {
		t.Errorf("%d pings in 0.8 s with 100 ms idle; want several", n)
	}

	dead := chattest.NewKick(t)
	dead.SetActivityTimeout(1)
	dead.SetPong(false)
	k = &Kick{ChatroomID: 715, Server: dead.URL(), Timeout: 200 * time.Millisecond, Backoff: outputs.Backoff{First: 5 * time.Second, Factor: 1, Max: 5 * time.Second}}
	r = runKick(t, k)
	waitPhase(t, r.states, Live)
	start := time.Now()
	s := waitPhase(t, r.states, Reconnecting)
	if took := time.Since(start); !strings.Contains(s.Err, "stopped answering") || took < 900*time.Millisecond || took > 3*time.Second {
		t.Errorf("a silent server: %+v after %v; want it found after the 1 s activity_timeout and the 200 ms wait", s, took)
	}
	if len(dead.Sent("pusher:ping")) != 1 {
		t.Errorf("pings %q, want one", dead.Sent("pusher:ping"))
	}
	r.stop()
}

// Malformed frames (not JSON, not UTF-8, over the size cap, a chat message
// without an id) are skipped and logged once, rate-limited; the
// connection stays; events for another chatroom are not ours; a gift sent
// on both channels counts once.
func TestKickSkipsMalformed(t *testing.T) {
	f := chattest.NewKick(t)
	k := &Kick{ChatroomID: 715, Server: f.URL()}
	r := runKick(t, k)
	waitPhase(t, r.states, Live)
	eventually(t, "subscribed", func() bool { return f.Subscribers("chatroom_715") == 1 })
	f.SendRaw("{not json")
	f.SendRaw("{\"event\":\"App\\\\Events\\\\ChatMessageEvent\",\"data\":\"\xff\xfe\"}")
	f.SendRaw(`{"event":"x","data":"` + strings.Repeat("a", maxKickFrame) + `"}`)
	f.Broadcast(kickRoom, "ChatMessageEvent", map[string]any{"content": "no id", "sender": map[string]any{"username": "a"}})
	f.SendRaw(strings.Replace(kickChatFrame, "chatrooms.332923.v2", "chatrooms.999.v2", 1))
	gift := fixtureData(t, kickGiftFrame)
	f.Broadcast("chatroom_715", "GiftedSubscriptionsEvent", gift)
	f.Broadcast(kickRoom, "GiftedSubscriptionsEvent", gift)
	f.Broadcast(kickRoom, "ChatMessageEvent", fixtureData(t, kickChatFrame))
	eventually(t, "the good message", func() bool {
		m := r.messages()
		return len(m) > 0 && m[len(m)-1].Kind == KindChat
	})
	r.stop()
	msgs := r.messages()
	if len(msgs) != 2 || msgs[0].Gifts != 5 || msgs[1].Text != "corsette is crazy" {
		t.Errorf("messages %+v; want the gift once, then the chat", msgs)
	}
	if f.Dials() != 1 {
		t.Errorf("%d connections: malformed input dropped the connection", f.Dials())
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.logs) != 1 || r.logs[0] != "kick chat: skipped a malformed message: not the JSON expected" {
		t.Errorf("log %q; want the first skip, the rest counted for later", r.logs)
	}
}
