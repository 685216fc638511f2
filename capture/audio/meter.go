package audio

import (
	"math"
	"sync"
	"time"
)

// Meter timings. They count audio time (samples metered), not wall time, so
// the meter is deterministic and freezes with the sound.
const (
	meterBlock   = StudioRate / 100 // 10 ms blocks
	meterWindow  = 30               // blocks: peak and RMS over the last 300 ms
	PeakHoldTime = 1500 * time.Millisecond
	PeakFallDBs  = 20.0 // after the hold, the held peak falls this many dB a second
	ClipHoldTime = 3 * time.Second
)

// ChannelLevel is one channel's reading, in dBFS (never below FloorDB).
type ChannelLevel struct {
	PeakDB float64 // highest |sample| over the last 300 ms
	RMSDB  float64 // RMS over the last 300 ms (a full-scale sine reads -3.01)
	HoldDB float64 // the peak hold: the highest peak, held 1.5 s, then falling 20 dB/s
	// Clip is the clip light: lit when a sample reached |x| ≥ 1.0 (0 dBFS),
	// and kept lit until 3 s of audio have passed without one.
	Clip bool
}

// Level is the colour of the peak.
func (c ChannelLevel) Level() Level { return Classify(c.PeakDB) }

// Reading is a meter's snapshot, left then right.
type Reading struct {
	Channels [2]ChannelLevel
}

// Meter measures a stereo signal chunk by chunk. Update runs on the audio
// goroutine; Read may be called from any goroutine (the UI) at any time.
type Meter struct {
	mu   sync.Mutex
	snap Reading

	// Audio goroutine state.
	blocks   [meterWindow]meterBlockStats
	nblocks  int // complete blocks so far, up to meterWindow
	head     int // next block slot
	cur      meterBlockStats
	hold     [2]float64 // held peak, dBFS
	holdAge  [2]int     // samples since the held peak was set
	clipAge  int        // samples since the last clipped sample
	clipSeen bool
}

type meterBlockStats struct {
	peak  [2]float64
	sumsq [2]float64
	n     int
}

// NewMeter makes a meter reading the floor.
func NewMeter() *Meter {
	m := &Meter{}
	m.hold = [2]float64{FloorDB, FloorDB}
	m.snap = floorReading()
	return m
}

func floorReading() Reading {
	c := ChannelLevel{PeakDB: FloorDB, RMSDB: FloorDB, HoldDB: FloorDB}
	return Reading{Channels: [2]ChannelLevel{c, c}}
}

// Read returns the latest snapshot.
func (m *Meter) Read() Reading {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.snap
}

// Update meters a chunk (l and r of equal length).
func (m *Meter) Update(l, r []float32) {
	n := min(len(l), len(r))
	clipped := false
	chs := [2][]float32{l[:n], r[:n]}
	for i := 0; i < n; {
		k := min(n-i, meterBlock-m.cur.n)
		for c, s := range chs {
			peak, sumsq := m.cur.peak[c], m.cur.sumsq[c]
			for _, v := range s[i : i+k] {
				a := math.Abs(float64(v))
				if a > peak {
					peak = a
				}
				sumsq += a * a
			}
			m.cur.peak[c], m.cur.sumsq[c] = peak, sumsq
			if peak >= 1 {
				clipped = true
			}
		}
		m.cur.n += k
		i += k
		if m.cur.n == meterBlock {
			m.blocks[m.head] = m.cur
			m.head = (m.head + 1) % meterWindow
			m.nblocks = min(m.nblocks+1, meterWindow)
			m.cur = meterBlockStats{}
		}
	}

	var snap Reading
	if clipped {
		m.clipAge, m.clipSeen = 0, true
	} else {
		m.clipAge += n
	}
	lit := m.clipSeen && m.clipAge < int(ClipHoldTime.Seconds()*StudioRate)
	for c := range 2 {
		var peak, sumsq float64
		count := 0
		for b := range m.nblocks {
			bs := &m.blocks[b]
			peak = math.Max(peak, bs.peak[c])
			sumsq += bs.sumsq[c]
			count += bs.n
		}
		lv := ChannelLevel{PeakDB: DB(peak), RMSDB: FloorDB, Clip: lit}
		if count > 0 {
			lv.RMSDB = DB(math.Sqrt(sumsq / float64(count)))
		}
		m.holdAge[c] += n
		if held := int(PeakHoldTime.Seconds() * StudioRate); m.holdAge[c] > held {
			fall := PeakFallDBs * float64(min(m.holdAge[c]-held, n)) / StudioRate
			m.hold[c] -= fall
		}
		if lv.PeakDB >= m.hold[c] {
			m.hold[c], m.holdAge[c] = lv.PeakDB, 0
		}
		m.hold[c] = math.Max(m.hold[c], FloorDB)
		lv.HoldDB = m.hold[c]
		snap.Channels[c] = lv
	}
	m.mu.Lock()
	m.snap = snap
	m.mu.Unlock()
}

// Reset returns the meter to the floor (for example when its input is
// replaced). Call it from the audio goroutine, or when Update is not running.
func (m *Meter) Reset() {
	m.blocks = [meterWindow]meterBlockStats{}
	m.nblocks, m.head, m.cur = 0, 0, meterBlockStats{}
	m.hold = [2]float64{FloorDB, FloorDB}
	m.holdAge = [2]int{}
	m.clipAge, m.clipSeen = 0, false
	m.mu.Lock()
	m.snap = floorReading()
	m.mu.Unlock()
}
