package studio

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"onair/encoder"
	"onair/outputs"
)

// whipFake is a WHIP connector: it records what it is given and keeps the
// keyframe request function the broadcast bound it to.
type whipFake struct {
	mem *memConnector
	mu  sync.Mutex
	ask func()
}

func (w *whipFake) WithKeyframeRequests(ask func()) outputs.Connector {
	w.mu.Lock()
	w.ask = ask
	w.mu.Unlock()
	return w
}

func (w *whipFake) Connect(_ context.Context, _ outputs.Target, streams []encoder.Stream) (outputs.Sink, error) {
	w.mem.mu.Lock()
	defer w.mem.mu.Unlock()
	w.mem.whipSeen = streams
	return memSink{w.mem, "whip"}, nil
}

// A WHIP destination next to an RTMP one gets a rendition of its own, in
// H.264 though the profile says HEVC, with the Opus sound instead of AAC;
// its receiver's keyframe request gives it an extra keyframe and leaves the
// RTMP rendition's keyframes where they were.
func TestBroadcastWHIPHasItsOwnRendition(t *testing.T) {
	st, ctx := runningStudio(t)
	mem := &memConnector{got: map[string][]*encoder.Packet{}}
	whip := &whipFake{mem: mem}
	encs := &fakeEncoders{}
	b, err := NewBroadcast(st, BroadcastConfig{
		Video:        encoder.VideoConfig{Codec: encoder.HEVC, Width: 320, Height: 180, FPS: 30, BitrateKbps: 500},
		Destinations: dests("rtmp://h/one/k1", "whip+http://127.0.0.1:1/whip?token=tok"),
		Duration:     3 * time.Second,
		Encoders:     encs,
		Connectors:   map[outputs.Protocol]outputs.Connector{outputs.RTMP: mem, outputs.WHIP: whip},
	})
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := encs.stillOpen(); n != 4 {
		t.Errorf("%d encoders open, want 2 video (HEVC, H.264) and 2 audio (AAC, Opus)", n)
	}
	done := make(chan error, 1)
	go func() { done <- b.Run(ctx) }()
	// Ask once the WHIP destination has had a second of pictures.
	deadline := time.Now().Add(5 * time.Second)
	for {
		mem.mu.Lock()
		n := len(mem.got["whip"])
		mem.mu.Unlock()
		if n >= 30+50 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the WHIP destination got nothing")
		}
		time.Sleep(10 * time.Millisecond)
	}
	whip.mu.Lock()
	ask := whip.ask
	whip.mu.Unlock()
	if ask == nil {
		t.Fatal("the WHIP connector was not bound to its rendition's keyframe requests")
	}
	ask()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if n, err := encs.stillOpen(); n != 0 || err != nil {
		t.Errorf("%d encoders still open after the broadcast (%v)", n, err)
	}
	if s := b.Stats(); s.VideoEncoders != 2 {
		t.Errorf("%d video encoders, want 2", s.VideoEncoders)
	}
	if len(mem.seen) != 2 || mem.seen[0].Codec != encoder.HEVC || mem.seen[1].Codec != encoder.AAC {
		t.Errorf("RTMP streams %+v, want HEVC and AAC", mem.seen)
	}
	if len(mem.whipSeen) != 2 || mem.whipSeen[0].Codec != encoder.H264 || mem.whipSeen[1].Codec != encoder.Opus {
		t.Errorf("WHIP streams %+v, want H.264 and Opus", mem.whipSeen)
	}
	split := func(name string, sound byte) (video []*encoder.Packet, keys int) {
		for _, p := range mem.got[name] {
			switch {
			case p.Kind == encoder.Video:
				video = append(video, p)
				if p.Key {
					keys++
				}
			case p.Data[0] != sound:
				t.Fatalf("%s got sound %d, want only %d", name, p.Data[0], sound)
			}
		}
		return video, keys
	}
	rtmp, rtmpKeys := split("one", 1)
	checkKeyframes(t, "one", rtmp, 60) // untouched by the request
	_, whipKeys := split("whip", 2)
	if whipKeys != rtmpKeys+1 {
		t.Errorf("WHIP got %d keyframes, RTMP %d: want one more for the request", whipKeys, rtmpKeys)
	}
}

