package studio

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"onair/capture"
	"onair/encoder"
	"onair/encoder/libav"
	"onair/outputs"
)

// ErrNoDestination ends a broadcast none of whose destinations could be reached.
var ErrNoDestination = errors.New("no destination could be reached")

// BroadcastConfig is what Go Live needs.
type BroadcastConfig struct {
	Video            libav.VideoConfig
	AudioBitrateKbps int
	Targets          []outputs.Target
	// Presets[i], when set, is Targets[i]'s platform: its limits decide which
	// rendition (encoder) the destination shares.
	Presets []*Preset
	// Adaptive[i] turns on dynamic bitrate for Targets[i]: it gets an encoder
	// of its own whose rate follows its link.
	Adaptive []bool
	// OnNotice hears what the performer should know while live (a dynamic
	// bitrate step), in words.
	OnNotice func(string)
	// Duration stops the broadcast after this much media (0: until cancelled).
	Duration   time.Duration
	Connectors map[outputs.Protocol]outputs.Connector
	// OnEvent hears every destination state change (with its redacted name).
	OnEvent func(outputs.Event)
	// DrainTimeout bounds how long the end of the broadcast waits for slow
	// destinations to send what is queued.
	DrainTimeout time.Duration
	Backoff      outputs.Backoff
	// DropThreshold: how far behind a destination may fall before frames drop.
	DropThreshold time.Duration
}

// Broadcast encodes the studio's program once and sends it to every destination.
type Broadcast struct {
	cfg    BroadcastConfig
	studio *Studio
	rends  []*rendition
	aenc   *libav.AudioEncoder
	dests  []*outputs.Destination
	destR  []int // destination i's rendition

	mu       sync.Mutex
	live     bool // destinations may be added (Run is sending)
	destCtx  context.Context
	destWG   *sync.WaitGroup
	started  time.Time
	frames   int64
	skipped  func() int64
	rates    []float64 // kb/s per destination over the last second
	lastSent []int64
	lastTick time.Time
	encoders int      // most video encoders seen open during the broadcast
	notices  []string // what the performer should know (a hardware fallback)
	closed   bool     // the encoders are freed
	// rendsChanged tells the encoding loop a rendition was added while live.
	rendsChanged atomic.Bool
}

// rendition is one video encoder and the hub of the destinations it feeds.
type rendition struct {
	venc    *libav.VideoEncoder
	hub     *encoder.Hub
	pending []*encoder.Packet
	// An adaptive rendition's rate: ctl decides (once a second, for dest),
	// want carries it to the encoding goroutine.
	ctl  *bitrateControl
	dest int
	want atomic.Int64
}

func (r *rendition) collect(p *encoder.Packet) { r.pending = append(r.pending, p) }

// NewBroadcast opens the encoders (so a bad setting fails before anything
// connects) and prepares the destinations.
func NewBroadcast(st *Studio, cfg BroadcastConfig) (*Broadcast, error) {
	if len(cfg.Targets) == 0 {
		return nil, errors.New("no destination: add at least one")
	}
	w, h := st.Size()
	if cfg.Video.Width != w || cfg.Video.Height != h || cfg.Video.FPS != st.FPS {
		return nil, fmt.Errorf("encoder %dx%d@%d does not match the canvas %dx%d@%d",
			cfg.Video.Width, cfg.Video.Height, cfg.Video.FPS, w, h, st.FPS)
	}
	for _, t := range cfg.Targets {
		if cfg.Connectors[t.Protocol] == nil {
			return nil, fmt.Errorf("destination %s: %s is not supported here", t, t.Protocol)
		}
	}
	if cfg.AudioBitrateKbps == 0 {
		cfg.AudioBitrateKbps = 160
	}
	if cfg.DrainTimeout == 0 {
		cfg.DrainTimeout = 5 * time.Second
	}
	presets := cfg.Presets
	if len(presets) == 0 {
		presets = make([]*Preset, len(cfg.Targets))
	}
	if len(presets) != len(cfg.Targets) {
		return nil, errors.New("one preset (or none) per destination")
	}
	plan, err := PlanRenditions(cfg.Video, presets)
	if err != nil {
		return nil, err
	}
	plan, notices := splitAdaptive(plan, cfg.Adaptive, func(i int) string { return cfg.Targets[i].String() })
	b := &Broadcast{cfg: cfg, studio: st, destR: make([]int, len(cfg.Targets)), notices: notices}
	if b.aenc, err = libav.NewAudioEncoder(cfg.AudioBitrateKbps); err != nil {
		return nil, err
	}
	for ri, r := range plan {
		venc, notice, err := libav.OpenVideoEncoder(r.Video)
		if err != nil {
			b.close()
			return nil, err
		}
		if notice != "" {
			b.notices = append(b.notices, fmt.Sprintf("rendition %d: %s", ri+1, notice))
		}
		rd := &rendition{venc: venc, hub: encoder.NewHub()}
		if r.Video.Adaptive {
			rd.ctl, rd.dest = newBitrateControl(r.Video.BitrateKbps, cfg.AudioBitrateKbps), r.Destinations[0]
		}
		b.rends = append(b.rends, rd)
		for _, i := range r.Destinations {
			b.destR[i] = ri
		}
	}
	for i, t := range cfg.Targets {
		r := b.rends[b.destR[i]]
		streams := []encoder.Stream{r.venc.Stream(), b.aenc.Stream()}
		d := outputs.NewDestination(t, cfg.Connectors[t.Protocol], streams, outputs.DestinationOptions{
			Backoff: cfg.Backoff, OnEvent: cfg.OnEvent, DropThreshold: cfg.DropThreshold,
		})
		r.hub.Subscribe(d.Queue())
		b.dests = append(b.dests, d)
	}
	b.rates = make([]float64, len(b.dests))
	b.lastSent = make([]int64, len(b.dests))
	return b, nil
}

