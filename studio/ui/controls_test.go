package ui

import (
	"image"
	"image/color"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"onair/capture"
	"onair/encoder"
	"onair/internal/testpeer"
	"onair/internal/wire"
	"onair/outputs"
	"onair/overlay"
	"onair/studio"
)

const twitchKey = "live_123456_SECRETKEYabc"

// savedDests records what OnChange was told.
type savedDests struct {
	mu    sync.Mutex
	calls int
	last  []studio.Destination
}

func (s *savedDests) onChange(d []studio.Destination) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	s.last = d
}

func (s *savedDests) get() (int, []studio.Destination) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls, append([]studio.Destination(nil), s.last...)
}

// assertNotShown fails when the window or its dialog draws secret.
func assertNotShown(t *testing.T, w *Window, secret string) {
	t.Helper()
	if s := shownText(w) + " " + dialogText(w) + " " + w.win.Title(); strings.Contains(s, secret) {
		t.Fatalf("the window shows the stream key: %s", s)
	}
}

func TestEditorAddsFromPresetWithPastedKey(t *testing.T) {
	var saved savedDests
	// The broadcast's error names the key: a layer that forgot to mask it.
	fb := &fakeBroadcast{started: make(chan struct{}), dests: []studio.DestinationStatus{{DestinationStats: outputs.DestinationStats{
		Name: "Twitch", State: outputs.Reconnecting, LastError: "Twitch: refused rtmp://live.twitch.tv/app/" + twitchKey}}}}
	w, loop := newTestWindow(t, Config{ProfilePath: profile, OnChange: saved.onChange, GoLive: func() (Broadcast, error) { return fb, nil }})
	test.Tap(button(t, w, "Add destination"))
	e := w.editor
	if e == nil || !strings.Contains(dialogText(w), "Add destination") {
		t.Fatalf("no editor opened; the dialog shows: %q", dialogText(w))
	}
	e.kind.SetSelected("Twitch")
	if e.server.Text != "rtmp://live.twitch.tv/app" || e.name.Text != "Twitch" {
		t.Errorf("the Twitch preset filled server %q, name %q", e.server.Text, e.name.Text)
	}
	if !e.save.Disabled() || !strings.Contains(dialogText(w), "Paste your stream key (from Twitch's dashboard).") {
		t.Errorf("without a key: save enabled %v, the dialog says %q", !e.save.Disabled(), dialogText(w))
	}

	// A key copied from a web page comes with blanks around it.
	w.app.Clipboard().SetContent("  " + twitchKey + "\n")
	test.Tap(dialogButton(t, w, "Paste"))
	if e.key.Text != twitchKey {
		t.Fatalf("Paste put %q in the key field", e.key.Text)
	}
	if !strings.Contains(dialogText(w), strings.Repeat("•", len(twitchKey))) {
		t.Errorf("the masked key is not drawn as dots: %q", dialogText(w))
	}
	assertNotShown(t, w, twitchKey)
	test.Tap(dialogButton(t, w, "Reveal"))
	if !strings.Contains(dialogText(w), twitchKey) {
		t.Fatalf("Reveal does not show the key: %q", dialogText(w))
	}
	test.Tap(dialogButton(t, w, "Hide"))
	assertNotShown(t, w, twitchKey)

	e.dynamic.SetChecked(true)
	if e.save.Disabled() {
		t.Fatalf("a Twitch destination with a key cannot be saved: %q", dialogText(w))
	}
	test.Tap(dialogButton(t, w, "Save"))
	calls, got := saved.get()
	want := studio.Destination{Name: "Twitch", URL: "rtmp://live.twitch.tv/app/" + twitchKey, Preset: "twitch", DynamicBitrate: true}
	if calls != 1 || len(got) != 1 || got[0].Name != want.Name || got[0].URL != want.URL || got[0].Preset != want.Preset ||
		!got[0].DynamicBitrate || !got[0].On() {
		t.Fatalf("OnChange was called %d times with %+v, want [%+v]", calls, redactDests(got), redactDests([]studio.Destination{want}))
	}
	if len(w.rows) != 1 || rowLine(w, 0) != "Twitch | Stop | not live" {
		t.Errorf("the new row shows %q", rowLine(w, 0))
	}
	if s := shownText(w); strings.Contains(s, "No destination yet") || strings.Contains(s, "Add a destination to") {
		t.Errorf("after adding one the window still asks for a destination: %s", s)
	}
	assertNotShown(t, w, twitchKey)
	// The window masks the new key, which the profile's redactor never saw.
	test.Tap(button(t, w, "Go Live"))
	loop.until(t, 3*time.Second, "the row's error", func() bool { return strings.Contains(rowLine(w, 0), "refused") })
	if got := rowLine(w, 0); !strings.HasSuffix(got, "refused rtmp://live.twitch.tv/app/****") {
		t.Errorf("the row shows %q", got)
	}
	assertNotShown(t, w, twitchKey)
	tapEnd(t, w)
	loop.until(t, 3*time.Second, "off air", func() bool { return w.state == offAir })
	// The preset applies as `onair live --dest twitch=URL` applies it.
	if flag := studio.ParseDestFlag("twitch=" + got[0].URL); flag.URL != got[0].URL || flag.Preset != got[0].Preset {
		t.Errorf("the editor's destination differs from --dest twitch=…: %+v", redactDests([]studio.Destination{flag}))
	}
}