// onair's own viewers added to a show that started without any WebRTC
// destination: the Opus encoder opens then, the destination gets its own
// H.264 rendition and Opus sound from the next picture, and the RTMP
// destination keeps its AAC.
func TestBroadcastAddsViewersWhileLive(t *testing.T) {
	st, ctx := runningStudio(t)
	mem := &memConnector{got: map[string][]*encoder.Packet{}}
	viewers := &whipFake{mem: mem}
	encs := &fakeEncoders{}
	b, err := NewBroadcast(st, BroadcastConfig{
		Video:        encoder.VideoConfig{Codec: encoder.HEVC, Width: 320, Height: 180, FPS: 30, BitrateKbps: 500},
		Destinations: dests("rtmp://h/one/k1"),
		Duration:     3 * time.Second,
		Encoders:     encs,
		Connectors:   map[outputs.Protocol]outputs.Connector{outputs.RTMP: mem, outputs.Viewers: viewers},
	})
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := encs.stillOpen(); n != 2 {
		t.Errorf("%d encoders open before, want 2 (HEVC, AAC)", n)
	}
	done := make(chan error, 1)
	go func() { done <- b.Run(ctx) }()
	time.Sleep(500 * time.Millisecond)
	if _, err := b.AddDestination(Destination{Name: "phone", URL: outputs.ViewersURL}); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if n, err := encs.stillOpen(); n != 0 || err != nil {
		t.Errorf("%d encoders still open after the broadcast (%v)", n, err)
	}
	if len(mem.whipSeen) != 2 || mem.whipSeen[0].Codec != encoder.H264 || mem.whipSeen[1].Codec != encoder.Opus {
		t.Fatalf("viewers' streams %+v, want H.264 and Opus", mem.whipSeen)
	}
	var pictures, opus int
	for _, p := range mem.got["whip"] {
		switch {
		case p.Kind == encoder.Video:
			pictures++
		case p.Data[0] == 2:
			opus++
		default:
			t.Fatalf("the viewers got sound %d, want only Opus (2)", p.Data[0])
		}
	}
	// 2.5 s of the show after joining: most of 75 pictures, 125 Opus frames.
	if pictures < 45 || opus < 60 {
		t.Errorf("the viewers got %d pictures and %d Opus packets in 2.5 s", pictures, opus)
	}
	for _, p := range mem.got["one"] {
		if p.Kind == encoder.Audio && p.Data[0] != 1 {
			t.Fatalf("RTMP got sound %d, want AAC (1)", p.Data[0])
		}
	}
}

// An Opus encoder that breaks mid-show stops the WebRTC sound alone, with a
// notice: the show goes on to the end for everyone, pictures included.
func TestBroadcastOpusFailureIsNotTheShows(t *testing.T) {
	st, ctx := runningStudio(t)
	mem := &memConnector{got: map[string][]*encoder.Packet{}}
	whip := &whipFake{mem: mem}
	var mu sync.Mutex
	var notices []string
	b, err := NewBroadcast(st, BroadcastConfig{
		Video:        encoder.VideoConfig{Width: 320, Height: 180, FPS: 30, BitrateKbps: 500},
		Destinations: dests("rtmp://h/one/k1", "whip+http://127.0.0.1:1/whip?token=tok"),
		Duration:     2 * time.Second,
		Encoders:     &fakeEncoders{opusFailAfter: 20},
		Connectors:   map[outputs.Protocol]outputs.Connector{outputs.RTMP: mem, outputs.WHIP: whip},
		OnNotice:     func(n string) { mu.Lock(); notices = append(notices, n); mu.Unlock() },
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Run(ctx); err != nil {
		t.Fatalf("the show ended with %v, want it to go on without the WebRTC sound", err)
	}
	var pictures, aac int
	for _, p := range mem.got["whip"] {
		if p.Kind == encoder.Video {
			pictures++
		}
	}
	for _, p := range mem.got["one"] {
		if p.Kind == encoder.Audio {
			aac++
		}
	}
	if pictures < 50 || aac < 80 {
		t.Errorf("WHIP got %d pictures, RTMP %d AAC packets over 2 s", pictures, aac)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(notices) != 1 || !strings.Contains(notices[0], "the WebRTC sound (Opus) stopped: fake: the encoder broke") {
		t.Errorf("notices %q", notices)
	}
}

// A WHIP token over plain HTTP to a server beyond the local network is
// warned of (once, in words, without the token); on loopback or a LAN, or
// over HTTPS, not.
func TestWHIPClearTokenNotice(t *testing.T) {
	for url, warn := range map[string]bool{
		"whip+http://whip.example.net/whip?token=tok9":  true,
		"whip+http://203.0.113.7:8080/whip?token=tok9":  true,
		"whip+https://whip.example.net/whip?token=tok9": false,
		"whip+http://192.168.1.4/whip?token=tok9":       false,
		"whip+http://127.0.0.1:8889/whip?token=tok9":    false,
		"whip+http://whip.example.net/whip":             false,
	} {
		rd, err := Destination{URL: url}.resolve(30)
		if err != nil {
			t.Fatal(err)
		}
		n := rd.clearTokenNotice()
		if (n != "") != warn || strings.Contains(n, "tok9") {
			t.Errorf("%s: notice %q, want one: %v", url, n, warn)
		}
	}
}
