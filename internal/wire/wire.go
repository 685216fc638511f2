// Package wire connects onair's implementations explicitly — which source,
// which connector for which protocol — for both commands, the headless onair
// and the onair-studio window.
package wire

import (
	"fmt"
	"io"
	"os"
	"strings"

	"onair/capture"
	"onair/capture/media"
	"onair/encoder/libav"
	"onair/outputs"
	"onair/outputs/record"
	"onair/outputs/rtmp"
	"onair/outputs/srt"
	"onair/studio"
)

// Connectors wires each protocol to its implementation.
func Connectors() map[outputs.Protocol]outputs.Connector {
	r := rtmp.Connector{}
	return map[outputs.Protocol]outputs.Connector{
		outputs.RTMP: r, outputs.RTMPS: r, outputs.SRT: srt.Connector{}, outputs.File: record.Connector{},
	}
}

// NewStudio builds the preview pipeline a profile describes.
func NewStudio(p studio.Profile) (*studio.Studio, error) {
	c := p.Canvas
	switch {
	case p.Source == "testcard":
		tc, err := capture.NewTestCard(c.Width, c.Height, c.FPS)
		if err != nil {
			return nil, err
		}
		return studio.NewStudio(c.Width, c.Height, c.FPS, tc, capture.Tone{}), nil
	case strings.HasPrefix(p.Source, "file:"):
		f, err := media.Open(strings.TrimPrefix(p.Source, "file:"), c.Width, c.Height, c.FPS)
		if err != nil {
			return nil, err
		}
		return studio.NewStudio(c.Width, c.Height, c.FPS, f, f), nil
	}
	return nil, fmt.Errorf("source %q is not available (use testcard or file:PATH)", p.Source)
}

// BroadcastConfig turns a profile into Go Live settings.
func BroadcastConfig(p studio.Profile, targets []outputs.Target) studio.BroadcastConfig {
	codec, _ := studio.ParseCodec(p.Video.Codec) // validated with the profile
	return studio.BroadcastConfig{
		Video: libav.VideoConfig{
			Width: p.Canvas.Width, Height: p.Canvas.Height, FPS: p.Canvas.FPS,
			BitrateKbps: p.Video.BitrateKbps, KeyframeSec: p.Video.KeyframeSec, Preset: p.Video.Preset,
			Codec: codec, Encoder: p.Video.Encoder,
		},
		AudioBitrateKbps: p.Audio.BitrateKbps,
		Targets:          targets,
		Presets:          presets(p),
		Adaptive:         p.Adaptive(),
		Connectors:       Connectors(),
	}
}

// RouteLibavLogs keeps FFmpeg's messages and libsrt's, with every secret
// masked, in the same place.
func RouteLibavLogs(w io.Writer, targets []outputs.Target) {
	redact, verbose := outputs.NewRedactor(targets...).Redact, os.Getenv("ONAIR_DEBUG") != ""
	libav.RouteLogs(w, redact, verbose, rtmp.NoteLog)
	srt.RouteLogs(w, redact, verbose) // for the process's life: never stopped
}

// presets are the profile's per-destination platform presets (validated
// with the profile; nil when there are none).
func presets(p studio.Profile) []*studio.Preset {
	ps, err := p.Presets()
	if err != nil {
		return nil
	}
	return ps
}
