package chat

import (
	"context"
	"math"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"onair/outputs"
	"onair/studio/chat/chattest"
)

// ytAnswer wraps items in a liveChat/messages answer as the API gives it.
func ytAnswer(items ...string) string {
	return `{"kind":"youtube#liveChatMessageListResponse","etag":"x","pollingIntervalMillis":5086,"nextPageToken":"GLGVrLbNyfUCILXH0bPJ-fUC","pageInfo":{"totalResults":1,"resultsPerPage":1},"items":[` + strings.Join(items, ",") + `]}`
}

// ytItemJSON is a liveChatMessage with the given snippet type and details,
// by an author with the given flags.
func ytItemJSON(id, typ, details, flags string) string {
	if details != "" {
		details = "," + details
	}
	if flags != "" {
		flags = "," + flags
	}
	return `{"kind":"youtube#liveChatMessage","etag":"e","id":"` + id + `","snippet":{"type":"` + typ + `","liveChatId":"Cg0KC2ZFdGhfVjl3cF9J","authorChannelId":"UCezJOfu7OtqGzd5xrP3q6WA","publishedAt":"2021-01-20T19:43:36.588+00:00","hasDisplayContent":true,"displayMessage":"shown words"` + details + `},"authorDetails":{"channelId":"UCezJOfu7OtqGzd5xrP3q6WA","channelUrl":"http://www.youtube.com/channel/UCezJOfu7OtqGzd5xrP3q6WA","displayName":"Brian Lough","profileImageUrl":"https://yt3.ggpht.com/a/photo.jpg","isVerified":false,"isChatOwner":false,"isChatSponsor":false,"isChatModerator":false` + flags + `}}`
}

