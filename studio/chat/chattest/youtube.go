package chattest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// YouTube is a fake YouTube Data API: videos.list for liveStreamingDetails
// and liveChat/messages with page tokens. Items are raw liveChatMessage
// JSON; a page token is the index of the next item, so a client asking
// again with a token gets the same items again.
type YouTube struct {
	srv *httptest.Server

	mu       sync.Mutex
	key      string
	videos   map[string]string // video id → active live chat id ("": not live)
	chatID   string
	items    []json.RawMessage
	pollMs   int
	fails    []ytFail
	requests map[string]int // path → count
	tokens   []string       // page tokens asked for, in order ("" for none)
	keys     []string       // keys sent, all requests
}

type ytFail struct {
	status int
	body   string
}

// NewYouTube starts a fake whose only valid API key is key, serving the
// live chat chatID. It closes when the test ends.
func NewYouTube(t testing.TB, key, chatID string) *YouTube {
	y := &YouTube{key: key, chatID: chatID, videos: map[string]string{}, pollMs: 1000, requests: map[string]int{}}
	y.srv = httptest.NewServer(http.HandlerFunc(y.serve))
	t.Cleanup(y.Close)
	return y
}

// URL is the server's address, for the connector's Server field.
func (y *YouTube) URL() string { return y.srv.URL }

// Close stops the server.
func (y *YouTube) Close() { y.srv.Close() }

// SetVideo makes videoID a video whose active live chat is chatID ("": a
// video that is not live).
func (y *YouTube) SetVideo(videoID, chatID string) {
	y.mu.Lock()
	defer y.mu.Unlock()
	y.videos[videoID] = chatID
}

// SetPollingInterval sets pollingIntervalMillis in the answers (1000 unless set).
func (y *YouTube) SetPollingInterval(ms int) {
	y.mu.Lock()
	defer y.mu.Unlock()
	y.pollMs = ms
}

// Push adds liveChatMessage resources (raw JSON) to the chat.
func (y *YouTube) Push(items ...string) {
	y.mu.Lock()
	defer y.mu.Unlock()
	for _, it := range items {
		y.items = append(y.items, json.RawMessage(it))
	}
}

// Fail makes the next n answers (of any endpoint) status with body as is.
func (y *YouTube) Fail(n, status int, body string) {
	y.mu.Lock()
	defer y.mu.Unlock()
	for range n {
		y.fails = append(y.fails, ytFail{status, body})
	}
}

// FailReason makes the next n answers Google's error JSON with reason.
func (y *YouTube) FailReason(n, status int, reason string) {
	y.Fail(n, status, GoogleError(status, reason, "fake "+reason))
}

// GoogleError is the body of the API's error answers.
func GoogleError(status int, reason, message string) string {
	b, _ := json.Marshal(map[string]any{"error": map[string]any{
		"code": status, "message": message,
		"errors": []map[string]string{{"message": message, "domain": "youtube.liveChat", "reason": reason}},
	}})
	return string(b)
}

// Requests counts the requests to path ("/youtube/v3/liveChat/messages").
func (y *YouTube) Requests(path string) int {
	y.mu.Lock()
	defer y.mu.Unlock()
	return y.requests[path]
}

// PageTokens are the page tokens of the liveChat/messages requests, in
// order ("" for a request without one).
func (y *YouTube) PageTokens() []string {
	y.mu.Lock()
	defer y.mu.Unlock()
	return append([]string(nil), y.tokens...)
}

// Keys are the API keys of every request, in order.
func (y *YouTube) Keys() []string {
	y.mu.Lock()
	defer y.mu.Unlock()
	return append([]string(nil), y.keys...)
}

