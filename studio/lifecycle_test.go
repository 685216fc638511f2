package studio

import (
	"context"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"onair/encoder"
	"onair/outputs"
)

// Go Live abandoned before Run: Close frees every encoder NewBroadcast
// opened, once, and the broadcast cannot run afterwards.
func TestBroadcastCloseWithoutRun(t *testing.T) {
	st, ctx := runningStudio(t)
	encs := &fakeEncoders{}
	b, err := NewBroadcast(st, BroadcastConfig{
		Video: smallVideo, Encoders: encs,
		Destinations: []Destination{{URL: "rtmp://h/one/k1"}, {URL: "rtmp://h/cam4/k2", Preset: "cam4"}},
		Connectors:   map[outputs.Protocol]outputs.Connector{outputs.RTMP: &memConnector{}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := encs.stillOpen(); n != 3 {
		t.Fatalf("%d encoders open, want 2 video and 1 audio", n)
	}
	b.Close()
	b.Close()
	if n, err := encs.stillOpen(); n != 0 || err != nil {
		t.Errorf("after Close: %d encoders open (%v)", n, err)
	}
	if err := b.Run(ctx); err == nil || !strings.Contains(err.Error(), "already run") {
		t.Errorf("Run after Close = %v", err)
	}
}

// An encoder that fails to open leaves none of the others open.
func TestNewBroadcastFailureFreesEncoders(t *testing.T) {
	st, _ := runningStudio(t)
	encs := &fakeEncoders{failVideo: 2}
	_, err := NewBroadcast(st, BroadcastConfig{
		Video: smallVideo, Encoders: encs,
		Destinations: []Destination{{URL: "rtmp://h/one/k1"}, {URL: "rtmp://h/cam4/k2", Preset: "cam4"}},
		Connectors:   map[outputs.Protocol]outputs.Connector{outputs.RTMP: &memConnector{}},
	})
	if err == nil || !strings.Contains(err.Error(), "does not open") {
		t.Fatalf("NewBroadcast = %v, want the encoder's error", err)
	}
	if n, err := encs.stillOpen(); n != 0 || err != nil {
		t.Errorf("%d encoders left open (%v)", n, err)
	}
}

// Run returns only when every goroutine it started has ended, and Close
// after Run frees nothing twice.
func TestBroadcastRunJoinsItsGoroutines(t *testing.T) {
	st, ctx := runningStudio(t)
	// The studio's own goroutines are running once it has composed.
	for deadline := time.Now().Add(3 * time.Second); st.Stats().Composed == 0; {
		if time.Now().After(deadline) {
			t.Fatal("the studio composes nothing")
		}
		time.Sleep(5 * time.Millisecond)
	}
	before := goleak.IgnoreCurrent()
	encs := &fakeEncoders{}
	b, err := NewBroadcast(st, BroadcastConfig{
		Video: smallVideo, Encoders: encs, Duration: time.Second,
		Destinations: []Destination{{URL: "rtmp://h/one/k1"}, {URL: "rtmp://h/two/k2", DynamicBitrate: true}},
		Connectors:   map[outputs.Protocol]outputs.Connector{outputs.RTMP: &memConnector{got: map[string][]*encoder.Packet{}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Run(ctx); err != nil {
		t.Fatal(err)
	}
	goleak.VerifyNone(t, before)
	b.Close()
	if n, err := encs.stillOpen(); n != 0 || err != nil {
		t.Errorf("%d encoders left open (%v)", n, err)
	}
}

// slowSink takes a packet every 40 ms: a thin link.
type slowConnector struct{ *memConnector }

type slowSink struct{ memSink }

func (c slowConnector) Connect(ctx context.Context, t outputs.Target, s []encoder.Stream) (outputs.Sink, error) {
	sink, err := c.memConnector.Connect(ctx, t, s)
	if err != nil {
		return nil, err
	}
	return slowSink{sink.(memSink)}, nil
}

func (s slowSink) Write(p *encoder.Packet) (int, error) {
	time.Sleep(40 * time.Millisecond)
	return s.memSink.Write(p)
}

// A destination with dynamic bitrate started while live gets an encoder of
// its own whose rate follows its link; the others keep theirs.
func TestBroadcastAddsDynamicDestinationWhileLive(t *testing.T) {
	st, ctx := runningStudio(t)
	mem := &memConnector{got: map[string][]*encoder.Packet{}}
	var notices []string
	noticed := make(chan string, 16)
	b, err := NewBroadcast(st, BroadcastConfig{
		Video: smallVideo, Encoders: &fakeEncoders{}, Duration: 7 * time.Second, DropThreshold: 300 * time.Millisecond, DrainTimeout: 300 * time.Millisecond,
		Destinations: dests("rtmp://h/one/k1"),
		Connectors:   map[outputs.Protocol]outputs.Connector{outputs.RTMP: mem, outputs.RTMPS: slowConnector{mem}},
		OnNotice: func(n string) {
			select {
			case noticed <- n:
			default:
			}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- b.Run(ctx) }()
	time.Sleep(500 * time.Millisecond)
	i, err := b.AddDestination(Destination{Name: "thin", URL: "rtmps://h/thin/k2", DynamicBitrate: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	close(noticed)
	for n := range noticed {
		notices = append(notices, n)
	}
	s := b.Stats()
	if len(s.Destinations) != 2 || s.VideoEncoders != 2 {
		t.Fatalf("%d destinations, %d encoders: want the added one on its own", len(s.Destinations), s.VideoEncoders)
	}
	d := s.Destinations[i]
	if !d.Adaptive || d.Rendition != 2 || d.Name != "thin" {
		t.Errorf("added destination: adaptive %v, rendition %d, name %q", d.Adaptive, d.Rendition, d.Name)
	}
	if d.VideoKbps >= smallVideo.BitrateKbps || s.Destinations[0].VideoKbps != smallVideo.BitrateKbps {
		t.Errorf("video rates: thin %d kb/s, other %d kb/s; want the thin one stepped down, the other at %d", d.VideoKbps, s.Destinations[0].VideoKbps, smallVideo.BitrateKbps)
	}
	if len(notices) == 0 || !strings.Contains(notices[0], "destination thin: congested") {
		t.Errorf("notices %q: want the thin destination's step down", notices)
	}
}

// An encoder starved of CPU (here, one that takes 60 ms a picture at 30 fps)
// skips pictures, counted, rather than letting every destination fall
// further behind; the broadcast keeps the studio's clock.
func TestBroadcastSkipsPicturesWhenTheEncoderIsSlow(t *testing.T) {
	st, ctx := runningStudio(t)
	mem := &memConnector{got: map[string][]*encoder.Packet{}}
	b, err := NewBroadcast(st, BroadcastConfig{
		Video: smallVideo, Encoders: &fakeEncoders{delay: 60 * time.Millisecond}, Duration: 3 * time.Second,
		Destinations: dests("rtmp://h/one/k1"),
		Connectors:   map[outputs.Protocol]outputs.Connector{outputs.RTMP: mem},
	})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := b.Run(ctx); err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	s := b.Stats()
	if s.EncoderSkipped < 20 || s.FramesEncoded+s.EncoderSkipped < 80 {
		t.Errorf("%d pictures encoded, %d skipped: want about half of 90 skipped", s.FramesEncoded, s.EncoderSkipped)
	}
	if p99 := s.Destinations[0].LatencyP99; p99 == 0 || p99 > 350*time.Millisecond {
		t.Errorf("compose→wire p99 %s: none measured, or the delay grew instead of pictures being skipped", p99)
	}
	if took > 3500*time.Millisecond {
		t.Errorf("a 3 s broadcast took %s: the clock was not kept", took)
	}
}

// An encoder that stalls past the audio buffer near the end misses the
// chunk that crosses the end: the broadcast still ends cleanly at its
// duration (once, a chunk past the end panicked on a negative slice).
func TestBroadcastEndsAfterAStallNearTheEnd(t *testing.T) {
	st, ctx := runningStudio(t)
	mem := &memConnector{got: map[string][]*encoder.Packet{}}
	b, err := NewBroadcast(st, BroadcastConfig{
		Video: smallVideo, Encoders: &fakeEncoders{stallAt: 15, stallFor: 6 * time.Second}, Duration: 6 * time.Second,
		Destinations: dests("rtmp://h/one/k1"),
		Connectors:   map[outputs.Protocol]outputs.Connector{outputs.RTMP: mem},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Run(ctx); err != nil {
		t.Fatal(err)
	}
	mem.mu.Lock()
	defer mem.mu.Unlock()
	var end time.Duration
	for _, p := range mem.got["one"] {
		if p.Kind == encoder.Audio {
			end = max(end, p.PTSTime()+1024*time.Second/48000)
		}
	}
	if end < 400*time.Millisecond {
		t.Errorf("sound ends at %s: what was captured before the stall is missing", end)
	}
	if end > 6*time.Second+25*time.Millisecond {
		t.Errorf("sound runs to %s, past the 6 s duration", end)
	}
}

// Close racing Run (the window giving up on Go Live just as it starts) never
// frees an encoder Run is using, nor one twice.
func TestBroadcastCloseRacingRun(t *testing.T) {
	st, ctx := runningStudio(t)
	for range 20 {
		encs := &fakeEncoders{}
		b, err := NewBroadcast(st, BroadcastConfig{
			Video: smallVideo, Encoders: encs, Duration: 100 * time.Millisecond,
			Destinations: dests("rtmp://h/one/k1"),
			Connectors:   map[outputs.Protocol]outputs.Connector{outputs.RTMP: &memConnector{got: map[string][]*encoder.Packet{}}},
		})
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- b.Run(ctx) }()
		b.Close()
		if err := <-done; err != nil && !strings.Contains(err.Error(), "already run or was closed") {
			t.Fatalf("Run beside Close: %v", err)
		}
		if n, err := encs.stillOpen(); n != 0 || err != nil {
			t.Fatalf("%d encoders open after Run and Close (%v)", n, err)
		}
	}
}

// A dynamic-bitrate destination stopped and started again takes its old
// encoder back instead of leaving it encoding for nobody.
func TestBroadcastReusesAFreedDynamicRendition(t *testing.T) {
	st, ctx := runningStudio(t)
	encs := &fakeEncoders{}
	b, err := NewBroadcast(st, BroadcastConfig{
		Video: smallVideo, Encoders: encs, Duration: 3 * time.Second,
		Destinations: dests("rtmp://h/one/k1"),
		Connectors:   map[outputs.Protocol]outputs.Connector{outputs.RTMP: &memConnector{got: map[string][]*encoder.Packet{}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- b.Run(ctx) }()
	waitRunning(t, b)
	dyn := Destination{Name: "dyn", URL: "rtmp://h/dyn/k2", DynamicBitrate: true}
	for round := range 3 {
		i, err := b.AddDestination(dyn)
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		time.Sleep(200 * time.Millisecond)
		if err := b.RemoveDestination(i); err != nil {
			t.Fatal(err)
		}
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if s := b.Stats(); s.VideoEncoders != 2 {
		t.Errorf("%d video encoders after starting the dynamic destination three times, want 2", s.VideoEncoders)
	}
}

// waitRunning polls until b is live.
func waitRunning(t *testing.T, b *Broadcast) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for b.Stats().Elapsed == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the broadcast did not start")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
