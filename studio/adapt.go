package studio

import (
	"fmt"
	"math"

	"onair/encoder"
	"onair/encoder/libav"
)

// bitrateControl is the video bitrate of one adaptive rendition (a
// destination with dynamic bitrate on, on an encoder of its own): down on
// sustained congestion, towards what the link actually carried; back up
// slowly once the link has been clear for a while. The numbers follow what
// OBS's dynamic bitrate does in spirit: react within seconds, recover over
// tens of seconds.
type bitrateControl struct {
	target, floor, cur int // kb/s
	audioKbps          int // what the destination sends besides video
	hot, calm          int // consecutive seconds congested / clear
}

const (
	hotCongestion  = 0.5 // queue half-way to the drop threshold
	calmCongestion = 0.1
	hotSeconds     = 2  // sustained: two seconds in a row
	calmSeconds    = 10 // before each step back up
)

func newBitrateControl(target, audioKbps int) *bitrateControl {
	return &bitrateControl{target: target, cur: target, floor: max(min(300, target), target/5), audioKbps: audioKbps}
}

// second takes one second of the destination's health (queue congestion
// 0–1 at the end of the second, whether it dropped frames during it, kb/s it
// sent, whether it is live) and returns the bitrate to encode at. A drop
// means the queue reached its threshold: congested, whatever the reading
// after the drop emptied it.
func (c *bitrateControl) second(congestion float64, dropped bool, sentKbps float64, live bool) int {
	if dropped {
		congestion = 1
	}
	switch {
	case !live: // reconnecting: what it sends says nothing of the link
		c.hot, c.calm = 0, 0
		return c.cur
	case congestion >= hotCongestion:
		c.hot++
		c.calm = 0
	case congestion <= calmCongestion:
		c.calm++
		c.hot = 0
	default:
		c.hot, c.calm = 0, 0
	}
	switch {
	case c.hot >= hotSeconds:
		next := c.cur * 3 / 4
		// What got through, less the sound, with a margin to drain the queue.
		if carried := int(math.Round(sentKbps*0.85)) - c.audioKbps; carried > 0 && carried < next {
			next = carried
		}
		c.cur, c.hot = max(c.floor, next), 0
	case c.calm >= calmSeconds && c.cur < c.target:
		c.cur, c.calm = min(c.target, c.cur+max(c.target/10, 100)), 0
	}
	return c.cur
}

// splitAdaptive gives every destination with dynamic bitrate (adaptive[i])
// an encoder of its own, so stepping its rate down never touches a healthy
// destination. Only libx264 can change its rate while running: others keep
// their rendition, and a notice says so.
func splitAdaptive(plan []Rendition, adaptive []bool, name func(int) string) ([]Rendition, []string) {
	var out []Rendition
	var notices []string
	var own []Rendition
	for _, r := range plan {
		kept := r
		kept.Destinations = nil
		for _, i := range r.Destinations {
			if i >= len(adaptive) || !adaptive[i] {
				kept.Destinations = append(kept.Destinations, i)
				continue
			}
			if r.Video.Codec != encoder.H264 || r.Video.Encoder != libav.Software {
				notices = append(notices, fmt.Sprintf("destination %s: dynamic bitrate needs the software H.264 encoder (libx264); it keeps a fixed %d kb/s", name(i), r.Video.BitrateKbps))
				kept.Destinations = append(kept.Destinations, i)
				continue
			}
			v := r.Video
			v.Adaptive = true
			own = append(own, Rendition{Video: v, Destinations: []int{i}})
		}
		if len(kept.Destinations) > 0 {
			out = append(out, kept)
		}
	}
	return append(out, own...), notices
}