// Each snippet type maps to its kind and fields (shapes from the API's
// liveChatMessages resource; the Super Chat is PROTOCOLS.md's real one).
func TestParseYouTubeKinds(t *testing.T) {
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	published := time.Date(2021, 1, 20, 19, 43, 36, 588e6, time.UTC)
	for _, tc := range []struct {
		name, item string
		want       func(m Message) bool
	}{
		{"chat", ytItemJSON("LCC.1", "textMessageEvent", `"textMessageDetails":{"messageText":"hello\u202e there"}`, `"isChatModerator":true`),
			func(m Message) bool {
				return m.Kind == KindChat && m.Text == "hello there" && m.Author.Role == RoleModerator && slices.Equal(m.Author.Badges, []string{"moderator"})
			}},
		{"super chat", ytItemJSON("LCC.2", "superChatEvent", `"superChatDetails":{"amountMicros":"2000000","currency":"EUR","amountDisplayString":"€2.00","userComment":"test","tier":2}`, `"isChatSponsor":true`),
			func(m Message) bool {
				return m.Kind == KindTip && m.Amount == 2 && m.Currency == "EUR" && m.System == "€2.00" && m.Text == "test" && m.Author.Role == RoleSubscriber
			}},
		{"super sticker", ytItemJSON("LCC.3", "superStickerEvent", `"superStickerDetails":{"superStickerMetadata":{"stickerId":"s1","altText":"a dancing cat","language":"en"},"amountMicros":"1990000","currency":"USD","amountDisplayString":"$1.99","tier":1}`, ""),
			func(m Message) bool {
				return m.Kind == KindTip && m.Amount == 1.99 && m.Currency == "USD" && m.Text == "a dancing cat"
			}},
		{"new member", ytItemJSON("LCC.4", "newSponsorEvent", `"newSponsorDetails":{"memberLevelName":"Gold","isUpgrade":false}`, ""),
			func(m Message) bool { return m.Kind == KindSub && m.Tier == "Gold" && m.System == "shown words" }},
		{"milestone", ytItemJSON("LCC.5", "memberMilestoneChatEvent", `"memberMilestoneChatDetails":{"memberLevelName":"Gold","memberMonth":7,"userComment":"seven!"}`, ""),
			func(m Message) bool { return m.Kind == KindSub && m.Months == 7 && m.Text == "seven!" }},
		{"gifting", ytItemJSON("LCC.6", "membershipGiftingEvent", `"membershipGiftingDetails":{"giftMembershipsCount":5,"giftMembershipsLevelName":"Gold"}`, ""),
			func(m Message) bool { return m.Kind == KindSub && m.Gifts == 5 && m.GiftedBy == "Brian Lough" }},
		{"gift received", ytItemJSON("LCC.7", "giftMembershipReceivedEvent", `"giftMembershipReceivedDetails":{"memberLevelName":"Gold","gifterChannelId":"UCgifter","associatedMembershipGiftingMessageId":"LCC.6"}`, ""),
			func(m Message) bool { return m.Kind == KindSub && m.GiftedBy == "UCgifter" && m.Tier == "Gold" }},
		{"deleted", ytItemJSON("LCC.8", "messageDeletedEvent", `"messageDeletedDetails":{"deletedMessageId":"LCC.1"}`, `"isChatOwner":true`),
			func(m Message) bool {
				return m.Kind == KindDeleted && m.TargetID == "LCC.1" && m.Author.Role == RoleBroadcaster
			}},
		{"timeout", ytItemJSON("LCC.9", "userBannedEvent", `"userBannedDetails":{"bannedUserDetails":{"channelId":"UCbad","channelUrl":"http://www.youtube.com/channel/UCbad","displayName":"Bad","profileImageUrl":"x"},"banType":"temporary","banDurationSeconds":"300"}`, ""),
			func(m Message) bool {
				return m.Kind == KindBanned && m.TargetUser == "UCbad" && m.Duration == 5*time.Minute
			}},
		{"ban", ytItemJSON("LCC.10", "userBannedEvent", `"userBannedDetails":{"bannedUserDetails":{"channelId":"UCbad"},"banType":"permanent"}`, ""),
			func(m Message) bool { return m.Kind == KindBanned && m.TargetUser == "UCbad" && m.Duration == 0 }},
		{"members only", ytItemJSON("LCC.11", "sponsorOnlyModeStartedEvent", "", ""),
			func(m Message) bool { return m.Kind == KindNotice && strings.Contains(m.System, "members only") }},
		{"members only ended", ytItemJSON("LCC.12", "sponsorOnlyModeEndedEvent", "", ""),
			func(m Message) bool { return m.Kind == KindNotice && m.System != "" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := parseYouTube([]byte(ytAnswer(tc.item)), "fEth_V9wp_I", now)
			if err != nil || len(p.msgs) != 1 || len(p.skipped) != 0 {
				t.Fatalf("got %+v, %v; want one message", p, err)
			}
			m := p.msgs[0]
			if !tc.want(m) {
				t.Errorf("got %+v", m)
			}
			if m.Platform != "youtube" || m.Channel != "fEth_V9wp_I" || !strings.HasPrefix(m.ID, "LCC.") || !m.Time.Equal(published) {
				t.Errorf("platform %q channel %q id %q time %v", m.Platform, m.Channel, m.ID, m.Time)
			}
			if m.Author.ID != "UCezJOfu7OtqGzd5xrP3q6WA" || m.Author.Name != "Brian Lough" {
				t.Errorf("author %+v", m.Author)
			}
		})
	}
	p, err := parseYouTube([]byte(ytAnswer(ytItemJSON("LCC.13", "chatEndedEvent", "", ""), ytItemJSON("LCC.14", "pollEvent", "", ""), `"junk"`)), "c", now)
	if err != nil || !p.ended || len(p.msgs) != 1 || p.msgs[0].Kind != KindNotice || len(p.skipped) != 1 {
		t.Errorf("chat ended, an unknown type, junk: %+v %v; want ended, one notice, one skipped", p, err)
	}
	if p.poll != 5086*time.Millisecond || p.next != "GLGVrLbNyfUCILXH0bPJ-fUC" {
		t.Errorf("poll %v next %q", p.poll, p.next)
	}
	if p, _ := parseYouTube([]byte(`{"pollingIntervalMillis":1e300,"items":[]}`), "c", now); p.poll != ytMaxPoll {
		t.Errorf("a huge interval gave %v, want the longest, %v", p.poll, ytMaxPoll)
	}
	for _, bad := range []string{"", "<html>", `{"items":"x"}`, "{\"items\":[],\"x\":\"\xff\"}"} {
		if _, err := parseYouTube([]byte(bad), "c", now); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func TestYouTubeVideoID(t *testing.T) {
	for in, want := range map[string]string{
		"fEth_V9wp_I": "fEth_V9wp_I", " https://www.youtube.com/watch?v=fEth_V9wp_I&t=3 ": "fEth_V9wp_I",
		"https://youtu.be/fEth_V9wp_I": "fEth_V9wp_I", "https://www.youtube.com/live/fEth_V9wp_I?si=x": "fEth_V9wp_I",
		"no such video": "", "": "",
	} {
		if got := youTubeVideoID(in); got != want {
			t.Errorf("%q: %q, want %q", in, got, want)
		}
	}
}

// runRec runs a connector and records what it gives.
type runRec struct {
	mu     sync.Mutex
	msgs   []Message
	states []State
	logs   []string
	cancel context.CancelFunc
	done   chan error
}

func startRun(c Connector) *runRec {
	r := &runRec{done: make(chan error, 1)}
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	go func() {
		r.done <- c.Run(ctx, func(m Message) {
			r.mu.Lock()
			r.msgs = append(r.msgs, m)
			r.mu.Unlock()
		}, func(s State) {
			r.mu.Lock()
			r.states = append(r.states, s)
			r.mu.Unlock()
		})
	}()
	return r
}

func (r *runRec) log(s string) {
	r.mu.Lock()
	r.logs = append(r.logs, s)
	r.mu.Unlock()
}

// stop ends the run and gives Run's error.
func (r *runRec) stop() error {
	r.cancel()
	return <-r.done
}

// until polls cond (under the lock) for up to 10 s.
func (r *runRec) until(t *testing.T, what string, cond func(r *runRec) bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		r.mu.Lock()
		ok := cond(r)
		r.mu.Unlock()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			r.mu.Lock()
			defer r.mu.Unlock()
			t.Fatalf("no %s within 10 s; messages %+v, states %+v", what, r.msgs, r.states)
		}
	}
}

