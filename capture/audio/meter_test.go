package audio

import (
	"math"
	"sync"
	"testing"
	"time"
)

// sine fills n samples of a sine at amp and hz, from sample k0.
func sine(n int, amp, hz float64, k0 int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(amp * math.Sin(2*math.Pi*hz*float64(k0+i)/StudioRate))
	}
	return s
}

// feed meters x on both channels in 1600-sample chunks, as the studio does.
func feed(m *Meter, x []float32) {
	for i := 0; i < len(x); i += 1600 {
		c := x[i:min(i+1600, len(x))]
		m.Update(c, c)
	}
}

func near(got, want, tol float64) bool { return math.Abs(got-want) <= tol }

func TestMeterKnownSignals(t *testing.T) {
	for _, tc := range []struct {
		name          string
		amp, hz       float64
		peakDB, rmsDB float64
		clip          bool
		level         Level
	}{
		{"full-scale sine", 1, 1000, 0, -3.01, true, LevelRed}, // it reaches 1.0: that is 0 dBFS, the clip rule
		{"-20 dBFS sine", 0.1, 440, -20, -23.01, false, LevelYellow},
		{"-40 dBFS sine", 0.01, 440, -40, -43.01, false, LevelGreen},
		{"silence", 0, 440, FloorDB, FloorDB, false, LevelGreen},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := NewMeter()
			feed(m, sine(StudioRate, tc.amp, tc.hz, 0))
			for c, lv := range m.Read().Channels {
				if !near(lv.PeakDB, tc.peakDB, 0.1) || !near(lv.RMSDB, tc.rmsDB, 0.1) || lv.Clip != tc.clip {
					t.Errorf("channel %d: peak %.3f RMS %.3f clip %v; want %.2f, %.2f, %v", c, lv.PeakDB, lv.RMSDB, lv.Clip, tc.peakDB, tc.rmsDB, tc.clip)
				}
				if got := Classify(math.Round(lv.PeakDB*100) / 100); got != tc.level {
					t.Errorf("channel %d: level %v, want %v", c, got, tc.level)
				}
			}
		})
	}
}

func TestMeterBeforeAnySoundReadsFloor(t *testing.T) {
	lv := NewMeter().Read().Channels[1]
	if lv.PeakDB != FloorDB || lv.RMSDB != FloorDB || lv.HoldDB != FloorDB || lv.Clip {
		t.Errorf("fresh meter reads %+v, want the floor", lv)
	}
	for _, x := range []float64{0, -1, math.NaN(), math.Inf(-1), 1e-9} {
		if DB(x) != FloorDB {
			t.Errorf("DB(%v) = %v, want the floor", x, DB(x))
		}
	}
}

// The clip light: lit by any sample with |x| ≥ 1.0, not by 0.999; lit for
// 3 s after the last one.
func TestMeterClipLight(t *testing.T) {
	m := NewMeter()
	quiet := sine(1600, 0.999, 1000, 0)
	feed(m, quiet)
	if m.Read().Channels[0].Clip {
		t.Fatal("0.999 lit the clip light")
	}
	hot := sine(1600, 0.1, 440, 0)
	hot[700] = -1.0
	feed(m, hot)
	if !m.Read().Channels[0].Clip {
		t.Fatal("a sample at -1.0 did not light the clip light")
	}
	feed(m, make([]float32, int(2.9*StudioRate)))
	if !m.Read().Channels[0].Clip {
		t.Error("the clip light went out before 3 s")
	}
	feed(m, make([]float32, int(0.2*StudioRate)))
	if m.Read().Channels[0].Clip {
		t.Error("the clip light is still lit after 3 s")
	}
}

// Peak hold: holds the highest peak 1.5 s after it left the 300 ms window,
// then falls 20 dB/s to the floor.
func TestMeterPeakHold(t *testing.T) {
	m := NewMeter()
	feed(m, sine(StudioRate/2, 0.5, 440, 0)) // -6 dBFS
	feed(m, make([]float32, int(1.6*StudioRate)))
	lv := m.Read().Channels[0]
	if lv.PeakDB != FloorDB || !near(lv.HoldDB, -6.02, 0.1) {
		t.Errorf("1.6 s after: peak %.2f, hold %.2f; want floor, -6.02 held", lv.PeakDB, lv.HoldDB)
	}
	feed(m, make([]float32, int(0.7*StudioRate))) // 2.3 s: 0.5 s of falling
	if lv := m.Read().Channels[0]; !near(lv.HoldDB, -16, 1) {
		t.Errorf("2.3 s after: hold %.2f, want about -16 (falling 20 dB/s)", lv.HoldDB)
	}
	feed(m, make([]float32, 3*StudioRate))
	if lv := m.Read().Channels[0]; lv.HoldDB != FloorDB {
		t.Errorf("5 s after: hold %.2f, want the floor", lv.HoldDB)
	}
}

func TestMeterChannelsApart(t *testing.T) {
	m := NewMeter()
	l, r := sine(4800, 0.5, 440, 0), make([]float32, 4800)
	m.Update(l, r)
	ch := m.Read().Channels
	if !near(ch[0].PeakDB, -6.02, 0.1) || ch[1].PeakDB != FloorDB {
		t.Errorf("left %.2f right %.2f, want -6.02 and the floor", ch[0].PeakDB, ch[1].PeakDB)
	}
}

func TestClassify(t *testing.T) {
	for _, tc := range []struct {
		db   float64
		want Level
	}{{FloorDB, LevelGreen}, {-20.01, LevelGreen}, {-20, LevelYellow}, {-9.01, LevelYellow}, {-9, LevelRed}, {0, LevelRed}} {
		if got := Classify(tc.db); got != tc.want {
			t.Errorf("Classify(%v) = %v, want %v", tc.db, got, tc.want)
		}
	}
}

// The UI reads while the audio goroutine updates (for -race).
func TestMeterConcurrentRead(t *testing.T) {
	m := NewMeter()
	x := sine(1600, 0.5, 440, 0)
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
				_ = m.Read()
				time.Sleep(time.Microsecond)
			}
		}
	})
	for range 500 {
		m.Update(x, x)
	}
	close(stop)
	wg.Wait()
}

func TestMeterUpdateDoesNotAllocate(t *testing.T) {
	m := NewMeter()
	x := sine(1600, 0.5, 440, 0)
	if n := testing.AllocsPerRun(100, func() { m.Update(x, x) }); n != 0 {
		t.Errorf("Update allocates %v times", n)
	}
}
