package overlay

import (
	"image"
	"math"
)

// YUVA is a picture converted once for blending onto the 4:2:0 canvas:
// limited-range BT.709 (as capture.YUV709), straight alpha. Luma and its alpha
// are full resolution. Chroma is kept for each of the four placement
// parities, since an odd x or y shifts which 2×2 block of the picture falls on
// one canvas chroma sample; each is that block's alpha-weighted average, so a
// transparent pixel's colour never bleeds into its neighbours'. That costs
// about 5 bytes a pixel. A YUVA never changes after NewYUVA: any number of
// goroutines may Draw it at once.
type YUVA struct {
	w, h int
	y    []uint8
	luma alphaPlane
	cbcr [4]chromaPlane // index: (y&1)<<1 | x&1 of the placement
}

type chromaPlane struct {
	cb, cr []uint8
	alphaPlane
}

// alphaPlane is an alpha plane (stride w) with the runs of each row that are
// worth drawing, found once so a Draw costs what the visible pixels cost.
type alphaPlane struct {
	w, h  int
	a     []uint8
	spans []span
	rows  []int32 // row r's spans are spans[rows[r]:rows[r+1]]
}

// span is a run of a row, x0 ≤ x < x1, worth drawing (long transparent runs
// are not stored). alpha is the run's alpha when it is the same throughout
// (255: opaque), 0 when it varies.
type span struct {
	x0, x1 int32
	alpha  uint8
}

// Runs shorter than these are blended pixel by pixel with their neighbours
// (exact for alpha 0 and 255 too), so a dithered or noisy alpha cannot cost
// a span per pixel; longer ones are skipped (transparent), copied (opaque),
// or blended eight pixels at a time (one partial alpha).
const (
	minSkipCopySpan = 8
	minConstSpan    = 16
)

// NewYUVA converts img (straight or, for image.RGBA, premultiplied alpha) for
// blending. The result does not refer to img.
func NewYUVA(img image.Image) *YUVA {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	p := &YUVA{w: w, h: h, y: make([]uint8, w*h)}
	a := make([]uint8, w*h)
	// For the 2×2 chroma averages: alpha and exact chroma premultiplied by
	// alpha (0..1), with a transparent border so every block is in range.
	f := fullRes{stride: w + 2}
	f.a = make([]uint8, (w+2)*(h+2))
	f.cb, f.cr = make([]float32, len(f.a)), make([]float32, len(f.a))
	put := func(i int, rf, gf, bf float64, a8 uint8) {
		a[i] = a8
		if a8 == 0 {
			return
		}
		yf, cbf, crf := ycbcr709(rf, gf, bf)
		p.y[i] = clamp8(yf)
		af := float64(a8) / 255
		k := (i/w+1)*f.stride + i%w + 1
		f.a[k], f.cb[k], f.cr[k] = a8, float32(cbf*af), float32(crf*af)
	}
	switch src := img.(type) {
	case *image.NRGBA:
		for y := range h {
			row := src.Pix[y*src.Stride:]
			for x := range w {
				px := row[x*4 : x*4+4]
				put(y*w+x, float64(px[0])/255, float64(px[1])/255, float64(px[2])/255, px[3])
			}
		}
	case *image.RGBA:
		for y := range h {
			row := src.Pix[y*src.Stride:]
			for x := range w {
				px := row[x*4 : x*4+4]
				if px[3] != 0 { // un-premultiply exactly
					fa := float64(px[3])
					put(y*w+x, float64(px[0])/fa, float64(px[1])/fa, float64(px[2])/fa, px[3])
				}
			}
		}
	case *image.Paletted:
		type entry struct {
			r, g, b float64
			a       uint8
		}
		pal := make([]entry, max(256, len(src.Palette)))
		for i, c := range src.Palette {
			r, g, bl, al := c.RGBA()
			if al != 0 {
				fa := float64(al)
				pal[i] = entry{float64(r) / fa, float64(g) / fa, float64(bl) / fa, uint8((al*255 + 32767) / 65535)}
			}
		}
		for y := range h {
			row := src.Pix[y*src.Stride:]
			for x := range w {
				if e := pal[row[x]]; e.a != 0 {
					put(y*w+x, e.r, e.g, e.b, e.a)
				}
			}
		}
	default:
		at := func(x, y int) (r, g, b, a uint32) { return img.At(x, y).RGBA() }
		if r64, ok := img.(image.RGBA64Image); ok { // no interface value per pixel
			at = func(x, y int) (r, g, b, a uint32) {
				c := r64.RGBA64At(x, y)
				return uint32(c.R), uint32(c.G), uint32(c.B), uint32(c.A)
			}
		}
		for y := range h {
			for x := range w {
				r, g, bl, al := at(b.Min.X+x, b.Min.Y+y)
				if al == 0 {
					continue
				}
				// Un-premultiply in full precision.
				fa := float64(al)
				put(y*w+x, float64(r)/fa, float64(g)/fa, float64(bl)/fa, uint8((al*255+32767)/65535))
			}
		}
	}
	p.luma = newAlphaPlane(w, h, a)
	for par := range p.cbcr {
		p.cbcr[par] = newChromaPlane(w, h, par&1, par>>1, &f)
	}
	return p
}