func redactDests(ds []studio.Destination) []studio.Destination {
	out := append([]studio.Destination(nil), ds...)
	for i := range out {
		out[i].URL = outputs.RedactURL(out[i].URL)
	}
	return out
}

func TestEditorSaysWhatIsWrong(t *testing.T) {
	var saved savedDests
	w, _ := newTestWindow(t, Config{ProfilePath: profile, OnChange: saved.onChange})
	test.Tap(button(t, w, "Add destination"))
	e := w.editor
	cases := []struct {
		kind, server, key, want string
	}{
		{"Custom RTMP(S)", "http://live.example.com/app", twitchKey, "destination http://live.example.com/app/****: "},
		{"Custom RTMP(S)", "", twitchKey, "Enter the server address (rtmp://…, rtmps://… or srt://…)."},
		{"Kick", "", "", "Enter the server address (rtmp://…, rtmps://… or srt://…)."},
		{"YouTube", "rtmps://a.rtmps.youtube.com/live2", "", "Paste your stream key (from YouTube's dashboard)."},
		{recordingKind, "", "", "Enter where to save the recording, e.g. /home/me/Videos/show.mkv."},
	}
	for _, c := range cases {
		e.kind.SetSelected(c.kind)
		e.server.SetText(c.server)
		e.key.SetText(c.key)
		if got := e.problem.Text; !strings.HasPrefix(got, c.want) || !e.save.Disabled() || !e.problem.Visible() {
			t.Errorf("%s %q: the editor says %q (save enabled %v), want %q…", c.kind, c.server, got, !e.save.Disabled(), c.want)
		}
		if !strings.Contains(dialogText(w), e.problem.Text[:min(len(e.problem.Text), 30)]) {
			t.Errorf("the message is not drawn in the dialog: %q", dialogText(w))
		}
		assertNotShown(t, w, twitchKey)
	}
	// Fixed, the message goes and Save works.
	e.kind.SetSelected("Custom RTMP(S)")
	e.server.SetText("rtmp://live.example.com/app")
	e.key.SetText(twitchKey)
	if e.problem.Visible() || e.save.Disabled() {
		t.Errorf("a good URL still shows %q", e.problem.Text)
	}
}

