package studio

import (
	"time"

	"onair/outputs"
)

// BroadcastStats is a once-a-second snapshot for the status line and the UI.
type BroadcastStats struct {
	Elapsed        time.Duration
	VideoEncoders  int
	FramesEncoded  int64
	EncoderSkipped int64 // frames the encoder was too slow to take
	Studio         StudioStats
	Destinations   []DestinationStatus
}

// DestinationStatus is one destination's health with its current bitrate.
type DestinationStatus struct {
	outputs.DestinationStats
	BitrateKbps float64
	// Rendition numbers the encoder feeding this destination (from 1).
	Rendition int
	// VideoKbps is the rate its encoder runs at now (it moves with dynamic
	// bitrate); Adaptive says whether it may.
	VideoKbps int
	Adaptive  bool
}

// Stats returns a snapshot; bitrates are measured between calls at least a
// second apart.
func (b *Broadcast) Stats() BroadcastStats {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := BroadcastStats{VideoEncoders: b.encoders, FramesEncoded: b.frames.Load(), Studio: b.studio.Stats()}
	if !b.started.IsZero() {
		s.Elapsed = time.Since(b.started)
	}
	s.EncoderSkipped = b.lagSkipped.Load()
	if b.skipped != nil {
		s.EncoderSkipped += b.skipped()
	}
	now := time.Now()
	dt := now.Sub(b.lastTick)
	for _, d := range b.dests {
		ds := d.out.Stats()
		if dt >= time.Second {
			d.rateKbps = float64(ds.BytesSent-d.lastSent) * 8 / 1000 / dt.Seconds()
			d.lastSent = ds.BytesSent
		}
		r := d.rend
		video := r.venc.Asked().BitrateKbps
		if w := r.want.Load(); w != 0 {
			video = int(w)
		}
		s.Destinations = append(s.Destinations, DestinationStatus{
			DestinationStats: ds, BitrateKbps: d.rateKbps, Rendition: b.renditionNumber(r), VideoKbps: video, Adaptive: r.ctl != nil,
		})
	}
	if dt >= time.Second {
		b.lastTick = now
	}
	return s
}

// renditionNumber is r's number, from 1. Called with b.mu held.
func (b *Broadcast) renditionNumber(r *rendition) int {
	for i, x := range b.rends {
		if x == r {
			return i + 1
		}
	}
	return 0
}
