package main

import (
	"time"

	"onair/studio"
)

// statsDoc is the statistics JSON of --stats-file and of /debug/stats: one
// shape for scripts, whichever way they read it. Names are redacted.
type statsDoc struct {
	FramesEncoded    int64       `json:"frames_encoded"`
	VideoEncoders    int         `json:"video_encoders"`
	EncoderSkipped   int64       `json:"encoder_skipped"`
	CompositorMissed int64       `json:"compositor_missed"`
	AlertsShown      int64       `json:"alerts_shown"`
	AlertsSkipped    int64       `json:"alerts_skipped"`
	Destinations     []statsDest `json:"destinations"`
}

// statsDest is one destination in statsDoc.
type statsDest struct {
	Name         string  `json:"name"`
	State        string  `json:"state"`
	BytesSent    int64   `json:"bytes_sent"`
	DroppedVideo int64   `json:"dropped_video"`
	DroppedAudio int64   `json:"dropped_audio"`
	LatencyP50Ms float64 `json:"latency_p50_ms"`
	LatencyP99Ms float64 `json:"latency_p99_ms"`
	LatencyMaxMs float64 `json:"latency_max_ms"`
	VideoKbps    int     `json:"video_kbps"`
	Adaptive     bool    `json:"dynamic_bitrate"`
	Attempts     int     `json:"connect_attempts"`
	QueuedMs     float64 `json:"queued_ms"`
	Congestion   float64 `json:"congestion"` // queued / drop threshold, 0..1
}

func statsReport(s studio.BroadcastStats) statsDoc {
	out := statsDoc{FramesEncoded: s.FramesEncoded, VideoEncoders: s.VideoEncoders, EncoderSkipped: s.EncoderSkipped,
		CompositorMissed: s.Studio.Missed, AlertsShown: s.Studio.AlertsShown, AlertsSkipped: s.Studio.AlertsSkipped}
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	for _, d := range s.Destinations {
		out.Destinations = append(out.Destinations, statsDest{d.Name, d.State.String(), d.BytesSent,
			d.Queue.DroppedVideo, d.Queue.DroppedAudio, ms(d.LatencyP50), ms(d.LatencyP99), ms(d.LatencyMax), d.VideoKbps, d.Adaptive,
			d.Attempts, ms(d.Queue.Buffered), d.Queue.Congestion})
	}
	return out
}
