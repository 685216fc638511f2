package chat

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"onair/outputs"
)

// YouTube reads a live video's chat by polling the YouTube Data API with an
// API key. Read-only: posting needs OAuth.
type YouTube struct {
	Key        string // API key, a secret: never printed
	VideoID    string // the live video (an id or its watch / youtu.be / live URL), or
	LiveChatID string // the chat's id, which saves a lookup
	Server     string // default YouTubeServer
	Backoff    outputs.Backoff
	Client     *http.Client  // default http.DefaultClient
	Log        func(string)  // skipped input; nil: silent
	minPoll    time.Duration // tests: the shortest wait between polls
}

// YouTubeServer is the YouTube Data API's host.
const YouTubeServer = "https://www.googleapis.com"

// Bounds on the wait between polls, whatever the server says, and on a
// request: a server that stalls is retried.
const (
	ytMinPoll        = time.Second
	ytMaxPoll        = time.Minute
	ytRequestTimeout = 30 * time.Second
)

// Platform is "youtube".
func (y *YouTube) Platform() string { return "youtube" }

func (y *YouTube) mask(s string) string { return masker(y.Key)(s) }

// Run polls the chat until ctx ends. The page token is kept across
// reconnects, so a failed poll is asked again: nothing lost, nothing twice.
func (y *YouTube) Run(ctx context.Context, emit func(Message), state func(State)) error {
	server := strings.TrimRight(y.Server, "/")
	if server == "" {
		server = YouTubeServer
	}
	video := youTubeVideoID(y.VideoID)
	chatID := strings.TrimSpace(y.LiveChatID)
	channel := video
	if channel == "" {
		channel = chatID
	}
	minPoll := ytMinPoll
	if y.minPoll > 0 {
		minPoll = y.minPoll
	}
	var pageToken string
	skips := skipLog{log: y.Log}
	return runSessions(ctx, "youtube", y.Backoff, y.mask, state, func(ctx context.Context) (bool, bool, error) {
		switch {
		case strings.TrimSpace(y.Key) == "":
			return false, false, errFatal{errors.New("no YouTube API key: set one in the chat settings")}
		case chatID == "" && video == "":
			return false, false, errFatal{fmt.Errorf("YouTube video %q: give the live video's id or address", cleanName(y.VideoID))}
		}
		if chatID == "" {
			id, err := y.lookupChat(ctx, server, video)
			if err != nil {
				return false, false, err
			}
			chatID = id
		}
		live := false
		for {
			q := url.Values{"liveChatId": {chatID}, "part": {"snippet,authorDetails"}, "key": {y.Key}}
			if pageToken != "" {
				q.Set("pageToken", pageToken)
			}
			var raw json.RawMessage
			rctx, cancel := context.WithTimeout(ctx, ytRequestTimeout)
			err := getJSON(rctx, y.Client, server+"/youtube/v3/liveChat/messages?"+q.Encode(), nil, &raw)
			cancel()
			if ctx.Err() != nil {
				return false, live, nil
			}
			if err != nil {
				if ytReason(err) == "pageTokenInvalid" {
					pageToken = "" // start from the chat's recent lines
				}
				return false, live, youTubeError(err)
			}
			page, err := parseYouTube(raw, channel, time.Now())
			if err != nil {
				return false, live, err
			}
			if !live {
				live = true
				state(State{Platform: "youtube", Phase: Live})
			}
			for _, why := range page.skipped {
				skips.skip("youtube", why)
			}
			for _, m := range page.msgs {
				emit(m)
			}
			if page.next != "" {
				pageToken = page.next
			}
			if page.ended {
				return false, live, errFatal{errors.New("the live chat ended")}
			}
			timer := time.NewTimer(max(page.poll, minPoll))
			select {
			case <-ctx.Done():
				timer.Stop()
				return false, live, nil
			case <-timer.C:
			}
		}
	})
}

// lookupChat finds the live chat of a video.
func (y *YouTube) lookupChat(ctx context.Context, server, video string) (string, error) {
	q := url.Values{"part": {"liveStreamingDetails"}, "id": {video}, "key": {y.Key}}
	var v struct {
		Items []struct {
			LiveStreamingDetails struct {
				ActiveLiveChatID string `json:"activeLiveChatId"`
			} `json:"liveStreamingDetails"`
		} `json:"items"`
	}
	rctx, cancel := context.WithTimeout(ctx, ytRequestTimeout)
	defer cancel()
	if err := getJSON(rctx, y.Client, server+"/youtube/v3/videos?"+q.Encode(), nil, &v); err != nil {
		return "", youTubeError(err)
	}
	if len(v.Items) == 0 {
		return "", errFatal{fmt.Errorf("YouTube has no video %q (check the video id)", video)}
	}
	id := cleanName(v.Items[0].LiveStreamingDetails.ActiveLiveChatID)
	if id == "" {
		return "", errFatal{fmt.Errorf("YouTube video %q is not live or has no chat", video)}
	}
	return id, nil
}

