package audio

import (
	"slices"
	"sync"
	"sync/atomic"
)

// Source fills stereo samples for a span of the studio clock: start is the
// studio sample index (48 kHz, from studio time zero). A Ring, the test tone
// and a media file's sound are sources; so is the Mixer itself.
type Source interface {
	Fill(start int64, l, r []float32)
}

// Input is one source in the mixer with its own chain and meter (metered
// after the chain: what it adds to the program). Change its settings through
// Chain from any goroutine; read Meter from any goroutine.
type Input struct {
	Name   string
	Source Source
	Chain  *Chain
	Meter  *Meter

	l, r []float32 // scratch, owned by the mixer's Fill
	rec  atomic.Pointer[Recorder]
}

// Mixer sums its inputs into the program, which it serves as a Source: give
// it to the studio as its audio. Inputs may be added, removed, muted and
// adjusted while it runs. The program is hard-clamped to ±1: below full scale
// the mix is untouched (a soft clipper would colour every loud passage), and
// the encoders could not carry more anyway; the program meter's clip light
// and Clamped say when it happened.
type Mixer struct {
	mu     sync.Mutex
	inputs []*Input

	// Program meters the mix after the clamp.
	Program *Meter
	clamped atomic.Int64
}

// NewMixer makes an empty mixer: it plays silence.
func NewMixer() *Mixer { return &Mixer{Program: NewMeter()} }

// scratchSize covers a 30 fps tick (1600 samples) and then some; a larger
// Fill grows the scratch once.
const scratchSize = 2048

// Add puts src into the mix at 0 dB, unmuted, and returns its input.
func (m *Mixer) Add(name string, src Source) *Input {
	in := &Input{
		Name: name, Source: src, Chain: NewChain(), Meter: NewMeter(),
		l: make([]float32, scratchSize), r: make([]float32, scratchSize),
	}
	m.mu.Lock()
	m.inputs = append(m.inputs, in)
	m.mu.Unlock()
	return in
}

// Remove takes in out of the mix; it reports whether it was there. Once it
// returns, the mixer no longer calls in.Source.
func (m *Mixer) Remove(in *Input) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	i := slices.Index(m.inputs, in)
	if i < 0 {
		return false
	}
	m.inputs = slices.Delete(m.inputs, i, i+1)
	return true
}

// Inputs lists the inputs in mixing order.
func (m *Mixer) Inputs() []*Input {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.inputs)
}

// Clamped counts program samples (per channel) that were beyond ±1 and clamped.
func (m *Mixer) Clamped() int64 { return m.clamped.Load() }

// Fill mixes the studio samples [start, start+len(l)) into l and r. Each
// input's source is asked for the same span, so sources stay on one timeline.
func (m *Mixer) Fill(start int64, l, r []float32) {
	n := min(len(l), len(r))
	l, r = l[:n], r[:n]
	clear(l)
	clear(r)
	m.mu.Lock()
	for _, in := range m.inputs {
		if cap(in.l) < n {
			in.l, in.r = make([]float32, n), make([]float32, n)
		}
		il, ir := in.l[:n], in.r[:n]
		in.Source.Fill(start, il, ir)
		in.Chain.Process(il, ir)
		in.Meter.Update(il, ir)
		if rec := in.rec.Load(); rec != nil && rec.write(il, ir) {
			in.rec.CompareAndSwap(rec, nil)
		}
		for i := range n {
			l[i] += il[i]
			r[i] += ir[i]
		}
	}
	m.mu.Unlock()
	var clamped int64
	for _, s := range [2][]float32{l, r} {
		for i, v := range s {
			switch {
			case v > 1:
				s[i] = 1
				clamped++
			case v < -1:
				s[i] = -1
				clamped++
			case v != v: // NaN (a broken source, Inf×0 on a muted one): the encoder refuses it
				s[i] = 0
				clamped++
			}
		}
	}
	if clamped > 0 {
		m.clamped.Add(clamped)
	}
	m.Program.Update(l, r)
}