// Run goes live: it connects every destination, encodes until the duration is
// reached or ctx ends, then drains the queues and closes the streams cleanly.
// It returns ErrNoDestination when no destination could be reached, or the
// capture or encoder failure that stopped it.
func (b *Broadcast) Run(ctx context.Context) error {
	defer b.close()
	b.mu.Lock()
	b.started = time.Now()
	b.lastTick = b.started
	b.encoders = libav.OpenVideoEncoders()
	b.mu.Unlock()

	destCtx, destCancel := context.WithCancel(context.Background())
	defer destCancel()
	var wg sync.WaitGroup
	b.mu.Lock()
	b.live, b.destCtx, b.destWG = true, destCtx, &wg
	initial := slices.Clone(b.dests)
	for _, d := range initial {
		b.startLocked(d)
	}
	b.mu.Unlock()
	stop := make(chan struct{})
	var noDest bool
	go func() {
		for _, d := range initial {
			select {
			case <-d.FirstAttempt():
			case <-stop:
				return
			}
		}
		for _, d := range initial {
			if d.Stats().EverLive {
				return
			}
		}
		b.mu.Lock()
		noDest = true
		b.mu.Unlock()
		destCancel()
	}()

	go b.adapt(destCtx)
	err := b.encode(ctx, destCtx.Done())
	b.mu.Lock()
	b.live = false
	b.mu.Unlock()
	close(stop)
	b.mu.Lock()
	for _, r := range b.rends {
		r.hub.Close()
	}
	b.mu.Unlock()
	drained := make(chan struct{})
	go func() { wg.Wait(); close(drained) }()
	select {
	case <-drained:
	case <-time.After(b.cfg.DrainTimeout):
		destCancel()
		<-drained
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if err != nil {
		return err
	}
	if noDest {
		return ErrNoDestination
	}
	return nil
}

// adapt runs the dynamic bitrate of adaptive renditions, once a second,
// until ctx ends.
func (b *Broadcast) adapt(ctx context.Context) {
	var ctls []*rendition
	for _, r := range b.rends {
		if r.ctl != nil {
			ctls = append(ctls, r)
		}
	}
	if len(ctls) == 0 {
		return
	}
	sent, dropped := make([]int64, len(ctls)), make([]int64, len(ctls))
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
			for i, r := range ctls {
				b.mu.Lock()
				d := b.dests[r.dest]
				b.mu.Unlock()
				st := d.Stats()
				kbps := float64(st.BytesSent-sent[i]) * 8 / 1000 / dt
				sent[i] = st.BytesSent
				before := r.ctl.cur
				drops := st.Queue.DroppedVideo > dropped[i]
				dropped[i] = st.Queue.DroppedVideo
				k := r.ctl.second(st.Queue.Congestion, drops, kbps, st.State == outputs.Live)
				if k == before {
					continue
				}
				r.want.Store(int64(k))
				if b.cfg.OnNotice != nil {
					why := fmt.Sprintf("congested (%.0f kb/s got through)", kbps)
					if k > before {
						why = "clear again"
					}
					b.cfg.OnNotice(fmt.Sprintf("destination %s: %s, video %d → %d kb/s", d.Target, why, before, k))
				}
			}
		}
	}
}

