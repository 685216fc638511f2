package ui

import (
	"context"
	"errors"
	"fmt"
	"image"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"onair/capture"
	"onair/encoder"
	"onair/encoder/libav"
	"onair/internal/wire"
	"onair/outputs"
	"onair/studio"
	_ "onair/studio/ui/posixlocale"
)

const (
	rtmpURL = "rtmp://live.example.com/app/sk_live_SECRET123"
	srtURL  = "srt://127.0.0.1:9000?streamid=publish:SECRETSTREAM&passphrase=SECRETPASSPHRASE"
	profile = "/home/performer/.config/onair/profile.json"
)

// uiLoop stands in for Fyne's main loop: the window's goroutines queue their
// UI updates and the test goroutine runs them, so widgets are only ever
// touched from one goroutine.
type uiLoop struct{ q chan func() }

func (l *uiLoop) do(f func()) { l.q <- f }

// until runs queued UI work until cond holds, failing after timeout.
func (l *uiLoop) until(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.After(timeout)
	for {
		for drained := false; !drained; {
			select {
			case f := <-l.q:
				f()
			default:
				drained = true
			}
		}
		if cond() {
			return
		}
		select {
		case f := <-l.q:
			f()
		case <-time.After(20 * time.Millisecond):
		case <-deadline:
			t.Fatalf("after %s: %s", timeout, what)
		}
	}
}

// cardFeed feeds the preview test-card frames and remembers each one, so the
// test can check every frame was released.
type cardFeed struct {
	card *capture.TestCard
	mu   sync.Mutex
	sent []*capture.Frame
	ch   chan *capture.Frame
	stop chan struct{}
	done chan struct{}
	subs atomic.Int32 // open subscriptions
}

func newCardFeed(t *testing.T, w, h int) *cardFeed {
	tc, err := capture.NewTestCard(w, h, 30)
	if err != nil {
		t.Fatal(err)
	}
	return &cardFeed{card: tc}
}

func (c *cardFeed) SubscribeVideo(buf int) (<-chan *capture.Frame, func() int64, func()) {
	c.subs.Add(1)
	c.ch, c.stop, c.done = make(chan *capture.Frame, buf), make(chan struct{}), make(chan struct{})
	go func() {
		defer close(c.done)
		tick := time.NewTicker(time.Second / 30)
		defer tick.Stop()
		for n := 0; ; n++ {
			select {
			case <-c.stop:
				return
			case <-tick.C:
			}
			f, _ := c.card.Latest(time.Duration(n) * time.Second / 30)
			c.mu.Lock()
			c.sent = append(c.sent, f)
			c.mu.Unlock()
			select {
			case c.ch <- f:
			default:
				f.Release()
			}
		}
	}()
	return c.ch, func() int64 { return 0 }, func() {
		close(c.stop)
		<-c.done
		for {
			select {
			case f := <-c.ch:
				f.Release()
			default:
				c.subs.Add(-1)
				return
			}
		}
	}
}

// allReleased reports whether every frame sent has no reference left: one
// more Release must panic.
func (c *cardFeed) allReleased() (n int, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, f := range c.sent {
		if !panics(f.Release) {
			return len(c.sent), false
		}
	}
	return len(c.sent), true
}

func panics(f func()) (p bool) {
	defer func() { p = recover() != nil }()
	f()
	return false
}

// fakeBroadcast runs until cancelled (or fails with err at once) and reports
// fixed destination stats.
type fakeBroadcast struct {
	err     error
	dests   []studio.DestinationStatus
	started chan struct{}
	ended   atomic.Bool
	closed  atomic.Bool
}

func (b *fakeBroadcast) Close() { b.closed.Store(true) }

func (b *fakeBroadcast) Run(ctx context.Context) error {
	close(b.started)
	defer b.ended.Store(true)
	if b.err != nil {
		return b.err
	}
	<-ctx.Done()
	return nil
}

func (b *fakeBroadcast) Stats() studio.BroadcastStats {
	return studio.BroadcastStats{Elapsed: 3 * time.Second, FramesEncoded: 90, Destinations: b.dests}
}

// targets lists urls as the profile's destinations, all enabled, with a
// redactor for their secrets.
func targets(t *testing.T, urls ...string) (dests []studio.Destination, redact func(string) string) {
	t.Helper()
	var ts []outputs.Target
	for _, u := range urls {
		tg, err := outputs.ParseTarget(u)
		if err != nil {
			t.Fatal(err)
		}
		ts = append(ts, tg)
		dests = append(dests, studio.Destination{URL: u})
	}
	return dests, outputs.NewRedactor(ts...).Redact
}

// newTestWindow opens a window on a test app (no display) driven by a uiLoop.
func newTestWindow(t *testing.T, cfg Config) (*Window, *uiLoop) {
	t.Helper()
	a := test.NewTempApp(t)
	w := NewWindow(a, cfg)
	loop := &uiLoop{q: make(chan func(), 64)}
	w.do = loop.do
	w.Start()
	t.Cleanup(func() {
		stopped := make(chan struct{})
		go func() { w.Stop(); close(stopped) }()
		loop.until(t, 10*time.Second, "the window's goroutines stop", func() bool {
			select {
			case <-stopped:
				return true
			default:
				return false
			}
		})
	})
	return w, loop
}

// laidOutVisible is test.LaidOutObjects without what is hidden: the objects
// of o, laid out at size, in layout order.
func laidOutVisible(out []fyne.CanvasObject, o fyne.CanvasObject, size fyne.Size) []fyne.CanvasObject {
	if !o.Visible() {
		return out
	}
	out = append(out, o)
	switch c := o.(type) {
	case fyne.Widget:
		r := c.CreateRenderer()
		r.Layout(size)
		for _, child := range r.Objects() {
			out = laidOutVisible(out, child, child.Size())
		}
	case *fyne.Container:
		if c.Layout != nil {
			c.Layout.Layout(c.Objects, size)
		}
		for _, child := range c.Objects {
			out = laidOutVisible(out, child, child.Size())
		}
	}
	return out
}

func shownObjects(w *Window) []fyne.CanvasObject {
	c := w.win.Content()
	return laidOutVisible(nil, c, c.MinSize().Max(c.Size()))
}

