package media

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/asticode/go-astiav"
	"github.com/pion/mediadevices/pkg/frame"

	"onair/capture"
	"onair/capture/device"
	"onair/capture/device/devicetest"
)

func needFFmpeg(t testing.TB) {
	t.Helper()
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		t.Skip("ffmpeg is not installed: run `make test`")
	}
}

// reference has ffmpeg convert input (read as inArgs say) with the video
// filter vf to raw yuv420p, and returns its frames.
func reference(t testing.TB, input []byte, w, h int, vf string, inArgs ...string) [][]byte {
	t.Helper()
	args := append([]string{"-v", "error"}, inArgs...)
	args = append(args, "-i", "-", "-vf", vf, "-f", "rawvideo", "-pix_fmt", "yuv420p", "-")
	cmd := exec.Command("ffmpeg", args...)
	cmd.Stdin = bytes.NewReader(input)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("ffmpeg %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	size := w * h * 3 / 2
	var frames [][]byte
	for len(out) >= size {
		frames = append(frames, out[:size])
		out = out[size:]
	}
	return frames
}

// samePicture compares a picture with ffmpeg's at a grid of points and says
// how far apart they are at worst, plane by plane.
func samePicture(t *testing.T, name string, got *capture.Frame, want []byte, w, h, tolerance int) {
	t.Helper()
	p := got.Pic
	if p.Rect.Dx() != w || p.Rect.Dy() != h {
		t.Fatalf("%s: %v, want %dx%d", name, p.Rect, w, h)
	}
	ys, cs := w*h, (w/2)*(h/2)
	worst := [3]int{}
	points := 0
	for y := 1; y < h; y += 23 {
		for x := 3; x < w; x += 29 {
			points++
			d := int(p.Y[y*p.YStride+x]) - int(want[y*w+x])
			worst[0] = max(worst[0], d, -d)
			ci := (y/2)*p.CStride + x/2
			wi := (y/2)*(w/2) + x/2
			d = int(p.Cb[ci]) - int(want[ys+wi])
			worst[1] = max(worst[1], d, -d)
			d = int(p.Cr[ci]) - int(want[ys+cs+wi])
			worst[2] = max(worst[2], d, -d)
		}
	}
	if worst[0] > tolerance || worst[1] > tolerance || worst[2] > tolerance {
		t.Errorf("%s: differs from ffmpeg by up to Y %d, Cb %d, Cr %d levels over %d points (tolerance %d)", name, worst[0], worst[1], worst[2], points, tolerance)
	}
}

func convertAll(t *testing.T, c device.Converter, rf []*device.RawFrame) []*capture.Frame {
	t.Helper()
	var out []*capture.Frame
	for i, f := range rf {
		pic, err := c.Convert(f)
		if err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		out = append(out, pic)
	}
	return out
}

// A webcam's 1080p 4:2:2 full-range JPEGs come out as the canvas's 4:2:0
// limited-range pictures, as ffmpeg's own decoder and scaler make them.
func TestConvertMJPEG422(t *testing.T) {
	needFFmpeg(t)
	jpegs, stream, err := devicetest.RecordMJPEG(1920, 1080, 30, 3)
	if err != nil {
		t.Fatal(err)
	}
	want := reference(t, stream, 1920, 1080, "scale=1920:1080:out_range=tv,format=yuv420p", "-f", "mjpeg")
	c, err := NewConverter(frame.FormatMJPEG, 1920, 1080, 1920, 1080)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var rf []*device.RawFrame
	for _, j := range jpegs {
		rf = append(rf, &device.RawFrame{Format: frame.FormatMJPEG, Width: 1920, Height: 1080, Data: j})
	}
	got := convertAll(t, c, rf)
	for i := range got {
		samePicture(t, fmt.Sprintf("frame %d", i), got[i], want[i], 1920, 1080, 2)
		got[i].Release()
	}
	// Limited range: testsrc2's black and white are 16 and 235, not 0 and 255.
	lo, hi := 255, 0
	for _, v := range got[0].Pic.Y {
		lo, hi = min(lo, int(v)), max(hi, int(v))
	}
	if lo < 14 || hi > 237 {
		t.Errorf("luma spans %d–%d: not limited range", lo, hi)
	}
}

// A 4:3 camera on a 16:9 canvas is fitted with black bars at the sides, as
// the media file source fits a clip.
func TestConvertFitsWithBars(t *testing.T) {
	needFFmpeg(t)
	jpegs, stream, err := devicetest.RecordMJPEG(640, 480, 30, 2)
	if err != nil {
		t.Fatal(err)
	}
	want := reference(t, stream, 1280, 720, canvasFilter(640, 480, 0, true, 1280, 720), "-f", "mjpeg")
	c, err := NewConverter(frame.FormatMJPEG, 640, 480, 1280, 720)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	pic, err := c.Convert(&device.RawFrame{Format: frame.FormatMJPEG, Width: 640, Height: 480, Data: jpegs[1]})
	if err != nil {
		t.Fatal(err)
	}
	defer pic.Release()
	samePicture(t, "640x480 on 1280x720", pic, want[1], 1280, 720, 2)
	for _, x := range []int{0, 100, 158, 1122, 1279} {
		i := 360*pic.Pic.YStride + x
		ci := 180*pic.Pic.CStride + x/2
		if pic.Pic.Y[i] != 16 || pic.Pic.Cb[ci] != 128 || pic.Pic.Cr[ci] != 128 {
			t.Errorf("bar at x=%d: Y %d Cb %d Cr %d, want black (16,128,128)", x, pic.Pic.Y[i], pic.Pic.Cb[ci], pic.Pic.Cr[ci])
		}
	}
	if pic.Pic.Y[360*pic.Pic.YStride+640] == 16 {
		t.Error("the picture's middle is black")
	}
}

// Packed YUYV goes through libswscale; NV12 too.
func TestConvertYUYVAndNV12(t *testing.T) {
	needFFmpeg(t)
	const w, h = 1280, 720
	yuyv, err := devicetest.RecordYUYV(w, h, 30, 2)
	if err != nil {
		t.Fatal(err)
	}
	size := fmt.Sprintf("%dx%d", w, h)
	for _, tc := range []struct {
		format frame.Format
		pixFmt string
	}{{frame.FormatYUYV, "yuyv422"}, {frame.FormatNV12, "nv12"}} {
		input := yuyv[1]
		if tc.format == frame.FormatNV12 {
			input = reference(t, yuyv[1], w, h, "format=yuv420p", "-f", "rawvideo", "-pix_fmt", "yuyv422", "-s", size)[0]
			// yuv420p to NV12: interleave the chroma planes.
			nv := append([]byte(nil), input[:w*h]...)
			cs := w * h / 4
			for i := 0; i < cs; i++ {
				nv = append(nv, input[w*h+i], input[w*h+cs+i])
			}
			input = nv
		}
		want := reference(t, input, w, h, "scale="+strings.Replace(size, "x", ":", 1)+":out_range=tv,format=yuv420p", "-f", "rawvideo", "-pix_fmt", tc.pixFmt, "-s", size)
		c, err := NewConverter(tc.format, w, h, w, h)
		if err != nil {
			t.Fatal(err)
		}
		pic, err := c.Convert(&device.RawFrame{Format: tc.format, Width: w, Height: h, Data: input})
		if err != nil {
			t.Fatalf("%s: %v", tc.format, err)
		}
		samePicture(t, string(tc.format), pic, want[0], w, h, 2)
		pic.Release()
		if _, err := c.Convert(&device.RawFrame{Format: tc.format, Width: w, Height: h, Data: input[:len(input)/2]}); err == nil {
			t.Errorf("%s: a frame cut in half converted without an error", tc.format)
		}
		c.Close()
	}
}

// I420 at the canvas size is the canvas's own layout: copied as it is.
func TestConvertI420IsCopied(t *testing.T) {
	const w, h = 64, 48
	data := make([]byte, w*h*3/2)
	for i := range data {
		data[i] = byte(i * 7)
	}
	c, err := NewConverter(frame.FormatI420, w, h, w, h)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	pic, err := c.Convert(&device.RawFrame{Format: frame.FormatI420, Width: w, Height: h, Data: data})
	if err != nil {
		t.Fatal(err)
	}
	defer pic.Release()
	p := pic.Pic
	var got []byte
	for y := range h {
		got = append(got, p.Y[y*p.YStride:][:w]...)
	}
	for _, pl := range [][]byte{p.Cb, p.Cr} {
		for y := range h / 2 {
			got = append(got, pl[y*p.CStride:][:w/2]...)
		}
	}
	if !bytes.Equal(got, data) {
		t.Error("I420 at canvas size was not copied byte for byte")
	}
}

// A damaged JPEG is an error for that frame (or a damaged picture), never a
// crash, and the next good frame converts as usual.
func TestConvertDamagedJPEG(t *testing.T) {
	needFFmpeg(t)
	jpegs, _, err := devicetest.RecordMJPEG(320, 240, 30, 1)
	if err != nil {
		t.Fatal(err)
	}
	good := jpegs[0]
	c, err := NewConverter(frame.FormatMJPEG, 320, 240, 320, 240)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	rng := rand.New(rand.NewPCG(1, 2))
	noise := make([]byte, 5000)
	for i := range noise {
		noise[i] = byte(rng.Uint32())
	}
	flipped := append([]byte(nil), good...)
	for i := len(flipped) / 3; i < len(flipped)*2/3; i += 17 {
		flipped[i] ^= 0x5a
	}
	header := append([]byte(nil), good[:600]...)
	bad := map[string][]byte{
		"noise":         noise,
		"header only":   header,
		"first half":    good[:len(good)/2],
		"bits flipped":  flipped,
		"just SOI":      {0xFF, 0xD8},
		"SOI then junk": append([]byte{0xFF, 0xD8, 0xFF, 0xC0, 0, 0}, noise[:100]...),
	}
	errs := 0
	for name, data := range bad {
		pic, err := c.Convert(&device.RawFrame{Format: frame.FormatMJPEG, Width: 320, Height: 240, Data: data})
		if err != nil {
			errs++
			continue
		}
		pic.Release() // the decoder concealed the damage: a damaged picture, still a picture
		t.Logf("%s: decoded with concealment", name)
		pic, err = c.Convert(&device.RawFrame{Format: frame.FormatMJPEG, Width: 320, Height: 240, Data: good})
		if err != nil {
			t.Fatalf("a good JPEG after %q: %v", name, err)
		}
		pic.Release()
	}
	if errs == 0 {
		t.Error("no damaged JPEG gave an error")
	}
	for _, data := range [][]byte{noise, {0xFF, 0xD8}} {
		if pic, err := c.Convert(&device.RawFrame{Format: frame.FormatMJPEG, Width: 320, Height: 240, Data: data}); err == nil {
			pic.Release()
			t.Errorf("%d bytes of junk converted without an error", len(data))
		}
	}
	if _, err := c.Convert(&device.RawFrame{Format: frame.FormatMJPEG, Width: 320, Height: 240}); err == nil {
		t.Error("an empty frame converted without an error")
	}
	pic, err := c.Convert(&device.RawFrame{Format: frame.FormatMJPEG, Width: 320, Height: 240, Data: good})
	if err != nil {
		t.Fatalf("a good JPEG after the damaged ones: %v", err)
	}
	pic.Release()
}

func rssMB(t *testing.T) float64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		t.Skip("no /proc/self/statm")
	}
	pages, _ := strconv.Atoi(strings.Fields(string(b))[1])
	return float64(pages*os.Getpagesize()) / (1 << 20)
}