func TestEditorEditsAndRemoves(t *testing.T) {
	var saved savedDests
	dests, redact := targets(t, rtmpURL, srtURL)
	w, _ := newTestWindow(t, Config{ProfilePath: profile, Destinations: dests, Redact: redact, OnChange: saved.onChange})
	test.Tap(w.rows[1].edit)
	e := w.editor
	if e.kind.Selected != "Custom SRT" || e.key.Text != "publish:SECRETSTREAM" || strings.Contains(e.server.Text, "SECRETSTREAM") {
		t.Fatalf("editing the SRT destination: kind %q, server %q, key in the key field %v", e.kind.Selected, outputs.RedactURL(e.server.Text), e.key.Text == "publish:SECRETSTREAM")
	}
	assertNotShown(t, w, "SECRETSTREAM")
	// The passphrase has a masked field of its own, never the server's.
	if e.pass.Text != "SECRETPASSPHRASE" || !e.pass.Password || !e.passRow.Visible() || strings.Contains(e.server.Text, "SECRETPASSPHRASE") {
		t.Errorf("the SRT passphrase: in its field %v, masked %v, shown %v, in the server field %v",
			e.pass.Text == "SECRETPASSPHRASE", e.pass.Password, e.passRow.Visible(), strings.Contains(e.server.Text, "SECRETPASSPHRASE"))
	}
	assertNotShown(t, w, "SECRETPASSPHRASE")
	if _, spacer := e.pass.ActionItem.(*layout.Spacer); !spacer {
		t.Errorf("the passphrase field has a reveal button (%T)", e.pass.ActionItem)
	}
	e.name.SetText("Backup SRT")
	e.enabled.SetChecked(false)
	test.Tap(dialogButton(t, w, "Save"))
	_, got := saved.get()
	if len(got) != 2 || got[1].Name != "Backup SRT" || got[1].On() || got[0].URL != rtmpURL {
		t.Fatalf("after the edit OnChange got %+v", redactDests(got))
	}
	if tg, err := got[1].Target(); err != nil || tg.String() != "srt://127.0.0.1:9000?streamid=****&passphrase=****" {
		t.Errorf("the edited SRT URL: %v %v", tg, err)
	}
	if rowLine(w, 1) != "Backup SRT | Start | off — disabled in your profile" {
		t.Errorf("the edited row shows %q", rowLine(w, 1))
	}

	test.Tap(w.rows[0].remove)
	test.Tap(dialogButton(t, w, "Keep it"))
	if len(w.rows) != 2 {
		t.Fatalf("Keep it removed the destination")
	}
	test.Tap(w.rows[0].remove)
	if !strings.Contains(dialogText(w), "Remove rtmp://live.example.com:1935/app/****?") {
		t.Errorf("the removal asks: %q", dialogText(w))
	}
	test.Tap(dialogButton(t, w, "Remove"))
	calls, got := saved.get()
	if calls != 2 || len(got) != 1 || got[0].Name != "Backup SRT" || len(w.rows) != 1 {
		t.Errorf("after the removal: %d calls, %+v, %d rows", calls, redactDests(got), len(w.rows))
	}
	assertNoSecret(t, w)
}

func TestSplitAndJoinKey(t *testing.T) {
	for _, c := range []struct{ url, server, key string }{
		{"rtmp://live.twitch.tv/app/KEY", "rtmp://live.twitch.tv/app", "KEY"},
		{"rtmps://a.rtmps.youtube.com:443/live2/a-b-c", "rtmps://a.rtmps.youtube.com:443/live2", "a-b-c"},
		{"rtmp://host/app", "rtmp://host/app", ""},
		{"srt://h:9000?streamid=publish%3Ax&latency=200", "srt://h:9000?latency=200", "publish:x"},
		{"file:///tmp/show.mkv", "file:///tmp/show.mkv", ""},
	} {
		s, k := splitKey(c.url)
		if s != c.server || k != c.key {
			t.Errorf("splitKey(%q) = %q, %q; want %q, %q", c.url, s, k, c.server, c.key)
		}
		if c.key != "" {
			if back, _ := outputs.ParseTarget(joinKey(s, k)); back.String() != mustTarget(t, c.url).String() {
				t.Errorf("joinKey(splitKey(%q)) = %q", c.url, back.String())
			}
		}
	}
}

func mustTarget(t *testing.T, u string) outputs.Target {
	t.Helper()
	tg, err := outputs.ParseTarget(u)
	if err != nil {
		t.Fatal(err)
	}
	return tg
}