// shownText is every piece of text drawn in the window, in layout order.
func shownText(w *Window) string {
	var parts []string
	for _, o := range shownObjects(w) {
		if t, ok := o.(*canvas.Text); ok && t.Text != "" {
			parts = append(parts, t.Text)
		}
	}
	return strings.Join(parts, " ")
}

// button finds the window's button showing label.
func button(t *testing.T, w *Window, label string) *widget.Button {
	t.Helper()
	for _, o := range shownObjects(w) {
		if b, ok := o.(*widget.Button); ok && b.Text == label {
			return b
		}
	}
	t.Fatalf("no %q button in the window; it shows: %s", label, shownText(w))
	return nil
}

// rowLine is what destination row i shows (name, buttons, state, figures,
// queue, last error), its visible texts joined with " | ".
func rowLine(w *Window, i int) string {
	var parts []string
	r := w.rows[i].box
	for _, o := range laidOutVisible(nil, r, r.MinSize().Max(r.Size())) {
		if t, ok := o.(*canvas.Text); ok && t.Text != "" {
			parts = append(parts, t.Text)
		}
	}
	return strings.Join(parts, " | ")
}

func assertNoSecret(t *testing.T, w *Window) {
	t.Helper()
	s := shownText(w)
	for _, secret := range []string{"sk_live_SECRET123", "SECRETSTREAM", "SECRETPASSPHRASE"} {
		if strings.Contains(s, secret) {
			t.Fatalf("the window shows the secret %q: %s", secret, s)
		}
	}
}

func TestWindowShowsRedactedDestinations(t *testing.T) {
	names, redact := targets(t, rtmpURL, srtURL)
	w, _ := newTestWindow(t, Config{ProfilePath: profile, Destinations: names, Redact: redact})
	if got := w.win.Title(); got != "onair" {
		t.Errorf("title %q, want onair", got)
	}
	s := shownText(w)
	for _, want := range []string{"Off air", "Go Live"} {
		if !strings.Contains(s, want) {
			t.Errorf("the window does not show %q; it shows: %s", want, s)
		}
	}
	for i, want := range []string{
		"rtmp://live.example.com:1935/app/**** | Stop | not live",
		"srt://127.0.0.1:9000?streamid=****&passphrase=**** | Stop | not live",
	} {
		if got := rowLine(w, i); got != want {
			t.Errorf("row %d shows %q, want %q", i, got, want)
		}
		if !w.rows[i].stop.Disabled() || w.rows[i].colour != theme.ColorNameDisabled {
			t.Errorf("row %d off air: Stop enabled %v, marker %s", i, !w.rows[i].stop.Disabled(), w.rows[i].colour)
		}
	}
	assertNoSecret(t, w)
}

func TestWindowGoLiveWithoutDestination(t *testing.T) {
	feed := newCardFeed(t, 320, 180)
	w, loop := newTestWindow(t, Config{
		Feed: feed, ProfilePath: profile,
		GoLive: func() (Broadcast, error) {
			t.Error("GoLive was called with no destination")
			return nil, errors.New("no")
		},
	})
	if s := shownText(w); !strings.Contains(s, "Add a destination to "+profile) {
		t.Errorf("before Go Live the window should point at the profile; it shows: %s", s)
	}
	test.Tap(button(t, w, "Go Live"))
	loop.until(t, 2*time.Second, "the add-a-destination message", func() bool {
		return strings.Contains(shownText(w), "add a destination to "+profile)
	})
	if w.message.Importance != widget.DangerImportance {
		t.Errorf("the message is not shown as an error")
	}
	b := button(t, w, "Go Live")
	if b.Disabled() {
		t.Error("Go Live is disabled after the message; the performer should be able to try again")
	}
	// The preview keeps running.
	n := w.preview.frames.Load()
	loop.until(t, 3*time.Second, "the preview to keep moving", func() bool { return w.preview.frames.Load() >= n+5 })
}

func TestWindowGoLiveAndEnd(t *testing.T) {
	names, redact := targets(t, rtmpURL, srtURL)
	fb := &fakeBroadcast{started: make(chan struct{}), dests: []studio.DestinationStatus{
		{DestinationStats: outputs.DestinationStats{Name: names[0].Name, State: outputs.Live,
			Queue: encoder.QueueStats{Pushed: 1000, DroppedVideo: 3, Congestion: 0.25}}, BitrateKbps: 2987.6},
		{DestinationStats: outputs.DestinationStats{Name: names[1].Name, State: outputs.Reconnecting, RetryIn: 2 * time.Second,
			LastError: names[1].Name + ": connection refused (streamid publish:SECRETSTREAM)"}},
	}}
	w, loop := newTestWindow(t, Config{
		ProfilePath: profile, Destinations: names, Redact: redact,
		GoLive: func() (Broadcast, error) { return fb, nil },
	})
	test.Tap(button(t, w, "Go Live"))
	loop.until(t, 2*time.Second, "the button to become End", func() bool { return w.button.Text == "End" })
	<-fb.started
	// Stats arrive once a second.
	loop.until(t, 3*time.Second, "the destinations' stats", func() bool {
		return rowLine(w, 0) == "rtmp://live.example.com:1935/app/**** | Stop | live | 2988 kb/s · 3 dropped (0.3 %) | queue 25 %"
	})
	if s := strings.Join(strings.Fields(shownText(w)), " "); !strings.Contains(s, "● LIVE 00:00:03 90 frames") {
		t.Errorf("the window does not show the live status; it shows: %s", s)
	}
	if got, want := rowLine(w, 1), "srt://127.0.0.1:9000?streamid=****&passphrase=**** | Stop | reconnecting in 2 s | 0 kb/s · 0 dropped (0 %) | connection refused (streamid ****)"; got != want {
		t.Errorf("the reconnecting row shows %q, want %q", got, want)
	}
	assertNoSecret(t, w)

	tapEnd(t, w)
	if w.button.Text != "Ending…" || !w.button.Disabled() {
		t.Errorf("after End the button is %q (disabled %v), want a disabled Ending…", w.button.Text, w.button.Disabled())
	}
	loop.until(t, 3*time.Second, "the broadcast to end", func() bool { return w.button.Text == "Go Live" })
	if !fb.ended.Load() {
		t.Error("the window went off air before the broadcast's Run returned")
	}
	if s := shownText(w); !strings.Contains(s, "Broadcast ended after 00:00:03.") || !strings.Contains(s, "Off air") {
		t.Errorf("after End the window shows: %s", s)
	}
}