func (y *YouTube) serve(w http.ResponseWriter, r *http.Request) {
	y.mu.Lock()
	defer y.mu.Unlock()
	q := r.URL.Query()
	y.requests[r.URL.Path]++
	y.keys = append(y.keys, q.Get("key"))
	if r.URL.Path == "/youtube/v3/liveChat/messages" {
		y.tokens = append(y.tokens, q.Get("pageToken"))
	}
	answer := func(status int, body string) {
		w.Header().Set("Content-Type", "application/json; charset=UTF-8")
		w.WriteHeader(status)
		fmt.Fprint(w, body)
	}
	if len(y.fails) > 0 {
		f := y.fails[0]
		y.fails = y.fails[1:]
		answer(f.status, f.body)
		return
	}
	if q.Get("key") != y.key {
		// What Google answers for a wrong key.
		answer(400, `{"error":{"code":400,"message":"API key not valid. Please pass a valid API key.","errors":[{"message":"API key not valid. Please pass a valid API key.","domain":"global","reason":"badRequest"}],"status":"INVALID_ARGUMENT","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"API_KEY_INVALID","domain":"googleapis.com"}]}}`)
		return
	}
	switch r.URL.Path {
	case "/youtube/v3/videos":
		id := q.Get("id")
		chat, ok := y.videos[id]
		var items []any
		if ok {
			d := map[string]any{"actualStartTime": "2026-11-30T11:00:00Z"}
			if chat != "" {
				d["activeLiveChatId"] = chat
			} else {
				d["actualEndTime"] = "2026-11-30T11:30:00Z"
			}
			items = append(items, map[string]any{"kind": "youtube#video", "etag": "e", "id": id, "liveStreamingDetails": d})
		}
		b, _ := json.Marshal(map[string]any{"kind": "youtube#videoListResponse", "etag": "e", "items": items,
			"pageInfo": map[string]int{"totalResults": len(items), "resultsPerPage": len(items)}})
		answer(200, string(b))
	case "/youtube/v3/liveChat/messages":
		if q.Get("liveChatId") != y.chatID {
			answer(404, GoogleError(404, "liveChatNotFound", "The live chat that you are trying to retrieve cannot be found."))
			return
		}
		from := 0
		if tok := q.Get("pageToken"); tok != "" {
			n, err := strconv.Atoi(strings.TrimPrefix(tok, "p"))
			if err != nil || !strings.HasPrefix(tok, "p") || n < 0 || n > len(y.items) {
				answer(400, GoogleError(400, "pageTokenInvalid", "The page token is not valid."))
				return
			}
			from = n
		}
		items := y.items[from:]
		if items == nil {
			items = []json.RawMessage{}
		}
		b, _ := json.Marshal(map[string]any{
			"kind": "youtube#liveChatMessageListResponse", "etag": "e",
			"pollingIntervalMillis": y.pollMs, "nextPageToken": "p" + strconv.Itoa(len(y.items)),
			"pageInfo": map[string]int{"totalResults": len(items), "resultsPerPage": len(items)},
			"items":    items,
		})
		answer(200, string(b))
	default:
		answer(404, GoogleError(404, "notFound", "Not Found"))
	}
}

// YouTubeText is a textMessageEvent liveChatMessage as the API gives it.
func YouTubeText(id, channelID, name, text string) string {
	b, _ := json.Marshal(map[string]any{
		"kind": "youtube#liveChatMessage", "etag": "e", "id": id,
		"snippet": map[string]any{
			"type": "textMessageEvent", "liveChatId": "chat", "authorChannelId": channelID,
			"publishedAt": "2026-11-30T11:45:00.123+00:00", "hasDisplayContent": true,
			"displayMessage": text, "textMessageDetails": map[string]string{"messageText": text},
		},
		"authorDetails": map[string]any{
			"channelId": channelID, "channelUrl": "http://www.youtube.com/channel/" + channelID,
			"displayName": name, "profileImageUrl": "https://yt3.ggpht.com/x/photo.jpg",
			"isVerified": false, "isChatOwner": false, "isChatSponsor": false, "isChatModerator": false,
		},
	})
	return string(b)
}
