package chat

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	"onair/outputs"
)

// Config is the profile's chat section: which platforms' chats to read
// (and send to), and the studio's moderation. Tokens and keys in it are
// secrets: never printed.
type Config struct {
	// History is how many messages the view keeps (DefaultHistory when 0).
	History    int               `json:"history,omitempty"`
	Twitch     *TwitchConfig     `json:"twitch,omitempty"`
	Kick       *KickConfig       `json:"kick,omitempty"`
	Chaturbate *ChaturbateConfig `json:"chaturbate,omitempty"`
	Owncast    *OwncastConfig    `json:"owncast,omitempty"`
	YouTube    *YouTubeConfig    `json:"youtube,omitempty"`
	Custom     []CustomConfig    `json:"custom,omitempty"`
	Moderation Moderation        `json:"moderation,omitzero"`
}

// KickConfig reads a Kick channel's chat (read-only).
type KickConfig struct {
	Channel  string `json:"channel"`
	Chatroom int64  `json:"chatroom"` // the chatroom id (kick.com/api/v2/channels/<name> gives it)
	AppKey   string `json:"app_key,omitempty"`
	Server   string `json:"server,omitempty"`
}

// ChaturbateConfig reads the broadcaster's Events API feed: tips, chat,
// follows.
type ChaturbateConfig struct {
	// EventsURL is the URL the broadcaster's settings give (it holds the
	// token: a secret).
	EventsURL string `json:"events_url"`
	Server    string `json:"server,omitempty"` // another host for the same feed (a relay, a test)
}

// OwncastConfig reads and sends on an Owncast server's chat.
type OwncastConfig struct {
	Server string `json:"server"`          // the instance, https://host
	Name   string `json:"name,omitempty"`  // the name to chat as
	Token  string `json:"token,omitempty"` // a registration kept from before: a secret
}

// YouTubeConfig reads a YouTube live chat (read-only) with a Data API key.
type YouTubeConfig struct {
	Key      string `json:"key"`                 // the API key: a secret
	Video    string `json:"video,omitempty"`     // the live video's id or address, or
	LiveChat string `json:"live_chat,omitempty"` // its chat's id
	Server   string `json:"server,omitempty"`
}

// CustomConfig is a chat socket speaking JSON (a site, a bot, a relay).
type CustomConfig struct {
	Name      string            `json:"name"` // its badge
	URL       string            `json:"url"`
	Header    map[string]string `json:"header,omitempty"` // values are secrets
	Subscribe string            `json:"subscribe,omitempty"`
	Fields    GenericFields     `json:"fields"`
}

// TwitchConfig reads a Twitch channel, anonymously or (with Login and Token)
// able to send.
type TwitchConfig struct {
	Channel string `json:"channel"`
	Login   string `json:"login,omitempty"`
	Token   string `json:"token,omitempty"` // an OAuth token with chat:read and chat:edit
	Server  string `json:"server,omitempty"`
}

// maxHistory bounds the view a profile may ask for.
const maxHistory = 100000

// Empty tells that no chat is set up.
func (c Config) Empty() bool {
	return c.Twitch == nil && c.Kick == nil && c.Chaturbate == nil && c.Owncast == nil && c.YouTube == nil && len(c.Custom) == 0
}

// Validate checks the section; errors are in words and carry no secret.
func (c Config) Validate() error {
	if c.History < 0 || c.History > maxHistory {
		return fmt.Errorf("chat history %d: keep 1 to %d messages (or leave it out for %d)", c.History, maxHistory, DefaultHistory)
	}
	if t := c.Twitch; t != nil {
		if !validChannel(twitchChannel(t.Channel)) {
			return fmt.Errorf("chat twitch channel %q: a channel name is 1 to 25 letters, digits or _", cleanName(t.Channel))
		}
		if (t.Login == "") != (t.Token == "") {
			return errors.New("chat twitch: login and token go together (leave both out to read anonymously)")
		}
		if err := checkServer("twitch", t.Server, "ws", "wss"); err != nil {
			return err
		}
	}
	if k := c.Kick; k != nil {
		if k.Chatroom <= 0 {
			return errors.New("chat kick: chatroom is the channel's chatroom id, a number (kick.com/api/v2/channels/NAME shows it as chatroom.id)")
		}
		if err := checkServer("kick", k.Server, "ws", "wss"); err != nil {
			return err
		}
	}
	if cb := c.Chaturbate; cb != nil {
		if _, _, _, err := ParseChaturbateURL(cb.EventsURL); err != nil {
			return fmt.Errorf("chat chaturbate events_url: %w", err)
		}
		if err := checkServer("chaturbate", cb.Server, "http", "https"); err != nil {
			return err
		}
	}
	if o := c.Owncast; o != nil {
		if o.Server == "" {
			return errors.New("chat owncast: server is the Owncast instance's address (https://host)")
		}
		if err := checkServer("owncast", o.Server, "http", "https"); err != nil {
			return err
		}
	}
	if y := c.YouTube; y != nil {
		switch {
		case strings.TrimSpace(y.Key) == "":
			return errors.New("chat youtube: key is a YouTube Data API key (Google Cloud console, YouTube Data API v3)")
		case y.Video == "" && y.LiveChat == "":
			return errors.New("chat youtube: give the live video (its id or address) or live_chat")
		}
		if err := checkServer("youtube", y.Server, "http", "https"); err != nil {
			return err
		}
	}
	if len(c.Custom) > 20 {
		return errors.New("chat custom: at most 20")
	}
	for i, cu := range c.Custom {
		g := cu.connector(outputs.Backoff{}, nil)
		if err := g.check(); err != nil {
			return fmt.Errorf("chat custom %d: %w", i+1, err)
		}
	}
	if _, err := c.Moderation.compile(); err != nil {
		return err
	}
	return nil
}