func TestWindowGoLiveFails(t *testing.T) {
	names, redact := targets(t, rtmpURL)
	cases := []struct {
		name   string
		goLive func() (Broadcast, error)
		want   string
	}{
		{"encoder", func() (Broadcast, error) {
			return nil, errors.New("opening the H.264 encoder for rtmp://live.example.com/app/sk_live_SECRET123: libx264 not found")
		}, "Could not go live: opening the H.264 encoder for rtmp://live.example.com/app/****: libx264 not found"},
		{"unreachable", func() (Broadcast, error) {
			return &fakeBroadcast{started: make(chan struct{}), err: studio.ErrNoDestination}, nil
		}, "No destination could be reached, so nothing was broadcast: check each URL and stream key in " + profile},
		{"encoder stops", func() (Broadcast, error) {
			return &fakeBroadcast{started: make(chan struct{}), err: fmt.Errorf("encoding video: %w", errors.New("out of memory"))}, nil
		}, "The broadcast stopped: encoding video: out of memory"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w, loop := newTestWindow(t, Config{ProfilePath: profile, Destinations: names, Redact: redact, GoLive: c.goLive})
			test.Tap(button(t, w, "Go Live"))
			loop.until(t, 3*time.Second, "the error "+c.want, func() bool {
				return strings.Contains(w.message.Text, c.want) && w.button.Text == "Go Live"
			})
			if !strings.Contains(shownText(w), "Could not go live") && c.name == "encoder" {
				t.Errorf("the message is not drawn: %s", shownText(w))
			}
			if w.button.Disabled() || w.message.Importance != widget.DangerImportance {
				t.Errorf("after a failure: button disabled %v, message importance %v", w.button.Disabled(), w.message.Importance)
			}
			assertNoSecret(t, w)
		})
	}
}

func TestWindowShowsProfileError(t *testing.T) {
	err := fmt.Errorf("profile %s is not valid: JSON syntax error at byte 12", profile)
	w, _ := newTestWindow(t, Config{ProfilePath: profile, ProfileErr: err})
	want := "Your profile could not be read, so the defaults are in use: profile " + profile + " is not valid: JSON syntax error at byte 12"
	if w.message.Text != want || w.message.Importance != widget.DangerImportance {
		t.Errorf("message %q (importance %v), want the error %q", w.message.Text, w.message.Importance, want)
	}
}

func TestWindowPreviewShowsCanvas(t *testing.T) {
	feed := newCardFeed(t, 1280, 720)
	w, loop := newTestWindow(t, Config{Feed: feed, ProfilePath: profile})
	w.win.Resize(fyne.NewSize(960, 640))
	loop.until(t, 3*time.Second, "the preview's first pictures", func() bool { return w.preview.frames.Load() >= 3 })
	img, ok := w.preview.img.Image.(*image.RGBA)
	if !ok || img.Rect.Dx() != 640 || img.Rect.Dy() != 360 {
		t.Fatalf("the preview shows %T %v, want a 640x360 RGBA picture", w.preview.img.Image, w.preview.img.Image)
	}
	if c := img.RGBAAt(640*3/14, 20); !near(c.R, 191, 3) || !near(c.G, 191, 3) || c.B > 3 {
		t.Errorf("the yellow bar shows as %v", c)
	}
	// The picture moves: the buffer on screen changes from frame to frame.
	first := img
	loop.until(t, 3*time.Second, "the next picture", func() bool { return w.preview.img.Image != image.Image(first) })

	// What the software painter draws contains the card's yellow.
	shot := w.win.Canvas().Capture()
	yellow := 0
	b := shot.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y += 2 {
		for x := b.Min.X; x < b.Max.X; x += 2 {
			r, g, bl, _ := shot.At(x, y).RGBA()
			if r>>8 > 170 && g>>8 > 170 && bl>>8 < 40 {
				yellow++
			}
		}
	}
	if yellow < 100 {
		t.Errorf("the rendered window has %d yellow pixels; the preview is not drawn", yellow)
	}

	stopped := make(chan struct{})
	go func() { w.Stop(); close(stopped) }()
	loop.until(t, 5*time.Second, "the preview to stop", func() bool {
		select {
		case <-stopped:
			return true
		default:
			return false
		}
	})
	if n := feed.subs.Load(); n != 0 {
		t.Errorf("%d subscriptions left open after Stop", n)
	}
	if n, ok := feed.allReleased(); !ok || n < 3 {
		t.Errorf("of %d frames sent, not every one was released", n)
	}
}

// countSink takes packets as a destination would and counts them.
type countSink struct{ packets, closed *atomic.Int64 }

func (s countSink) Write(p *encoder.Packet) (int, error) { s.packets.Add(1); return len(p.Data), nil }
func (s countSink) Close() error                         { s.closed.Add(1); return nil }

type countConnector struct{ packets, closed atomic.Int64 }

func (c *countConnector) Connect(ctx context.Context, _ outputs.Target, _ []encoder.Stream) (outputs.Sink, error) {
	return countSink{&c.packets, &c.closed}, nil
}

