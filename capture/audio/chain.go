package audio

import (
	"math"
	"sync/atomic"
	"time"
)

// GateConfig is a noise gate as OBS has it: the gate opens when the input
// reaches OpenDB, and once open it stays open until the input falls below
// CloseDB (CloseDB ≤ OpenDB gives hysteresis, so a level between the two
// does not chatter). Opening fades in over Attack; closing waits Hold, then
// fades out over Release. Levels are dBFS of the input before the gain.
type GateConfig struct {
	OpenDB, CloseDB       float64
	Attack, Hold, Release time.Duration
}

// DefaultGate is OBS's default noise gate.
var DefaultGate = GateConfig{OpenDB: -26, CloseDB: -32, Attack: 25 * time.Millisecond, Hold: 200 * time.Millisecond, Release: 150 * time.Millisecond}

const (
	gainRamp   = StudioRate / 100 // a gain or mute change glides over 10 ms: no click
	minGainDB  = -96.0
	maxGainDB  = 30.0
	gateEnvTau = 0.02 // s: the gate's level detector falls with this time constant
)

// Chain is one input's processing, applied in place to each chunk: the noise
// gate (listening to the input), then the gain, then mute. Settings may be
// changed from any goroutine while Process runs on the audio goroutine.
type Chain struct {
	gainDB atomic.Uint64 // float64 bits
	mute   atomic.Bool
	gate   atomic.Pointer[GateConfig] // nil: no gate

	// Audio goroutine state.
	primed   bool
	applied  float64 // gain applied at the end of the last chunk
	env      float64 // gate level detector
	open     bool
	heldFor  int     // samples since the gate decided to close
	gateGain float64 // 0 closed … 1 open
}

// NewChain makes a chain at 0 dB, unmuted, with no gate.
func NewChain() *Chain { return &Chain{} }

// SetGainDB sets the gain in dB, clamped to [-96, +30].
func (c *Chain) SetGainDB(db float64) {
	if math.IsNaN(db) {
		db = 0
	}
	c.gainDB.Store(math.Float64bits(math.Max(minGainDB, math.Min(maxGainDB, db))))
}

// GainDB is the gain set.
func (c *Chain) GainDB() float64 { return math.Float64frombits(c.gainDB.Load()) }

// SetMute mutes or unmutes.
func (c *Chain) SetMute(m bool) { c.mute.Store(m) }

// Muted reports whether the input is muted.
func (c *Chain) Muted() bool { return c.mute.Load() }

// SetGate turns the gate on with cfg, or off with nil.
func (c *Chain) SetGate(cfg *GateConfig) {
	if cfg != nil {
		v := *cfg
		cfg = &v
	}
	c.gate.Store(cfg)
}

// Gate is the gate's settings, nil when off.
func (c *Chain) Gate() *GateConfig {
	if g := c.gate.Load(); g != nil {
		v := *g
		return &v
	}
	return nil
}

// Process applies the chain to a stereo chunk in place.
func (c *Chain) Process(l, r []float32) {
	n := min(len(l), len(r))
	if g := c.gate.Load(); g != nil {
		c.processGate(g, l[:n], r[:n])
	} else {
		c.open, c.gateGain = true, 1 // a gate added later starts open
	}
	target := 0.0
	if !c.mute.Load() {
		target = math.Pow(10, c.GainDB()/20)
	}
	if !c.primed {
		c.applied, c.primed = target, true
	}
	g := c.applied
	if g == target {
		if g != 1 {
			for i := range n {
				l[i] = float32(float64(l[i]) * g)
				r[i] = float32(float64(r[i]) * g)
			}
		}
		return
	}
	d := (target - g) / gainRamp
	for i := range n {
		if i < gainRamp {
			g += d
		} else {
			g = target
		}
		l[i] = float32(float64(l[i]) * g)
		r[i] = float32(float64(r[i]) * g)
	}
	if n >= gainRamp {
		c.applied = target
	} else {
		c.applied = g
	}
}

func (c *Chain) processGate(cfg *GateConfig, l, r []float32) {
	openAt, closeAt := Amp(cfg.OpenDB), Amp(min(cfg.CloseDB, cfg.OpenDB))
	attack := 1 / math.Max(1, cfg.Attack.Seconds()*StudioRate)
	release := 1 / math.Max(1, cfg.Release.Seconds()*StudioRate)
	hold := int(cfg.Hold.Seconds() * StudioRate)
	fall := math.Exp(-1 / (gateEnvTau * StudioRate))
	env, open, held, gg := c.env, c.open, c.heldFor, c.gateGain
	for i := range l {
		// Plain comparisons: math.Max's NaN handling costs half the gate.
		a, b := math.Abs(float64(l[i])), math.Abs(float64(r[i]))
		if b > a {
			a = b
		}
		if env *= fall; a > env {
			env = a
		}
		switch {
		case env >= openAt:
			open, held = true, 0
		case open && env < closeAt:
			open, held = false, 0
		}
		if open {
			if gg += attack; gg > 1 {
				gg = 1
			}
		} else if held < hold {
			held++
		} else if gg -= release; gg < 0 {
			gg = 0
		}
		l[i] = float32(float64(l[i]) * gg)
		r[i] = float32(float64(r[i]) * gg)
	}
	c.env, c.open, c.heldFor, c.gateGain = env, open, held, gg
}
