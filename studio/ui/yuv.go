package ui

import (
	"image"
)

// Downscaler turns 4:2:0 canvas frames into a smaller RGBA picture for the
// preview: nearest-neighbour, limited-range BT.709 (the inverse of
// capture.YUV709). It keeps its sampling maps between frames, so converting
// frames of an unchanged size allocates nothing.
type Downscaler struct {
	src, dst image.Rectangle
	ratio    image.YCbCrSubsampleRatio
	xs, cxs  []int // per output column: offset into a luma row, a chroma row
	ys, cys  []int // per output row: offset of the luma row, the chroma row
}

// Convert fills dst with src scaled to dst's size.
func (d *Downscaler) Convert(dst *image.RGBA, src *image.YCbCr) {
	if src.Rect != d.src || dst.Rect != d.dst || src.SubsampleRatio != d.ratio {
		d.plan(dst.Rect, src)
	}
	for j, yo := range d.ys {
		co := d.cys[j]
		yrow, cbrow, crrow := src.Y[yo:], src.Cb[co:], src.Cr[co:]
		out := dst.Pix[j*dst.Stride : j*dst.Stride+4*len(d.xs)]
		for i, x := range d.xs {
			cx := d.cxs[i]
			yl := lumaTab[yrow[x]]
			cb, cr := cbrow[cx], crrow[cx]
			p := out[4*i : 4*i+4 : 4*i+4]
			p[0] = clampFix(yl + crToR[cr])
			p[1] = clampFix(yl + cbToG[cb] + crToG[cr])
			p[2] = clampFix(yl + cbToB[cb])
			p[3] = 0xff
		}
	}
}

// plan works out which source sample every output pixel takes.
func (d *Downscaler) plan(dr image.Rectangle, src *image.YCbCr) {
	d.src, d.dst, d.ratio = src.Rect, dr, src.SubsampleRatio
	sw, sh := src.Rect.Dx(), src.Rect.Dy()
	dw, dh := dr.Dx(), dr.Dy()
	if sw <= 0 || sh <= 0 {
		dw, dh = 0, 0
	}
	d.xs, d.cxs = resize(d.xs, dw), resize(d.cxs, dw)
	d.ys, d.cys = resize(d.ys, dh), resize(d.cys, dh)
	// Offsets relative to the first row; COffset knows every subsampling.
	base, cbase := src.YOffset(src.Rect.Min.X, src.Rect.Min.Y), src.COffset(src.Rect.Min.X, src.Rect.Min.Y)
	for i := range dw {
		x := src.Rect.Min.X + (2*i+1)*sw/(2*dw) // the centre of the output pixel
		d.xs[i] = src.YOffset(x, src.Rect.Min.Y) - base
		d.cxs[i] = src.COffset(x, src.Rect.Min.Y) - cbase
	}
	for j := range dh {
		y := src.Rect.Min.Y + (2*j+1)*sh/(2*dh)
		d.ys[j] = src.YOffset(src.Rect.Min.X, y)
		d.cys[j] = src.COffset(src.Rect.Min.X, y)
	}
}

func resize(s []int, n int) []int {
	if cap(s) < n {
		return make([]int, n)
	}
	return s[:n]
}

// Fixed-point (16 fractional bits) contributions of each 8-bit sample to
// R, G and B on the 0..255 scale, from the BT.709 matrix capture.YUV709 uses:
// Y' = 16 + 219·Y, Cb = 128 + 224·(B−Y)/1.8556, Cr = 128 + 224·(R−Y)/1.5748.
var lumaTab, crToR, crToG, cbToG, cbToB = yuvTables()

func yuvTables() (luma, rCr, gCr, gCb, bCb [256]int32) {
	const (
		one              = 1 << 16
		kr, kb           = 0.2126, 0.0722
		kg               = 1 - kr - kb
		crScale, cbScale = 1.5748, 1.8556
	)
	fix := func(v float64) int32 {
		if v < 0 {
			return int32(v*one - 0.5)
		}
		return int32(v*one + 0.5)
	}
	for i := range 256 {
		c := float64(i - 128)
		luma[i] = fix(255 * float64(i-16) / 219)
		rCr[i] = fix(255 * c * crScale / 224)
		bCb[i] = fix(255 * c * cbScale / 224)
		gCr[i] = fix(-255 * c * crScale / 224 * kr / kg)
		gCb[i] = fix(-255 * c * cbScale / 224 * kb / kg)
	}
	return
}

func clampFix(v int32) uint8 {
	v = (v + 1<<15) >> 16
	switch {
	case v < 0:
		return 0
	case v > 255:
		return 255
	}
	return uint8(v)
}

// PreviewSize is the size of a preview at most maxW wide for a w×h canvas,
// keeping its shape (both sides even, at least 2).
func PreviewSize(w, h, maxW int) (pw, ph int) {
	if w <= 0 || h <= 0 {
		return 0, 0
	}
	pw = min(w, maxW)
	ph = (pw*h + w/2) / w
	return max(2, pw&^1), max(2, ph&^1)
}