// Go Live with the real studio, encoders and broadcast (into memory): the row
// turns live with a bitrate, and End waits for the stream to close cleanly.
func TestWindowGoLiveRealBroadcast(t *testing.T) {
	st := runningStudio(t)

	tg, err := outputs.ParseTarget(rtmpURL)
	if err != nil {
		t.Fatal(err)
	}
	libav.RouteLogs(os.Stderr, outputs.NewRedactor(tg).Redact, false) // warnings only
	conn := &countConnector{}
	var runs atomic.Int32
	w, loop := newTestWindow(t, Config{
		Feed: st, ProfilePath: profile, Destinations: []studio.Destination{{URL: rtmpURL}},
		Redact: outputs.NewRedactor(tg).Redact,
		GoLive: func() (Broadcast, error) {
			runs.Add(1)
			b, err := studio.NewBroadcast(st, studio.BroadcastConfig{
				Video:        encoder.VideoConfig{Width: 320, Height: 180, FPS: 30, BitrateKbps: 500, KeyframeSec: 1, Preset: "ultrafast"},
				Destinations: []studio.Destination{{URL: rtmpURL}}, Encoders: wire.Encoders{}, Connectors: map[outputs.Protocol]outputs.Connector{outputs.RTMP: conn},
			})
			if err != nil {
				return nil, err
			}
			return b, nil
		},
	})
	test.Tap(button(t, w, "Go Live"))
	loop.until(t, 10*time.Second, "the destination live with a bitrate", func() bool {
		s := rowLine(w, 0)
		return strings.HasPrefix(s, "rtmp://live.example.com:1935/app/**** | Stop | live | ") && !strings.Contains(s, "| 0 kb/s") &&
			strings.Contains(shownText(w), "LIVE")
	})
	if w.button.Text != "End" {
		t.Errorf("while live the button says %q", w.button.Text)
	}
	// The preview keeps moving while live.
	n := w.preview.frames.Load()
	loop.until(t, 3*time.Second, "the preview to move while live", func() bool { return w.preview.frames.Load() >= n+5 })

	tapEnd(t, w)
	loop.until(t, 10*time.Second, "the broadcast to end", func() bool { return w.button.Text == "Go Live" })
	if conn.closed.Load() != 1 || conn.packets.Load() < 30 {
		t.Errorf("after End: %d packets sent, stream closed %d times; want a closed stream with packets", conn.packets.Load(), conn.closed.Load())
	}
	if s := shownText(w); !strings.Contains(s, "Broadcast ended after") || !regexp.MustCompile(`^rtmp://live.example.com:1935/app/\*\*\*\* \| Stop \| stopped \| 0 kb/s · \d+ dropped`).MatchString(rowLine(w, 0)) {
		t.Errorf("after End the window shows: %s", s)
	}
	if runs.Load() != 1 {
		t.Errorf("GoLive ran %d times", runs.Load())
	}
	assertNoSecret(t, w)
}

// Once the window is stopping, Go Live starts nothing.
func TestWindowGoLiveAfterStop(t *testing.T) {
	names, redact := targets(t, rtmpURL)
	var calls atomic.Int32
	w, _ := newTestWindow(t, Config{ProfilePath: profile, Destinations: names, Redact: redact,
		GoLive: func() (Broadcast, error) { calls.Add(1); return nil, errors.New("no") }})
	w.Stop()
	test.Tap(button(t, w, "Go Live"))
	if w.button.Text != "Go Live" || w.button.Disabled() || w.state != offAir {
		t.Errorf("after Stop, Go Live leaves the button %q (disabled %v)", w.button.Text, w.button.Disabled())
	}
	time.Sleep(50 * time.Millisecond)
	if n := calls.Load(); n != 0 {
		t.Errorf("GoLive ran %d times after Stop", n)
	}
}

// stoppableBroadcast records which destination the window stopped.
type stoppableBroadcast struct {
	fakeBroadcast
	mu      sync.Mutex
	stopped []int
}

func (b *stoppableBroadcast) RemoveDestination(i int) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.stopped = append(b.stopped, i)
	b.dests[i].State = outputs.Stopped
	return nil
}

func (b *stoppableBroadcast) Stats() studio.BroadcastStats {
	b.mu.Lock()
	defer b.mu.Unlock()
	return studio.BroadcastStats{Elapsed: time.Second, Destinations: slices.Clone(b.dests)}
}

// A destination can be stopped while live without ending the show.
func TestWindowStopsOneDestination(t *testing.T) {
	names, redact := targets(t, rtmpURL, srtURL)
	fb := &stoppableBroadcast{fakeBroadcast: fakeBroadcast{started: make(chan struct{}), dests: []studio.DestinationStatus{
		{DestinationStats: outputs.DestinationStats{Name: names[0].Name, State: outputs.Live}},
		{DestinationStats: outputs.DestinationStats{Name: names[1].Name, State: outputs.Live}},
	}}}
	w, loop := newTestWindow(t, Config{
		ProfilePath: profile, Destinations: names, Redact: redact,
		GoLive: func() (Broadcast, error) { return fb, nil },
	})
	for _, r := range w.rows {
		if !r.stop.Disabled() {
			t.Fatal("a Stop button is enabled while off air")
		}
	}
	test.Tap(button(t, w, "Go Live"))
	loop.until(t, 3*time.Second, "the Stop buttons to be enabled", func() bool {
		return !w.rows[0].stop.Disabled() && !w.rows[1].stop.Disabled()
	})
	test.Tap(w.rows[1].stop)
	loop.until(t, 3*time.Second, "the second destination to stop", func() bool {
		return strings.HasPrefix(rowLine(w, 1), "srt://127.0.0.1:9000?streamid=****&passphrase=**** | Start | stopped")
	})
	fb.mu.Lock()
	if len(fb.stopped) != 1 || fb.stopped[0] != 1 {
		t.Errorf("stopped %v, want destination 1 only", fb.stopped)
	}
	fb.mu.Unlock()
	if !w.rows[1].start.Disabled() {
		t.Error("Start is enabled for a broadcast that cannot add destinations")
	}
	if w.button.Text != "End" || !strings.HasPrefix(rowLine(w, 0), "rtmp://live.example.com:1935/app/**** | Stop | live") {
		t.Errorf("stopping one destination disturbed the show: %s", shownText(w))
	}
	tapEnd(t, w)
	loop.until(t, 3*time.Second, "the broadcast to end", func() bool { return w.button.Text == "Go Live" })
	if !w.rows[0].stop.Disabled() {
		t.Error("a Stop button stays enabled off air")
	}
}

// controlBroadcast is a broadcast on air whose destinations the window can
// stop, start and reconnect; it records each call.
type controlBroadcast struct {
	stoppableBroadcast
	calls  []string
	addErr error
}

func newControlBroadcast(dests ...studio.DestinationStatus) *controlBroadcast {
	return &controlBroadcast{stoppableBroadcast: stoppableBroadcast{fakeBroadcast: fakeBroadcast{started: make(chan struct{}), dests: dests}}}
}

func (b *controlBroadcast) RemoveDestination(i int) error {
	b.mu.Lock()
	b.calls = append(b.calls, fmt.Sprintf("remove %d", i))
	b.mu.Unlock()
	return b.stoppableBroadcast.RemoveDestination(i)
}