func (b *Broadcast) encode(ctx context.Context, abort <-chan struct{}) error {
	frames, skipped, stopVideo := b.studio.SubscribeVideo(8)
	defer stopVideo()
	chunks, _, stopAudio := b.studio.SubscribeAudio(128)
	defer stopAudio()
	b.mu.Lock()
	b.skipped = skipped
	rends := slices.Clone(b.rends) // renditions added while live join between pictures
	b.mu.Unlock()

	fps := int64(b.cfg.Video.FPS)
	clock := b.studio.Clock
	// Start on the next frame slot; audio starts at the same instant.
	now := clock.Now()
	seq0 := (int64(now)*fps + int64(time.Second) - 1) / int64(time.Second)
	t0 := time.Duration(seq0) * time.Second / time.Duration(fps)
	s0 := int64(t0) * capture.SampleRate / int64(time.Second)
	endSeq, endSample := int64(-1), int64(-1)
	if b.cfg.Duration > 0 {
		endSeq = seq0 + int64(b.cfg.Duration)*fps/int64(time.Second)
		endSample = s0 + int64(b.cfg.Duration)*capture.SampleRate/int64(time.Second)
	}
	videoDone, audioDone := false, false
	// Packets go out in one batch per picture: the sound encoded since the last
	// picture rides with it, so each destination wakes once a frame, not once
	// a packet (audio waits at most one frame interval). Sound is encoded once
	// for every rendition.
	var sound, batch []*encoder.Packet
	publishSound := func(p *encoder.Packet) { sound = append(sound, p) }
	flush := func() {
		for _, r := range rends {
			batch = append(append(batch[:0], sound...), r.pending...)
			r.hub.PublishBatch(batch)
			clear(r.pending)
			r.pending = r.pending[:0]
		}
		clear(batch)
		clear(sound)
		sound = sound[:0]
	}
	defer flush()
	for !(videoDone && audioDone) {
		select {
		case <-ctx.Done():
			videoDone, audioDone = true, true
		case <-abort:
			videoDone, audioDone = true, true
		case f := <-frames:
			if b.rendsChanged.Swap(false) {
				b.mu.Lock()
				rends = slices.Clone(b.rends)
				b.mu.Unlock()
			}
			if f.Seq < seq0 || videoDone {
				f.Release()
				continue
			}
			if endSeq >= 0 && f.Seq >= endSeq {
				f.Release()
				videoDone = true
				continue
			}
			for _, r := range rends {
				if w := int(r.want.Load()); w != 0 && w != r.venc.Config().BitrateKbps {
					if err := r.venc.SetBitrate(w); err != nil {
						f.Release()
						return err
					}
				}
				if err := r.venc.Encode(f, f.Seq-seq0, clock.Wall(f.At), r.collect); err != nil {
					f.Release()
					return err
				}
			}
			f.Release()
			flush()
			b.mu.Lock()
			b.frames++
			b.mu.Unlock()
		case c := <-chunks:
			lo, hi := c.Start, c.Start+int64(len(c.Samples[0]))
			if audioDone || hi <= s0 {
				c.Release()
				continue
			}
			if endSample >= 0 && hi > endSample {
				hi = endSample
				audioDone = true
			}
			from := max(lo, s0)
			part := &capture.AudioChunk{Start: from}
			for ch := range part.Samples {
				part.Samples[ch] = c.Samples[ch][from-lo : hi-lo]
			}
			err := b.aenc.Encode(part, from-s0, clock.Wall(c.At()), publishSound)
			c.Release() // Encode copied the samples
			if err != nil {
				return err
			}
		}
	}
	for _, r := range rends {
		if err := r.venc.Flush(r.collect); err != nil {
			return err
		}
	}
	return b.aenc.Flush(publishSound)
}

func (b *Broadcast) startLocked(d *outputs.Destination) {
	b.destWG.Add(1)
	go func() {
		defer b.destWG.Done()
		d.Run(b.destCtx)
	}()
}

