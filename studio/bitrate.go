package studio

import (
	"context"
	"fmt"
	"math"
	"time"

	"onair/encoder"
	"onair/outputs"
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

// restart goes back to the full rate with no history (a new destination).
func (c *bitrateControl) restart() { c.cur, c.hot, c.calm = c.target, 0, 0 }

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

// follow takes one second of a WebRTC destination's link estimate (what
// the receiver's congestion feedback says the link carries, kb/s) and
// returns the bitrate to encode at: at once below the estimate, less the
// sound and a margin, when the estimate falls under the current rate; back
// up towards it after calmSeconds of room. The estimator already smooths.
func (c *bitrateControl) follow(linkKbps int, live bool) int {
	room := linkKbps*9/10 - c.audioKbps
	switch {
	case !live:
		c.hot, c.calm = 0, 0
	case room < c.cur:
		c.cur, c.calm = max(c.floor, room), 0
	case room > c.cur && c.cur < c.target:
		c.calm++
		if c.calm >= calmSeconds {
			c.cur, c.calm = min(c.target, room, c.cur+max(c.target/10, 100)), 0
		}
	default:
		c.calm = 0
	}
	return c.cur
}

// splitAdaptive gives every destination with dynamic bitrate (adaptive(i))
// an encoder of its own, so stepping its rate down never touches a healthy
// destination. Only libx264 can change its rate while running: others keep
// their rendition, and a notice says so.
func splitAdaptive(plan []Rendition, adaptive func(int) bool, name func(int) string) ([]Rendition, []string) {
	var notices []string
	out := splitOwn(plan, func(i int, v encoder.VideoConfig) (encoder.VideoConfig, bool) {
		if !adaptive(i) {
			return v, false
		}
		if v.Codec != encoder.H264 || v.Encoder != encoder.Software {
			notices = append(notices, fmt.Sprintf("destination %s: dynamic bitrate needs the software H.264 encoder (libx264); it keeps a fixed %d kb/s", name(i), v.BitrateKbps))
			return v, false
		}
		v.Adaptive = true
		return v, true
	})
	return out, notices
}

// splitOwn takes out of plan's renditions every destination own says needs
// an encoder of its own (in the settings it returns), and gives it one,
// after the shared renditions; a rendition left with no destination goes.
func splitOwn(plan []Rendition, own func(i int, v encoder.VideoConfig) (encoder.VideoConfig, bool)) []Rendition {
	var out, alone []Rendition
	for _, r := range plan {
		kept := r
		kept.Destinations = nil
		for _, i := range r.Destinations {
			if v, ok := own(i, r.Video); ok {
				alone = append(alone, Rendition{Video: v, Destinations: []int{i}})
			} else {
				kept.Destinations = append(kept.Destinations, i)
			}
		}
		if len(kept.Destinations) > 0 {
			out = append(out, kept)
		}
	}
	return append(out, alone...)
}

// adapt runs the dynamic bitrate of adaptive renditions, those added while
// live too, once a second until ctx ends.
func (b *Broadcast) adapt(ctx context.Context) {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	last := time.Now()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-tick.C:
			dt := now.Sub(last).Seconds()
			last = now
			for _, d := range b.adaptive() {
				b.adaptSecond(d, dt)
			}
		}
	}
}

// adaptive is the destinations, not stopped, whose rendition follows their
// link.
func (b *Broadcast) adaptive() []*destination {
	b.mu.Lock()
	defer b.mu.Unlock()
	var ds []*destination
	for _, d := range b.dests {
		select {
		case <-d.out.Queue().Done():
			continue // stopped: its rendition may have a new destination
		default:
		}
		if d.rend.ctl != nil && !d.rend.fixed.Load() {
			ds = append(ds, d)
		}
	}
	return ds
}

// adaptSecond feeds one second of d's health to its rendition's control and
// carries a new rate to the encoder.
func (b *Broadcast) adaptSecond(d *destination, dt float64) {
	r := d.rend
	if r.restart.Swap(false) {
		r.ctl.restart()
		r.sent, r.dropped = 0, 0
	}
	st := d.out.Stats()
	kbps := float64(st.BytesSent-r.sent) * 8 / 1000 / dt
	r.sent = st.BytesSent
	drops := st.Queue.DroppedVideo > r.dropped
	r.dropped = st.Queue.DroppedVideo
	before := r.ctl.cur
	var k int
	why := fmt.Sprintf("congested (%.0f kb/s got through)", kbps)
	if st.LinkKbps > 0 {
		// WebRTC: the receiver says what the link carries.
		k = r.ctl.follow(st.LinkKbps, st.State == outputs.Live)
		why = fmt.Sprintf("the receiver reports %d kb/s of room", st.LinkKbps)
	} else {
		k = r.ctl.second(st.Queue.Congestion, drops, kbps, st.State == outputs.Live)
	}
	if k == before {
		return
	}
	r.want.Store(int64(k))
	if k > before {
		why = "clear again"
	}
	b.notify(fmt.Sprintf("destination %s: %s, video %d → %d kb/s", d.Label(), why, before, k))
}