func (b *controlBroadcast) AddDestination(d studio.Destination) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	preset := "no preset"
	if d.Preset != "" {
		preset = d.Preset
	}
	if d.DynamicBitrate {
		preset += ", dynamic bitrate"
	}
	b.calls = append(b.calls, fmt.Sprintf("add %s (%s)", d.Label(), preset))
	if b.addErr != nil {
		return 0, b.addErr
	}
	b.dests = append(b.dests, studio.DestinationStatus{DestinationStats: outputs.DestinationStats{Name: d.Label(), State: outputs.Connecting}})
	return len(b.dests) - 1, nil
}

func (b *controlBroadcast) ReconnectDestination(i int) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.calls = append(b.calls, fmt.Sprintf("reconnect %d", i))
	b.dests[i].State, b.dests[i].RetryIn = outputs.Reconnecting, 0
	return nil
}

// set changes destination i's stats.
func (b *controlBroadcast) set(i int, f func(d *studio.DestinationStatus)) {
	b.mu.Lock()
	defer b.mu.Unlock()
	f(&b.dests[i])
}

func (b *controlBroadcast) called() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.calls)
}

// goLiveWith opens a window on dests, goes live with b and waits for the
// first stats.
func goLiveWith(t *testing.T, b Broadcast, dests []studio.Destination, redact func(string) string) (*Window, *uiLoop) {
	t.Helper()
	w, loop := newTestWindow(t, Config{ProfilePath: profile, Destinations: dests, Redact: redact,
		GoLive: func() (Broadcast, error) { return b, nil }})
	test.Tap(button(t, w, "Go Live"))
	loop.until(t, 3*time.Second, "the first stats", func() bool { return w.state == onAir && w.rows[0].last != nil })
	return w, loop
}

// Stop, then Start: the destination is added again with its preset and its
// row follows the new one; the other destination is not touched.
func TestWindowStopThenStart(t *testing.T) {
	dests, redact := targets(t, rtmpURL, srtURL)
	dests[1].Preset = "custom-srt"
	dests[1].DynamicBitrate = true
	fb := newControlBroadcast(
		studio.DestinationStatus{DestinationStats: outputs.DestinationStats{Name: dests[0].Label(), State: outputs.Live}, BitrateKbps: 3000},
		studio.DestinationStatus{DestinationStats: outputs.DestinationStats{Name: dests[1].Label(), State: outputs.Live}, BitrateKbps: 2500},
	)
	w, loop := goLiveWith(t, fb, dests, redact)
	test.Tap(w.rows[1].stop)
	loop.until(t, 3*time.Second, "a Start button on the stopped row", func() bool {
		return rowLine(w, 1) == "srt://127.0.0.1:9000?streamid=****&passphrase=**** | Start | stopped | 0 kb/s · 0 dropped (0 %)" &&
			!w.rows[1].start.Disabled()
	})
	if w.rows[1].colour != theme.ColorNameDisabled {
		t.Errorf("a stopped row's marker is %s, want grey", w.rows[1].colour)
	}
	test.Tap(w.rows[1].start)
	loop.until(t, 3*time.Second, "the restarted row connecting", func() bool {
		return strings.HasPrefix(rowLine(w, 1), "srt://127.0.0.1:9000?streamid=****&passphrase=**** | Stop | connecting…")
	})
	fb.set(2, func(d *studio.DestinationStatus) { d.State, d.BitrateKbps = outputs.Live, 2400 })
	w.nudgeStats()
	loop.until(t, 3*time.Second, "the restarted row live", func() bool {
		return strings.HasPrefix(rowLine(w, 1), "srt://127.0.0.1:9000?streamid=****&passphrase=**** | Stop | live | 2400 kb/s")
	})
	// Its Stop now stops the new destination, not the old index.
	test.Tap(w.rows[1].stop)
	loop.until(t, 3*time.Second, "the second stop", func() bool { return w.rows[1].state.Text == "stopped" })
	want := []string{"remove 1", "add srt://127.0.0.1:9000?streamid=****&passphrase=**** (custom-srt, dynamic bitrate)", "remove 2"}
	if got := fb.called(); !slices.Equal(got, want) {
		t.Errorf("calls %q, want %q", got, want)
	}
	if !strings.HasPrefix(rowLine(w, 0), "rtmp://live.example.com:1935/app/**** | Stop | live | 3000 kb/s") {
		t.Errorf("the other row changed: %s", rowLine(w, 0))
	}
	assertNoSecret(t, w)
}

// A Start the broadcast refuses says why, and the row can be started again.
func TestWindowStartRefused(t *testing.T) {
	dests, redact := targets(t, rtmpURL, srtURL)
	dests[1].Enabled = new(bool)
	fb := newControlBroadcast(studio.DestinationStatus{DestinationStats: outputs.DestinationStats{Name: dests[0].Label(), State: outputs.Live}})
	fb.addErr = errors.New("destination " + dests[1].Label() + " needs its own encoder (2500 kb/s, keyframe every 1 s, baseline): add it before going live (streamid publish:SECRETSTREAM)")
	w, loop := goLiveWith(t, fb, dests, redact)
	test.Tap(w.rows[1].start)
	loop.until(t, 3*time.Second, "the refusal", func() bool {
		return strings.HasPrefix(w.message.Text, "Could not start that destination: destination srt://127.0.0.1:9000?streamid=****&passphrase=**** needs its own encoder")
	})
	if w.message.Importance != widget.DangerImportance || w.rows[1].start.Disabled() || w.rows[1].state.Text != "off — disabled in your profile" {
		t.Errorf("after a refused Start: message importance %v, Start disabled %v, state %q", w.message.Importance, w.rows[1].start.Disabled(), w.rows[1].state.Text)
	}
	assertNoSecret(t, w)
}