// AddDestination starts sending to t while live, without touching the
// others. It joins the rendition whose settings its preset accepts, or gets
// a new encoder that joins from the next picture; either way it starts at a
// keyframe with fresh headers.
func (b *Broadcast) AddDestination(t outputs.Target, p *Preset) (int, error) {
	c := b.cfg.Connectors[t.Protocol]
	if c == nil {
		return 0, fmt.Errorf("destination %s: %s is not supported here", t, t.Protocol)
	}
	want, err := p.Constrain(b.cfg.Video.Filled())
	if err != nil {
		return 0, fmt.Errorf("destination %s: %w", t, err)
	}
	same := func(r *rendition) bool { return r.venc.Asked() == want }
	b.mu.Lock()
	live, ri := b.live, slices.IndexFunc(b.rends, same)
	b.mu.Unlock()
	if !live {
		return 0, fmt.Errorf("destination %s: the broadcast is not running", t)
	}
	var fresh *rendition
	var notice string
	if ri < 0 {
		// Opening an encoder takes a moment: not while holding the lock the
		// statistics need.
		venc, n, err := libav.OpenVideoEncoder(want)
		if err != nil {
			return 0, fmt.Errorf("destination %s: %w", t, err)
		}
		fresh, notice = &rendition{venc: venc, hub: encoder.NewHub()}, n
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.live {
		if fresh != nil {
			fresh.venc.Close()
		}
		return 0, fmt.Errorf("destination %s: the broadcast is not running", t)
	}
	if fresh != nil {
		if ri = slices.IndexFunc(b.rends, same); ri >= 0 {
			fresh.venc.Close() // another caller opened the same meanwhile
		} else {
			b.rends = append(b.rends, fresh)
			ri = len(b.rends) - 1
			b.encoders = max(b.encoders, libav.OpenVideoEncoders())
			b.rendsChanged.Store(true)
			if notice != "" {
				notice = fmt.Sprintf("rendition %d: %s", ri+1, notice)
				b.notices = append(b.notices, notice)
				if b.cfg.OnNotice != nil {
					b.cfg.OnNotice(notice)
				}
			}
		}
	}
	r := b.rends[ri]
	d := outputs.NewDestination(t, c, []encoder.Stream{r.venc.Stream(), b.aenc.Stream()}, outputs.DestinationOptions{
		Backoff: b.cfg.Backoff, OnEvent: b.cfg.OnEvent, DropThreshold: b.cfg.DropThreshold,
	})
	r.hub.Subscribe(d.Queue())
	b.dests = append(b.dests, d)
	b.destR = append(b.destR, ri)
	b.rates = append(b.rates, 0)
	b.lastSent = append(b.lastSent, 0)
	b.cfg.Targets = append(b.cfg.Targets, t)
	b.startLocked(d)
	return len(b.dests) - 1, nil
}

// RemoveDestination stops destination i while live, without touching the
// others: it sends what it has queued and closes its stream cleanly.
func (b *Broadcast) RemoveDestination(i int) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if i < 0 || i >= len(b.dests) || b.closed {
		return fmt.Errorf("no destination %d in this broadcast", i)
	}
	b.rends[b.destR[i]].hub.Unsubscribe(b.dests[i].Queue())
	return nil
}

// Notices are what the performer should know before going live, in words
// (a hardware encoder that is missing, replaced by software).
func (b *Broadcast) Notices() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.notices)
}

// ReconnectDestination retries destination i at once while live: it cuts
// its reconnect wait short, or runs a destination whose loop ended in
// failure again. One that was stopped (RemoveDestination) is started anew
// with AddDestination.
func (b *Broadcast) ReconnectDestination(i int) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if i < 0 || i >= len(b.dests) || b.closed {
		return fmt.Errorf("no destination %d in this broadcast", i)
	}
	d := b.dests[i]
	if !b.live {
		return fmt.Errorf("destination %s: the broadcast is not running", d.Target)
	}
	err := d.ReconnectNow()
	if !errors.Is(err, outputs.ErrNotRunning) {
		return err
	}
	select {
	case <-d.Queue().Done():
		return fmt.Errorf("destination %s was stopped: start it again", d.Target)
	default:
	}
	b.startLocked(d)
	return nil
}

// Renditions describes each encoder and the destinations it feeds, in words.
func (b *Broadcast) Renditions() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []string
	for ri, r := range b.rends {
		var names []string
		for i, t := range b.cfg.Targets {
			if b.destR[i] == ri {
				names = append(names, t.String())
			}
		}
		out = append(out, fmt.Sprintf("rendition %d: %s — for %s", ri+1, r.venc.Config().Describe(), strings.Join(names, ", ")))
	}
	return out
}

// close frees the encoders.
func (b *Broadcast) close() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return
	}
	b.closed = true
	for _, r := range b.rends {
		r.venc.Close() // the rendition stays, for the last statistics
	}
	if b.aenc != nil {
		b.aenc.Close()
		b.aenc = nil
	}
}

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
	s := BroadcastStats{
		VideoEncoders: max(b.encoders, libav.OpenVideoEncoders()), FramesEncoded: b.frames, Studio: b.studio.Stats(),
	}
	b.encoders = s.VideoEncoders
	if !b.started.IsZero() {
		s.Elapsed = time.Since(b.started)
	}
	if b.skipped != nil {
		s.EncoderSkipped = b.skipped()
	}
	now := time.Now()
	dt := now.Sub(b.lastTick)
	for i, d := range b.dests {
		ds := d.Stats()
		if dt >= time.Second {
			b.rates[i] = float64(ds.BytesSent-b.lastSent[i]) * 8 / 1000 / dt.Seconds()
			b.lastSent[i] = ds.BytesSent
		}
		r := b.rends[b.destR[i]]
		video := r.venc.Asked().BitrateKbps
		if w := r.want.Load(); w != 0 {
			video = int(w)
		}
		s.Destinations = append(s.Destinations, DestinationStatus{
			DestinationStats: ds, BitrateKbps: b.rates[i], Rendition: b.destR[i] + 1, VideoKbps: video, Adaptive: r.ctl != nil,
		})
	}
	if dt >= time.Second {
		b.lastTick = now
	}
	return s
}
