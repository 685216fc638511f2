package overlay

import (
	"encoding/binary"
	"image"
)

// Draw blends p onto dst with its top-left corner at (x, y) in dst's
// coordinates, times opacity (0..1). Whatever falls outside dst is clipped.
// It does not allocate.
func (p *YUVA) Draw(dst *image.YCbCr, x, y int, opacity float64) {
	if !(opacity > 0) { // NaN too
		return
	}
	o := int(min(opacity, 1)*256 + 0.5) // alpha is scaled by o/256
	if o == 0 {
		return
	}
	r := dst.Rect
	if dst.SubsampleRatio != image.YCbCrSubsampleRatio420 {
		return // the canvas is 4:2:0; other layouts are not ours to draw on
	}
	// Far off the canvas (and x, y from NaN or ±Inf maths): nothing shows, and
	// the offsets below must not overflow.
	const far = 1 << 30
	if x < r.Min.X-far || x > r.Max.X+far || y < r.Min.Y-far || y > r.Max.Y+far {
		return
	}
	drawPlane(&p.luma, p.y, nil, dst.Y, nil, dst.YStride,
		x-r.Min.X, y-r.Min.Y, r.Dx(), r.Dy(), o)
	// 4:2:0 chroma sample (i, j) covers dst pixels 2i, 2i+1 and 2j, 2j+1
	// (image.YCbCr's grid: Go's floor division of the coordinates).
	cx0, cy0 := r.Min.X>>1, r.Min.Y>>1
	cw, ch := (r.Max.X+1)>>1-cx0, (r.Max.Y+1)>>1-cy0
	c := &p.cbcr[(y&1)<<1|x&1]
	drawPlane(&c.alphaPlane, c.cb, c.cr, dst.Cb, dst.Cr, dst.CStride,
		x>>1-cx0, y>>1-cy0, cw, ch, o)
}

// drawPlane blends one plane (two for chroma: s2 onto d2, sharing alpha)
// placed at (x, y) onto a dw×dh destination plane.
func drawPlane(p *alphaPlane, s1, s2, d1, d2 []uint8, stride, x, y, dw, dh, o int) {
	ry0, ry1 := max(0, -y), min(p.h, dh-y)
	lo, hi := max(0, -x), min(p.w, dw-x) // clipped in int before narrowing
	if lo >= hi || ry0 >= ry1 {
		return
	}
	cx0, cx1 := int32(lo), int32(hi)
	for ry := ry0; ry < ry1; ry++ {
		so := ry * p.w
		do := (y+ry)*stride + x
		for _, sp := range p.spans[p.rows[ry]:p.rows[ry+1]] {
			x0, x1 := max(sp.x0, cx0), min(sp.x1, cx1)
			if x0 >= x1 {
				continue
			}
			if sp.alpha == 255 && o == 256 {
				copy(d1[do+int(x0):do+int(x1)], s1[so+int(x0):])
				if s2 != nil {
					copy(d2[do+int(x0):do+int(x1)], s2[so+int(x0):])
				}
				continue
			}
			if sp.alpha != 0 {
				a := (int(sp.alpha)*o + 128) >> 8
				blendConst(d1[do+int(x0):do+int(x1)], s1[so+int(x0):], a)
				if s2 != nil {
					blendConst(d2[do+int(x0):do+int(x1)], s2[so+int(x0):], a)
				}
				continue
			}
			a := p.a[so+int(x0) : so+int(x1)]
			if s2 != nil {
				blendRow2(d1[do+int(x0):do+int(x1)], d2[do+int(x0):do+int(x1)], s1[so+int(x0):], s2[so+int(x0):], a, o)
				continue
			}
			blendRow(d1[do+int(x0):do+int(x1)], s1[so+int(x0):], a, o)
		}
	}
}

// blendRow sets d = s·α + d·(1-α), α = a/255 · o/256, rounded to nearest.
func blendRow(d, s, a []uint8, o int) {
	s, a = s[:len(d)], a[:len(d)]
	if o == 256 {
		for i := range d {
			di := int(d[i])
			d[i] = div255(di*255 + (int(s[i])-di)*int(a[i]))
		}
		return
	}
	for i := range d {
		di := int(d[i])
		d[i] = div255(di*255 + (int(s[i])-di)*((int(a[i])*o+128)>>8))
	}
}

// blendRow2 is blendRow on Cb and Cr at once, sharing the alpha.
func blendRow2(d1, d2, s1, s2, a []uint8, o int) {
	d2, s1, s2, a = d2[:len(d1)], s1[:len(d1)], s2[:len(d1)], a[:len(d1)]
	for i := range d1 {
		ai := int(a[i])
		if o != 256 {
			ai = (ai*o + 128) >> 8
		}
		v, w := int(d1[i]), int(d2[i])
		d1[i] = div255(v*255 + (int(s1[i])-v)*ai)
		d2[i] = div255(w*255 + (int(s2[i])-w)*ai)
	}
}

// blendConst is blendRow with one alpha a (0..255, opacity included) for
// the whole run: eight pixels at a time, the even and odd bytes of a word
// in 16-bit lanes (s·a + d·(255-a) + 128 ≤ 65153, so no lane carries).
func blendConst(d, s []uint8, a int) {
	s = s[:len(d)]
	const lo = 0x00ff00ff00ff00ff
	const half = 0x0080008000800080
	ua, ub := uint64(a), uint64(255-a)
	i := 0
	for ; i+8 <= len(d); i += 8 {
		sv := binary.LittleEndian.Uint64(s[i:])
		dv := binary.LittleEndian.Uint64(d[i:])
		e := sv&lo*ua + dv&lo*ub + half
		od := sv>>8&lo*ua + dv>>8&lo*ub + half
		e = (e + e>>8&lo) >> 8 & lo
		od = (od + od>>8&lo) & ^uint64(lo)
		binary.LittleEndian.PutUint64(d[i:], e|od)
	}
	for ; i < len(d); i++ {
		di := int(d[i])
		d[i] = div255(di*255 + (int(s[i])-di)*a)
	}
}

// div255 is v/255 rounded to nearest, exact for 0 ≤ v ≤ 255·255.
func div255(v int) uint8 {
	v += 128
	return uint8((v + v>>8) >> 8)
}
