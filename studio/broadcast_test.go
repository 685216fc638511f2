package studio

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"onair/capture"
	"onair/encoder"
	"onair/outputs"
)

// memConnector records every packet each destination receives.
type memConnector struct {
	mu   sync.Mutex
	got  map[string][]*encoder.Packet
	seen []encoder.Stream
	// whipSeen: what a WHIP connector sharing this record was given.
	whipSeen []encoder.Stream
}

type memSink struct {
	c    *memConnector
	name string
}

func (c *memConnector) Connect(_ context.Context, t outputs.Target, streams []encoder.Stream) (outputs.Sink, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seen = streams
	return memSink{c, t.App}, nil
}

func (s memSink) Write(p *encoder.Packet) (int, error) {
	s.c.mu.Lock()
	defer s.c.mu.Unlock()
	s.c.got[s.name] = append(s.c.got[s.name], p)
	return len(p.Data), nil
}

func (memSink) Close() error { return nil }

// One encode feeds every destination the same packets: a keyframe every 2 s,
// video and audio starting together and covering the whole duration.
func TestBroadcastSharesOneEncode(t *testing.T) {
	st, ctx := runningStudio(t)
	mem := &memConnector{got: map[string][]*encoder.Packet{}}
	encs := &fakeEncoders{}
	b, err := NewBroadcast(st, BroadcastConfig{
		Video:        encoder.VideoConfig{Width: 320, Height: 180, FPS: 30, BitrateKbps: 500},
		Destinations: dests("rtmp://h/one/k1", "rtmp://h/two/k2", "rtmp://h/three/k3"),
		Duration:     3 * time.Second,
		Encoders:     encs,
		Connectors:   map[outputs.Protocol]outputs.Connector{outputs.RTMP: mem},
	})
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := encs.stillOpen(); n != 2 {
		t.Errorf("%d encoders open for 3 destinations, want 1 video and 1 audio", n)
	}
	if err := b.Run(ctx); err != nil {
		t.Fatal(err)
	}
	if s := b.Stats(); s.VideoEncoders != 1 {
		t.Errorf("stats %+v: want 1 encoder", s)
	}
	if n, err := encs.stillOpen(); n != 0 || err != nil {
		t.Errorf("%d encoders still open after the broadcast (%v)", n, err)
	}
	if len(mem.seen) != 2 || mem.seen[0].Codec != encoder.H264 || mem.seen[1].Codec != encoder.AAC || len(mem.seen[0].Extradata) == 0 {
		t.Fatalf("streams %+v", mem.seen)
	}
	ref := mem.got["one"]
	for _, name := range []string{"two", "three"} {
		got := mem.got[name]
		if len(got) != len(ref) {
			t.Fatalf("%s got %d packets, one got %d", name, len(got), len(ref))
		}
		for i := range got {
			if got[i] != ref[i] {
				t.Fatalf("%s packet %d is not the shared packet", name, i)
			}
		}
	}
	var video, audio int
	var audioEnd time.Duration
	var video0 []*encoder.Packet
	for _, p := range ref {
		switch p.Kind {
		case encoder.Video:
			video0 = append(video0, p)
			video++
		case encoder.Audio:
			if p.PTS != int64(audio)*1024 {
				t.Errorf("audio pts %d at index %d: want continuous 1024-sample frames from 0", p.PTS, audio)
			}
			audio++
			audioEnd = p.PTSTime() + 1024*time.Second/48000
		}
	}
	checkKeyframes(t, "one", video0, 60)
	// A loaded machine may skip a picture or two: what matters is that every
	// slot is accounted for and every destination got each encoded picture.
	if s := b.Stats(); int64(video) != s.FramesEncoded || s.FramesEncoded+s.EncoderSkipped < 87 {
		t.Errorf("%d video packets, %d encoded, %d skipped: want 90 slots", video, s.FramesEncoded, s.EncoderSkipped)
	}
	if d := audioEnd - 3*time.Second; d < -25*time.Millisecond || d > 25*time.Millisecond {
		t.Errorf("audio ends at %s, want 3 s", audioEnd)
	}
}

// checkKeyframes: pts rise, and a keyframe is the first picture at or after
// each whole keyframe interval (gop pictures) of media time, and no other.
func checkKeyframes(t *testing.T, name string, video []*encoder.Packet, gop int64) {
	t.Helper()
	next, last := int64(0), int64(-1)
	for _, p := range video {
		if p.PTS <= last {
			t.Fatalf("%s: video pts %d after %d", name, p.PTS, last)
		}
		last = p.PTS
		want := p.PTS >= next
		if want {
			next = (p.PTS/gop + 1) * gop
		}
		if p.Key != want {
			t.Fatalf("%s: video pts %d key=%v, want %v (keyframes every %d by media time)", name, p.PTS, p.Key, want, gop)
		}
	}
}