// press types a shortcut on the window's canvas.
func press(w *Window, k fyne.KeyName) {
	w.win.Canvas().(fyne.Shortcutable).TypedShortcut(&desktop.CustomShortcut{KeyName: k, Modifier: fyne.KeyModifierShortcutDefault})
}

type fakeMic struct{ muted atomic.Bool }

func (m *fakeMic) Name() string          { return "Microphone" }
func (m *fakeMic) Reading() MeterReading { return MeterReading{} }
func (m *fakeMic) GainDB() float64       { return 0 }
func (m *fakeMic) SetGainDB(float64)     {}
func (m *fakeMic) Muted() bool           { return m.muted.Load() }
func (m *fakeMic) SetMuted(on bool)      { m.muted.Store(on) }

func TestShortcutsSwitchSceneMuteAndPrivacy(t *testing.T) {
	st := runningStudio(t)
	stage, err := overlay.NewStage(320, 180, []overlay.SceneSpec{
		{Name: "Camera", Layers: []overlay.LayerSpec{{Name: "cam", Kind: overlay.KindCamera}}},
		{Name: "Be right back", Layers: []overlay.LayerSpec{{Name: "brb", Kind: overlay.KindText, Text: "Back soon"}}},
		{Name: overlay.PrivacyScene, Layers: []overlay.LayerSpec{{Name: "card", Kind: overlay.KindText, Text: "Private"}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	st.SetStage(stage)
	mic := &fakeMic{}
	w, loop := newTestWindow(t, Config{Feed: st, ProfilePath: profile, Show: st, Mic: func() AudioStrip { return mic }, StudioStats: st.Stats})
	onAir := func() string { _, s := stage.Scenes(); return s }

	press(w, fyne.Key2)
	loop.until(t, 3*time.Second, "Ctrl+2 to put the second scene on air", func() bool { return onAir() == "Be right back" })
	if w.message.Text != "Scene: Be right back" {
		t.Errorf("after Ctrl+2 the window says %q", w.message.Text)
	}
	press(w, fyne.Key9)
	if w.message.Text != "There is no scene 9: this show has 3." || onAir() != "Be right back" {
		t.Errorf("after Ctrl+9: %q, on air %q", w.message.Text, onAir())
	}

	press(w, fyne.KeyM)
	if !mic.Muted() || !strings.Contains(w.message.Text, "Microphone muted") {
		t.Errorf("Ctrl+M: muted %v, the window says %q", mic.Muted(), w.message.Text)
	}
	press(w, fyne.KeyM)
	if mic.Muted() {
		t.Error("a second Ctrl+M left the mic muted")
	}

	press(w, fyne.KeyP)
	loop.until(t, 3*time.Second, "Ctrl+P to cut to privacy", func() bool { return onAir() == overlay.PrivacyScene && stage.InPrivacy() })
	if !strings.Contains(w.message.Text, "PRIVACY CUT") {
		t.Errorf("the privacy cut is not said: %q", w.message.Text)
	}
	press(w, fyne.Key1) // the scene to come back to
	press(w, fyne.KeyP)
	loop.until(t, 3*time.Second, "Ctrl+P again to come back to the scene chosen meanwhile", func() bool { return onAir() == "Camera" && !stage.InPrivacy() })

	// The status bar follows the compositor.
	loop.until(t, 5*time.Second, "the status bar's figures", func() bool {
		s := w.bar.label.Text
		return strings.HasPrefix(s, "CPU ") && !strings.HasPrefix(s, "CPU …") && w.bar.fps >= 20
	})
	if s := w.bar.label.Text; !strings.Contains(s, "encoder skipped 0 · compositor missed") || !strings.Contains(s, "sent 0 kB") {
		t.Errorf("the status bar says %q", s)
	}
	t.Logf("status bar: %s", w.bar.label.Text)
}

// Going live by Ctrl+Enter to a destination added in the editor reaches a
// real RTMP server; End asks, and only a confirmation ends it.
func TestGoLiveToNginxFromTheEditor(t *testing.T) {
	ng := testpeer.StartNginxRTMP(t, "live")
	st := runningStudio(t)
	var saved savedDests
	const key = "performer-SECRET-key"
	w, loop := newTestWindow(t, Config{
		Feed: st, ProfilePath: profile, OnChange: saved.onChange, StudioStats: st.Stats,
		Redact: outputs.NewRedactor(mustTarget(t, ng.URL("live", key))).Redact,
		GoLive: func() (Broadcast, error) {
			_, dests := saved.get()
			return studio.NewBroadcast(st, studio.BroadcastConfig{
				Video:        encoder.VideoConfig{Width: 320, Height: 180, FPS: 30, BitrateKbps: 500, KeyframeSec: 1, Preset: "ultrafast"},
				Destinations: dests, Encoders: wire.Encoders{}, Connectors: wire.Connectors(nil),
			})
		},
	})
	test.Tap(button(t, w, "Add destination"))
	w.editor.kind.SetSelected("Custom RTMP(S)")
	w.editor.name.SetText("Local nginx")
	w.editor.server.SetText(strings.TrimSuffix(ng.URL("live", key), "/"+key))
	w.editor.key.SetText(key)
	test.Tap(dialogButton(t, w, "Save"))

	press(w, fyne.KeyReturn)
	loop.until(t, 15*time.Second, "the destination live with a bitrate", func() bool {
		s := rowLine(w, 0)
		return strings.HasPrefix(s, "Local nginx | Stop | live | ") && !strings.Contains(s, "| 0 kb/s")
	})
	if title := w.win.Title(); !strings.HasPrefix(title, "● LIVE 00:00:") || !strings.HasPrefix(w.status.Text, "● LIVE  00:00:") || w.status.Importance != widget.DangerImportance {
		t.Errorf("while live the title is %q, the status %q (importance %v, want red)", title, w.status.Text, w.status.Importance)
	}
	if w.addDest.Disabled() == false || w.rows[0].edit.Disabled() == false {
		t.Error("destinations can be edited while live")
	}

	// End, then Keep streaming: still live.
	test.Tap(button(t, w, "End"))
	test.Tap(dialogButton(t, w, "Keep streaming"))
	sent := w.rows[0].last.BytesSent
	loop.until(t, 5*time.Second, "the stream to go on after Keep streaming", func() bool {
		return w.rows[0].last.BytesSent > sent && w.state == onAir
	})
	// Closing the window asks too; Stay live keeps it.
	w.askClose()
	if !strings.Contains(dialogText(w), "Closing onair ends the broadcast") {
		t.Fatalf("closing while live does not ask: %q", dialogText(w))
	}
	test.Tap(dialogButton(t, w, "Stay live"))
	if w.state != onAir || w.ctx.Err() != nil {
		t.Fatal("Stay live closed the window")
	}
	loop.until(t, 3*time.Second, "the status bar to count the upload", func() bool {
		return !strings.Contains(w.bar.label.Text, "sent 0 kB") && w.bar.fps > 0
	})
	t.Logf("status bar while live: %s", w.bar.label.Text)

	tapEnd(t, w)
	loop.until(t, 10*time.Second, "the broadcast to end", func() bool { return w.button.Text == "Go Live" })
	if w.win.Title() != "onair" || w.status.Text != "Off air" || w.status.Importance == widget.DangerImportance {
		t.Errorf("off air the title is %q, the status %q", w.win.Title(), w.status.Text)
	}
	ng.Stop()
	rec := ng.Recording("live", key)
	fi, err := os.Stat(rec)
	if err != nil || fi.Size() < 10_000 {
		t.Fatalf("nginx recorded %v (%v)", fi, err)
	}
	p := testpeer.FFprobe(t, rec)
	if v, ok := p.Stream("video"); !ok || v.Width != 320 || v.Frames() < 30 {
		t.Errorf("nginx got video %+v", v)
	}
	assertNotShown(t, w, key)
}

// Closing the window while live, confirmed, ends the broadcast and closes.
func TestClosingWhileLiveAsksThenEnds(t *testing.T) {
	dests, redact := targets(t, rtmpURL)
	fb := &fakeBroadcast{started: make(chan struct{})}
	w, loop := newTestWindow(t, Config{ProfilePath: profile, Destinations: dests, Redact: redact, GoLive: func() (Broadcast, error) { return fb, nil }})
	test.Tap(button(t, w, "Go Live"))
	loop.until(t, 3*time.Second, "live", func() bool { return w.state == onAir })
	<-fb.started
	// Ctrl+Enter while live asks too.
	press(w, fyne.KeyReturn)
	if !strings.Contains(dialogText(w), "End the broadcast?") {
		t.Fatalf("Ctrl+Enter while live does not ask: %q", dialogText(w))
	}
	test.Tap(dialogButton(t, w, "Keep streaming"))
	if w.state != onAir || fb.ended.Load() {
		t.Fatal("Keep streaming ended the broadcast")
	}
	w.askClose()
	test.Tap(dialogButton(t, w, "End and close"))
	loop.until(t, 5*time.Second, "the window to stop", func() bool { return fb.ended.Load() && w.ctx.Err() != nil })
}

func TestMirrorFlipsThePreviewOnly(t *testing.T) {
	img := image.NewRGBA(image.Rect(0, 0, 3, 2))
	for y := 0; y < 2; y++ {
		for x := 0; x < 3; x++ {
			img.Set(x, y, color.RGBA{uint8(x), uint8(y), 9, 255})
		}
	}
	mirrorRGBA(img)
	for y := 0; y < 2; y++ {
		for x := 0; x < 3; x++ {
			if c := img.RGBAAt(x, y); c.R != uint8(2-x) || c.G != uint8(y) {
				t.Fatalf("pixel %d,%d is %v after the mirror", x, y, c)
			}
		}
	}

	// In the window: the preview is mirrored, the picture the show encodes
	// is not: a picture white on its left half, black on its right.
	pic := image.NewYCbCr(image.Rect(0, 0, 320, 180), image.YCbCrSubsampleRatio420)
	for y := 0; y < 180; y++ {
		for x := 0; x < 320; x++ {
			pic.Y[y*pic.YStride+x] = map[bool]uint8{true: 235, false: 16}[x < 160]
		}
	}
	for i := range pic.Cb {
		pic.Cb[i], pic.Cr[i] = 128, 128
	}
	feed := &picFeed{pic: pic}
	w, loop := newTestWindow(t, Config{Feed: feed, ProfilePath: profile})
	left := func() uint8 { return w.preview.bufs[w.preview.shown].Pix[4*10] } // red of pixel (10, 0)
	loop.until(t, 3*time.Second, "a picture white on the left", func() bool { return w.preview.shown >= 0 && left() > 200 })
	pickGuide(t, w, "Mirror my preview")
	loop.until(t, 3*time.Second, "the mirrored picture: black on the left", func() bool { return left() < 40 })
	if pic.Y[10] != 235 || feed.released.Load() != feed.sent.Load()-int64(len(feed.ch)) {
		t.Errorf("the show's picture changed (left luma %d) or frames leak (%d sent, %d released)", pic.Y[10], feed.sent.Load(), feed.released.Load())
	}
	pickGuide(t, w, "Mirror my preview")
	loop.until(t, 3*time.Second, "the picture unmirrored", func() bool { return left() > 200 })
}

// picFeed sends one picture 30 times a second until cancelled.
type picFeed struct {
	pic            *image.YCbCr
	ch             chan *capture.Frame
	sent, released atomic.Int64
	stop, done     chan struct{}
}

func (p *picFeed) SubscribeVideo(buf int) (<-chan *capture.Frame, func() int64, func()) {
	p.ch, p.stop, p.done = make(chan *capture.Frame, buf), make(chan struct{}), make(chan struct{})
	go func() {
		defer close(p.done)
		tick := time.NewTicker(time.Second / 30)
		defer tick.Stop()
		for n := int64(0); ; n++ {
			select {
			case <-p.stop:
				return
			case <-tick.C:
			}
			f := capture.NewFrame(p.pic, n, 0, func() { p.released.Add(1) })
			p.sent.Add(1)
			select {
			case p.ch <- f:
			default:
				f.Release()
			}
		}
	}()
	return p.ch, func() int64 { return 0 }, func() {
		close(p.stop)
		<-p.done
		for {
			select {
			case f := <-p.ch:
				f.Release()
			default:
				return
			}
		}
	}
}

func TestGuidesLandOnThePicture(t *testing.T) {
	r := pictureRect(fyne.NewSize(1000, 400), 16.0/9)
	if r.Min.Y != 0 || r.Max.Y != 400 || r.Max.X-r.Min.X < 711 || r.Max.X-r.Min.X > 712 || r.Min.X < 144 || r.Min.X > 145 {
		t.Errorf("a 16:9 picture in 1000x400 lands at %+v", r)
	}
	w, _ := newTestWindow(t, Config{ProfilePath: profile})
	g := w.guides
	for _, o := range []fyne.CanvasObject{g.thirds[0], g.action, g.cross[0]} {
		if o.Visible() {
			t.Fatal("a guide shows before it is asked for")
		}
	}
	if g.button.Text != "Guides: none" {
		t.Errorf("the guides' button says %q before any is on", g.button.Text)
	}
	pickGuide(t, w, "Rule of thirds")
	pickGuide(t, w, "Safe areas")
	if g.button.Text != "Guides: thirds, safe areas" || !g.menu.Items[0].Checked || g.menu.Items[2].Checked {
		t.Errorf("after thirds and safe areas the button says %q", g.button.Text)
	}
	g.Layout(nil, fyne.NewSize(640, 360))
	if !g.thirds[0].Visible() || g.thirds[0].Position1.X < 213 || g.thirds[0].Position1.X > 214 || g.thirds[0].Position2.Y != 360 {
		t.Errorf("the first third at %v–%v", g.thirds[0].Position1, g.thirds[0].Position2)
	}
	if p, s := g.title.Position(), g.title.Size(); !nearF(p.X, 64) || !nearF(p.Y, 36) || !nearF(s.Width, 512) || !nearF(s.Height, 288) {
		t.Errorf("the title-safe area at %v size %v", p, s)
	}
	if g.cross[0].Visible() {
		t.Error("the centre cross shows without being asked")
	}
}

// pickGuide opens the guides' menu with its button and picks the entry
// starting with label.
func pickGuide(t *testing.T, w *Window, label string) {
	t.Helper()
	test.Tap(w.guides.button)
	menu := w.win.Canvas().Overlays().Top()
	if menu == nil {
		t.Fatal("the guides' button opened no menu")
	}
	defer w.win.Canvas().Overlays().Remove(menu)
	for _, it := range w.guides.menu.Items {
		if strings.HasPrefix(it.Label, label) {
			it.Action()
			return
		}
	}
	t.Fatalf("no guide %q in the menu", label)
}

func nearF(a, b float32) bool { return a-b < 0.01 && b-a < 0.01 }

// Without OnChange nothing can be edited: GoLive would not see it.
func TestNoEditingWithoutOnChange(t *testing.T) {
	dests, redact := targets(t, rtmpURL)
	w, _ := newTestWindow(t, Config{ProfilePath: profile, Destinations: dests, Redact: redact})
	if w.addDest.Visible() || w.rows[0].edit.Visible() || w.rows[0].remove.Visible() {
		t.Error("the destinations can be edited without OnChange")
	}
	w.editDestination(-1)
	if w.editor != nil {
		t.Error("the editor opened without OnChange")
	}
}

// The lead's chat panel goes beside the preview.
func TestSidePanel(t *testing.T) {
	w, _ := newTestWindow(t, Config{ProfilePath: profile})
	w.SetSidePanel(widget.NewLabel("Chat goes here"))
	if !strings.Contains(shownText(w), "Chat goes here") {
		t.Errorf("the side panel is not shown: %s", shownText(w))
	}
	w.SetSidePanel(nil)
	if strings.Contains(shownText(w), "Chat goes here") {
		t.Error("the side panel stays after SetSidePanel(nil)")
	}
}
