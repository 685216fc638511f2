// Package audio is onair's sound chain between the devices and the studio:
// the drift-correcting Ring a device pushes into, the per-input Chain (gain,
// mute, noise gate), the Meter, the Mixer that sums inputs into the program,
// and the mic check. Everything runs at the studio format (48 kHz stereo,
// float32 planar) and is plain Go: device code lives elsewhere.
package audio

import (
	"math"
	"strconv"
	"strings"
)

// FloorDB is the bottom of every meter scale: silence reads this, never -Inf.
const FloorDB = -60.0

// Meter colours as OBS shows them (PROTOCOLS.md): yellow from -20 dBFS, red
// from -9 dBFS; the clip light is separate (Meter's Clip).
const (
	YellowDB = -20.0
	RedDB    = -9.0
)

// DB converts a linear amplitude (1 = full scale) to dBFS, clamped to the
// floor: 0, negative values and NaN read FloorDB.
func DB(amp float64) float64 {
	if !(amp > 0) { // NaN too
		return FloorDB
	}
	return max(20*math.Log10(amp), FloorDB)
}

// Amp converts dBFS to a linear amplitude.
func Amp(db float64) float64 { return math.Pow(10, db/20) }

// Level is the colour a meter shows for a reading.
type Level int

// The zero Level is invalid.
const (
	_ Level = iota
	LevelGreen
	LevelYellow
	LevelRed
)

func (l Level) String() string {
	switch l {
	case LevelGreen:
		return "green"
	case LevelYellow:
		return "yellow"
	case LevelRed:
		return "red"
	}
	return "Level(" + strconv.Itoa(int(l)) + ")"
}

// Classify gives the colour of a level in dBFS: red at or above -9, yellow at
// or above -20, green below.
func Classify(db float64) Level {
	switch {
	case db >= RedDB:
		return LevelRed
	case db >= YellowDB:
		return LevelYellow
	}
	return LevelGreen
}

// formatDB prints a level the way a performer reads it: "−32 dBFS" with a
// real minus sign, rounded to the dB.
func formatDB(db float64) string {
	n := int(math.Round(db))
	s := strconv.Itoa(n) + " dBFS"
	return strings.Replace(s, "-", "−", 1)
}
