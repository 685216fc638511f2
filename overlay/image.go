package overlay

import (
	"image"
	"time"
)

// Image is a YUVA picture as a layer: drawn at a fixed position and opacity.
// It never changes; to move or fade it, set a new Image in the layers.
type Image struct {
	pic     *YUVA
	x, y    int
	opacity float64
}

// NewImage places pic with its top-left corner at (x, y) on the canvas
// (either may be negative or odd), drawn at opacity (0..1).
func NewImage(pic *YUVA, x, y int, opacity float64) *Image {
	return &Image{pic: pic, x: x, y: y, opacity: opacity}
}

// Draw draws the picture; it looks the same at every time.
func (m *Image) Draw(dst *image.YCbCr, _ time.Duration) {
	m.pic.Draw(dst, m.x, m.y, m.opacity)
}
