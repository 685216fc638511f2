package studio

import (
	"fmt"
	"sync/atomic"

	"onair/encoder"
	"onair/outputs"
)

// rendition is one video encoder and the hub of the destinations it feeds.
type rendition struct {
	venc    VideoEncoder
	hub     *encoder.Hub
	pending []*encoder.Packet // encoding goroutine only
	// An adaptive rendition's rate: ctl decides (once a second, for its one
	// destination), want carries it to the encoding goroutine.
	ctl  *bitrateControl
	want atomic.Int64
	// What the bitrate control saw last second (its goroutine only).
	sent, dropped int64
}

func (r *rendition) collect(p *encoder.Packet) { r.pending = append(r.pending, p) }

// openRenditions plans and opens the encoders for ds (the sound's too) and
// makes their destinations. On error what was opened stays for Close.
func (b *Broadcast) openRenditions(ds []resolved) error {
	presets := make([]*Preset, len(ds))
	for i, d := range ds {
		presets[i] = d.preset
	}
	plan, err := PlanRenditions(b.cfg.Video, presets)
	if err != nil {
		return err
	}
	plan, notices := splitAdaptive(plan, func(i int) bool { return ds[i].DynamicBitrate }, func(i int) string { return ds[i].Label() })
	b.notices = append(b.notices, notices...)
	if b.aenc, err = b.cfg.Encoders.OpenAudio(b.cfg.AudioBitrateKbps); err != nil {
		return err
	}
	b.dests = make([]*destination, len(ds))
	for ri, p := range plan {
		venc, notice, err := b.cfg.Encoders.OpenVideo(p.Video)
		if err != nil {
			return err
		}
		if notice != "" {
			b.notices = append(b.notices, fmt.Sprintf("rendition %d: %s", ri+1, notice))
		}
		r := b.newRendition(venc, p.Video.Adaptive)
		b.rends = append(b.rends, r)
		for _, i := range p.Destinations {
			b.dests[i] = b.newDestination(ds[i], r)
		}
	}
	b.encoders = len(b.rends)
	return nil
}

func (b *Broadcast) newRendition(venc VideoEncoder, adaptive bool) *rendition {
	r := &rendition{venc: venc, hub: encoder.NewHub()}
	if adaptive {
		r.ctl = newBitrateControl(venc.Config().BitrateKbps, b.cfg.AudioBitrateKbps)
	}
	return r
}

// newDestination makes d's loop, fed by r.
func (b *Broadcast) newDestination(d resolved, r *rendition) *destination {
	out := outputs.NewDestination(d.target, b.cfg.Connectors[d.target.Protocol],
		[]encoder.Stream{r.venc.Stream(), b.aenc.Stream()}, outputs.DestinationOptions{
			Name: d.Label(), Backoff: b.cfg.Backoff, OnEvent: b.cfg.OnEvent, DropThreshold: b.cfg.DropThreshold,
		})
	r.hub.Subscribe(out.Queue())
	return &destination{resolved: d, out: out, rend: r}
}
