package studio

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"onair/encoder"
	"onair/outputs"
)

// ErrNoDestination ends a broadcast none of whose destinations could be reached.
var ErrNoDestination = errors.New("no destination could be reached")

// BroadcastConfig is what Go Live needs.
type BroadcastConfig struct {
	Video            encoder.VideoConfig
	AudioBitrateKbps int
	// Destinations all go live (the caller leaves out the disabled ones).
	// A preset's limits decide which rendition (encoder) each shares; one
	// with dynamic bitrate gets an encoder of its own.
	Destinations []Destination
	Encoders     Encoders
	Connectors   map[outputs.Protocol]outputs.Connector
	// OnNotice hears what the performer should know while live (a dynamic
	// bitrate step), in words.
	OnNotice func(string)
	// OnEvent hears every destination state change (with its label).
	OnEvent func(outputs.Event)
	// Duration stops the broadcast after this much media (0: until cancelled).
	Duration time.Duration
	// DrainTimeout bounds how long the end of the broadcast waits for slow
	// destinations to send what is queued.
	DrainTimeout time.Duration
	Backoff      outputs.Backoff
	// DropThreshold: how far behind a destination may fall before frames drop.
	DropThreshold time.Duration
}

// Broadcast encodes the studio's program once per rendition and sends it to
// every destination. NewBroadcast opens its encoders; Run frees them when it
// returns, and Close frees those of a broadcast that never ran.
type Broadcast struct {
	cfg    BroadcastConfig
	studio *Studio

	mu      sync.Mutex
	rends   []*rendition
	dests   []*destination
	aenc    AudioEncoder
	oenc    AudioEncoder // Opus, for WebRTC destinations; nil without one
	state   runState
	destCtx context.Context
	destWG  sync.WaitGroup // every destination loop
	started time.Time
	frames  atomic.Int64 // pictures encoded
	skipped func() int64 // pictures the encoder was too slow to receive
	// lagSkipped counts pictures the encoder passed over for a newer one.
	lagSkipped atomic.Int64
	// encoders is the most video encoders open at once during the broadcast.
	encoders int
	notices  []string // what the performer should know (a hardware fallback)
	lastTick time.Time
	// rendsChanged tells the encoding loop a rendition was added while live.
	rendsChanged atomic.Bool
}

// runState is where a broadcast is in its one life.
type runState uint8

const (
	prepared runState = iota + 1 // encoders open, nothing connected
	running                      // Run is encoding: destinations may be added
	draining                     // Run is sending what is queued
	closed                       // encoders freed
)

// destination is one destination of the broadcast: what was asked, its
// loop, the rendition that feeds it and its measured rate.
type destination struct {
	resolved
	out      *outputs.Destination
	rend     *rendition
	rateKbps float64 // over the last second
	lastSent int64
}

// NewBroadcast opens the encoders (so a bad setting fails before anything
// connects) and prepares the destinations.
func NewBroadcast(st *Studio, cfg BroadcastConfig) (*Broadcast, error) {
	if len(cfg.Destinations) == 0 {
		return nil, errors.New("no destination: add at least one")
	}
	if cfg.Encoders == nil {
		return nil, errors.New("no encoders to broadcast with")
	}
	w, h := st.Size()
	if cfg.Video.Width != w || cfg.Video.Height != h || cfg.Video.FPS != st.FPS {
		return nil, fmt.Errorf("encoder %dx%d@%d does not match the canvas %dx%d@%d",
			cfg.Video.Width, cfg.Video.Height, cfg.Video.FPS, w, h, st.FPS)
	}
	if cfg.AudioBitrateKbps == 0 {
		cfg.AudioBitrateKbps = 160
	}
	if cfg.DrainTimeout == 0 {
		cfg.DrainTimeout = 5 * time.Second
	}
	ds := make([]resolved, len(cfg.Destinations))
	for i, d := range cfg.Destinations {
		r, err := d.resolve(cfg.Video.FPS)
		if err != nil {
			return nil, err
		}
		if cfg.Connectors[r.target.Protocol] == nil {
			return nil, fmt.Errorf("destination %s: %s is not supported here", d.Label(), r.target.Protocol)
		}
		ds[i] = r
	}
	b := &Broadcast{cfg: cfg, studio: st, state: prepared}
	if err := b.openRenditions(ds); err != nil {
		b.Close()
		return nil, err
	}
	return b, nil
}

