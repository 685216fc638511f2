package audio

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"sync"
)

// Effects is a mixer source playing short sounds (an alert's chime) into the
// program: each starts at the next Fill and plays to its end; several may
// overlap. Play may be called from any goroutine.
type Effects struct {
	mu      sync.Mutex
	playing []*effect
}

type effect struct {
	l, r []float32
	pos  int
}

// Effects playing at once, at most: past it the oldest is cut.
const maxEffects = 8

// Play starts a sound (stereo, 48 kHz; the slices are not changed and may
// be shared by several plays).
func (e *Effects) Play(s *Sound) {
	if s == nil || len(s.L) == 0 {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.playing) == maxEffects {
		e.playing = append(e.playing[:0], e.playing[1:]...)
	}
	e.playing = append(e.playing, &effect{l: s.L, r: s.R})
}

// Fill mixes what is playing into l and r (after clearing them).
func (e *Effects) Fill(_ int64, l, r []float32) {
	clear(l)
	clear(r)
	e.mu.Lock()
	defer e.mu.Unlock()
	keep := e.playing[:0]
	for _, p := range e.playing {
		n := min(len(l), len(r), len(p.l)-p.pos)
		for i := range n {
			l[i] += p.l[p.pos+i]
			r[i] += p.r[p.pos+i]
		}
		p.pos += n
		if p.pos < len(p.l) {
			keep = append(keep, p)
		}
	}
	clear(e.playing[len(keep):])
	e.playing = keep
}

// Sound is a short stereo sound at 48 kHz.
type Sound struct {
	L, R []float32
}

// Chime is a soft two-note chime (0.6 s, peaks near −9 dBFS): the alert
// sound when a rule names none of its own.
func Chime() *Sound {
	const n = StudioRate * 6 / 10
	s := &Sound{L: make([]float32, n), R: make([]float32, n)}
	for i := range n {
		t := float64(i) / StudioRate
		v := 0.0
		for k, f := range []float64{880, 1318.5} {
			start := float64(k) * 0.12
			if t >= start {
				u := t - start
				v += math.Sin(2*math.Pi*f*u) * math.Exp(-u*7) * math.Min(u*200, 1)
			}
		}
		s.L[i] = float32(v * 0.22)
		s.R[i] = s.L[i]
	}
	return s
}

// Longest sound file Effects takes: an alert's sound, not a song.
const maxSoundSeconds = 30

// LoadWAV reads a PCM WAV file (8-, 16-, 24- or 32-bit integer or 32-bit
// float, mono or stereo, any rate) as a Sound at 48 kHz. What it cannot read
// is an error naming the file.
func LoadWAV(path string) (*Sound, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	s, err := parseWAV(b)
	if err != nil {
		return nil, fmt.Errorf("sound %s: %w", path, err)
	}
	return s, nil
}

var errNotWAV = errors.New("not a PCM WAV file onair can play (save it as 16-bit WAV)")

func parseWAV(b []byte) (*Sound, error) {
	if len(b) < 12 || string(b[:4]) != "RIFF" || string(b[8:12]) != "WAVE" {
		return nil, errNotWAV
	}
	var format, channels, bits int
	var rate int
	var data []byte
	for p := 12; p+8 <= len(b); {
		id, size := string(b[p:p+4]), int(binary.LittleEndian.Uint32(b[p+4:]))
		body := b[p+8:]
		if size < 0 || size > len(body) {
			size = len(body) // a header written before the end was known
		}
		body = body[:size]
		switch id {
		case "fmt ":
			if size < 16 {
				return nil, errNotWAV
			}
			format = int(binary.LittleEndian.Uint16(body))
			channels = int(binary.LittleEndian.Uint16(body[2:]))
			rate = int(binary.LittleEndian.Uint32(body[4:]))
			bits = int(binary.LittleEndian.Uint16(body[14:]))
			if format == 0xfffe && size >= 26 { // WAVE_FORMAT_EXTENSIBLE: the sub-format's tag
				format = int(binary.LittleEndian.Uint16(body[24:]))
			}
		case "data":
			data = body
		}
		p += 8 + size + size&1
	}
	if (format != 1 && format != 3) || channels < 1 || channels > 8 || rate < 8000 || rate > 192000 || data == nil {
		return nil, errNotWAV
	}
	bytesPer := bits / 8
	if (format == 1 && (bits != 8 && bits != 16 && bits != 24 && bits != 32)) || (format == 3 && bits != 32) {
		return nil, errNotWAV
	}
	frames := len(data) / (bytesPer * channels)
	if frames > maxSoundSeconds*rate {
		return nil, fmt.Errorf("longer than %d s: an alert's sound should be short", maxSoundSeconds)
	}
	sample := func(i int) float64 {
		o := data[i*bytesPer:]
		switch {
		case format == 3:
			return float64(math.Float32frombits(binary.LittleEndian.Uint32(o)))
		case bits == 8:
			return (float64(o[0]) - 128) / 128
		case bits == 16:
			return float64(int16(binary.LittleEndian.Uint16(o))) / 32768
		case bits == 24:
			return float64(int32(uint32(o[0])<<8|uint32(o[1])<<16|uint32(o[2])<<24)) / (1 << 31)
		}
		return float64(int32(binary.LittleEndian.Uint32(o))) / (1 << 31)
	}
	// Resampled to 48 kHz by linear interpolation: short effects, not music.
	n := int(int64(frames) * StudioRate / int64(rate))
	s := &Sound{L: make([]float32, n), R: make([]float32, n)}
	for i := range n {
		x := float64(i) * float64(rate) / StudioRate
		j := int(x)
		f := x - float64(j)
		k := min(j+1, frames-1)
		at := func(frame, ch int) float64 { return float64(finite(sample(frame*channels + min(ch, channels-1)))) }
		s.L[i] = float32(at(j, 0)*(1-f) + at(k, 0)*f)
		s.R[i] = float32(at(j, 1)*(1-f) + at(k, 1)*f)
	}
	return s, nil
}

// finite is v clamped to ±1, NaN as silence: a float WAV may hold anything.
func finite(v float64) float32 {
	if v != v {
		return 0
	}
	return float32(min(max(v, -1), 1))
}
