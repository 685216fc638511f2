package audio

import (
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// wav16 is a 16-bit PCM WAV of samples (interleaved) at rate.
func wav16(rate, channels int, samples []int16) []byte {
	data := make([]byte, 2*len(samples))
	for i, v := range samples {
		binary.LittleEndian.PutUint16(data[2*i:], uint16(v))
	}
	b := []byte("RIFF\x00\x00\x00\x00WAVEfmt ")
	b = binary.LittleEndian.AppendUint32(b, 16)
	b = binary.LittleEndian.AppendUint16(b, 1)
	b = binary.LittleEndian.AppendUint16(b, uint16(channels))
	b = binary.LittleEndian.AppendUint32(b, uint32(rate))
	b = binary.LittleEndian.AppendUint32(b, uint32(rate*channels*2))
	b = binary.LittleEndian.AppendUint16(b, uint16(channels*2))
	b = binary.LittleEndian.AppendUint16(b, 16)
	b = append(b, "data"...)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(data)))
	return append(b, data...)
}

// A mono 16-bit WAV at 44.1 kHz comes out as stereo at 48 kHz, as long and as
// loud; files that are not WAV, or too long, are refused in words.
func TestLoadWAV(t *testing.T) {
	samples := make([]int16, 44100/2) // 0.5 s of a 1 kHz sine at half scale
	for i := range samples {
		samples[i] = int16(16384 * math.Sin(2*math.Pi*1000*float64(i)/44100))
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "ding.wav")
	if err := os.WriteFile(path, wav16(44100, 1, samples), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := LoadWAV(path)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(s.L); n < 23990 || n > 24010 || len(s.R) != n {
		t.Errorf("%d samples, want 24000 (0.5 s at 48 kHz)", n)
	}
	var peak float32
	for i, v := range s.L {
		peak = max(peak, v, -v)
		if s.R[i] != v {
			t.Fatal("mono not copied to both sides")
		}
	}
	if peak < 0.49 || peak > 0.51 {
		t.Errorf("peak %.3f, want 0.5", peak)
	}
	junk := filepath.Join(dir, "song.mp3")
	os.WriteFile(junk, []byte("ID3 not a wav"), 0o644)
	if _, err := LoadWAV(junk); err == nil || !strings.Contains(err.Error(), "song.mp3") || !strings.Contains(err.Error(), "WAV") {
		t.Errorf("an MP3 gave %v; want an error naming the file and asking for WAV", err)
	}
	long := filepath.Join(dir, "long.wav")
	os.WriteFile(long, wav16(8000, 1, make([]int16, 8000*31)), 0o644)
	if _, err := LoadWAV(long); err == nil || !strings.Contains(err.Error(), "30 s") {
		t.Errorf("a 31 s sound gave %v", err)
	}
	if _, err := parseWAV(wav16(44100, 1, nil)[:30]); err == nil {
		t.Error("a cut header gave no error")
	}
}

// Sounds play from the next Fill to their end, overlapping ones add up, and
// nothing plays after.
func TestEffectsPlayAndEnd(t *testing.T) {
	var fx Effects
	one := &Sound{L: []float32{0.25, 0.25, 0.25}, R: []float32{0.5, 0.5, 0.5}}
	fx.Play(one)
	fx.Play(one)
	l, r := make([]float32, 2), make([]float32, 2)
	fx.Fill(0, l, r)
	if l[0] != 0.5 || r[1] != 1 {
		t.Errorf("two sounds at once: %v %v, want 0.5 and 1", l, r)
	}
	fx.Fill(2, l, r)
	if l[0] != 0.5 || l[1] != 0 {
		t.Errorf("the last sample then silence: %v", l)
	}
	fx.Fill(4, l, r)
	if l[0] != 0 || len(fx.playing) != 0 {
		t.Errorf("still playing after the end: %v, %d sounds", l, len(fx.playing))
	}
	c := Chime()
	var peak float32
	for _, v := range c.L {
		peak = max(peak, v, -v)
	}
	if db := 20 * math.Log10(float64(peak)); db > -6 || db < -14 {
		t.Errorf("the chime peaks at %.1f dBFS, want about −9", db)
	}
}

// A float WAV holding NaN and infinities plays as silence and full scale,
// never NaN (the AAC encoder refuses NaN, which would end the broadcast); and
// the mixer turns a NaN from any source into silence.
func TestNaNNeverReachesTheProgram(t *testing.T) {
	data := make([]byte, 0, 16)
	for _, v := range []float32{float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)), 0.5} {
		data = binary.LittleEndian.AppendUint32(data, math.Float32bits(v))
	}
	b := []byte("RIFF\x00\x00\x00\x00WAVEfmt ")
	b = binary.LittleEndian.AppendUint32(b, 16)
	b = binary.LittleEndian.AppendUint16(b, 3) // float
	b = binary.LittleEndian.AppendUint16(b, 1)
	b = binary.LittleEndian.AppendUint32(b, 48000)
	b = binary.LittleEndian.AppendUint32(b, 48000*4)
	b = binary.LittleEndian.AppendUint16(b, 4)
	b = binary.LittleEndian.AppendUint16(b, 32)
	b = append(b, "data"...)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(data)))
	s, err := parseWAV(append(b, data...))
	if err != nil {
		t.Fatal(err)
	}
	if want := []float32{0, 1, -1, 0.5}; !slices.Equal(s.L, want) {
		t.Errorf("samples %v, want %v", s.L, want)
	}
	m := NewMixer()
	in := m.Add("broken", nanSource{})
	in.Chain.SetMute(true)
	l, r := make([]float32, 960), make([]float32, 960)
	m.Fill(0, l, r)
	for i := range l {
		if l[i] != l[i] || r[i] != r[i] {
			t.Fatalf("sample %d of the program is NaN", i)
		}
	}
}

type nanSource struct{}

func (nanSource) Fill(_ int64, l, r []float32) {
	for i := range l {
		l[i], r[i] = float32(math.NaN()), float32(math.Inf(1))
	}
}
