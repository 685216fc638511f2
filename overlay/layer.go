package overlay

import (
	"image"
	"slices"
	"time"
)

// Layer is something drawn over the source on the canvas: a picture, text, a
// goal bar. Draw paints on a canvas the compositor owns (never the source's
// memory) as it looks at studio time at.
type Layer interface {
	Draw(dst *image.YCbCr, at time.Duration)
}

// SetLayers sets what is drawn over the source, bottom first, from the next
// Compose on. It may be called while the compositor runs.
func (c *Compositor) SetLayers(layers ...Layer) {
	layers = slices.Clone(layers) // the caller's slice may change under Compose
	c.layers.Store(&layers)
}

func (c *Compositor) currentLayers() []Layer {
	if l := c.layers.Load(); l != nil {
		return *l
	}
	return nil
}
