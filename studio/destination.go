package studio

import (
	"fmt"
	"net"

	"onair/outputs"
)

// Destination is one place the show goes: the one value that describes it
// from the saved profile to the broadcast and the window. What follows from
// it (the parsed target, the platform preset) is derived by its methods, so
// no setting can be lost on the way.
type Destination struct {
	// Name is what the window and the status line show ("Twitch"); empty
	// shows the URL with its secrets masked.
	Name string `json:"name,omitempty"`
	URL  string `json:"url"`
	// Preset names the platform (assets/presets.json: twitch, cam4, …) whose
	// limits the destination's encoding must respect.
	Preset  string `json:"preset,omitempty"`
	Enabled *bool  `json:"enabled,omitempty"`
	// DynamicBitrate lets the destination's video rate follow its link: it
	// gets an encoder of its own (H.264, software) that steps down on
	// sustained congestion and climbs back slowly.
	DynamicBitrate bool `json:"dynamic_bitrate,omitempty"`
}

// On reports whether the destination is enabled (the default).
func (d Destination) On() bool { return d.Enabled == nil || *d.Enabled }

// Label is what the performer sees for it: its name, or its URL masked.
func (d Destination) Label() string {
	if d.Name != "" {
		return d.Name
	}
	if t, err := outputs.ParseTarget(d.URL); err == nil {
		return t.String()
	}
	return outputs.RedactURL(d.URL)
}

// Target parses the URL.
func (d Destination) Target() (outputs.Target, error) { return outputs.ParseTarget(d.URL) }

// Platform is the destination's platform preset (nil: none).
func (d Destination) Platform() (*Preset, error) {
	if d.Preset == "" {
		return nil, nil
	}
	return FindPreset(d.Preset)
}

// resolved is a destination with its URL and preset checked against the
// canvas's frame rate.
type resolved struct {
	Destination
	target outputs.Target
	preset *Preset
}

// adaptive says whether its rate follows its link: dynamic bitrate on, and
// not a recording (a file takes whatever rate comes). A WHIP destination
// always follows its receiver's congestion feedback, as WebRTC senders do;
// onair's own viewers share one rendition and stay at its rate.
func (r resolved) adaptive() bool {
	switch r.target.Protocol {
	case outputs.File, outputs.Viewers:
		return false
	case outputs.WHIP:
		return true
	}
	return r.DynamicBitrate
}

// webrtc says whether it is a WebRTC destination: a rendition of its own
// (H.264, so its keyframe requests touch nobody else) with Opus sound.
// onair's own viewers (outputs.Viewers) are one such destination: the phone
// monitor's viewers and the private show's share its rendition.
func (r resolved) webrtc() bool {
	return r.target.Protocol == outputs.WHIP || r.target.Protocol == outputs.Viewers
}

// clearTokenNotice warns of a WHIP token sent over plain HTTP beyond this
// computer's own network: anyone on the way can read it.
func (r resolved) clearTokenNotice() string {
	t := r.target
	if t.Protocol != outputs.WHIP || t.TLS || t.Token == "" {
		return ""
	}
	if ip := net.ParseIP(t.Host); ip != nil && (ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast()) {
		return ""
	}
	if t.Host == "localhost" {
		return ""
	}
	return fmt.Sprintf("destination %s: its WHIP token travels over plain HTTP to %s, readable by anyone on the way — use whip+https:// unless that server is on your own network", r.Label(), t.Host)
}

func (d Destination) resolve(fps int) (resolved, error) {
	r := resolved{Destination: d}
	var err error
	if r.target, err = d.Target(); err != nil {
		return r, err
	}
	if r.preset, err = d.Platform(); err != nil {
		return r, fmt.Errorf("destination %s: %w", d.Label(), err)
	}
	if p := r.preset; p != nil && p.MaxFPS > 0 && fps > p.MaxFPS {
		return r, fmt.Errorf("destination %s: %s takes at most %d fps; the canvas runs at %d", d.Label(), p.Name, p.MaxFPS, fps)
	}
	return r, nil
}

// Check says why the destination cannot be used on a canvas at fps (nil:
// it can), in words that never show its key.
func (d Destination) Check(fps int) error {
	_, err := d.resolve(fps)
	return err
}
