package main

import (
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"os/exec"
	"path/filepath"

	"golang.org/x/image/font/gofont/goregular"
)

// inputs are what both tools read, written once under bench/cache.
type inputs struct {
	clips map[string]string // resolution name → raw yuv420p clip
	logo  string
	font  string // Go Regular, onair's bundled font, for drawtext (a relative path: nothing in it to escape in a filter graph)
}

// clipFrames is the clip's length: one second, looped. Its pictures do not
// change what either tool does per frame; a short clip keeps the cache small.
const clipFrames = fps

func prepare(res []resolution) (inputs, error) {
	dir := filepath.Join("bench", "cache")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return inputs{}, err
	}
	in := inputs{clips: map[string]string{},
		logo: filepath.Join(dir, fmt.Sprintf("scene-logo-%dx%d.png", logoW, logoH)),
		font: filepath.Join(dir, "GoRegular.ttf")}
	if err := os.WriteFile(in.font, goregular.TTF, 0o644); err != nil {
		return inputs{}, err
	}
	if err := writeLogo(in.logo); err != nil {
		return inputs{}, err
	}
	for _, r := range res {
		clip, err := ensureClip(dir, r)
		if err != nil {
			return inputs{}, err
		}
		in.clips[r.name] = clip
	}
	return in, nil
}

// ensureClip records testsrc2 as raw BT.709 limited-range yuv420p (the
// canvas's format) once, cached.
func ensureClip(dir string, r resolution) (string, error) {
	clip := filepath.Join(dir, fmt.Sprintf("scene-%s-%dframes.yuv", r.name, clipFrames))
	if fi, err := os.Stat(clip); err == nil && fi.Size() == int64(frameBytes(r)*clipFrames) {
		return clip, nil
	}
	fmt.Println("recording", clip, "…")
	tmp := clip + ".tmp"
	out, err := exec.Command("ffmpeg", "-v", "error", "-nostdin", "-y",
		"-f", "lavfi", "-i", fmt.Sprintf("testsrc2=size=%dx%d:rate=%d", r.w, r.h, fps),
		"-frames:v", fmt.Sprint(clipFrames), "-vf", "scale=out_color_matrix=bt709:out_range=tv,format=yuv420p",
		"-f", "rawvideo", tmp).CombinedOutput()
	if err != nil {
		os.Remove(tmp)
		return "", fmt.Errorf("recording the clip: %v\n%s", err, out)
	}
	return clip, os.Rename(tmp, clip)
}

func frameBytes(r resolution) int { return r.w * r.h * 3 / 2 }

// writeLogo draws the logo: an ellipse with an opaque core, an antialiased
// edge band and clear corners (about 60 % transparent, 30 % opaque, 10 %
// partial, like overlay's blend benchmark), as a PNG with alpha.
func writeLogo(path string) error {
	img := image.NewNRGBA(image.Rect(0, 0, logoW, logoH))
	for y := range logoH {
		for x := range logoW {
			dx := (float64(x) + 0.5 - logoW/2.0) / (logoW / 2.0)
			dy := (float64(y) + 0.5 - logoH/2.0) / (logoH / 2.0)
			a := math.Max(0, math.Min(1, (0.715-math.Hypot(dx, dy))/0.105))
			img.SetNRGBA(x, y, color.NRGBA{uint8(200 - x/3), uint8(40 + y), 170, uint8(a*255 + 0.5)})
		}
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := png.Encode(f, img); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// ffmpegArgs is the reference: the clip paced with -re and looped, the logo
// converted to yuva420p once (overlay repeats its one frame), overlaid in
// 4:2:0, the clock drawn by drawtext, frames dropped by the null muxer.
// bare: the clip alone, no filters.
func ffmpegArgs(r resolution, clip, logo, font string, bare bool, seconds int) []string {
	graph := fmt.Sprintf("[1]scale=out_color_matrix=bt709:out_range=tv,format=yuva420p[l];"+
		"[0][l]overlay=x=%d:y=%d:format=yuv420,"+
		"drawtext=fontfile=%s:text='%%{localtime\\:%%T}':fontsize=%d:fontcolor=white:borderw=%d:bordercolor=black:x=%d:y=%d",
		logoX(r), logoMargin, font, clockSize, clockOutline, clockX, clockY)
	args := []string{"-v", "error", "-nostdin", "-nostats",
		"-re", "-f", "rawvideo", "-pix_fmt", "yuv420p", "-s", fmt.Sprintf("%dx%d", r.w, r.h), "-framerate", fmt.Sprint(fps),
		"-stream_loop", "-1", "-i", clip}
	if !bare {
		args = append(args, "-i", logo, "-filter_complex", graph)
	}
	return append(args, "-t", fmt.Sprint(seconds), "-f", "null", "-")
}
