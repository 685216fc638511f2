package studio

import (
	"errors"
	"fmt"
	"slices"
	"sync/atomic"

	"onair/encoder"
	"onair/outputs"
)

// rendition is one video encoder and the hub of the destinations it feeds.
type rendition struct {
	venc   VideoEncoder
	opened encoder.VideoConfig // what it ran with when opened (a fallback included)
	hub    *encoder.Hub
	// opus: its destinations take the Opus sound (WebRTC), not AAC.
	opus    bool
	pending []*encoder.Packet // encoding goroutine only
	// An adaptive rendition's rate: ctl decides (once a second, for its one
	// destination), want carries it to the encoding goroutine.
	ctl  *bitrateControl
	want atomic.Int64
	// restart tells the bitrate control a new destination took the
	// rendition over; fixed, that the encoder refused a rate change.
	restart, fixed atomic.Bool
	// What the bitrate control saw last second (its goroutine only).
	sent, dropped int64
}

// takeOver readies an adaptive rendition for a new destination: back to its
// full rate, its control starting afresh.
func (r *rendition) takeOver() {
	r.want.Store(int64(r.venc.Asked().BitrateKbps))
	r.restart.Store(true)
}

// settings are what the encoder runs, at the rate it runs now. Safe from
// any goroutine (Config is the encoding goroutine's once it runs).
func (r *rendition) settings() encoder.VideoConfig {
	c := r.opened
	if w := r.want.Load(); w != 0 {
		c.BitrateKbps = int(w)
	}
	return c
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
	plan = splitWebRTC(plan, func(i int) bool { return ds[i].webrtc() })
	plan, notices := splitAdaptive(plan, func(i int) bool { return ds[i].adaptive() }, func(i int) string { return ds[i].Label() })
	b.notices = append(b.notices, notices...)
	for _, d := range ds {
		if n := d.clearTokenNotice(); n != "" {
			b.notices = append(b.notices, n)
		}
	}
	if b.aenc, err = b.cfg.Encoders.OpenAudio(b.cfg.AudioBitrateKbps); err != nil {
		return err
	}
	if slices.ContainsFunc(ds, resolved.webrtc) {
		if err := b.openOpus(); err != nil {
			return err
		}
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
		r, n := b.newRendition(venc, p.Video.Adaptive, ds[p.Destinations[0]].Label())
		r.opus = ds[p.Destinations[0]].webrtc() // splitWebRTC gave them their own
		if n != "" {
			b.notices = append(b.notices, fmt.Sprintf("rendition %d: %s", ri+1, n))
		}
		b.rends = append(b.rends, r)
		for _, i := range p.Destinations {
			b.dests[i] = b.newDestination(ds[i], r)
		}
	}
	b.encoders = len(b.rends)
	return nil
}

// newRendition wraps venc; adaptive (for the destination called name) when
// asked and the encoder can change its rate, otherwise a notice says not.
func (b *Broadcast) newRendition(venc VideoEncoder, adaptive bool, name string) (*rendition, string) {
	r := &rendition{venc: venc, opened: venc.Config(), hub: encoder.NewHub()}
	if !adaptive {
		return r, ""
	}
	if _, ok := venc.(BitrateSetter); !ok {
		return r, fmt.Sprintf("dynamic bitrate for %s: %s cannot change its rate while running; it keeps a fixed %d kb/s", name, venc.Config().EncoderName(), venc.Config().BitrateKbps)
	}
	r.ctl = newBitrateControl(venc.Config().BitrateKbps, b.cfg.AudioBitrateKbps)
	return r, ""
}

// openOpus opens the Opus encoder every WebRTC destination shares.
func (b *Broadcast) openOpus() error {
	o, ok := b.cfg.Encoders.(OpusOpener)
	if !ok {
		return errors.New("WHIP destinations need the Opus encoder, which this build lacks")
	}
	var err error
	b.oenc, err = o.OpenOpus(opusKbps)
	return err
}

// opusKbps is the WebRTC sound's rate: music-grade stereo Opus.
const opusKbps = 128

// splitWebRTC gives every WebRTC destination a rendition of its own in
// H.264 Constrained Baseline (what WebRTC peers decode): its keyframe
// requests reach its own encoder only.
func splitWebRTC(plan []Rendition, webrtc func(int) bool) []Rendition {
	return splitOwn(plan, func(i int, v encoder.VideoConfig) (encoder.VideoConfig, bool) {
		if !webrtc(i) {
			return v, false
		}
		// H.264 Constrained Baseline: what every WebRTC peer decodes
		// (headless Chromium answers an offer of High alone by refusing
		// the video). VAAPI and QSV are not given a profile (they encode
		// High): x264 then.
		if v.Codec != encoder.H264 || (v.Encoder != encoder.Software && v.Encoder != encoder.NVENC) {
			v.Codec, v.Encoder = encoder.H264, encoder.Software
		}
		v.Profile = "baseline"
		return v.Filled(), true
	})
}

// newDestination makes d's loop, fed by r.
func (b *Broadcast) newDestination(d resolved, r *rendition) *destination {
	conn, sound := b.cfg.Connectors[d.target.Protocol], b.aenc
	if r.opus {
		sound = b.oenc
		kc, ok1 := conn.(KeyframeConnector)
		kr, ok2 := r.venc.(KeyframeRequester)
		if ok1 && ok2 {
			conn = kc.WithKeyframeRequests(kr.RequestKeyframe)
		}
	}
	out := outputs.NewDestination(d.target, conn,
		[]encoder.Stream{r.venc.Stream(), sound.Stream()}, outputs.DestinationOptions{
			Name: d.Label(), Backoff: b.cfg.Backoff, OnEvent: b.cfg.OnEvent, DropThreshold: b.cfg.DropThreshold,
		})
	r.hub.Subscribe(out.Queue())
	return &destination{resolved: d, out: out, rend: r}
}