// Thousands of frames through one converter, and hundreds of converters
// opened and closed, hold no more memory than the first few: every AVFrame,
// packet, decoder and graph is freed by its one owner.
func TestConverterOwnership(t *testing.T) {
	needFFmpeg(t)
	jpegs, _, err := devicetest.RecordMJPEG(640, 360, 30, 10)
	if err != nil {
		t.Fatal(err)
	}
	yuyv, err := devicetest.RecordYUYV(640, 360, 30, 1)
	if err != nil {
		t.Fatal(err)
	}
	base := liveConverters.Load()
	run := func(n int) {
		c, err := NewConverter(frame.FormatMJPEG, 640, 360, 640, 360)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < n; i++ {
			pic, err := c.Convert(&device.RawFrame{Format: frame.FormatMJPEG, Width: 640, Height: 360, Data: jpegs[i%len(jpegs)]})
			if err != nil {
				t.Fatal(err)
			}
			pic.Release()
		}
		c.Close()
		c.Close() // twice is harmless
		y, err := NewConverter(frame.FormatYUYV, 640, 360, 1280, 720)
		if err != nil {
			t.Fatal(err)
		}
		pic, err := y.Convert(&device.RawFrame{Format: frame.FormatYUYV, Width: 640, Height: 360, Data: yuyv[0]})
		if err != nil {
			t.Fatal(err)
		}
		pic.Release()
		y.Close()
	}
	for range 20 {
		run(20)
	}
	before := rssMB(t)
	run(3000)
	for range 200 {
		run(3)
	}
	after := rssMB(t)
	if n := liveConverters.Load() - base; n != 0 {
		t.Errorf("%d converters not freed", n)
	}
	if after-before > 24 {
		t.Errorf("resident memory grew from %.0f to %.0f MB over 3600 frames and 400 converters", before, after)
	}
	t.Logf("resident memory %.0f → %.0f MB", before, after)
}

