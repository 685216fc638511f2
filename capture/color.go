package capture

// YUV709 converts 8-bit sRGB to limited-range BT.709 Y'CbCr, the colour space
// the encoders tag HD streams with.
func YUV709(r, g, b uint8) (y, cb, cr uint8) {
	rf, gf, bf := float64(r)/255, float64(g)/255, float64(b)/255
	yf := 0.2126*rf + 0.7152*gf + 0.0722*bf
	y = clamp8(16 + 219*yf)
	cb = clamp8(128 + 224*(bf-yf)/1.8556)
	cr = clamp8(128 + 224*(rf-yf)/1.5748)
	return
}

func clamp8(v float64) uint8 {
	v += 0.5
	switch {
	case v < 0:
		return 0
	case v > 255:
		return 255
	}
	return uint8(v)
}