// Reconnect now appears while a destination waits to retry or has failed,
// and calls through to the broadcast for that destination.
func TestWindowReconnectNow(t *testing.T) {
	dests, redact := targets(t, rtmpURL, srtURL)
	fb := newControlBroadcast(
		studio.DestinationStatus{DestinationStats: outputs.DestinationStats{Name: dests[0].Label(), State: outputs.Live}},
		studio.DestinationStatus{DestinationStats: outputs.DestinationStats{Name: dests[1].Label(), State: outputs.Reconnecting, RetryIn: 42 * time.Second,
			LastError: dests[1].Label() + ": connection refused: is the server address and port right?"}},
	)
	w, loop := goLiveWith(t, fb, dests, redact)
	loop.until(t, 3*time.Second, "Reconnect now on the waiting row", func() bool {
		return rowLine(w, 1) == "srt://127.0.0.1:9000?streamid=****&passphrase=**** | Reconnect now | Stop | reconnecting in 42 s | 0 kb/s · 0 dropped (0 %) | connection refused: is the server address and port right?"
	})
	if !strings.HasPrefix(rowLine(w, 0), "rtmp://live.example.com:1935/app/**** | Stop | live") {
		t.Errorf("a live row offers: %s", rowLine(w, 0))
	}
	test.Tap(w.rows[1].reconnect)
	loop.until(t, 3*time.Second, "the row to reconnect now", func() bool { return w.rows[1].state.Text == "reconnecting now…" })
	if got := fb.called(); !slices.Equal(got, []string{"reconnect 1"}) {
		t.Errorf("calls %q, want reconnect 1", got)
	}
	fb.set(1, func(d *studio.DestinationStatus) { d.State, d.LastError = outputs.Live, "" })
	w.nudgeStats()
	loop.until(t, 3*time.Second, "the row live again", func() bool {
		return strings.HasPrefix(rowLine(w, 1), "srt://127.0.0.1:9000?streamid=****&passphrase=**** | Stop | live |")
	})
	// A failed destination can be retried too.
	fb.set(0, func(d *studio.DestinationStatus) {
		d.State, d.LastError = outputs.Failed, dests[0].Label()+": stream key refused — check it in your profile (key sk_live_SECRET123)"
	})
	w.nudgeStats()
	loop.until(t, 3*time.Second, "Reconnect now on the failed row", func() bool { return w.rows[0].state.Text == "failed" && w.rows[0].reconnect.Visible() })
	test.Tap(w.rows[0].reconnect)
	loop.until(t, 3*time.Second, "the second call", func() bool { return len(fb.called()) == 2 })
	if got := fb.called(); got[1] != "reconnect 0" {
		t.Errorf("calls %q, want reconnect 0 last", got)
	}
	assertNoSecret(t, w)
}

// Each row tells its state in words and colour, with its bitrate, drops and
// queue, and why it is not live.
func TestWindowHealthAtAGlance(t *testing.T) {
	dests, redact := targets(t, srtURL)
	fb := newControlBroadcast(studio.DestinationStatus{DestinationStats: outputs.DestinationStats{Name: dests[0].Label(), State: outputs.Connecting}})
	w, loop := goLiveWith(t, fb, dests, redact)
	refused := dests[0].Label() + ": connection refused (passphrase SECRETPASSPHRASE)"
	for _, c := range []struct {
		name   string
		set    studio.DestinationStatus
		text   string
		colour fyne.ThemeColorName
		imp    widget.Importance
		rest   string
	}{
		{"connecting", studio.DestinationStatus{DestinationStats: outputs.DestinationStats{State: outputs.Connecting}},
			"connecting…", theme.ColorNameWarning, widget.WarningImportance, "0 kb/s · 0 dropped (0 %)"},
		{"live", studio.DestinationStatus{BitrateKbps: 2987.6, DestinationStats: outputs.DestinationStats{State: outputs.Live,
			Queue: encoder.QueueStats{Pushed: 2050, SkippedOffline: 50, DroppedVideo: 30, DroppedAudio: 0, Congestion: 0.62}}},
			"live", theme.ColorNameSuccess, widget.SuccessImportance, "2988 kb/s · 30 dropped (1.5 %) | queue 62 %"},
		{"reconnecting", studio.DestinationStatus{BitrateKbps: 2987.6, DestinationStats: outputs.DestinationStats{State: outputs.Reconnecting,
			RetryIn: 74200 * time.Millisecond, LastError: refused, Queue: encoder.QueueStats{Congestion: 0.48}}}, // offline: no bar
			"reconnecting in 1 min 15 s", theme.ColorNameWarning, widget.WarningImportance, "0 kb/s · 0 dropped (0 %) | connection refused (passphrase ****)"},
		{"failed", studio.DestinationStatus{DestinationStats: outputs.DestinationStats{State: outputs.Failed, LastError: refused}},
			"failed", theme.ColorNameError, widget.DangerImportance, "0 kb/s · 0 dropped (0 %) | connection refused (passphrase ****)"},
		{"stopped", studio.DestinationStatus{DestinationStats: outputs.DestinationStats{State: outputs.Stopped}},
			"stopped", theme.ColorNameDisabled, widget.LowImportance, "0 kb/s · 0 dropped (0 %)"},
	} {
		c.set.Name = dests[0].Label()
		fb.set(0, func(d *studio.DestinationStatus) { *d = c.set })
		w.nudgeStats()
		loop.until(t, 3*time.Second, c.name+": the row's state", func() bool { return w.rows[0].state.Text == c.text })
		r := w.rows[0]
		if r.colour != c.colour || r.marker.FillColor != theme.Color(c.colour) || r.state.Importance != c.imp {
			t.Errorf("%s: marker %s (%v), state importance %v; want %s, %v", c.name, r.colour, r.marker.FillColor, r.state.Importance, c.colour, c.imp)
		}
		line := rowLine(w, 0)
		if _, rest, _ := strings.Cut(line, c.text+" | "); rest != c.rest {
			t.Errorf("%s: the row shows %q, want %q after the state", c.name, line, c.rest)
		}
		assertNoSecret(t, w)
	}
	if theme.Color(theme.ColorNameSuccess) == theme.Color(theme.ColorNameError) || theme.Color(theme.ColorNameWarning) == theme.Color(theme.ColorNameDisabled) {
		t.Error("the theme draws two states in one colour")
	}
}