// youTubeVideoID is the video id in s: an id, or a watch, youtu.be, live
// or shorts address. "" when s holds none.
func youTubeVideoID(s string) string {
	s = strings.TrimSpace(s)
	if u, err := url.Parse(s); err == nil && u.Host != "" {
		if v := u.Query().Get("v"); v != "" {
			s = v
		} else {
			parts := strings.Split(strings.Trim(u.Path, "/"), "/")
			s = parts[len(parts)-1]
		}
	}
	if len(s) == 0 || len(s) > 64 {
		return ""
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-') {
			return ""
		}
	}
	return s
}

// googleError is the body of the API's error answers.
type googleError struct {
	Error struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
		Errors  []struct {
			Reason string `json:"reason"`
		} `json:"errors"`
		Details []struct {
			Reason string `json:"reason"`
		} `json:"details"`
	} `json:"error"`
}

// ytReason is the first reason in an error answer ("quotaExceeded"), or
// "API_KEY_INVALID" style details when it has no other.
func ytReason(err error) string {
	var he *httpStatusError
	if !errors.As(err, &he) {
		return ""
	}
	var g googleError
	if json.Unmarshal(he.Body, &g) != nil {
		return ""
	}
	for _, e := range g.Error.Errors {
		if e.Reason != "" && e.Reason != "badRequest" {
			return e.Reason
		}
	}
	for _, d := range g.Error.Details {
		if d.Reason != "" {
			return d.Reason
		}
	}
	if strings.Contains(g.Error.Message, "API key not valid") {
		return "keyInvalid"
	}
	return ""
}

// youTubeError says in words what an API error means, and whether to retry.
func youTubeError(err error) error {
	var he *httpStatusError
	if !errors.As(err, &he) {
		return fmt.Errorf("YouTube: %w", err) // the network, or a cut answer: the backoff
	}
	reason := ytReason(err)
	switch reason {
	case "quotaExceeded", "rateLimitExceeded", "dailyLimitExceeded", "userRateLimitExceeded":
		return errSlow{errors.New("YouTube's daily API quota for this key is used up: the chat resumes when it renews (midnight Pacific time)")}
	case "keyInvalid", "API_KEY_INVALID", "keyExpired", "API_KEY_EXPIRED":
		return errFatal{errors.New("YouTube refused the API key: check it in the chat settings")}
	case "accessNotConfigured", "SERVICE_DISABLED", "ipRefererBlocked", "API_KEY_HTTP_REFERRER_BLOCKED", "API_KEY_SERVICE_BLOCKED":
		return errFatal{errors.New("YouTube refused the API key: enable the YouTube Data API for it and lift its restrictions")}
	case "liveChatEnded":
		return errFatal{errors.New("the live chat ended")}
	case "liveChatNotFound", "videoNotFound":
		return errFatal{errors.New("YouTube found no live chat for this video: check the video id, and that it is live")}
	case "liveChatDisabled":
		return errFatal{errors.New("the live chat is turned off for this video")}
	case "pageTokenInvalid":
		return errors.New("YouTube lost the place in the chat: starting from its recent lines")
	}
	switch {
	case he.Status >= 500:
		return fmt.Errorf("YouTube's server failed (HTTP %d): retrying", he.Status)
	case he.Status == http.StatusTooManyRequests:
		return errSlow{errors.New("YouTube asks to poll less often: waiting")}
	case he.Status == http.StatusUnauthorized || he.Status == http.StatusForbidden:
		return errFatal{fmt.Errorf("YouTube refused access (HTTP %d): check the API key in the chat settings", he.Status)}
	case he.Status == http.StatusNotFound:
		return errFatal{errors.New("YouTube found no live chat for this video: check the video id, and that it is live")}
	}
	if reason != "" {
		return errFatal{fmt.Errorf("YouTube refused the request (HTTP %d, %s)", he.Status, cleanText(reason, 64))}
	}
	return errFatal{fmt.Errorf("YouTube refused the request (HTTP %d)", he.Status)}
}
