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
	History    int           `json:"history,omitempty"`
	Twitch     *TwitchConfig `json:"twitch,omitempty"`
	Moderation Moderation    `json:"moderation,omitzero"`
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
func (c Config) Empty() bool { return c.Twitch == nil }

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
	return h, nil
}