// Run goes live: it connects every destination, encodes until the duration is
// reached or ctx ends, then drains the queues and closes the streams cleanly.
// It returns when every goroutine it started has ended: ErrNoDestination
// when no destination could be reached, or the capture or encoder failure
// that stopped it. A broadcast runs once.
func (b *Broadcast) Run(ctx context.Context) error {
	destCtx, destCancel := context.WithCancel(context.Background())
	defer destCancel()
	b.mu.Lock()
	if b.state != prepared {
		b.mu.Unlock()
		return errors.New("this broadcast has already run or was closed: prepare a new one")
	}
	defer b.free(draining)
	b.state, b.destCtx = running, destCtx
	b.started = time.Now()
	b.lastTick = b.started
	initial := make([]*outputs.Destination, len(b.dests))
	for i, d := range b.dests {
		initial[i] = d.out
		b.startLocked(d.out)
	}
	b.mu.Unlock()

	var helpers sync.WaitGroup
	stop := make(chan struct{})
	var noDest atomic.Bool
	helpers.Add(2)
	go func() {
		defer helpers.Done()
		if b.noneReached(initial, stop) {
			noDest.Store(true)
			destCancel()
		}
	}()
	go func() {
		defer helpers.Done()
		b.adapt(destCtx)
	}()

	err := b.encode(ctx, destCtx.Done())
	b.mu.Lock()
	b.state = draining
	for _, r := range b.rends {
		r.hub.Close()
	}
	b.mu.Unlock()
	close(stop)
	drained := make(chan struct{})
	go func() { b.destWG.Wait(); close(drained) }()
	select {
	case <-drained:
	case <-time.After(b.cfg.DrainTimeout):
		destCancel()
		<-drained
	}
	destCancel()
	helpers.Wait()
	if err != nil {
		return err
	}
	if noDest.Load() {
		return ErrNoDestination
	}
	return nil
}

// noneReached waits for the first attempt of every initial destination and
// reports whether no destination, those added since included, got through
// (false if stop closes first).
func (b *Broadcast) noneReached(initial []*outputs.Destination, stop <-chan struct{}) bool {
	for _, d := range initial {
		select {
		case <-d.FirstAttempt():
		case <-stop:
			return false
		}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, d := range b.dests {
		if d.out.Stats().EverLive {
			return false
		}
	}
	return true
}

// startLocked runs d's loop until the broadcast's destinations stop.
func (b *Broadcast) startLocked(d *outputs.Destination) {
	b.destWG.Add(1)
	go func() {
		defer b.destWG.Done()
		d.Run(b.destCtx)
	}()
}

// Close frees the encoders of a broadcast that will not run (Go Live
// abandoned). Once Run has started, Run frees them when it returns and
// Close does nothing. It may be called more than once, from any goroutine.
func (b *Broadcast) Close() { b.free(prepared) }

// free closes every encoder once, if the broadcast is in state from (Run
// frees from draining; Close only one that never ran).
func (b *Broadcast) free(from runState) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.state != from {
		return
	}
	b.state = closed
	for _, r := range b.rends {
		r.venc.Close() // the rendition stays, for the last statistics
	}
	if b.aenc != nil {
		b.aenc.Close()
	}
	if b.oenc != nil {
		b.oenc.Close()
	}
}

// Notices are what the performer should know before going live, in words
// (a hardware encoder that is missing, replaced by software).
func (b *Broadcast) Notices() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.notices...)
}

// notify tells the performer n. Never called with b.mu held: the listener
// may ask for the stats.
func (b *Broadcast) notify(n string) {
	if b.cfg.OnNotice != nil {
		b.cfg.OnNotice(n)
	}
}
