package main

import (
	"fmt"
	"io"
	"os"

	"onair/capture"
	"onair/encoder/libav"
	"onair/outputs"
	"onair/outputs/rtmp"
	"onair/outputs/srt"
	"onair/studio"
)

// connectors wires each protocol to its implementation.
func connectors() map[outputs.Protocol]outputs.Connector {
	r := rtmp.Connector{}
	return map[outputs.Protocol]outputs.Connector{
		outputs.RTMP: r, outputs.RTMPS: r, outputs.SRT: srt.Connector{},
	}
}

// newStudio builds the preview pipeline a profile describes.
func newStudio(p studio.Profile) (*studio.Studio, error) {
	c := p.Canvas
	var src capture.VideoSource
	switch p.Source {
	case "testcard":
		tc, err := capture.NewTestCard(c.Width, c.Height, c.FPS)
		if err != nil {
			return nil, err
		}
		src = tc
	default:
		return nil, fmt.Errorf("source %q is not available (use testcard)", p.Source)
	}
	return studio.NewStudio(c.Width, c.Height, c.FPS, src, capture.Tone{}), nil
}

// broadcastConfig turns a profile into Go Live settings.
func broadcastConfig(p studio.Profile, targets []outputs.Target) studio.BroadcastConfig {
	return studio.BroadcastConfig{
		Video: libav.VideoConfig{
			Width: p.Canvas.Width, Height: p.Canvas.Height, FPS: p.Canvas.FPS,
			BitrateKbps: p.Video.BitrateKbps, KeyframeSec: p.Video.KeyframeSec, Preset: p.Video.Preset,
		},
		AudioBitrateKbps: p.Audio.BitrateKbps,
		Targets:          targets,
		Connectors:       connectors(),
	}
}

// routeLibavLogs keeps FFmpeg's messages, with every secret masked.
func routeLibavLogs(w io.Writer, targets []outputs.Target) {
	libav.RouteLogs(w, outputs.NewRedactor(targets...).Redact, os.Getenv("ONAIR_DEBUG") != "")
}
