package overlay

import (
	"image"
	"image/color"
	"image/gif"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"onair/capture"
)

// logoPNG writes a w×h PNG: an orange disc whose alpha falls off from the
// centre (straight alpha, every level from 0 to 255).
func logoPNG(t testing.TB, dir string, w, h int) string {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	cx, cy, r := float64(w)/2, float64(h)/2, float64(min(w, h))/2
	for y := range h {
		for x := range w {
			dx, dy := (float64(x)-cx)/r, (float64(y)-cy)/r
			a := 1.3 - (dx*dx+dy*dy)*1.3
			img.SetNRGBA(x, y, color.NRGBA{255, 140, 0, uint8(min(max(a, 0), 1) * 255)})
		}
	}
	path := filepath.Join(dir, "logo.png")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := png.Encode(f, img); err != nil {
		t.Fatal(err)
	}
	return path
}

func testFrame(t testing.TB, w, h int) *capture.Frame {
	t.Helper()
	card, err := capture.NewTestCard(w, h, 30)
	if err != nil {
		t.Fatal(err)
	}
	f, err := card.Latest(0)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// lumaAt is the canvas's luma at (x, y).
func lumaAt(c *image.YCbCr, x, y int) uint8 { return c.Y[y*c.YStride+x] }

func mustStage(t *testing.T, w, h int, scenes []SceneSpec) *Stage {
	t.Helper()
	st, err := NewStage(w, h, scenes)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// Two flat scenes: white and black text-free boxes, told apart by luma.
func flatScenes(t *testing.T) []SceneSpec {
	dir := t.TempDir()
	white := image.NewNRGBA(image.Rect(0, 0, 64, 64))
	for i := range white.Pix {
		white.Pix[i] = 255
	}
	path := filepath.Join(dir, "white.png")
	f, _ := os.Create(path)
	png.Encode(f, white)
	f.Close()
	return []SceneSpec{
		{Name: "Black", Layers: []LayerSpec{{Name: "nothing", Kind: KindText, Text: ""}}},
		{Name: "White", Layers: []LayerSpec{{Name: "box", Kind: KindImage, Path: path, Width: 64, Height: 64}}},
		{Name: PrivacyScene, Layers: []LayerSpec{{Name: "card", Kind: KindText, Text: "Back soon", Y: 20}}},
	}
}

func TestSceneCutAndFade(t *testing.T) {
	st := mustStage(t, 64, 64, flatScenes(t))
	c := canvas(64, 64, 0)
	st.Compose(c, nil, 0)
	if y := lumaAt(c, 32, 32); y != 16 {
		t.Fatalf("first scene: luma %d, want black 16", y)
	}
	// A cut shows the scene from the next frame.
	if err := st.SwitchScene("white", 0); err != nil {
		t.Fatal(err)
	}
	st.Compose(c, nil, 33*time.Millisecond)
	if y := lumaAt(c, 32, 32); y != 235 {
		t.Fatalf("after the cut: luma %d, want white 235", y)
	}
	// A fade of 400 ms: half way, half way between the two.
	if err := st.SwitchScene("Black", 400*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	base := time.Second
	st.Compose(c, nil, base)
	if y := lumaAt(c, 32, 32); y < 230 {
		t.Errorf("fade's first frame: luma %d, want the outgoing white", y)
	}
	st.Compose(c, nil, base+200*time.Millisecond)
	if y := lumaAt(c, 32, 32); y < 120 || y > 131 {
		t.Errorf("half way through the fade: luma %d, want about 125", y)
	}
	st.Compose(c, nil, base+400*time.Millisecond)
	if y := lumaAt(c, 32, 32); y != 16 {
		t.Errorf("after the fade: luma %d, want black", y)
	}
	if _, on := st.Scenes(); on != "Black" {
		t.Errorf("on air %q, want Black", on)
	}
	if err := st.SwitchScene("Nope", 0); err == nil || !strings.Contains(err.Error(), "White") {
		t.Errorf("an unknown scene gave %v; want an error listing the scenes", err)
	}
	if err := st.SwitchScene("white", time.Hour); err != nil { // a fade is capped
		t.Fatal(err)
	}
	st.Compose(c, nil, 2*time.Second)
	st.Compose(c, nil, 2*time.Second+MaxFade)
	if y := lumaAt(c, 32, 32); y != 235 {
		t.Errorf("a fade asked for an hour lasts %v at most; luma %d", MaxFade, y)
	}
}

func TestPrivacyCutAndBack(t *testing.T) {
	st := mustStage(t, 64, 64, flatScenes(t))
	var calls []bool
	st.OnPrivacy(func(on bool) { calls = append(calls, on) })
	c := canvas(64, 64, 0)
	st.SwitchScene("White", 0)
	st.Compose(c, nil, 0)
	if err := st.Privacy(true); err != nil {
		t.Fatal(err)
	}
	st.Privacy(true) // twice is once
	st.Compose(c, nil, 33*time.Millisecond)
	if _, on := st.Scenes(); on != PrivacyScene || !st.InPrivacy() {
		t.Fatalf("privacy on: %q on air", on)
	}
	// A scene switch during privacy changes where it comes back to, not
	// what shows.
	st.SwitchScene("Black", 0)
	st.Compose(c, nil, 66*time.Millisecond)
	if _, on := st.Scenes(); on != PrivacyScene {
		t.Fatalf("a switch broke the privacy cut: %q on air", on)
	}
	st.Privacy(false)
	st.Compose(c, nil, 100*time.Millisecond)
	if _, on := st.Scenes(); on != "Black" {
		t.Errorf("privacy off went to %q, want Black (asked for during the cut)", on)
	}
	if len(calls) != 2 || !calls[0] || calls[1] {
		t.Errorf("privacy hooks ran %v, want [true false]", calls)
	}
	// A set without a privacy scene gets onair's own: the cut still works.
	noPrivacy := mustStage(t, 64, 64, flatScenes(t)[:2])
	if err := noPrivacy.Privacy(true); err != nil {
		t.Fatal(err)
	}
	noPrivacy.Compose(c, nil, 0)
	if _, on := noPrivacy.Scenes(); on != PrivacyScene {
		t.Errorf("privacy with no privacy scene of the profile's: %q on air", on)
	}
}

func TestAlertsOneAtATimeInOrderAndSkipped(t *testing.T) {
	st := mustStage(t, 320, 180, []SceneSpec{{Name: "Live", Layers: []LayerSpec{
		{Name: "alerts", Kind: KindAlert, Alerts: &AlertSpec{Queue: 5, HoldSec: 1, EnterSec: 0.2, ExitSec: 0.2,
			Rules: map[string]AlertRule{"tip": {MinAmount: 10}}}},
	}}})
	queued := 0
	for i := range 50 {
		ok, err := st.Alert(Event{Kind: "tip", Amount: 100, Name: "v" + string(rune('a'+i%26))})
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			queued++
		}
	}
	if ok, _ := st.Alert(Event{Kind: "tip", Amount: 5, Name: "small"}); ok {
		t.Error("a tip under the rule's minimum was queued")
	}
	if _, err := st.Alert(Event{Kind: "dance", Name: "x"}); err == nil {
		t.Error("an unknown kind gave no error")
	}
	if _, skipped := st.Stats(); queued != 5 || skipped != 45 {
		t.Fatalf("queued %d, skipped %d; want 5 and 45", queued, skipped)
	}
	c := canvas(320, 180, 16)
	var started []time.Duration
	prev := int64(0)
	for at := time.Duration(0); at < 10*time.Second; at += time.Second / 30 {
		st.Compose(c, nil, at)
		if shown, _ := st.Stats(); shown != prev {
			started = append(started, at)
			prev = shown
		}
	}
	if len(started) != 5 {
		t.Fatalf("%d alerts shown, want 5", len(started))
	}
	for i := 1; i < len(started); i++ {
		if gap := started[i] - started[i-1]; gap < 1400*time.Millisecond {
			t.Errorf("alert %d started %v after the one before, which lasts 1.4 s: they overlap", i+1, gap)
		}
	}
}

func TestGoalFillsAndMovesOn(t *testing.T) {
	st := mustStage(t, 320, 180, []SceneSpec{{Name: "Live", Layers: []LayerSpec{
		{Name: "goal", Kind: KindGoal, Width: 300, Height: 30, Goal: &GoalSpec{Title: "Dance", Target: 100, Unit: "tokens",
			Next: []GoalStep{{Title: "Song", Target: 50}}}},
		{Name: "fields", Kind: KindText, Text: "{goal} | {last_tip} | {top_tipper}"},
	}}})
	st.Alert(Event{Kind: "tip", Amount: 60, Name: "Ana"})
	st.Alert(Event{Kind: "tip", Amount: 30, Name: "Bo"})
	st.Alert(Event{Kind: "tip", Amount: 20, Name: "Ana"}) // 110: Dance reached, 10 carried to Song
	got := st.expand("{goal} | {last_tip} | {top_tipper}", 0)
	if want := "Song: 10 / 50 tokens | Ana 20 tokens | Ana (80 tokens)"; got != want {
		t.Errorf("fields %q, want %q", got, want)
	}
	st.Alert(Event{Kind: "tip", Amount: 45, Name: "Cy"}) // 55: Song reached, back to Dance with 5
	if got := st.expand("{goal}", 0); got != "Dance: 5 / 100 tokens" {
		t.Errorf("after the last goal: %q", got)
	}
}

// A tip in another unit than the goal's is shown with its own unit and does
// not fill the goal; currency signs go before the amount.
func TestTipsInOtherUnitsLeaveTheGoal(t *testing.T) {
	st := mustStage(t, 320, 180, []SceneSpec{{Name: "Live", Layers: []LayerSpec{
		{Name: "goal", Kind: KindGoal, Width: 300, Height: 30, Goal: &GoalSpec{Title: "Dance", Target: 100, Unit: "tokens"}},
	}}})
	st.Alert(Event{Kind: "tip", Amount: 40, Unit: "Tokens", Name: "Ana"})
	st.Alert(Event{Kind: "tip", Amount: 5, Unit: "$", Name: "Bo"})
	st.Alert(Event{Kind: "tip", Amount: 300, Unit: "bits", Name: "Cy"})
	if got, want := st.expand("{goal} | {last_tip} | {top_tipper}", 0), "Dance: 40 / 100 tokens | Cy 300 bits | Ana (40 Tokens)"; got != want {
		t.Errorf("fields %q, want %q", got, want)
	}
	usd := mustStage(t, 320, 180, []SceneSpec{{Name: "Live", Layers: []LayerSpec{
		{Name: "goal", Kind: KindGoal, Width: 300, Height: 30, Goal: &GoalSpec{Title: "Lights", Target: 50, Unit: "$"}},
	}}})
	usd.Alert(Event{Kind: "tip", Amount: 12.5, Unit: "USD", Name: "Di"})
	usd.Alert(Event{Kind: "tip", Amount: 10, Unit: "EUR", Name: "Ed"})
	if got, want := usd.expand("{goal} | {top_tipper}", 0), "Lights: $12.5 / $50 | Di (12.5 USD)"; got != want {
		t.Errorf("fields %q, want %q", got, want)
	}
	// A goal without a unit counts the first tip's unit only.
	any := mustStage(t, 320, 180, []SceneSpec{{Name: "Live", Layers: []LayerSpec{
		{Name: "goal", Kind: KindGoal, Width: 300, Height: 30, Goal: &GoalSpec{Title: "Party", Target: 1000}},
	}}})
	any.Alert(Event{Kind: "tip", Amount: 5, Unit: "USD", Name: "A"})
	any.Alert(Event{Kind: "tip", Amount: 300, Unit: "bits", Name: "B"})
	any.Alert(Event{Kind: "tip", Amount: 100, Unit: "tokens", Name: "C"})
	any.Alert(Event{Kind: "tip", Amount: 2, Unit: "$", Name: "D"})
	if _, cur, _, _ := any.Goal(); cur != 7 {
		t.Errorf("a goal without a unit holds %g after $5, 300 bits, 100 tokens and $2; want 7", cur)
	}
	if !SameUnit("$", "usd") || SameUnit("tokens", "$") || !SameUnit("", "bits") {
		t.Error("SameUnit")
	}
}

// Lines removed by key leave the chat box; the others stay.
func TestRemoveChat(t *testing.T) {
	st := mustStage(t, 64, 64, flatScenes(t))
	st.Chat(ChatLine{Author: "a", Text: "one", Key: "k1"})
	st.Chat(ChatLine{Author: "b", Text: "two", Key: "k2"})
	st.Chat(ChatLine{Author: "c", Text: "three"})
	st.RemoveChat("k1", "", "nothing")
	var left []string
	for _, e := range st.chat.lines {
		left = append(left, e.line.Text)
	}
	if strings.Join(left, ",") != "two,three" {
		t.Errorf("left %q", left)
	}
}

func TestShowAndHideLayers(t *testing.T) {
	st := mustStage(t, 64, 64, flatScenes(t))
	c := canvas(64, 64, 0)
	st.SwitchScene("White", 0)
	st.Compose(c, nil, 0)
	if err := st.SetVisible("box", false); err != nil {
		t.Fatal(err)
	}
	st.Compose(c, nil, time.Second/30)
	if y := lumaAt(c, 32, 32); y != 16 {
		t.Errorf("hidden layer still drawn: luma %d", y)
	}
	st.SetVisible("BOX", true)
	st.Compose(c, nil, 2*time.Second/30)
	if y := lumaAt(c, 32, 32); y != 235 {
		t.Errorf("shown layer not drawn: luma %d", y)
	}
	if err := st.SetVisible("ghost", true); err == nil {
		t.Error("an unknown layer gave no error")
	}
}

// The default scenes pass a canvas-sized camera through without a copy; a
// visible logo or an alert on screen makes a frame of the compositor's.
func TestStagePassesTheCameraThrough(t *testing.T) {
	c := NewCompositor(320, 180)
	st := mustStage(t, 320, 180, nil)
	c.SetStage(st)
	src := testFrame(t, 320, 180)
	defer src.Release()
	out := c.Compose(src, 1, 0)
	if out.Pic != src.Pic {
		t.Error("the default Live scene copied the camera")
	}
	out.Release()
	st.Alert(Event{Kind: "follow", Name: "Ana"})
	out = c.Compose(src, 2, time.Second/30)
	if out.Pic == src.Pic {
		t.Error("an alert on screen was not drawn")
	}
	out.Release()
}

func TestSceneSpecsAreCheckedInWords(t *testing.T) {
	one := 1.5
	for _, tc := range []struct {
		scenes []SceneSpec
		want   string
	}{
		{[]SceneSpec{{Name: ""}}, "no name"},
		{[]SceneSpec{{Name: "A"}, {Name: "a"}}, "two scenes"},
		{[]SceneSpec{{Name: "A", Layers: []LayerSpec{{Name: "x", Kind: "video"}}}}, "kind"},
		{[]SceneSpec{{Name: "A", Layers: []LayerSpec{{Name: "x", Kind: KindImage}}}}, "path"},
		{[]SceneSpec{{Name: "A", Layers: []LayerSpec{{Name: "x", Kind: KindText, Opacity: &one}}}}, "opacity"},
		{[]SceneSpec{{Name: "A", Layers: []LayerSpec{{Name: "x", Kind: KindText, Style: TextSpec{Color: "red"}}}}}, "#RRGGBB"},
		{[]SceneSpec{{Name: "A", Layers: []LayerSpec{{Name: "g", Kind: KindGoal}}}}, "target"},
		{[]SceneSpec{{Name: "A", Layers: []LayerSpec{{Name: "x", Kind: KindImage, Path: "/nowhere/logo.png"}}}}, "logo.png"},
		{[]SceneSpec{{Name: "A", Layers: []LayerSpec{{Name: "x", Kind: KindAlert, Alerts: &AlertSpec{Rules: map[string]AlertRule{"dance": {}}}}}}}, "dance"},
	} {
		_, err := NewStage(64, 64, tc.scenes)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: got %v, want an error mentioning %q", tc.scenes, err, tc.want)
		}
	}
}

// A fixed scene — the test card as the camera, a PNG logo with alpha,
// outlined and shadowed text, a goal bar and an alert sliding in — at
// 1280x720 and at an odd size, against references in testdata
// (go test ./overlay -run Golden -update rewrites them).
func TestGoldenScene(t *testing.T) {
	dir := t.TempDir()
	logo := logoPNG(t, dir, 200, 100)
	for _, c := range []struct {
		name string
		w, h int
	}{{"1280x720", 1280, 720}, {"853x479", 853, 479}} {
		t.Run(c.name, func(t *testing.T) {
			scenes := []SceneSpec{{Name: "Live", Layers: []LayerSpec{
				{Name: "camera", Kind: KindCamera},
				{Name: "logo", Kind: KindImage, Path: logo, X: c.w - 221, Y: 19},
				{Name: "title", Kind: KindText, Text: "Live: {last_tip}", X: 31, Y: 21,
					Style: TextSpec{Size: 36, Outline: 3, Shadow: [2]int{3, 3}, Color: "#ffd700"}},
				{Name: "goal", Kind: KindGoal, X: c.w/4 + 1, Y: c.h - 80, Width: c.w / 2, Height: 44,
					Goal: &GoalSpec{Title: "Dance", Target: 500, Unit: "tokens"}},
				{Name: "alerts", Kind: KindAlert, Y: c.h / 4, Alerts: &AlertSpec{Animation: "slide", EnterSec: 0.5}},
			}}}
			st := mustStage(t, c.w, c.h, scenes)
			st.now = func() time.Time { return time.Date(2026, 11, 30, 12, 34, 56, 0, time.UTC) }
			src := testFrame(t, c.w&^1, c.h&^1) // a camera's sides are even
			defer src.Release()
			cv := canvas(c.w, c.h, 0)
			st.Alert(Event{Kind: "tip", Amount: 120, Name: "Ana", Message: "great show"})
			st.Compose(cv, src, 0)                    // the alert starts
			st.Compose(cv, src, 300*time.Millisecond) // 60 % in: mid-slide
			compareGolden(t, filepath.Join("testdata", "scene-golden-"+c.name+".png"), cv)
		})
	}
}

// An animated GIF plays its frames for their delays, in a loop.
func TestAnimatedGIFPlays(t *testing.T) {
	pal := color.Palette{color.NRGBA{0, 0, 0, 255}, color.NRGBA{255, 255, 255, 255}}
	frame := func(c uint8) *image.Paletted {
		p := image.NewPaletted(image.Rect(0, 0, 32, 32), pal)
		for i := range p.Pix {
			p.Pix[i] = c
		}
		return p
	}
	g := &gif.GIF{Image: []*image.Paletted{frame(0), frame(1)}, Delay: []int{10, 20}} // 100 ms, 200 ms
	path := filepath.Join(t.TempDir(), "blink.gif")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := gif.EncodeAll(f, g); err != nil {
		t.Fatal(err)
	}
	f.Close()
	st := mustStage(t, 64, 64, []SceneSpec{{Name: "A", Layers: []LayerSpec{{Name: "blink", Kind: KindImage, Path: path}}}})
	c := canvas(64, 64, 0)
	for _, tc := range []struct {
		at   time.Duration
		luma uint8
	}{{0, 16}, {90 * time.Millisecond, 16}, {150 * time.Millisecond, 235}, {290 * time.Millisecond, 235}, {310 * time.Millisecond, 16}} {
		st.Compose(c, nil, tc.at)
		if y := lumaAt(c, 16, 16); y != tc.luma {
			t.Errorf("at %v: luma %d, want %d", tc.at, y, tc.luma)
		}
	}
}

// Scenes edited during the privacy cut keep the privacy scene on air; a set
// that cannot be built changes nothing, alert rules included; a set without
// an alert box takes no alerts.
func TestSetScenesWhileLive(t *testing.T) {
	scenes := flatScenes(t)
	scenes[0].Layers = append(scenes[0].Layers, LayerSpec{Name: "alerts", Kind: KindAlert})
	st := mustStage(t, 64, 64, scenes)
	c := canvas(64, 64, 0)
	st.Privacy(true)
	if err := st.SetScenes(scenes); err != nil { // before the cut is even drawn
		t.Fatal(err)
	}
	st.Compose(c, nil, 0)
	if _, on := st.Scenes(); on != PrivacyScene {
		t.Fatalf("after editing the scenes during the privacy cut, %q is on air", on)
	}
	if st.Passthrough(testFrame(t, 64, 64)) {
		t.Error("the camera would go out during the privacy cut")
	}
	off := []SceneSpec{{Name: "Live", Layers: []LayerSpec{
		{Name: "alerts", Kind: KindAlert, Alerts: &AlertSpec{Rules: map[string]AlertRule{"tip": {Off: true}}}},
		{Name: "logo", Kind: KindImage, Path: "/nowhere/logo.png"},
	}}}
	if err := st.SetScenes(off); err == nil {
		t.Fatal("a missing image was accepted")
	}
	if ok, err := st.Alert(Event{Kind: "tip", Amount: 5, Name: "Ana"}); !ok || err != nil {
		t.Errorf("a refused edit changed the alert rules: queued %v, %v", ok, err)
	}
	if err := st.SetScenes(flatScenes(t)); err != nil {
		t.Fatal(err)
	}
	if ok, err := st.Alert(Event{Kind: "follow", Name: "Bo"}); ok || err != nil {
		t.Errorf("scenes without an alert box took an alert: %v, %v", ok, err)
	}
}

// Two callers switching the privacy cut at once leave the scene and the
// mute agreeing.
func TestPrivacyAndItsMuteAgree(t *testing.T) {
	st := mustStage(t, 64, 64, flatScenes(t))
	var muted bool
	st.OnPrivacy(func(on bool) { time.Sleep(20 * time.Microsecond); muted = on })
	for round := range 100 {
		done := make(chan struct{})
		go func() { st.Privacy(round%2 == 0); close(done) }()
		st.Privacy(round%3 == 0)
		<-done
		if st.InPrivacy() != muted {
			t.Fatalf("round %d: privacy %v but muted %v", round, st.InPrivacy(), muted)
		}
	}
}

// A huge tip against a tiny goal, and a GIF that claims a huge screen, cost
// next to nothing and say so.
func TestHugeInputsAreCheap(t *testing.T) {
	st := mustStage(t, 64, 64, []SceneSpec{{Name: "Live", Layers: []LayerSpec{
		{Name: "goal", Kind: KindGoal, Goal: &GoalSpec{Title: "A", Target: MinGoal, Next: []GoalStep{{Title: "B", Target: 0.02}}}},
	}}})
	start := time.Now()
	if _, err := st.Alert(Event{Kind: "tip", Amount: MaxAmount, Name: "whale"}); err != nil {
		t.Error(err) // no alert box: the goal still fills
	}
	if d := time.Since(start); d > 50*time.Millisecond {
		t.Errorf("a tip of %g against a goal of %g took %v", float64(MaxAmount), MinGoal, d)
	}
	if _, err := st.Alert(Event{Kind: "tip", Amount: math.NaN(), Name: "x"}); err == nil {
		t.Error("a NaN amount was taken")
	}
	if err := ValidateScenes([]SceneSpec{{Name: "A", Layers: []LayerSpec{{Name: "g", Kind: KindGoal, Goal: &GoalSpec{Target: 1e-9}}}}}); err == nil {
		t.Error("a goal of 1e-9 was accepted")
	}
	// A GIF header claiming 12000x12000: refused before anything is decoded.
	gifData := []byte("GIF89a\xe0\x2e\xe0\x2e\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;")
	path := filepath.Join(t.TempDir(), "huge.gif")
	os.WriteFile(path, gifData, 0o644)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := NewStage(64, 64, []SceneSpec{{Name: "A", Layers: []LayerSpec{{Name: "g", Kind: KindImage, Path: path}}}})
	runtime.ReadMemStats(&after)
	if err == nil || !strings.Contains(err.Error(), "12000x12000") {
		t.Errorf("a 12000x12000 GIF gave %v", err)
	}
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 64<<20 {
		t.Errorf("refusing it allocated %d MB", grew>>20)
	}
}

// Alerts waiting when the scenes lose their alert box are dropped and
// counted, not kept for a box that comes back an hour later.
func TestAlertsDroppedWithTheirBox(t *testing.T) {
	withBox := []SceneSpec{{Name: "Live", Layers: []LayerSpec{{Name: "alerts", Kind: KindAlert}}}}
	st := mustStage(t, 64, 64, withBox)
	st.Alert(Event{Kind: "follow", Name: "Ana"})
	st.Alert(Event{Kind: "follow", Name: "Bo"})
	if err := st.SetScenes(flatScenes(t)); err != nil {
		t.Fatal(err)
	}
	if st.alerts.busy() {
		t.Error("alerts still wait with no alert box")
	}
	if _, skipped := st.Stats(); skipped != 2 {
		t.Errorf("%d skipped, want the 2 dropped", skipped)
	}
}

// An animated GIF whose frames add up to too many pixels is refused from its
// blocks, before any frame is decoded.
func TestHugeAnimationRefusedBeforeDecoding(t *testing.T) {
	pal := color.Palette{color.Black, color.White}
	g := &gif.GIF{Config: image.Config{Width: 4096, Height: 4096, ColorModel: pal}}
	for range 4 {
		g.Image = append(g.Image, image.NewPaletted(image.Rect(0, 0, 4096, 4096), pal))
		g.Delay = append(g.Delay, 10)
	}
	path := filepath.Join(t.TempDir(), "big.gif")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := gif.EncodeAll(f, g); err != nil {
		t.Fatal(err)
	}
	f.Close()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, err = NewStage(64, 64, []SceneSpec{{Name: "A", Layers: []LayerSpec{{Name: "g", Kind: KindImage, Path: path}}}})
	runtime.ReadMemStats(&after)
	if err == nil || !strings.Contains(err.Error(), "megapixels of frames") {
		t.Fatalf("4 frames of 4096x4096 gave %v", err)
	}
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 16<<20 {
		t.Errorf("refusing it allocated %d MB", grew>>20)
	}
}