// checkServer checks an endpoint a profile or flag points a connector to.
func checkServer(platform, s string, schemes ...string) error {
	if s == "" {
		return nil
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return fmt.Errorf("chat %s server: not a URL (%s://host[:port]/…)", platform, schemes[len(schemes)-1])
	}
	if u.User != nil || u.Fragment != "" || (schemes[0] == "http" && u.RawQuery != "") {
		return fmt.Errorf("chat %s server: give the address alone (%s://host[:port]), without a user, query or fragment", platform, schemes[len(schemes)-1])
	}
	for _, sc := range schemes {
		if u.Scheme == sc {
			return nil
		}
	}
	return fmt.Errorf("chat %s server: the address must start with %s://", platform, strings.Join(schemes, ":// or "))
}

// Secrets are the section's tokens and keys, for masking log lines.
func (c Config) Secrets() []string {
	var s []string
	if c.Twitch != nil && c.Twitch.Token != "" {
		s = append(s, c.Twitch.Token, strings.TrimPrefix(c.Twitch.Token, "oauth:"))
	}
	if c.Chaturbate != nil {
		if _, _, token, err := ParseChaturbateURL(c.Chaturbate.EventsURL); err == nil {
			s = append(s, token)
		}
	}
	if c.Owncast != nil && c.Owncast.Token != "" {
		s = append(s, c.Owncast.Token)
	}
	if c.YouTube != nil && c.YouTube.Key != "" {
		s = append(s, c.YouTube.Key)
	}
	for _, cu := range c.Custom {
		for _, v := range cu.Header {
			s = append(s, v)
		}
	}
	return s
}

// Hub makes the hub with a connector for each platform set up, each
// reconnecting on backoff and logging what it skips to log.
func (c Config) Hub(backoff outputs.Backoff, log func(string)) (*Hub, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	h := NewHub(c.History)
	if err := h.SetModeration(c.Moderation); err != nil {
		return nil, err
	}
	if t := c.Twitch; t != nil {
		h.Add(&Twitch{Channel: t.Channel, Login: t.Login, Token: t.Token, URL: t.Server, Backoff: backoff, Log: log})
	}
	if k := c.Kick; k != nil {
		h.Add(&Kick{Channel: k.Channel, ChatroomID: k.Chatroom, AppKey: k.AppKey, Server: k.Server, Backoff: backoff, Log: log})
	}
	if cb := c.Chaturbate; cb != nil {
		server, user, token, _ := ParseChaturbateURL(cb.EventsURL)
		if cb.Server != "" {
			server = cb.Server
		}
		h.Add(&Chaturbate{User: user, Token: token, Server: server, Backoff: backoff, Log: log})
	}
	if o := c.Owncast; o != nil {
		h.Add(&Owncast{Server: o.Server, DisplayName: o.Name, AccessToken: o.Token, Backoff: backoff, Log: log})
	}
	if y := c.YouTube; y != nil {
		h.Add(&YouTube{Key: y.Key, VideoID: y.Video, LiveChatID: y.LiveChat, Server: y.Server, Backoff: backoff, Log: log})
	}
	for _, cu := range c.Custom {
		h.Add(cu.connector(backoff, log))
	}
	return h, nil
}

func (cu CustomConfig) connector(backoff outputs.Backoff, log func(string)) *GenericWS {
	return &GenericWS{Name: cu.Name, URL: cu.URL, Header: cu.Header, Subscribe: cu.Subscribe, Fields: cu.Fields, Backoff: backoff, Log: log}
}
