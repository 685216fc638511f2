package studio

import (
	"fmt"
	"net/url"
	"strings"
)

// WebRTCSettings is onair's own WebRTC server on the local network (the
// phone monitor, private shows) and the ICE servers every WebRTC connection
// uses, WHIP destinations included.
type WebRTCSettings struct {
	// Monitor serves the program to the performer's phone on the local
	// network. Off by default.
	Monitor bool `json:"monitor,omitempty"`
	// Port is the local HTTPS server's port; 0 means DefaultWebRTCPort.
	Port int `json:"port,omitempty"`
	// ICEServers are STUN servers (to learn this computer's public address,
	// for viewers outside the local network) and TURN servers (to relay
	// when both sides are behind strict NATs). None by default: nothing
	// goes through anyone else's server.
	ICEServers []ICEServer `json:"ice_servers,omitempty"`
}

// DefaultWebRTCPort is the local HTTPS server's port unless set.
const DefaultWebRTCPort = 8443

// ICEServer is one STUN or TURN server. A TURN server's credential is a
// secret: it is never printed.
type ICEServer struct {
	URLs       []string `json:"urls"`
	Username   string   `json:"username,omitempty"`
	Credential string   `json:"credential,omitempty"`
}

// ServerPort is the port the local HTTPS server listens on.
func (w WebRTCSettings) ServerPort() int {
	if w.Port == 0 {
		return DefaultWebRTCPort
	}
	return w.Port
}

// Validate checks the port and every ICE server's address.
func (w WebRTCSettings) Validate() error {
	if w.Port < 0 || w.Port > 65535 || (w.Port > 0 && w.Port < 1024) {
		return fmt.Errorf("webrtc port %d: use 1024 to 65535 (0 for %d)", w.Port, DefaultWebRTCPort)
	}
	for _, s := range w.ICEServers {
		if len(s.URLs) == 0 {
			return fmt.Errorf("webrtc ice_servers: each needs urls, such as stun:stun.example.net:3478")
		}
		for _, raw := range s.URLs {
			scheme, rest, ok := strings.Cut(raw, ":")
			host := strings.TrimPrefix(rest, "//")
			if i := strings.IndexAny(host, "?"); i >= 0 {
				host = host[:i]
			}
			if strings.Contains(raw, "@") {
				// Not echoed: what is before the @ may be a password.
				return fmt.Errorf("webrtc ice server: put the user name and credential in their own fields, not in the URL")
			}
			if !ok || host == "" || strings.ContainsAny(host, "/ ") {
				return fmt.Errorf("webrtc ice server %q: write stun:host[:port] or turn:host[:port][?transport=udp|tcp]", url.PathEscape(raw))
			}
			switch scheme {
			case "stun", "stuns":
			case "turn", "turns":
				if s.Username == "" || s.Credential == "" {
					return fmt.Errorf("webrtc ice server %s: a TURN server needs a username and a credential", raw)
				}
			default:
				return fmt.Errorf("webrtc ice server %q: use stun:, stuns:, turn: or turns:", url.PathEscape(raw))
			}
		}
	}
	return nil
}

// ViewersState is the phone monitor's and the private show's state, as
// the window shows it.
type ViewersState struct {
	Monitor bool   // the phone monitor is on
	Link    string // its link, token included ("" when off)
	// Fingerprint is the local server's certificate's SHA-256, which the
	// phone's certificate warning shows too.
	Fingerprint string
	Watching    int // phones watching the monitor

	Private     bool   // a private show link is open
	PrivateLink string // its link, token included
	// Call is the private show in words: "waiting for your viewer", "in a
	// call", "the viewer hung up", …
	Call   string
	InCall bool
	Err    string // the last thing that went wrong, in words
}
