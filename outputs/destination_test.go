package outputs

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"onair/encoder"
)

func TestBackoffSchedule(t *testing.T) {
	b := Backoff{First: 2 * time.Second, Factor: 1.5, Max: 10 * time.Second}
	for attempt, want := range map[int]time.Duration{1: 2 * time.Second, 2: 3 * time.Second, 3: 4500 * time.Millisecond, 4: 6750 * time.Millisecond, 5: 10 * time.Second, 50: 10 * time.Second} {
		got := b.Delay(attempt)
		if got < want || got > want+want/20 {
			t.Errorf("Delay(%d) = %s, want %s plus up to 5%% jitter", attempt, got, want)
		}
	}
}

// fakeConnector fails the first failures connects, then gives sinks that
// record what they were sent.
type fakeConnector struct {
	mu       sync.Mutex
	failures int
	connects int
	sent     []*encoder.Packet
	breakAt  int // a sink fails on this packet (0: never)
}

type fakeSink struct{ c *fakeConnector }

func (c *fakeConnector) Connect(ctx context.Context, t Target, _ []encoder.Stream) (Sink, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.connects++
	if c.connects <= c.failures {
		return nil, errors.New("connection refused")
	}
	return fakeSink{c}, nil
}

func (s fakeSink) Write(p *encoder.Packet) (int, error) {
	s.c.mu.Lock()
	defer s.c.mu.Unlock()
	if s.c.breakAt > 0 && len(s.c.sent)+1 == s.c.breakAt {
		s.c.breakAt = 0
		return 0, errors.New("broken pipe")
	}
	s.c.sent = append(s.c.sent, p)
	return len(p.Data), nil
}

func (fakeSink) Close() error { return nil }

func (c *fakeConnector) count() (connects, sent int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.connects, len(c.sent)
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal(what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestDestinationReconnectsAndResumesAtKeyframe(t *testing.T) {
	target, _ := ParseTarget("rtmp://127.0.0.1/live/secret_key_1")
	c := &fakeConnector{failures: 2, breakAt: 5}
	var mu sync.Mutex
	var events []Event
	d := NewDestination(target, c, nil, DestinationOptions{
		Backoff: Backoff{First: 10 * time.Millisecond, Factor: 1.5, Max: 50 * time.Millisecond},
		OnEvent: func(e Event) { mu.Lock(); events = append(events, e); mu.Unlock() },
	})
	done := make(chan error)
	go func() { done <- d.Run(context.Background()) }()
	<-d.FirstAttempt()
	eventually(t, "never went live", func() bool { return d.Stats().State == Live })
	q := d.Queue()
	for i := int64(0); i < 30; i++ {
		q.Push(&encoder.Packet{Kind: encoder.Video, Key: i%10 == 0, PTS: i, DTS: i, TimeBase: encoder.Rational{Num: 1, Den: 30}, Data: []byte{1}})
		time.Sleep(2 * time.Millisecond)
	}
	eventually(t, "did not reconnect after the broken write", func() bool { n, _ := c.count(); return n >= 4 })
	q.Close()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	c.mu.Lock()
	sent := c.sent
	c.mu.Unlock()
	// The write of packet 5 failed; the next one sent must be a keyframe.
	if len(sent) < 5 || !sent[4].Key {
		t.Fatalf("after the reconnect the first packet sent was %+v, want a keyframe", sent[4:])
	}
	s := d.Stats()
	if s.State != Stopped || !s.EverLive || s.Attempts != 4 {
		t.Errorf("stats %+v: want stopped after 4 attempts", s)
	}
	mu.Lock()
	defer mu.Unlock()
	var sawRetry bool
	for _, e := range events {
		if e.State == Reconnecting && e.Err != "" && e.Retry > 0 {
			sawRetry = true
		}
		if e.Name != "rtmp://127.0.0.1:1935/live/****" {
			t.Errorf("event names %q, want the redacted URL", e.Name)
		}
	}
	if !sawRetry {
		t.Errorf("no reconnecting event with its reason: %+v", events)
	}
}

func TestDestinationWithoutRetryFailsOnce(t *testing.T) {
	target, _ := ParseTarget("srt://127.0.0.1:9?streamid=abc")
	c := &fakeConnector{failures: 100}
	d := NewDestination(target, c, nil, DestinationOptions{NoRetry: true})
	err := d.Run(context.Background())
	if err == nil || err.Error() != "srt://127.0.0.1:9?streamid=****: connection refused" {
		t.Fatalf("Run = %v", err)
	}
	if s := d.Stats(); s.State != Failed || s.LastError == "" || s.EverLive {
		t.Errorf("stats %+v", s)
	}
}

func TestDestinationStopsWhileWaitingWhenBroadcastEnds(t *testing.T) {
	target, _ := ParseTarget("rtmp://h/live/k")
	d := NewDestination(target, &fakeConnector{failures: 100}, nil, DestinationOptions{Backoff: Backoff{First: time.Hour, Factor: 1, Max: time.Hour}})
	done := make(chan error)
	go func() { done <- d.Run(context.Background()) }()
	<-d.FirstAttempt()
	d.Queue().Close()
	select {
	case err := <-done:
		if err == nil {
			t.Error("want the last error back")
		}
	case <-time.After(2 * time.Second):
		t.Fatal("destination kept waiting after the broadcast ended")
	}
}