func (r *runRec) phases() string {
	var p []string
	for _, s := range r.states {
		p = append(p, s.Phase.String())
	}
	return strings.Join(p, " ")
}

func (r *runRec) ids() string {
	var ids []string
	for _, m := range r.msgs {
		ids = append(ids, m.ID)
	}
	return strings.Join(ids, " ")
}

const ytKey = "AIzaSyFAKEfakeKEY123"

// The chat is found from the video, read page after page, and a server
// error in between is retried with the same page token: every message once,
// in order.
func TestYouTubeReadsAndResumes(t *testing.T) {
	y := chattest.NewYouTube(t, ytKey, "chat-1")
	y.SetVideo("fEth_V9wp_I", "chat-1")
	y.SetPollingInterval(10)
	y.Push(chattest.YouTubeText("m1", "UCa", "Ana", "one"), chattest.YouTubeText("m2", "UCb", "Bo", "two"))
	yt := &YouTube{Key: ytKey, VideoID: "https://www.youtube.com/watch?v=fEth_V9wp_I", Server: y.URL(), minPoll: 10 * time.Millisecond,
		Backoff: outputs.Backoff{First: 20 * time.Millisecond, Factor: 1, Max: time.Second}}
	r := startRun(yt)
	r.until(t, "the first two messages", func(r *runRec) bool { return len(r.msgs) == 2 })
	y.FailReason(2, http.StatusServiceUnavailable, "backendError")
	y.Push(chattest.YouTubeText("m3", "UCa", "Ana", "three"))
	r.until(t, "the third message after the error", func(r *runRec) bool { return len(r.msgs) == 3 })
	y.Push(chattest.YouTubeText("m4", "UCc", "Cy", "four"))
	r.until(t, "the fourth message", func(r *runRec) bool { return len(r.msgs) == 4 })
	time.Sleep(50 * time.Millisecond) // a few more polls: nothing again
	if err := r.stop(); err != nil {
		t.Fatal(err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if ids := r.ids(); ids != "m1 m2 m3 m4" {
		t.Errorf("messages %q, want m1 m2 m3 m4 once each", ids)
	}
	if m := r.msgs[0]; m.Platform != "youtube" || m.Channel != "fEth_V9wp_I" || m.Kind != KindChat || m.Text != "one" || m.Author.Name != "Ana" || m.Author.ID != "UCa" ||
		!m.Time.Equal(time.Date(2026, 11, 30, 11, 45, 0, 123e6, time.UTC)) {
		t.Errorf("first message %+v", m)
	}
	if p := r.phases(); !strings.HasPrefix(p, "connecting live reconnecting") || !strings.Contains(p, "reconnecting connecting live") {
		t.Errorf("phases %q: want connecting, live, reconnecting after the error, live again", p)
	}
	for _, s := range r.states {
		if strings.Contains(s.Err, ytKey) {
			t.Errorf("the key shows in %+v", s)
		}
		if s.Phase == Reconnecting && !strings.Contains(s.Err, "HTTP 503") {
			t.Errorf("reconnecting: %+v; want the server's failure said", s)
		}
	}
	if n := y.Requests("/youtube/v3/videos"); n != 1 {
		t.Errorf("%d video look-ups, want 1 (the chat id is kept)", n)
	}
	toks := y.PageTokens()
	if toks[0] != "" || !slices.Contains(toks, "p2") || !slices.Contains(toks, "p3") {
		t.Errorf("page tokens %q", toks)
	}
	for i, tok := range toks[1:] {
		if tok == "" {
			t.Errorf("request %d started over without a page token", i+1)
		}
	}
	for _, k := range y.Keys() {
		if k != ytKey {
			t.Errorf("sent key %q", k)
		}
	}
}

// Each error YouTube gives ends in the right state, said in words, the
// key never in them.
func TestYouTubeErrors(t *testing.T) {
	for _, tc := range []struct {
		name   string
		setup  func(y *chattest.YouTube, yt *YouTube)
		phase  Phase
		words  string
		slowly bool // retried at the longest wait
	}{
		{"quota", func(y *chattest.YouTube, yt *YouTube) { y.FailReason(1, 403, "quotaExceeded") }, Reconnecting, "daily API quota", true},
		{"rate", func(y *chattest.YouTube, yt *YouTube) { y.FailReason(1, 403, "rateLimitExceeded") }, Reconnecting, "quota", true},
		{"wrong key", func(y *chattest.YouTube, yt *YouTube) { yt.Key = "AIzaWRONGwrongKEY" }, Failed, "refused the API key", false},
		{"key invalid", func(y *chattest.YouTube, yt *YouTube) { y.FailReason(1, 400, "keyInvalid") }, Failed, "refused the API key", false},
		{"forbidden", func(y *chattest.YouTube, yt *YouTube) { y.FailReason(1, 403, "forbidden") }, Failed, "HTTP 403", false},
		{"unauthorized", func(y *chattest.YouTube, yt *YouTube) { y.Fail(1, 401, "") }, Failed, "HTTP 401", false},
		{"chat ended", func(y *chattest.YouTube, yt *YouTube) { y.FailReason(1, 403, "liveChatEnded") }, Failed, "the live chat ended", false},
		{"chat disabled", func(y *chattest.YouTube, yt *YouTube) { y.FailReason(1, 403, "liveChatDisabled") }, Failed, "turned off", false},
		{"wrong chat", func(y *chattest.YouTube, yt *YouTube) { yt.LiveChatID = "other" }, Failed, "no live chat", false},
		{"not live", func(y *chattest.YouTube, yt *YouTube) { y.SetVideo("vid", ""); yt.VideoID, yt.LiveChatID = "vid", "" }, Failed, "not live", false},
		{"no video", func(y *chattest.YouTube, yt *YouTube) { yt.VideoID, yt.LiveChatID = "gone", "" }, Failed, "no video", false},
		{"bad video", func(y *chattest.YouTube, yt *YouTube) { yt.VideoID, yt.LiveChatID = "not a video", "" }, Failed, "id or address", false},
		{"no key", func(y *chattest.YouTube, yt *YouTube) { yt.Key = "" }, Failed, "no YouTube API key", false},
		{"lost place", func(y *chattest.YouTube, yt *YouTube) { y.FailReason(1, 400, "pageTokenInvalid") }, Reconnecting, "lost the place", false},
		{"server error", func(y *chattest.YouTube, yt *YouTube) { y.Fail(1, 500, "oops") }, Reconnecting, "HTTP 500", false},
		{"not JSON", func(y *chattest.YouTube, yt *YouTube) { y.Fail(1, 200, "<html>hello</html>") }, Reconnecting, "not the JSON expected", false},
		{"no server", func(y *chattest.YouTube, yt *YouTube) { yt.Server = "http://127.0.0.1:1" }, Reconnecting, "cannot reach", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			y := chattest.NewYouTube(t, ytKey, "chat-1")
			yt := &YouTube{Key: ytKey, LiveChatID: "chat-1", Server: y.URL(), minPoll: 10 * time.Millisecond,
				Backoff: outputs.Backoff{First: 2 * time.Second, Factor: 1, Max: 5 * time.Second}}
			tc.setup(y, yt)
			r := startRun(yt)
			r.until(t, tc.phase.String()+" state", func(r *runRec) bool { return len(r.states) > 0 && r.states[len(r.states)-1].Phase == tc.phase })
			err := r.stop()
			r.mu.Lock()
			defer r.mu.Unlock()
			s := r.states[len(r.states)-1]
			if !strings.Contains(s.Err, tc.words) || strings.Contains(s.Err, ytKey) || (yt.Key != "" && strings.Contains(s.Err, yt.Key)) {
				t.Errorf("state %+v; want %q in words, no key", s, tc.words)
			}
			if tc.phase == Failed && (err == nil || err.Error() != s.Err) {
				t.Errorf("Run gave %v; want the failure %q", err, s.Err)
			}
			if tc.slowly != (s.Retry == 5*time.Second) {
				t.Errorf("retry in %v", s.Retry)
			}
		})
	}
}

// The chat's end is said as a notice, then the connector stops; an item
// that is not a message is skipped and logged, the rest still read.
func TestYouTubeChatEndsAndSkips(t *testing.T) {
	y := chattest.NewYouTube(t, ytKey, "chat-1")
	y.SetPollingInterval(0)
	y.Push(`"junk"`, chattest.YouTubeText("m1", "UCa", "Ana", "one\x00\u202e"))
	r := &runRec{} // the log lines
	yt := &YouTube{Key: ytKey, LiveChatID: "chat-1", Server: y.URL(), minPoll: 10 * time.Millisecond, Log: r.log}
	r2 := startRun(yt)
	r2.until(t, "the message", func(r2 *runRec) bool { return len(r2.msgs) == 1 })
	y.Push(ytItemJSON("end", "chatEndedEvent", "", ""))
	r2.until(t, "the failure", func(r2 *runRec) bool { return len(r2.states) > 0 && r2.states[len(r2.states)-1].Phase == Failed })
	err := r2.stop()
	r2.mu.Lock()
	defer r2.mu.Unlock()
	if err == nil || err.Error() != "the live chat ended" {
		t.Errorf("Run gave %v", err)
	}
	if len(r2.msgs) != 2 || r2.msgs[0].Text != "one" || r2.msgs[1].Kind != KindNotice || r2.msgs[1].System != "the live chat ended" {
		t.Errorf("messages %+v", r2.msgs)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.logs) != 1 || !strings.Contains(r.logs[0], "youtube chat: skipped a malformed message") {
		t.Errorf("logs %q", r.logs)
	}
}

// Polls wait at least a second, whatever the server asks.
func TestYouTubePollsAtMostOncePerSecond(t *testing.T) {
	y := chattest.NewYouTube(t, ytKey, "chat-1")
	y.SetPollingInterval(1)
	yt := &YouTube{Key: ytKey, LiveChatID: "chat-1", Server: y.URL()}
	r := startRun(yt)
	r.until(t, "live", func(r *runRec) bool { return strings.Contains(r.phases(), "live") })
	time.Sleep(1500 * time.Millisecond)
	r.stop()
	if n := y.Requests("/youtube/v3/liveChat/messages"); n != 2 {
		t.Errorf("%d polls in 1.5 s, want 2", n)
	}
}

func FuzzParseYouTube(f *testing.F) {
	f.Add([]byte(ytAnswer(ytItemJSON("LCC.2", "superChatEvent", `"superChatDetails":{"amountMicros":"2000000","currency":"EUR","amountDisplayString":"€2.00","userComment":"test","tier":2}`, ""))))
	f.Fuzz(func(t *testing.T, body []byte) {
		p, err := parseYouTube(body, "c", time.Unix(0, 0))
		if err != nil {
			return
		}
		if p.poll < 0 || p.poll > ytMaxPoll {
			t.Fatalf("poll %v", p.poll)
		}
		for _, m := range p.msgs {
			if !utf8.ValidString(m.Text) || !utf8.ValidString(m.Author.Name) || !utf8.ValidString(m.System) || len(m.Text) > maxTextBytes || len(m.ID) > maxNameBytes {
				t.Fatalf("unclean message %+v", m)
			}
			if m.Amount < 0 || math.IsNaN(m.Amount) || math.IsInf(m.Amount, 0) || m.Duration < 0 || m.Months < 0 || m.Gifts < 0 {
				t.Fatalf("amount %v duration %v months %d gifts %d", m.Amount, m.Duration, m.Months, m.Gifts)
			}
			if m.Kind < KindChat || m.Kind > KindNotice {
				t.Fatalf("kind %v", m.Kind)
			}
		}
	})
}
