package overlay

import (
	"image"
	"testing"
)

// A 40-character line at 48 px, as a title or a clock template would be.
const benchLine = "Thanks for the follow, stream_fan_2026!!"

func BenchmarkRenderText(b *testing.B) {
	for _, c := range []struct {
		name string
		st   TextStyle
	}{
		{"plain", TextStyle{Size: 48}},
		{"outline+shadow", TextStyle{Size: 48, Outline: 3, Shadow: image.Pt(3, 3)}},
		{"wrapped-200px", TextStyle{Size: 24, Width: 200, Outline: 2}},
	} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := RenderText(benchLine, c.st); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkMeasureText(b *testing.B) {
	for b.Loop() {
		if _, _, err := MeasureText(benchLine, TextStyle{Size: 48}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRenderGoal(b *testing.B) {
	for b.Loop() {
		if _, err := RenderGoal("New camera", 37.5, 120, "tokens", GoalStyle{}); err != nil {
			b.Fatal(err)
		}
	}
}
