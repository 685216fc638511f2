package main

import (
	"fmt"
	"io"
	"os"
	"strings"

	"onair/capture"
	"onair/capture/media"
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