// A camera picture is a libav frame of the canvas's size (the encoder takes
// it by reference, no copy), it stays readable after its converter closes,
// and releasing the last reference frees it.
func TestConvertedPictureIsNativeAndOutlivesConverter(t *testing.T) {
	needFFmpeg(t)
	jpegs, _, err := devicetest.RecordMJPEG(640, 360, 30, 2)
	if err != nil {
		t.Fatal(err)
	}
	base := livePictures.Load()
	c, err := NewConverter(frame.FormatMJPEG, 640, 360, 1280, 720)
	if err != nil {
		t.Fatal(err)
	}
	pic, err := c.Convert(&device.RawFrame{Format: frame.FormatMJPEG, Width: 640, Height: 360, Data: jpegs[0]})
	if err != nil {
		t.Fatal(err)
	}
	av, ok := pic.Native.(*astiav.Frame)
	if !ok {
		t.Fatalf("picture's Native is %T, want *astiav.Frame", pic.Native)
	}
	if av.Width() != 1280 || av.Height() != 720 || av.PixelFormat() != astiav.PixelFormatYuv420P {
		t.Fatalf("libav frame is %dx%d %s, want 1280x720 yuv420p", av.Width(), av.Height(), av.PixelFormat())
	}
	if n := livePictures.Load() - base; n != 1 {
		t.Fatalf("%d pictures live, want 1", n)
	}
	c.Close()
	// Still readable: the bars of a 16:9 picture on a 16:9 canvas are none,
	// so the middle is the test picture, not black or garbage.
	p := pic.Pic
	var sum int
	for x := 0; x < 1280; x++ {
		sum += int(p.Y[360*p.YStride+x])
	}
	if sum/1280 <= 16 {
		t.Errorf("picture after Close reads black (mean luma %d)", sum/1280)
	}
	v := pic.View(7, 0) // the compositor's pass-through keeps the frame alive
	pic.Release()
	if n := livePictures.Load() - base; n != 1 {
		t.Errorf("%d pictures live while a view holds one, want 1", n)
	}
	v.Release()
	if n := livePictures.Load() - base; n != 0 {
		t.Errorf("%d pictures not freed", n)
	}
}
