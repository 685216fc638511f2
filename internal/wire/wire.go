// Package wire connects onair's implementations explicitly — which source,
// which connector for which protocol — for both commands, the headless onair
// and the onair-studio window.
package wire

import (
	"io"
	"os"

	pion "github.com/pion/webrtc/v4"

	"onair/encoder"
	"onair/encoder/libav"
	"onair/outputs"
	"onair/outputs/record"
	"onair/outputs/rtmp"
	"onair/outputs/srt"
	"onair/outputs/webrtc"
	"onair/studio"
)

// Connectors wires each protocol to its implementation; WebRTC's use the
// profile's ICE servers.
func Connectors(ice []studio.ICEServer) map[outputs.Protocol]outputs.Connector {
	r := rtmp.Connector{}
	return map[outputs.Protocol]outputs.Connector{
		outputs.RTMP: r, outputs.RTMPS: r, outputs.SRT: srt.Connector{}, outputs.File: record.Connector{},
		outputs.WHIP: webrtc.Connector{ICEServers: ICEServers(ice)},
	}
}

// ICEServers turns the profile's STUN and TURN servers into pion's.
func ICEServers(ice []studio.ICEServer) []pion.ICEServer {
	var out []pion.ICEServer
	for _, s := range ice {
		out = append(out, pion.ICEServer{URLs: s.URLs, Username: s.Username, Credential: s.Credential})
	}
	return out
}

// BroadcastConfig turns a profile into Go Live settings for its enabled
// destinations.
func BroadcastConfig(p studio.Profile) studio.BroadcastConfig {
	codec, _ := studio.ParseCodec(p.Video.Codec) // validated with the profile
	if p.Video.Encoder != "" && p.Video.Encoder != encoder.Software {
		// Probe before anything is live: the probe holds FFmpeg's log
		// lines, every thread's, while it runs.
		libav.ProbeHardware()
	}
	return studio.BroadcastConfig{
		Video: encoder.VideoConfig{
			Width: p.Canvas.Width, Height: p.Canvas.Height, FPS: p.Canvas.FPS,
			BitrateKbps: p.Video.BitrateKbps, KeyframeSec: p.Video.KeyframeSec, Preset: p.Video.Preset,
			Codec: codec, Encoder: p.Video.Encoder,
		},
		AudioBitrateKbps: p.Audio.BitrateKbps,
		Destinations:     p.Enabled(),
		Encoders:         Encoders{},
		Connectors:       Connectors(p.WebRTC.ICEServers),
		Backoff:          p.Backoff(),
	}
}

// Encoders opens libav's encoders for the studio.
type Encoders struct{}

// Dynamic bitrate finds this by type assertion: keep it true.
var _ studio.BitrateSetter = (*libav.VideoEncoder)(nil)

// OpenVideo opens cfg's encoder, or software in place of a missing
// hardware one (the notice says so).
func (Encoders) OpenVideo(cfg encoder.VideoConfig) (studio.VideoEncoder, string, error) {
	e, notice, err := libav.OpenVideoEncoder(cfg)
	if err != nil {
		return nil, "", err
	}
	return e, notice, nil
}

// OpenAudio opens the AAC encoder.
func (Encoders) OpenAudio(kbps int) (studio.AudioEncoder, error) {
	e, err := libav.NewAudioEncoder(kbps)
	if err != nil {
		return nil, err
	}
	return e, nil
}

// OpenOpus opens the Opus encoder the WebRTC destinations share.
func (Encoders) OpenOpus(kbps int) (studio.AudioEncoder, error) {
	e, err := libav.NewOpusEncoder(kbps)
	if err != nil {
		return nil, err
	}
	return e, nil
}

// WHIP destinations find these by type assertion: keep them true.
var (
	_ studio.OpusOpener        = Encoders{}
	_ studio.KeyframeRequester = (*libav.VideoEncoder)(nil)
	_ studio.KeyframeConnector = webrtc.Connector{}
)

// Secrets are every destination's keys, disabled ones too: the window may
// start any of them.
func Secrets(p studio.Profile) []outputs.Target {
	var ts []outputs.Target
	for _, d := range p.Destinations {
		if t, err := d.Target(); err == nil {
			ts = append(ts, t)
		}
	}
	return ts
}

// RouteLibavLogs keeps FFmpeg's messages and libsrt's, with every secret
// masked, in the same place.
func RouteLibavLogs(w io.Writer, targets []outputs.Target) {
	RouteLibavLogsRedacted(w, outputs.NewRedactor(targets...).Redact)
}

// RouteLibavLogsRedacted is RouteLibavLogs with a redact function of the
// caller's (the window's: it learns new keys as destinations are edited).
func RouteLibavLogsRedacted(w io.Writer, redact func(string) string) {
	verbose := os.Getenv("ONAIR_DEBUG") != ""
	libav.RouteLogs(w, redact, verbose, rtmp.NoteLog)
	srt.RouteLogs(w, redact, verbose) // for the process's life: never stopped
}