// Destinations disabled in the profile are listed, and can be started while
// live; one that cannot be used says why and offers no button.
func TestWindowListsDisabledDestinations(t *testing.T) {
	dests, redact := targets(t, rtmpURL, srtURL)
	dests[1].Enabled = new(bool)
	dests[1].Preset = "custom-srt"
	dests = append(dests, studio.Destination{URL: "rtmp://h/live_secret_9", Enabled: new(bool)})
	fb := newControlBroadcast(studio.DestinationStatus{DestinationStats: outputs.DestinationStats{Name: dests[0].Label(), State: outputs.Live}})
	var goLives atomic.Int32
	w, loop := newTestWindow(t, Config{ProfilePath: profile, Destinations: dests, Redact: redact,
		Check:  func(d studio.Destination) error { return d.Check(30) },
		GoLive: func() (Broadcast, error) { goLives.Add(1); return fb, nil }})
	for i, want := range []string{
		"rtmp://live.example.com:1935/app/**** | Stop | not live",
		"srt://127.0.0.1:9000?streamid=****&passphrase=**** | Start | off — disabled in your profile",
		"rtmp://h/**** | cannot be used | destination rtmp://h/****: needs an application and a stream key: rtmp://host/app/KEY",
	} {
		if got := rowLine(w, i); got != want {
			t.Errorf("off air, row %d shows %q, want %q", i, got, want)
		}
	}
	if !w.rows[1].start.Disabled() {
		t.Error("Start is enabled off air")
	}
	test.Tap(button(t, w, "Go Live"))
	loop.until(t, 3*time.Second, "Start enabled once live", func() bool { return w.state == onAir && !w.rows[1].start.Disabled() })
	if got := rowLine(w, 2); got != "rtmp://h/**** | cannot be used | destination rtmp://h/****: needs an application and a stream key: rtmp://host/app/KEY" {
		t.Errorf("live, the broken row shows %q", got)
	}
	test.Tap(w.rows[1].start)
	loop.until(t, 3*time.Second, "the disabled destination started", func() bool {
		return strings.HasPrefix(rowLine(w, 1), "srt://127.0.0.1:9000?streamid=****&passphrase=**** | Stop | connecting…")
	})
	if got := fb.called(); !slices.Equal(got, []string{"add srt://127.0.0.1:9000?streamid=****&passphrase=**** (custom-srt)"}) {
		t.Errorf("calls %q", got)
	}
	if w.rows[1].index != 1 || w.rows[0].index != 0 || w.rows[2].index != -1 {
		t.Errorf("rows map to %d, %d, %d; want 0, 1, -1", w.rows[0].index, w.rows[1].index, w.rows[2].index)
	}
	assertNoSecret(t, w)

	// The next Go Live starts from the profile again: the disabled one is off.
	tapEnd(t, w)
	loop.until(t, 3*time.Second, "the broadcast to end", func() bool { return w.state == offAir })
	fb2 := newControlBroadcast(studio.DestinationStatus{DestinationStats: outputs.DestinationStats{Name: dests[0].Label(), State: outputs.Live}})
	w.cfg.GoLive = func() (Broadcast, error) { goLives.Add(1); return fb2, nil }
	test.Tap(button(t, w, "Go Live"))
	loop.until(t, 3*time.Second, "live again", func() bool { return w.state == onAir && w.rows[0].last != nil })
	if w.rows[1].index != -1 || w.rows[1].state.Text != "off — disabled in your profile" {
		t.Errorf("after a new Go Live the disabled row maps to %d and says %q", w.rows[1].index, w.rows[1].state.Text)
	}
}

// With every destination disabled, Go Live says so and starts nothing.
func TestWindowAllDestinationsDisabled(t *testing.T) {
	dests, redact := targets(t, rtmpURL)
	dests[0].Enabled = new(bool)
	w, loop := newTestWindow(t, Config{ProfilePath: profile, Destinations: dests, Redact: redact,
		GoLive: func() (Broadcast, error) {
			t.Error("GoLive was called with every destination disabled")
			return nil, errors.New("no")
		}})
	want := `Every destination is disabled in ` + profile + `: set "enabled": true on one to go live with it; the others can then be started while live.`
	if w.message.Text != want {
		t.Errorf("message %q, want %q", w.message.Text, want)
	}
	test.Tap(button(t, w, "Go Live"))
	loop.until(t, time.Second, "the message as an error", func() bool { return w.message.Importance == widget.DangerImportance })
	if w.state != offAir || w.message.Text != want {
		t.Errorf("state %v, message %q", w.state, w.message.Text)
	}
}

// appConnector counts, per RTMP application, the streams opened and closed
// and the packets sent.
type appConnector struct {
	mu                      sync.Mutex
	opened, closed, packets map[string]int
}

type appSink struct {
	c   *appConnector
	app string
}

func (c *appConnector) Connect(_ context.Context, t outputs.Target, _ []encoder.Stream) (outputs.Sink, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.opened[t.App]++
	return appSink{c, t.App}, nil
}

func (s appSink) Write(p *encoder.Packet) (int, error) {
	s.c.mu.Lock()
	defer s.c.mu.Unlock()
	s.c.packets[s.app]++
	return len(p.Data), nil
}

func (s appSink) Close() error {
	s.c.mu.Lock()
	defer s.c.mu.Unlock()
	s.c.closed[s.app]++
	return nil
}

func (c *appConnector) count(m map[string]int, app string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return m[app]
}

// With the real broadcast: a destination disabled in the profile starts while
// live, one stopped starts again, and the rows follow each to its bitrate.
func TestWindowStartAndStopRealBroadcast(t *testing.T) {
	st := runningStudio(t)

	dests, redact := targets(t, rtmpURL, "rtmp://other.example.com/spare/sk_spare_SECRET456")
	dests[1].Enabled = new(bool)
	libav.RouteLogs(os.Stderr, redact, false)
	conn := &appConnector{opened: map[string]int{}, closed: map[string]int{}, packets: map[string]int{}}
	w, loop := newTestWindow(t, Config{
		Feed: st, ProfilePath: profile, Destinations: dests, Redact: redact,
		GoLive: func() (Broadcast, error) {
			b, err := studio.NewBroadcast(st, studio.BroadcastConfig{
				Video:        encoder.VideoConfig{Width: 320, Height: 180, FPS: 30, BitrateKbps: 500, KeyframeSec: 1, Preset: "ultrafast"},
				Destinations: dests[:1], Encoders: wire.Encoders{}, Connectors: map[outputs.Protocol]outputs.Connector{outputs.RTMP: conn},
			})
			if err != nil {
				return nil, err
			}
			return b, nil
		},
	})
	streaming := func(i int) func() bool {
		return func() bool {
			return w.rows[i].state.Text == "live" && !strings.Contains(rowLine(w, i), "| 0 kb/s") && w.rows[i].colour == theme.ColorNameSuccess
		}
	}
	test.Tap(button(t, w, "Go Live"))
	loop.until(t, 10*time.Second, "the enabled destination streaming", streaming(0))
	test.Tap(w.rows[1].start)
	loop.until(t, 10*time.Second, "the disabled destination streaming", streaming(1))
	test.Tap(w.rows[0].stop)
	loop.until(t, 10*time.Second, "the first destination stopped", func() bool {
		return w.rows[0].state.Text == "stopped" && !w.rows[0].start.Disabled()
	})
	if n := conn.count(conn.closed, "app"); n != 1 {
		t.Errorf("the stopped stream was closed %d times", n)
	}
	test.Tap(w.rows[0].start)
	loop.until(t, 10*time.Second, "the first destination streaming again", streaming(0))
	if w.rows[0].index != 2 || w.rows[1].index != 1 {
		t.Errorf("rows map to %d and %d, want 2 and 1", w.rows[0].index, w.rows[1].index)
	}
	spare := conn.count(conn.packets, "spare")
	loop.until(t, 5*time.Second, "the started destination to keep receiving", func() bool { return conn.count(conn.packets, "spare") > spare+30 })

	tapEnd(t, w)
	loop.until(t, 10*time.Second, "the broadcast to end", func() bool { return w.button.Text == "Go Live" })
	for app, want := range map[string]int{"app": 2, "spare": 1} {
		if o, c := conn.count(conn.opened, app), conn.count(conn.closed, app); o != want || c != want {
			t.Errorf("%s: %d streams opened, %d closed; want %d of each", app, o, c, want)
		}
	}
	for i := range 2 {
		if w.rows[i].state.Text != "stopped" {
			t.Errorf("after End row %d says %q", i, w.rows[i].state.Text)
		}
	}
	assertNoSecret(t, w)
	if strings.Contains(shownText(w), "sk_spare_SECRET456") {
		t.Error("the window shows the disabled destination's key")
	}
}

