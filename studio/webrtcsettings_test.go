package studio

import (
	"strings"
	"testing"
)

func TestWebRTCSettingsValidate(t *testing.T) {
	good := []WebRTCSettings{
		{},
		{Monitor: true, Port: 9443},
		{ICEServers: []ICEServer{{URLs: []string{"stun:stun.example.net:3478", "stuns:stun.example.net"}}}},
		{ICEServers: []ICEServer{{URLs: []string{"turn:turn.example.net:3478?transport=udp"}, Username: "me", Credential: "s3cret"}}},
	}
	for _, w := range good {
		if err := w.Validate(); err != nil {
			t.Errorf("%+v: %v", w, err)
		}
	}
	bad := map[string]WebRTCSettings{
		"port":             {Port: 80},
		"needs urls":       {ICEServers: []ICEServer{{}}},
		"stun:, stuns:":    {ICEServers: []ICEServer{{URLs: []string{"http://x"}}}},
		"username":         {ICEServers: []ICEServer{{URLs: []string{"turn:t.example.net"}}}},
		"their own fields": {ICEServers: []ICEServer{{URLs: []string{"turn:me:pw@t.example.net"}, Username: "me", Credential: "pw"}}},
	}
	for want, w := range bad {
		err := w.Validate()
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%+v: %v, want an error saying %q", w, err, want)
		}
	}
	// A TURN credential is never in an error.
	w := WebRTCSettings{ICEServers: []ICEServer{{URLs: []string{"turn:"}, Username: "me", Credential: "hunter2"}}}
	if err := w.Validate(); err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("%v", err)
	}
	w = WebRTCSettings{ICEServers: []ICEServer{{URLs: []string{"turn:me:hunter2@t.example.net"}}}}
	if err := w.Validate(); err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("%v", err)
	}
	if p := (WebRTCSettings{}).ServerPort(); p != DefaultWebRTCPort {
		t.Errorf("default port %d", p)
	}
}
