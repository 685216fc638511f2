package capture

import (
	"bytes"
	"math"
	"testing"
	"time"
)

func TestTestCardMovesAndCounts(t *testing.T) {
	c, err := NewTestCard(1280, 720, 30)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := c.Latest(0)
	b, _ := c.Latest(time.Second / 30)
	defer a.Release()
	defer b.Release()
	if a.Seq != 0 || b.Seq != 1 {
		t.Errorf("frame numbers %d, %d; want 0, 1", a.Seq, b.Seq)
	}
	if bytes.Equal(a.Pic.Y, b.Pic.Y) {
		t.Error("two consecutive frames are identical: nothing moves")
	}
	// The first bar is 75 % grey, the second yellow (BT.709 limited range).
	y, cb, cr := YUV709(191, 191, 0)
	x, row := 1280*3/14, 10
	if got := a.Pic.Y[row*a.Pic.YStride+x]; absDiff(got, y) > 1 {
		t.Errorf("yellow bar luma %d, want %d", got, y)
	}
	ci := (row/2)*a.Pic.CStride + x/2
	if absDiff(a.Pic.Cb[ci], cb) > 1 || absDiff(a.Pic.Cr[ci], cr) > 1 {
		t.Errorf("yellow bar chroma %d,%d want %d,%d", a.Pic.Cb[ci], a.Pic.Cr[ci], cb, cr)
	}
}

func TestTestCardFlashesOnTheSecond(t *testing.T) {
	c, _ := NewTestCard(640, 360, 30)
	lum := func(at time.Duration) int {
		f, _ := c.Latest(at)
		defer f.Release()
		var sum int
		for _, v := range f.Pic.Y[f.Pic.YStride*300:] {
			sum += int(v)
		}
		return sum
	}
	if on, off := lum(2*time.Second), lum(2*time.Second+100*time.Millisecond); on <= off {
		t.Errorf("no flash on the whole second: %d vs %d", on, off)
	}
}

func TestTestCardRefusesOddSizes(t *testing.T) {
	for _, s := range [][3]int{{641, 360, 30}, {640, 361, 30}, {32, 32, 30}, {640, 360, 0}} {
		if _, err := NewTestCard(s[0], s[1], s[2]); err == nil {
			t.Errorf("NewTestCard%v accepted", s)
		}
	}
}

func TestToneBeepsEachSecond(t *testing.T) {
	l := make([]float32, SampleRate*2)
	r := make([]float32, len(l))
	Tone{}.Fill(0, l, r)
	peak := func(s []float32) float64 {
		var p float64
		for _, v := range s {
			p = math.Max(p, math.Abs(float64(v)))
		}
		return p
	}
	if p := peak(l[SampleRate/2 : SampleRate/2+4800]); math.Abs(p-0.1) > 0.01 {
		t.Errorf("steady tone peak %.3f, want 0.1 (-20 dBFS)", p)
	}
	if p := peak(l[SampleRate : SampleRate+2400]); p < 0.5 {
		t.Errorf("beep at 1 s peaks at %.3f, want ≥ 0.5", p)
	}
	if !equal(l, r) {
		t.Error("left and right differ")
	}
	// Chunks join without a seam: filling in two halves equals one fill.
	l2, r2 := make([]float32, len(l)), make([]float32, len(l))
	Tone{}.Fill(0, l2[:1000], r2[:1000])
	Tone{}.Fill(1000, l2[1000:], r2[1000:])
	if !equal(l, l2) {
		t.Error("tone depends on how it is chunked")
	}
}

func TestFrameRefCounting(t *testing.T) {
	p := NewFramePool(64, 64)
	f := p.Get()
	f.Retain()
	f.Release()
	f.Release()
	defer func() {
		if recover() == nil {
			t.Error("releasing a frame twice did not panic")
		}
	}()
	f.Release()
}

func absDiff(a, b uint8) int { return int(math.Abs(float64(a) - float64(b))) }

func equal(a, b []float32) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return len(a) == len(b)
}

func BenchmarkTestCard720p(b *testing.B) {
	c, _ := NewTestCard(1280, 720, 30)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		f, _ := c.Latest(time.Duration(i) * time.Second / 30)
		f.Release()
	}
}
