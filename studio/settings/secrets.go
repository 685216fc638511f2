package settings

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"onair/studio"
)

// refPrefix starts a profile value that names a keyring entry in place of
// the secret ("keyring:onair/3f9c…").
const refPrefix = "keyring:onair/"

func isRef(v string) bool { return strings.HasPrefix(v, refPrefix) }

// secret is one stream key or chat token in a profile: where it lives and
// what to do when its keyring entry is gone.
type secret struct {
	what string // "the stream key of Twitch", for messages and the keyring's label
	get  func() string
	set  func(string)
	// lost leaves the setting harmless and says what the performer must do.
	lost func() string
}

// secrets lists p's stream keys (a destination's whole URL: keys hide in
// paths, queries and SRT passphrases) and chat tokens. p must be the
// caller's own copy: lost changes it.
func secrets(p *studio.Profile) []secret {
	var ss []secret
	for i := range p.Destinations {
		d := &p.Destinations[i]
		if d.URL == "" || strings.HasPrefix(d.URL, "file:") {
			continue
		}
		ss = append(ss, secret{
			what: "the stream key of " + destName(*d, i),
			get:  func() string { return d.URL },
			set:  func(v string) { d.URL = v },
			lost: func() string {
				off := false
				d.Enabled = &off
				return fmt.Sprintf("Destination %s is turned off: enter its stream key again in Destinations.", destName(*d, i))
			},
		})
	}
	c := &p.Chat
	if c.Twitch != nil && c.Twitch.Token != "" {
		ss = append(ss, secret{
			what: "the Twitch chat token",
			get:  func() string { return c.Twitch.Token },
			set:  func(v string) { c.Twitch.Token = v },
			lost: func() string {
				c.Twitch.Token, c.Twitch.Login = "", ""
				return "Twitch chat is read without signing in (you cannot send): enter the chat token again in Chat settings."
			},
		})
	}
	if c.Chaturbate != nil && c.Chaturbate.EventsURL != "" {
		ss = append(ss, secret{
			what: "the Chaturbate events address",
			get:  func() string { return c.Chaturbate.EventsURL },
			set:  func(v string) { c.Chaturbate.EventsURL = v },
			lost: func() string {
				c.Chaturbate = nil
				return "Chaturbate chat is off: enter its events address again in Chat settings."
			},
		})
	}
	if c.Owncast != nil && c.Owncast.Token != "" {
		ss = append(ss, secret{
			what: "the Owncast chat token",
			get:  func() string { return c.Owncast.Token },
			set:  func(v string) { c.Owncast.Token = v },
			lost: func() string {
				c.Owncast.Token = ""
				return "Owncast chat signs in anew (a new chat name registration)."
			},
		})
	}
	if c.YouTube != nil && c.YouTube.Key != "" {
		ss = append(ss, secret{
			what: "the YouTube API key",
			get:  func() string { return c.YouTube.Key },
			set:  func(v string) { c.YouTube.Key = v },
			lost: func() string {
				c.YouTube = nil
				return "YouTube chat is off: enter its API key again in Chat settings."
			},
		})
	}
	for i := range c.Custom {
		cu := &c.Custom[i]
		for _, k := range slices.Sorted(maps.Keys(cu.Header)) {
			ss = append(ss, secret{
				what: fmt.Sprintf("the %s header of chat %q", k, cu.Name),
				get:  func() string { return cu.Header[k] },
				set:  func(v string) { cu.Header[k] = v },
				lost: func() string {
					delete(cu.Header, k)
					return fmt.Sprintf("Chat %q connects without its %s header: enter it again in Chat settings.", cu.Name, k)
				},
			})
		}
	}
	return ss
}

// destName names a destination without showing its key.
func destName(d studio.Destination, i int) string {
	if d.Name != "" {
		return fmt.Sprintf("%q", d.Name)
	}
	if isRef(d.URL) {
		return fmt.Sprintf("number %d", i+1)
	}
	return d.Label()
}
