package main

import (
	"fmt"
	"image"
	"image/png"
	"os"
	"os/exec"
	"syscall"
	"time"

	"onair/capture"
	"onair/internal/benchrun"
	"onair/overlay"
)

// sceneMeasurement is onair's scene (this program as a worker) against
// ffmpeg's overlay and drawtext at resolution r.
func sceneMeasurement(self string, r resolution, in inputs, seconds int) *measurement {
	clip := in.clips[r.name]
	runCmd := func(cmd *exec.Cmd) (sample, error) {
		cmd.Stderr = os.Stderr
		return measure(cmd, seconds)
	}
	return &measurement{
		res: r, clip: clip, reference: "ffmpeg " + benchrun.QuoteArgs(ffmpegArgs(r, clip, in.logo, in.font, false, seconds)),
		onair: func(bare bool) (sample, error) {
			return runCmd(exec.Command(self, "-worker", r.name, "-clip", clip, "-logo", in.logo,
				"-seconds", fmt.Sprint(seconds), fmt.Sprintf("-bare=%v", bare)))
		},
		ffmpeg: func(bare bool) (sample, error) {
			return runCmd(exec.Command("ffmpeg", ffmpegArgs(r, clip, in.logo, in.font, bare, seconds)...))
		},
	}
}

// workerScene is the scene ffmpegArgs draws: the camera, the logo at the
// same place, the clock in the same font (the bundled Go Regular), size and
// outline, no shadow (drawtext draws none). bare: the camera alone.
func workerScene(r resolution, logo string, bare bool) []overlay.SceneSpec {
	camera := overlay.LayerSpec{Name: "camera", Kind: overlay.KindCamera}
	if bare {
		return []overlay.SceneSpec{{Name: "Live", Layers: []overlay.LayerSpec{camera}}}
	}
	return []overlay.SceneSpec{{Name: "Live", Layers: []overlay.LayerSpec{
		camera,
		{Name: "logo", Kind: overlay.KindImage, Path: logo, X: logoX(r), Y: logoMargin},
		{Name: "clock", Kind: overlay.KindText, Text: "{clock}", X: clockX, Y: clockY,
			Style: overlay.TextSpec{Size: clockSize, Outline: clockOutline}},
	}}}
}

// runWorker is onair's scene as the studio draws it: a 30 fps ticker takes
// the clip's next frame as the camera's newest, the compositor draws the
// stage onto a canvas of its pool, and the frame is released, n times.
func runWorker(r resolution, clip, logo string, bare bool, n int, snapshot string) error {
	// Mapped, not read into the heap: the frames stand for a camera's
	// buffers, as in bench/camera's worker.
	frames, unmap, err := mapClip(r, clip)
	if err != nil {
		return err
	}
	defer unmap()
	st, err := overlay.NewStage(r.w, r.h, workerScene(r, logo, bare))
	if err != nil {
		return err
	}
	comp := overlay.NewCompositor(r.w, r.h)
	comp.SetStage(st)
	tick := time.NewTicker(time.Second / fps)
	defer tick.Stop()
	for i := range n {
		<-tick.C
		at := time.Duration(i) * time.Second / fps
		out := comp.Compose(frames[i%len(frames)], int64(i), at)
		if i == n-1 && snapshot != "" {
			if err := writePNG(snapshot, out.Pic); err != nil {
				out.Release()
				return err
			}
		}
		out.Release()
	}
	return nil
}

// mapClip maps a raw yuv420p clip and shows each of its frames as a
// read-only capture.Frame over the mapping.
func mapClip(r resolution, path string) ([]*capture.Frame, func(), error) {
	file, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	st, err := file.Stat()
	if err != nil {
		file.Close()
		return nil, nil, err
	}
	size := frameBytes(r)
	if st.Size() < int64(size) || st.Size()%int64(size) != 0 {
		file.Close()
		return nil, nil, fmt.Errorf("%s is %d bytes: not whole %dx%d yuv420p frames", path, st.Size(), r.w, r.h)
	}
	data, err := syscall.Mmap(int(file.Fd()), 0, int(st.Size()), syscall.PROT_READ, syscall.MAP_SHARED)
	file.Close()
	if err != nil {
		return nil, nil, err
	}
	ySize, cSize := r.w*r.h, r.w*r.h/4
	var frames []*capture.Frame
	for off := 0; off+size <= len(data); off += size {
		b := data[off : off+size : off+size]
		pic := &image.YCbCr{
			Y: b[:ySize], Cb: b[ySize : ySize+cSize], Cr: b[ySize+cSize:],
			YStride: r.w, CStride: r.w / 2, SubsampleRatio: image.YCbCrSubsampleRatio420,
			Rect: image.Rect(0, 0, r.w, r.h),
		}
		frames = append(frames, capture.NewFrame(pic, int64(len(frames)), 0, nil))
	}
	unmap := func() {
		for _, f := range frames {
			f.Release()
		}
		syscall.Munmap(data)
	}
	return frames, unmap, nil
}

func writePNG(path string, img image.Image) error {
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
