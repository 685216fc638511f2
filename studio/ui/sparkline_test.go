package ui

import (
	"image"
	"testing"

	"fyne.io/fyne/v2/test"
)

// The sparkline keeps a minute of seconds, newest on the right, scaled to
// the highest; a second's figure counts once.
func TestSparkline(t *testing.T) {
	test.NewTempApp(t)
	s := newSparkline()
	for i := 0; i < 90; i++ {
		s.add(float64(i%3)*1000, int64(i))
		s.add(99999, int64(i)) // a refresh within the same second: left out
	}
	if s.n != sparkSeconds {
		t.Fatalf("%d figures kept, want %d", s.n, sparkSeconds)
	}
	img := s.draw(120, 20).(*image.NRGBA)
	height := func(x int) int {
		n := 0
		for y := 0; y < 20; y++ {
			if img.NRGBAAt(x, y).A != 0 {
				n++
			}
		}
		return n
	}
	// The last three seconds were 0, 1000, 2000 kb/s (89 % 3 == 2): the
	// newest bar is full height, the one before half, the one before none.
	if h := [3]int{height(115), height(117), height(119)}; h != [3]int{0, 10, 20} {
		t.Errorf("the last bars' heights %v, want [0 10 20]", h)
	}
	s.clear()
	if s.n != 0 {
		t.Error("clear kept figures")
	}
	if img := s.draw(120, 20).(*image.NRGBA); img.NRGBAAt(119, 19).A != 0 {
		t.Error("a cleared sparkline draws bars")
	}
}
