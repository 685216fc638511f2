package overlay

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"onair/capture"
)

// ffmpeg's overlay, the way the scene benchmark runs it (yuva420p logo,
// format=yuv420), on the same canvas and logo, both converted as BT.709
// limited range. The two differ where ffmpeg's choices differ from ours;
// the test pins down how far, region by region.
func TestDrawAgainstFFmpegOverlay(t *testing.T) {
	ffmpeg, err := exec.LookPath("ffmpeg")
	if err != nil {
		t.Skip("ffmpeg is not installed")
	}
	// The colour under transparent pixels continues the logo's: the two
	// agree to rounding everywhere.
	dy, dc := compareWithFFmpeg(t, ffmpeg, false)
	if dy[0] != 0 || dc[0] != 0 {
		t.Error("where the logo is transparent the two differ: one of them changed the background")
	}
	if dy[1] > 1 || dy[2] > 1 || dc[1] > 2 || dc[2] > 2 {
		t.Errorf("onair and ffmpeg differ by more than rounding: Y %v, chroma %v", dy, dc)
	}
	// Transparent pixels hiding pure green, as editors leave them: ffmpeg
	// averages their colour into the edge's chroma (swscale subsamples
	// before alpha is applied), onair weights by alpha; luma still agrees.
	dy, dc = compareWithFFmpeg(t, ffmpeg, true)
	if dy[0] != 0 || dc[0] != 0 || dy[1] > 1 || dy[2] > 1 || dc[1] > 2 {
		t.Errorf("onair and ffmpeg differ by more than rounding away from the edge's chroma: Y %v, chroma %v", dy, dc)
	}
}

// compareWithFFmpeg returns the worst |onair - ffmpeg| for luma and chroma
// where the logo is clear, opaque and partial (for chroma: the 2×2 block).
func compareWithFFmpeg(t *testing.T, ffmpeg string, hiddenGreen bool) (dy, dc [3]int) {
	const cw, ch, lx, ly = 320, 240, 50, 30 // ffmpeg rounds 4:2:0 positions to even
	card, err := capture.NewTestCard(cw, ch, 30)
	if err != nil {
		t.Fatal(err)
	}
	bgFrame, err := card.Latest(0)
	if err != nil {
		t.Fatal(err)
	}
	defer bgFrame.Release()
	bg := cloneYCbCr(bgFrame.Pic)

	// A logo with an antialiased elliptic edge; its transparent pixels keep a
	// colour (as PNGs exported by editors often do) that must not show.
	lw, lh := 101, 61
	logo := image.NewNRGBA(image.Rect(0, 0, lw, lh))
	for y := range lh {
		for x := range lw {
			dx, dy := (float64(x)+0.5-float64(lw)/2)/(float64(lw)/2), (float64(y)+0.5-float64(lh)/2)/(float64(lh)/2)
			a := math.Max(0, math.Min(1, (0.9-math.Hypot(dx, dy))/0.15))
			c := color.NRGBA{uint8(255 * x / lw), uint8(200 - 150*y/lh), uint8(60 + x + y), uint8(a*255 + 0.5)}
			if c.A == 0 && hiddenGreen {
				c = color.NRGBA{0, 255, 0, 0}
			}
			logo.SetNRGBA(x, y, c)
		}
	}

	dir := t.TempDir()
	var raw bytes.Buffer
	raw.Write(bg.Y)
	raw.Write(bg.Cb)
	raw.Write(bg.Cr)
	var pngBytes bytes.Buffer
	if err := png.Encode(&pngBytes, logo); err != nil {
		t.Fatal(err)
	}
	for name, b := range map[string][]byte{"bg.yuv": raw.Bytes(), "logo.png": pngBytes.Bytes()} {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out := filepath.Join(dir, "out.yuv")
	cmd := exec.Command(ffmpeg, "-v", "error", "-nostdin",
		"-f", "rawvideo", "-pix_fmt", "yuv420p", "-s", "320x240", "-i", filepath.Join(dir, "bg.yuv"),
		"-i", filepath.Join(dir, "logo.png"),
		"-filter_complex", "[1]scale=out_color_matrix=bt709:out_range=tv,format=yuva420p[l];[0][l]overlay=x=50:y=30:format=yuv420",
		"-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "yuv420p", out)
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v\n%s", err, msg)
	}
	ff, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(ff) != cw*ch*3/2 {
		t.Fatalf("ffmpeg wrote %d bytes, want %d", len(ff), cw*ch*3/2)
	}
	ffY, ffCb, ffCr := ff[:cw*ch], ff[cw*ch:cw*ch*5/4], ff[cw*ch*5/4:]

	got := cloneYCbCr(bg)
	NewYUVA(logo).Draw(got, lx, ly, 1)

	alpha := func(x, y int) uint8 {
		if x < lx || y < ly || x >= lx+lw || y >= ly+lh {
			return 0
		}
		return logo.NRGBAAt(x-lx, y-ly).A
	}
	// Worst difference per region: what the logo leaves clear, covers
	// opaquely, or covers partly (for chroma: the whole 2×2 block).
	region := func(as ...uint8) int {
		all0, all255 := true, true
		for _, a := range as {
			all0 = all0 && a == 0
			all255 = all255 && a == 255
		}
		switch {
		case all0:
			return 0
		case all255:
			return 1
		}
		return 2
	}
	for y := range ch {
		for x := range cw {
			r := region(alpha(x, y))
			dy[r] = max(dy[r], absDiff(got.Y[y*got.YStride+x], ffY[y*cw+x]))
		}
	}
	for y := range ch / 2 {
		for x := range cw / 2 {
			r := region(alpha(2*x, 2*y), alpha(2*x+1, 2*y), alpha(2*x, 2*y+1), alpha(2*x+1, 2*y+1))
			i := y*got.CStride + x
			dc[r] = max(dc[r], absDiff(got.Cb[i], ffCb[y*cw/2+x]), absDiff(got.Cr[i], ffCr[y*cw/2+x]))
		}
	}
	t.Logf("hidden green %v: max |onair - ffmpeg|: Y clear %d, opaque %d, edge %d; chroma clear %d, opaque %d, edge %d",
		hiddenGreen, dy[0], dy[1], dy[2], dc[0], dc[1], dc[2])
	return dy, dc
}
