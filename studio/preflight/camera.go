package preflight

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"onair/capture/device"
	"onair/internal/wire"
)

// settleFor is how long after a camera's first picture its count starts.
const settleFor = 200 * time.Millisecond

// checkCamera counts the pictures the camera sends while the loopback encode
// runs, until ended is closed, and judges their rate against its mode's.
// The count starts a moment after the first picture: a camera takes a while
// to start streaming, then hands over at once what it queued meanwhile, and
// neither is its rate.
func checkCamera(ctx context.Context, srcs *wire.Sources, ended <-chan struct{}) Result {
	start := time.Now()
	cam, _ := srcs.Camera()
	poll := time.NewTicker(20 * time.Millisecond)
	defer poll.Stop()
	var first time.Time
	for {
		if c, _ := srcs.Camera(); c.Delivered > 0 {
			first = time.Now()
			break
		}
		select {
		case <-poll.C:
		case <-ended:
			return judgeCamera(cam, 0, 0, time.Since(start), time.Since(start))
		case <-ctx.Done():
			return judgeCamera(cam, 0, 0, time.Since(start), time.Since(start))
		}
	}
	settle := time.NewTimer(settleFor)
	defer settle.Stop()
	over := false
	select {
	case <-settle.C:
	case <-ended:
		over = true
	case <-ctx.Done():
		over = true
	}
	from, _ := srcs.Camera()
	since := time.Now()
	if !over {
		select {
		case <-ended:
		case <-ctx.Done():
		}
	}
	end, ok := srcs.Camera()
	if !ok || !sameCamera(cam, from) || !sameCamera(cam, end) {
		// The performer chose another camera (or none) meanwhile: two
		// cameras' counts say nothing.
		return Result{Name: "camera " + cam.Label, Level: Amber, Took: time.Since(start),
			Reason: "the camera was changed during the check: check again to measure it"}
	}
	return judgeCamera(end, end.Delivered-from.Delivered, time.Since(since), first.Sub(start), time.Since(start))
}

// sameCamera reports whether a and b are the same camera in the same mode
// (a reopened camera counts from zero again).
func sameCamera(a, b wire.CameraState) bool {
	return a.Label == b.Label && a.Mode == b.Mode && b.Delivered >= a.Delivered
}

// judgeCamera judges n pictures received over window; the first picture
// came firstAfter into the check. Without any picture window is zero, and
// firstAfter how long the check waited.
func judgeCamera(c wire.CameraState, n int64, window, firstAfter, took time.Duration) Result {
	r := Result{Name: "camera " + c.Label, Took: took}
	asked := strconv.FormatFloat(c.Mode.FPS, 'f', -1, 64)
	r.Detail = "mode " + c.Mode.String()
	if a := askedString(c.Asked); a != "" && !sameMode(c.Asked, c.Mode) {
		r.Detail += " (asked " + a + ")"
	}
	if n == 0 && window == 0 {
		r.Level, r.Reason = Red, fmt.Sprintf("the camera sent no picture in %.0f s: is another program using it?", firstAfter.Seconds())
		return r
	}
	fps := 0.0
	if window > 0 {
		fps = float64(n) / window.Seconds()
	}
	r.Detail += fmt.Sprintf(", %d pictures in %.2f s (%.1f fps)", n, window.Seconds(), fps)
	if firstAfter >= 500*time.Millisecond {
		r.Detail += fmt.Sprintf(", the first after %.1f s", firstAfter.Seconds())
	}
	switch {
	case n == 0:
		r.Level, r.Reason = Red, fmt.Sprintf("the camera sent no picture for %.0f s: is it unplugged, or in use by another program?", window.Seconds())
	case window < time.Second:
		// Too short to tell its rate.
		r.Level, r.Reason = Amber, fmt.Sprintf("the camera took %.1f s to send its first picture: check again once it has warmed up", firstAfter.Seconds())
	case c.Mode.FPS <= 0 || fps >= 0.9*c.Mode.FPS:
		r.Level, r.Reason = Green, fmt.Sprintf("the camera delivers %.1f fps of its mode's %s", fps, asked)
	case fps >= 0.5*c.Mode.FPS:
		r.Level, r.Reason = Amber, fmt.Sprintf("your camera delivers %.0f fps of its mode's %s: more light, a lower mode, or a USB port of its own", fps, asked)
	default:
		r.Level, r.Reason = Red, fmt.Sprintf("your camera delivers only %.0f fps of its mode's %s: more light, a lower mode, or a USB port of its own", fps, asked)
	}
	return r
}

// askedString is a mode as asked: the parts given.
func askedString(m device.Mode) string {
	if m.Width <= 0 {
		return ""
	}
	s := fmt.Sprintf("%dx%d", m.Width, m.Height)
	if m.FPS > 0 {
		s += "@" + strconv.FormatFloat(m.FPS, 'f', -1, 64)
	}
	return s
}

// sameMode reports whether the camera opened in the size and rate asked.
func sameMode(asked, got device.Mode) bool {
	return asked.Width == got.Width && asked.Height == got.Height && (asked.FPS <= 0 || asked.FPS == got.FPS)
}
