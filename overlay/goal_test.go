package overlay

import (
	"math"
	"strings"
	"testing"
)

// The fill covers the bar in proportion to the amount, up to full; read on
// a black canvas along the bar's top rows, above the text.
func TestGoalFillIsProportional(t *testing.T) {
	const w, h = 400, 40
	for _, c := range []struct{ current, fill float64 }{
		{0, 0}, {30, 0.25}, {60, 0.5}, {120, 1}, {180, 1}, {-10, 0},
	} {
		for _, radius := range []int{-1, 0} { // square, round ends
			pic, err := RenderGoal("Goal", c.current, 120, "", GoalStyle{Width: w, Height: h, Radius: radius})
			if err != nil {
				t.Fatal(err)
			}
			cv := canvas(w, h, 16)
			pic.Draw(cv, 0, 0, 1)
			row := 3
			x0, x1 := 0, w // the columns the bar covers on that row
			if radius == 0 {
				// A circle of radius h/2 at each end.
				dy := float64(h)/2 - (float64(row) + 0.5)
				half := math.Sqrt(float64(h*h)/4 - dy*dy)
				x0, x1 = int(math.Ceil(float64(h)/2-half))+1, int(float64(w)-float64(h)/2+half)-1
			}
			edge := c.fill * w
			for x := x0; x < x1; x++ {
				v := cv.Y[row*cv.YStride+x]
				lit := v > 60 // the green fill; the bar is black on black
				switch {
				case float64(x) < edge-1 && !lit:
					t.Fatalf("%v of 120 (radius %d): column %d is %d, want filled (edge at %.0f)", c.current, radius, x, v, edge)
				case float64(x) > edge && lit:
					t.Fatalf("%v of 120 (radius %d): column %d is %d, want the bar (edge at %.0f)", c.current, radius, x, v, edge)
				}
			}
			// Outside the bar, nothing is drawn.
			if radius == 0 {
				if v := cv.Y[0]; v != 16 {
					t.Fatalf("corner luma %d", v)
				}
			}
		}
	}
}

func TestGoalText(t *testing.T) {
	for _, c := range []struct {
		current, target float64
		unit, want      string
	}{
		{0, 100, "tokens", "0 / 100 tokens (0 %)"},
		{12.5, 100, "USD", "12.5 / 100 USD (12 %)"},
		{99.99, 100, "", "99.99 / 100 (99 %)"},
		{100, 100, " € ", "100 / 100 € (100 %)"},
		{150, 100, "tk", "150 / 100 tk (150 %)"},
		{1 / 3.0, 1, "", "0.33 / 1 (33 %)"},
		{-0.001, 10, "", "0 / 10 (0 %)"},
		{1e6, 2e6, "", "1000000 / 2000000 (50 %)"},
	} {
		if got := goalAmounts(c.current, c.target, c.unit); got != c.want {
			t.Errorf("%v of %v: %q, want %q", c.current, c.target, got, c.want)
		}
	}
}

func TestGoalLabelKeepsTheAmounts(t *testing.T) {
	amounts := goalAmounts(12.5, 1000, "USD")
	for _, title := range []string{"Camera", strings.Repeat("A very long goal title ", 10)} {
		ts := TextStyle{Size: 16, MaxLines: 1}
		label, err := fitGoalLabel(title, amounts, 280, &ts)
		if err != nil {
			t.Fatal(err)
		}
		w, _, _ := MeasureText(label, ts)
		if !strings.HasSuffix(label, " — "+amounts) || w > 280 || ts.Size < 16*0.7-1e-9 {
			t.Fatalf("%q at %.1f px is %d px wide", label, ts.Size, w)
		}
		if len(title) > 10 && !strings.Contains(label, "…") {
			t.Fatalf("%q: the long title was not cut", label)
		}
	}
}

func TestGoalRefusesWhatItCannotShow(t *testing.T) {
	for _, c := range []struct {
		current, target float64
		st              GoalStyle
	}{
		{1, 0, GoalStyle{}}, {1, -5, GoalStyle{}}, {math.NaN(), 10, GoalStyle{}}, {1, math.Inf(1), GoalStyle{}},
		{1, 10, GoalStyle{Width: -4}}, {1, 10, GoalStyle{Height: 100000}}, {1, 10, GoalStyle{Font: "/nonexistent/x.ttf"}},
	} {
		if _, err := RenderGoal("t", c.current, c.target, "", c.st); err == nil {
			t.Errorf("%v of %v, %+v: no error", c.current, c.target, c.st)
		}
	}
}