// Bounds is the picture's size, at the origin.
func (p *YUVA) Bounds() image.Rectangle { return image.Rect(0, 0, p.w, p.h) }

// ycbcr709 is capture.YUV709 before rounding, on 0..1 straight R'G'B'.
func ycbcr709(r, g, b float64) (y, cb, cr float64) {
	yf := 0.2126*r + 0.7152*g + 0.0722*b
	return 16 + 219*yf, 128 + 224*(b-yf)/1.8556, 128 + 224*(r-yf)/1.5748
}

func clamp8(v float64) uint8 {
	v = math.Floor(v + 0.5)
	switch {
	case v < 0:
		return 0
	case v > 255:
		return 255
	}
	return uint8(v)
}

// fullRes is a picture's alpha and premultiplied chroma at full resolution,
// with a one-pixel transparent border.
type fullRes struct {
	stride int
	a      []uint8
	cb, cr []float32
}

// newChromaPlane averages the 2×2 blocks of a w×h picture placed with
// parity (px, py): block (i, j) covers picture pixels 2i-px..2i+1-px and
// 2j-py..2j+1-py; those outside the picture count as transparent.
func newChromaPlane(w, h, px, py int, f *fullRes) chromaPlane {
	cw, ch := (w+px+1)/2, (h+py+1)/2
	c := chromaPlane{cb: make([]uint8, cw*ch), cr: make([]uint8, cw*ch)}
	ca := make([]uint8, cw*ch)
	s := f.stride
	for j := range ch {
		// Rows 2j-py and 2j-py+1 of the picture, in the bordered arrays.
		k0 := (2*j-py+1)*s - px + 1
		a0, a1 := f.a[k0:k0+2*cw], f.a[k0+s:k0+s+2*cw]
		b0, b1 := f.cb[k0:k0+2*cw], f.cb[k0+s:k0+s+2*cw]
		r0, r1 := f.cr[k0:k0+2*cw], f.cr[k0+s:k0+s+2*cw]
		dcb, dcr, dca := c.cb[j*cw:j*cw+cw], c.cr[j*cw:j*cw+cw], ca[j*cw:j*cw+cw]
		for i := range dca {
			x := 2 * i
			asum := int(a0[x]) + int(a0[x+1]) + int(a1[x]) + int(a1[x+1])
			if asum == 0 {
				dcb[i], dcr[i] = 128, 128
				continue
			}
			inv := 255 / float64(asum)
			dcb[i] = clamp8(float64(b0[x]+b0[x+1]+b1[x]+b1[x+1]) * inv)
			dcr[i] = clamp8(float64(r0[x]+r0[x+1]+r1[x]+r1[x+1]) * inv)
			dca[i] = uint8((asum + 2) / 4)
		}
	}
	c.alphaPlane = newAlphaPlane(cw, ch, ca)
	return c
}

func newAlphaPlane(w, h int, a []uint8) alphaPlane {
	p := alphaPlane{w: w, h: h, a: a, rows: make([]int32, h+1)}
	for y := range h {
		row := a[y*w : y*w+w]
		x0, end := -1, 0 // the varying run being gathered, to its last visible pixel
		flush := func() {
			if x0 >= 0 {
				p.spans = append(p.spans, span{int32(x0), int32(end), 0})
				x0 = -1
			}
		}
		for x := 0; x < w; {
			v := row[x]
			n := 1
			for x+n < w && row[x+n] == v {
				n++
			}
			switch {
			case v == 0 && (n >= minSkipCopySpan || x0 < 0):
				flush()
			case v == 255 && n >= minSkipCopySpan, v != 0 && v != 255 && n >= minConstSpan:
				flush()
				p.spans = append(p.spans, span{int32(x), int32(x + n), v})
			default:
				if x0 < 0 {
					x0 = x
				}
				if v != 0 {
					end = x + n
				}
			}
			x += n
		}
		flush()
		p.rows[y+1] = int32(len(p.spans))
	}
	return p
}
