package ui

import (
	"context"
	"errors"
	"fmt"
	"image"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"onair/capture"
	"onair/encoder"
	"onair/encoder/libav"
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
}

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

func targets(t *testing.T, urls ...string) (names []string, redact func(string) string) {
	t.Helper()
	var ts []outputs.Target
	for _, u := range urls {
		tg, err := outputs.ParseTarget(u)
		if err != nil {
			t.Fatal(err)
		}
		ts = append(ts, tg)
		names = append(names, tg.String())
	}
	return names, outputs.NewRedactor(ts...).Redact
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

// shownText is every piece of text drawn in the window, in layout order.
func shownText(w *Window) string {
	var parts []string
	for _, o := range test.LaidOutObjects(w.win.Content()) {
		if t, ok := o.(*canvas.Text); ok && t.Visible() && t.Text != "" {
			parts = append(parts, t.Text)
		}
	}
	return strings.Join(parts, " ")
}

// button finds the window's button showing label.
func button(t *testing.T, w *Window, label string) *widget.Button {
	t.Helper()
	for _, o := range test.LaidOutObjects(w.win.Content()) {
		if b, ok := o.(*widget.Button); ok && b.Text == label {
			return b
		}
	}
	t.Fatalf("no %q button in the window; it shows: %s", label, shownText(w))
	return nil
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
	for _, want := range []string{
		"rtmp://live.example.com:1935/app/**** — not live",
		"srt://127.0.0.1:9000?streamid=****&passphrase=**** — not live",
		"Off air", "Go Live",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("the window does not show %q; it shows: %s", want, s)
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
		{DestinationStats: outputs.DestinationStats{Name: names[0], State: outputs.Live,
			Queue: encoder.QueueStats{DroppedVideo: 3}}, BitrateKbps: 2987.6},
		{DestinationStats: outputs.DestinationStats{Name: names[1], State: outputs.Reconnecting, RetryIn: 2 * time.Second,
			LastError: names[1] + ": connection refused (streamid publish:SECRETSTREAM)"}},
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
		return strings.Contains(shownText(w), "rtmp://live.example.com:1935/app/**** — live — 2988 kb/s — 3 dropped")
	})
	s := shownText(w)
	for _, want := range []string{
		"● LIVE 00:00:03 90 frames",
		"srt://127.0.0.1:9000?streamid=****&passphrase=**** — reconnecting — 0 kb/s — 0 dropped — connection refused (streamid ****) (retrying in 2 s)",
	} {
		if !strings.Contains(strings.Join(strings.Fields(s), " "), want) {
			t.Errorf("the window does not show %q; it shows: %s", want, s)
		}
	}
	assertNoSecret(t, w)

	test.Tap(button(t, w, "End"))
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
	tc, err := capture.NewTestCard(320, 180, 30)
	if err != nil {
		t.Fatal(err)
	}
	st := studio.NewStudio(320, 180, 30, tc, capture.Tone{})
	ctx, cancel := context.WithCancel(context.Background())
	studioDone := make(chan error, 1)
	go func() { studioDone <- st.Run(ctx) }()
	defer func() { cancel(); <-studioDone }()

	tg, err := outputs.ParseTarget(rtmpURL)
	if err != nil {
		t.Fatal(err)
	}
	libav.RouteLogs(os.Stderr, outputs.NewRedactor(tg).Redact, false) // warnings only
	conn := &countConnector{}
	var runs atomic.Int32
	w, loop := newTestWindow(t, Config{
		Feed: st, ProfilePath: profile, Destinations: []string{tg.String()},
		Redact: outputs.NewRedactor(tg).Redact,
		GoLive: func() (Broadcast, error) {
			runs.Add(1)
			b, err := studio.NewBroadcast(st, studio.BroadcastConfig{
				Video:   libav.VideoConfig{Width: 320, Height: 180, FPS: 30, BitrateKbps: 500, KeyframeSec: 1, Preset: "ultrafast"},
				Targets: []outputs.Target{tg}, Connectors: map[outputs.Protocol]outputs.Connector{outputs.RTMP: conn},
			})
			if err != nil {
				return nil, err
			}
			return b, nil
		},
	})
	test.Tap(button(t, w, "Go Live"))
	loop.until(t, 10*time.Second, "the destination live with a bitrate", func() bool {
		s := shownText(w)
		return strings.Contains(s, "rtmp://live.example.com:1935/app/**** — live — ") && !strings.Contains(s, " — 0 kb/s") &&
			strings.Contains(s, "LIVE")
	})
	if w.button.Text != "End" {
		t.Errorf("while live the button says %q", w.button.Text)
	}
	// The preview keeps moving while live.
	n := w.preview.frames.Load()
	loop.until(t, 3*time.Second, "the preview to move while live", func() bool { return w.preview.frames.Load() >= n+5 })

	test.Tap(button(t, w, "End"))
	loop.until(t, 10*time.Second, "the broadcast to end", func() bool { return w.button.Text == "Go Live" })
	if conn.closed.Load() != 1 || conn.packets.Load() < 30 {
		t.Errorf("after End: %d packets sent, stream closed %d times; want a closed stream with packets", conn.packets.Load(), conn.closed.Load())
	}
	if s := shownText(w); !strings.Contains(s, "Broadcast ended after") || !strings.Contains(s, "— stopped — 0 kb/s —") {
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
		{DestinationStats: outputs.DestinationStats{Name: names[0], State: outputs.Live}},
		{DestinationStats: outputs.DestinationStats{Name: names[1], State: outputs.Live}},
	}}}
	w, loop := newTestWindow(t, Config{
		ProfilePath: profile, Destinations: names, Redact: redact,
		GoLive: func() (Broadcast, error) { return fb, nil },
	})
	for _, b := range w.destStops {
		if !b.Disabled() {
			t.Fatal("a Stop button is enabled while off air")
		}
	}
	test.Tap(button(t, w, "Go Live"))
	loop.until(t, 3*time.Second, "the Stop buttons to be enabled", func() bool {
		return len(w.destStops) == 2 && !w.destStops[1].Disabled()
	})
	test.Tap(w.destStops[1])
	loop.until(t, 3*time.Second, "the second destination to stop", func() bool {
		return strings.Contains(shownText(w), "srt://127.0.0.1:9000?streamid=****&passphrase=**** — stopped")
	})
	fb.mu.Lock()
	if len(fb.stopped) != 1 || fb.stopped[0] != 1 {
		t.Errorf("stopped %v, want destination 1 only", fb.stopped)
	}
	fb.mu.Unlock()
	if w.button.Text != "End" || !strings.Contains(shownText(w), "rtmp://live.example.com:1935/app/**** — live") {
		t.Errorf("stopping one destination disturbed the show: %s", shownText(w))
	}
	test.Tap(button(t, w, "End"))
	loop.until(t, 3*time.Second, "the broadcast to end", func() bool { return w.button.Text == "Go Live" })
	if !w.destStops[0].Disabled() {
		t.Error("a Stop button stays enabled off air")
	}
}