// Destinations come and go while live without touching the others: one added
// mid-show starts on a keyframe with the shared encoder, one that needs other
// settings (CAM4) gets an encoder of its own from the next picture, one
// removed stops cleanly, the rest get every packet.
func TestBroadcastAddAndRemoveWhileLive(t *testing.T) {
	st, ctx := runningStudio(t)
	mem := &memConnector{got: map[string][]*encoder.Packet{}}
	b, err := NewBroadcast(st, BroadcastConfig{
		Video:        smallVideo,
		Encoders:     &fakeEncoders{},
		Destinations: dests("rtmp://h/one/k1", "rtmp://h/two/k2"),
		Duration:     4 * time.Second,
		Connectors:   map[outputs.Protocol]outputs.Connector{outputs.RTMP: mem},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.AddDestination(Destination{URL: "rtmp://h/early/k"}); err == nil {
		t.Error("a destination was added before the broadcast ran")
	}
	done := make(chan error, 1)
	go func() { done <- b.Run(ctx) }()
	time.Sleep(1500 * time.Millisecond)
	if _, err := b.AddDestination(Destination{URL: "rtmp://h/late/k3"}); err != nil {
		t.Fatal(err)
	}
	if i, err := b.AddDestination(Destination{URL: "rtmp://h/cam4/k4", Preset: "cam4"}); err != nil || i != 3 {
		t.Errorf("adding a destination that needs another encoder: %d, %v", i, err)
	}
	if err := b.RemoveDestination(1); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	frames := func(name string) (n int, firstKey bool) {
		mem.mu.Lock()
		defer mem.mu.Unlock()
		var video []*encoder.Packet
		for _, p := range mem.got[name] {
			if p.Kind == encoder.Video {
				video = append(video, p)
			}
		}
		if name == "cam4" {
			checkKeyframes(t, name, video, 30)
		}
		return len(video), len(video) > 0 && video[0].Key
	}
	s := b.Stats()
	if n, _ := frames("one"); int64(n) != s.FramesEncoded || s.FramesEncoded+s.EncoderSkipped < 117 {
		t.Errorf("the untouched destination got %d frames of %d encoded (%d skipped), want every one of 120 slots", n, s.FramesEncoded, s.EncoderSkipped)
	}
	if n, _ := frames("two"); n < 30 || n > 70 {
		t.Errorf("the removed destination got %d frames, want about 1.5 s worth", n)
	}
	if n, key := frames("late"); n < 45 || n > 80 || !key {
		t.Errorf("the added destination got %d frames (first a keyframe: %v), want 2–2.5 s from a keyframe", n, key)
	}
	if n, key := frames("cam4"); n < 45 || n > 80 || !key {
		t.Errorf("the destination with its own encoder got %d frames (first a keyframe: %v), want 2–2.5 s from a keyframe", n, key)
	}
	if s.VideoEncoders != 2 || len(s.Destinations) != 4 || s.Destinations[1].State != outputs.Stopped || s.Destinations[3].Rendition != 2 {
		t.Errorf("stats: %d encoders, %d destinations, removed one %s", s.VideoEncoders, len(s.Destinations), s.Destinations[1].State)
	}
}

// flakyConnector refuses the first connection to each app in fail, then
// connects like mem.
type flakyConnector struct {
	*memConnector
	fail map[string]bool
}

func (c *flakyConnector) Connect(ctx context.Context, t outputs.Target, streams []encoder.Stream) (outputs.Sink, error) {
	c.mu.Lock()
	refuse := c.fail[t.App]
	c.fail[t.App] = false
	c.mu.Unlock()
	if refuse {
		return nil, errors.New("connection refused")
	}
	return c.memConnector.Connect(ctx, t, streams)
}

// Reconnect now while live: a destination waiting out a one-minute backoff
// connects at once and starts on a keyframe; the others are not touched.
func TestBroadcastReconnectDestination(t *testing.T) {
	st, ctx := runningStudio(t)
	mem := &memConnector{got: map[string][]*encoder.Packet{}}
	c := &flakyConnector{memConnector: mem, fail: map[string]bool{"flaky": true}}
	b, err := NewBroadcast(st, BroadcastConfig{
		Video:        smallVideo,
		Encoders:     &fakeEncoders{},
		Destinations: dests("rtmp://h/steady/k1", "rtmp://h/flaky/k2"),
		Duration:     4 * time.Second,
		Connectors:   map[outputs.Protocol]outputs.Connector{outputs.RTMP: c},
		Backoff:      outputs.Backoff{First: time.Minute, Max: time.Minute},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.ReconnectDestination(1); err == nil {
		t.Error("ReconnectDestination before the broadcast ran")
	}
	done := make(chan error, 1)
	go func() { done <- b.Run(ctx) }()
	deadline := time.Now().Add(3 * time.Second)
	for s := b.Stats(); len(s.Destinations) < 2 || s.Destinations[1].State != outputs.Reconnecting || s.Destinations[1].RetryIn < 50*time.Second; s = b.Stats() {
		if time.Now().After(deadline) {
			t.Fatalf("the flaky destination is not waiting a minute to reconnect: %+v", s.Destinations)
		}
		time.Sleep(10 * time.Millisecond)
	}
	// Past the first keyframe interval, so what it missed is visible.
	time.Sleep(1500 * time.Millisecond)
	asked := time.Now()
	if err := b.ReconnectDestination(1); err != nil {
		t.Fatal(err)
	}
	for b.Stats().Destinations[1].State != outputs.Live {
		if time.Since(asked) > time.Second {
			t.Fatalf("not live a second after Reconnect now: %+v", b.Stats().Destinations[1])
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := b.ReconnectDestination(0); !errors.Is(err, outputs.ErrAlreadyLive) {
		t.Errorf("Reconnect now on a live destination: %v", err)
	}
	for _, i := range []int{-1, 2} {
		if err := b.ReconnectDestination(i); err == nil || err.Error() != fmt.Sprintf("no destination %d in this broadcast", i) {
			t.Errorf("ReconnectDestination(%d) = %v", i, err)
		}
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	mem.mu.Lock()
	defer mem.mu.Unlock()
	var steady, flaky int
	firstKey := false
	for _, p := range mem.got["steady"] {
		if p.Kind == encoder.Video {
			steady++
		}
	}
	for _, p := range mem.got["flaky"] {
		if p.Kind == encoder.Video {
			if flaky == 0 {
				firstKey = p.Key
			}
			flaky++
		}
	}
	if s := b.Stats(); int64(steady) != s.FramesEncoded || s.FramesEncoded+s.EncoderSkipped < 117 {
		t.Errorf("the steady destination got %d frames of %d encoded (%d skipped), want every one of 120 slots", steady, s.FramesEncoded, s.EncoderSkipped)
	}
	// Offline it kept the newest keyframe (one a second) and what follows:
	// it sent whole seconds from a keyframe, not the first one.
	if flaky < 30 || flaky > 90 || flaky%30 != 0 || !firstKey {
		t.Errorf("the reconnected destination got %d frames (first a keyframe: %v), want whole seconds from a keyframe after the first", flaky, firstKey)
	}
}

// Reconnect now on a destination that was stopped says to start it again.
func TestBroadcastReconnectStoppedDestination(t *testing.T) {
	st, ctx := runningStudio(t)
	mem := &memConnector{got: map[string][]*encoder.Packet{}}
	b, err := NewBroadcast(st, BroadcastConfig{
		Video:        smallVideo,
		Encoders:     &fakeEncoders{},
		Destinations: dests("rtmp://h/one/k1", "rtmp://h/two/secret_k2"),
		Duration:     2 * time.Second,
		Connectors:   map[outputs.Protocol]outputs.Connector{outputs.RTMP: mem},
	})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- b.Run(ctx) }()
	time.Sleep(500 * time.Millisecond)
	if err := b.RemoveDestination(1); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(3 * time.Second)
	for b.Stats().Destinations[1].State != outputs.Stopped {
		if time.Now().After(deadline) {
			t.Fatal("the removed destination did not stop")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := b.ReconnectDestination(1); err == nil || err.Error() != "destination rtmp://h:1935/two/**** was stopped: start it again" {
		t.Errorf("Reconnect now after Stop = %v", err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// smallVideo is the rendition the live-control tests encode: 320x180@30, 1 s GOP.
var smallVideo = encoder.VideoConfig{Width: 320, Height: 180, FPS: 30, BitrateKbps: 400, KeyframeSec: 1}

// runningStudio starts a test-card studio at smallVideo's size, stopped and
// waited for when the test ends.
func runningStudio(t *testing.T) (*Studio, context.Context) {
	t.Helper()
	card, err := capture.NewTestCard(smallVideo.Width, smallVideo.Height, smallVideo.FPS)
	if err != nil {
		t.Fatal(err)
	}
	st := NewStudio(smallVideo.Width, smallVideo.Height, smallVideo.FPS, card, capture.Tone{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- st.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("studio: %v", err)
		}
	})
	return st, ctx
}

// dests are destinations for these URLs.
func dests(urls ...string) []Destination {
	ds := make([]Destination, len(urls))
	for i, u := range urls {
		ds[i] = Destination{URL: u}
	}
	return ds
}
