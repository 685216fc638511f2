package main

import (
	"encoding/json"
	"fmt"
	"image"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"onair/capture"
	"onair/internal/testpeer"
	"onair/overlay"
	"onair/studio"
	"onair/studio/chat"
	"onair/studio/chat/chattest"
)

// A tip on the fake Chaturbate Events API, read by `onair live` from the
// profile's chat section, shows its alert in the broadcast and moves the
// goal bar: frames extracted from the recording are compared with the same
// scene composed here, before and after the same tip.
func TestLiveTipFromChaturbateShowsAnAlertAndFillsTheGoal(t *testing.T) {
	testpeer.Require(t, "ffmpeg", "ffprobe")
	const token = "cbT0kenS3cretXYZ"
	cb := chattest.NewChaturbate(t, "performer", token)
	dir := t.TempDir()
	const w, h = 640, 360
	p := studio.DefaultProfile()
	p.Canvas = studio.Canvas{Width: w, Height: h, FPS: 30}
	p.Video.BitrateKbps = 2500
	p.Scenes = []overlay.SceneSpec{{Name: "Live", Layers: []overlay.LayerSpec{
		{Name: "goal", Kind: overlay.KindGoal, X: 160, Y: 300, Width: 320, Height: 32, Goal: &overlay.GoalSpec{Title: "Dance", Target: 1000, Unit: "tokens"}},
		{Name: "alerts", Kind: overlay.KindAlert, Y: 90, Alerts: &overlay.AlertSpec{HoldSec: 3}},
	}}}
	p.Chat = chat.Config{Chaturbate: &chat.ChaturbateConfig{EventsURL: cb.EventsURL()}}
	profile := filepath.Join(dir, "profile.json")
	b, _ := json.Marshal(p)
	if err := os.WriteFile(profile, b, 0o600); err != nil {
		t.Fatal(err)
	}
	rec := filepath.Join(dir, "show.mkv")
	cmd, stdout, stderr := startOnair(t, nil, "live", "--profile", profile, "--duration", "8s", "--quiet", "--dest", "file://"+rec)
	for deadline := time.Now().Add(15 * time.Second); !strings.Contains(stderr.String(), "chat: chaturbate live"); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the Chaturbate feed did not go live within 15 s:\n%s", stderr.String())
		}
	}
	time.Sleep(time.Second) // a stretch of the scene before the tip
	cb.Push(`{"method":"tip","object":{"broadcaster":"performer","tip":{"tokens":250,"isAnon":false,"message":"for the dance"},"user":{"username":"big_fan","inFanclub":false,"hasTokens":true,"isMod":false,"gender":"m","recentTips":"none"}}}`)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("onair live: %v\n%s", err, stderr.String())
		}
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		<-done
		t.Fatalf("onair live did not end\n%s", stderr.String())
	}
	if !strings.Contains(stderr.String(), "chat: chaturbate ★ big_fan tipped 250 tokens: for the dance") {
		t.Errorf("the tip was not said:\n%s", stderr.String())
	}
	if strings.Contains(stdout.String()+stderr.String(), token) {
		t.Error("the events token was printed")
	}

	// The alert's arrival: the first frame much brighter than the first.
	times, luma := frameLuma(t, rec)
	if len(times) < 200 {
		t.Fatalf("%d frames in the recording", len(times))
	}
	at := -1.0
	for i := range times {
		if luma[i] > luma[0]+3 {
			at = times[i]
			break
		}
	}
	if at < 0 {
		t.Fatalf("no alert in the recording (mean luma per frame %v)", luma)
	}
	t.Logf("the alert shows from %.2f s", at)

	// The same scene composed here, before the tip and 1 s into the alert.
	st, err := overlay.NewStage(w, h, p.Scenes)
	if err != nil {
		t.Fatal(err)
	}
	pool := capture.NewFramePool(w, h)
	black := pool.Get()
	defer black.Release()
	compose := func(at time.Duration) *image.YCbCr {
		f := pool.Get()
		st.Compose(f.Pic, black, at)
		pic := *f.Pic
		pic.Y = append([]uint8(nil), f.Pic.Y...)
		f.Release()
		return &pic
	}
	before := compose(0)
	if _, err := st.Alert(overlay.Event{Kind: "tip", Amount: 250, Unit: "tokens", Name: "big_fan", Message: "for the dance"}); err != nil {
		t.Fatal(err)
	}
	compose(10 * time.Second) // the alert starts
	after := compose(11 * time.Second)

	frameBefore := lumaPlane(t, rec, at-0.5, w, h)
	frameAfter := lumaPlane(t, rec, at+1.0, w, h)
	whole := image.Rect(0, 0, w, h)
	goal := image.Rect(160, 300, 480, 332)
	alert := image.Rect(0, 90, w, 290)
	for _, c := range []struct {
		what  string
		frame []uint8
		ref   *image.YCbCr
		r     image.Rectangle
		min   float64
	}{
		{"before the tip, the whole frame", frameBefore, before, whole, 35},
		{"1 s into the alert, the whole frame", frameAfter, after, whole, 30},
		{"1 s into the alert, the goal bar", frameAfter, after, goal, 30},
	} {
		if db := lumaPSNR(c.frame, c.ref, c.r); db < c.min {
			t.Errorf("%s: %.1f dB PSNR against the scene composed here; want at least %.0f", c.what, db, c.min)
		} else {
			t.Logf("%s: %.1f dB", c.what, db)
		}
	}
	// And the change is the tip's: the frame after is far from the scene
	// before in the alert box and in the goal bar.
	if db := lumaPSNR(frameAfter, before, alert); db > 22 {
		t.Errorf("the alert box after the tip is %.1f dB from the scene without it: no alert drawn", db)
	}
	if db := lumaPSNR(frameAfter, before, goal); db > 25 {
		t.Errorf("the goal bar after the tip is %.1f dB from the empty bar: it did not move", db)
	}
}

// lumaPlane is the luma of the frame at time at, decoded by ffmpeg.
func lumaPlane(t *testing.T, path string, at float64, w, h int) []uint8 {
	t.Helper()
	out, err := exec.Command("ffmpeg", "-v", "error", "-ss", fmt.Sprintf("%.3f", at), "-i", path, "-frames:v", "1",
		"-f", "rawvideo", "-pix_fmt", "yuv420p", "-").Output()
	if err != nil || len(out) < w*h {
		t.Fatalf("extracting the frame at %.2f s: %v (%d bytes)", at, err, len(out))
	}
	return out[:w*h]
}

// lumaPSNR compares a decoded luma plane with a composed picture over r.
func lumaPSNR(y []uint8, ref *image.YCbCr, r image.Rectangle) float64 {
	w := ref.Rect.Dx()
	var se float64
	for row := r.Min.Y; row < r.Max.Y; row++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			d := float64(y[row*w+x]) - float64(ref.Y[row*ref.YStride+x])
			se += d * d
		}
	}
	mse := se / float64(r.Dx()*r.Dy())
	if mse == 0 {
		return 99
	}
	return 10 * math.Log10(255*255/mse)
}