type noticeBroadcast struct{ fakeBroadcast }

func (b *noticeBroadcast) Notices() []string {
	return []string{"rendition 1: h264_vaapi is not available here (no VA-API device): encoding H.264 in software (libx264) instead"}
}

// What the broadcast wants the performer to know (a hardware encoder
// replaced by software) is shown once live; a dynamic destination shows the
// rate its encoder runs at.
func TestWindowShowsNoticesAndDynamicBitrate(t *testing.T) {
	names, redact := targets(t, rtmpURL)
	nb := &noticeBroadcast{fakeBroadcast{started: make(chan struct{}), dests: []studio.DestinationStatus{
		{DestinationStats: outputs.DestinationStats{Name: names[0].Name, State: outputs.Live}, BitrateKbps: 700, VideoKbps: 520, Adaptive: true},
	}}}
	w, loop := newTestWindow(t, Config{
		ProfilePath: profile, Destinations: names, Redact: redact,
		GoLive: func() (Broadcast, error) { return nb, nil },
	})
	test.Tap(button(t, w, "Go Live"))
	loop.until(t, 2*time.Second, "the notice", func() bool {
		return strings.Contains(shownText(w), "h264_vaapi is not available here (no VA-API device): encoding H.264 in software (libx264) instead")
	})
	loop.until(t, 3*time.Second, "the dynamic rate", func() bool {
		return strings.Contains(rowLine(w, 0), "700 kb/s · 0 dropped (0 %) · video 520 kb/s (dynamic)")
	})
	assertNoSecret(t, w)
	tapEnd(t, w)
	loop.until(t, 3*time.Second, "the broadcast to end", func() bool { return w.button.Text == "Go Live" })
}

// runningStudio runs a 320x180@30 test-card studio until the test ends.
func runningStudio(t *testing.T) *studio.Studio {
	t.Helper()
	tc, err := capture.NewTestCard(320, 180, 30)
	if err != nil {
		t.Fatal(err)
	}
	st := studio.NewStudio(320, 180, 30, tc, capture.Tone{})
	ctx, cancel := context.WithCancel(context.Background())
	studioDone := make(chan error, 1)
	go func() { studioDone <- st.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-studioDone })
	return st
}

// The window closing while Go Live is still opening the encoders frees them
// (Close) and connects nothing.
func TestWindowClosedWhileGoingLiveFreesTheBroadcast(t *testing.T) {
	dests, redact := targets(t, rtmpURL)
	fb := &fakeBroadcast{started: make(chan struct{})}
	entered, release := make(chan struct{}), make(chan struct{})
	w, loop := newTestWindow(t, Config{ProfilePath: profile, Destinations: dests, Redact: redact,
		GoLive: func() (Broadcast, error) {
			close(entered)
			<-release
			return fb, nil
		}})
	test.Tap(button(t, w, "Go Live"))
	<-entered
	stopped := make(chan struct{})
	go func() { w.Stop(); close(stopped) }()
	loop.until(t, 3*time.Second, "the window stopping", func() bool { return w.ctx.Err() != nil })
	close(release)
	loop.until(t, 3*time.Second, "Stop to return", func() bool {
		select {
		case <-stopped:
			return true
		default:
			return false
		}
	})
	select {
	case <-fb.started:
		t.Error("the abandoned broadcast ran")
	default:
	}
	if !fb.closed.Load() {
		t.Error("the abandoned broadcast was not closed: its encoders leak")
	}
}

// dialogButton finds the button showing label in the dialog on top.
func dialogButton(t *testing.T, w *Window, label string) *widget.Button {
	t.Helper()
	top := w.win.Canvas().Overlays().Top()
	if top == nil {
		t.Fatalf("no dialog is open; looking for %q", label)
	}
	for _, o := range laidOutVisible(nil, top, top.MinSize().Max(top.Size())) {
		if b, ok := o.(*widget.Button); ok && b.Text == label {
			return b
		}
	}
	t.Fatalf("the dialog has no %q button; it shows: %s", label, dialogText(w))
	return nil
}

// dialogText is every text drawn in the dialog on top ("" with none).
func dialogText(w *Window) string {
	top := w.win.Canvas().Overlays().Top()
	if top == nil {
		return ""
	}
	var parts []string
	for _, o := range laidOutVisible(nil, top, top.MinSize().Max(top.Size())) {
		if t, ok := o.(*canvas.Text); ok && t.Text != "" {
			parts = append(parts, t.Text)
		}
	}
	return strings.Join(parts, " ")
}

// tapEnd taps End and confirms.
func tapEnd(t *testing.T, w *Window) {
	t.Helper()
	test.Tap(button(t, w, "End"))
	test.Tap(dialogButton(t, w, "End broadcast"))
}
