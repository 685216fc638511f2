package outputs

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
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
	breakAt  int   // a sink fails on this packet (0: never)
	err      error // what a failed connect returns (nil: connection refused)
}

type fakeSink struct{ c *fakeConnector }

func (c *fakeConnector) Connect(ctx context.Context, t Target, _ []encoder.Stream) (Sink, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.connects++
	if c.connects <= c.failures {
		if c.err != nil {
			return nil, c.err
		}
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

// A zero field of a Backoff is DefaultBackoff's: a profile may set the cap alone.
func TestBackoffFilled(t *testing.T) {
	b := Backoff{Max: 5 * time.Minute}.filled()
	if b != (Backoff{First: 2 * time.Second, Factor: 1.5, Max: 5 * time.Minute}) {
		t.Errorf("filled %+v", b)
	}
	if b := (Backoff{}).filled(); b != DefaultBackoff {
		t.Errorf("the zero Backoff fills to %+v, want %+v", b, DefaultBackoff)
	}
}

// A refused key waits at least 30 s, and no longer than the cap when the cap
// is longer than that.
func TestRetryWaitAfterRefusedKey(t *testing.T) {
	refused := fmt.Errorf("rtmp://h/app/****: %w", ErrKeyRefused)
	other := errors.New("connection refused")
	for _, c := range []struct {
		name     string
		max      time.Duration
		attempt  int
		err      error
		min, top time.Duration
	}{
		{"network, first", time.Minute, 1, other, 2 * time.Second, 2100 * time.Millisecond},
		{"network, capped", 10 * time.Second, 20, other, 10 * time.Second, 10500 * time.Millisecond},
		{"refused, first", time.Minute, 1, refused, 30 * time.Second, 30 * time.Second},
		{"refused, later", time.Minute, 20, refused, time.Minute, time.Minute},
		{"refused, long cap", time.Hour, 20, refused, time.Hour, time.Hour},
		{"refused, short cap", 5 * time.Second, 20, refused, 30 * time.Second, 30 * time.Second},
	} {
		b := Backoff{Max: c.max}.filled()
		if got := b.retryWait(c.attempt, c.err); got < c.min || got > c.top {
			t.Errorf("%s: retryWait(%d) with cap %s = %s, want %s to %s", c.name, c.attempt, c.max, got, c.min, c.top)
		}
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

// Reconnect now cuts the wait short: with a minute to wait (a dropped
// connection with a 1-minute backoff, or a refused key's 30 s) the next
// attempt comes well under a second after ReconnectNow.
func TestDestinationReconnectNow(t *testing.T) {
	for _, c := range []struct {
		name    string
		backoff Backoff
		err     error
		minWait time.Duration
	}{
		{"backoff", Backoff{First: time.Minute, Factor: 1.5, Max: time.Minute}, nil, 59 * time.Second},
		{"refused key", Backoff{First: 10 * time.Millisecond, Factor: 1.5, Max: time.Minute}, ErrKeyRefused, 29 * time.Second},
	} {
		t.Run(c.name, func(t *testing.T) {
			target, _ := ParseTarget("rtmp://127.0.0.1/live/secret_key_1")
			fc := &fakeConnector{failures: 1, err: c.err}
			d := NewDestination(target, fc, nil, DestinationOptions{Backoff: c.backoff})
			if err := d.ReconnectNow(); !errors.Is(err, ErrNotRunning) {
				t.Errorf("ReconnectNow before Run = %v, want ErrNotRunning", err)
			}
			done := make(chan error, 1)
			go func() { done <- d.Run(context.Background()) }()
			eventually(t, "never waited to reconnect", func() bool {
				s := d.Stats()
				return s.State == Reconnecting && s.RetryIn > c.minWait
			})
			if s := d.Stats(); s.LastError == "" || s.Attempts != 1 {
				t.Errorf("while waiting: %+v", s)
			}
			asked := time.Now()
			if err := d.ReconnectNow(); err != nil {
				t.Fatalf("ReconnectNow while waiting: %v", err)
			}
			for d.Stats().State != Live {
				if time.Since(asked) > 900*time.Millisecond {
					t.Fatalf("%s after ReconnectNow the destination is %s (%d connects), want live at once", time.Since(asked), d.Stats().State, first(fc.count()))
				}
				time.Sleep(time.Millisecond)
			}
			t.Logf("live %s after ReconnectNow", time.Since(asked))
			if n, _ := fc.count(); n != 2 {
				t.Errorf("%d connects, want 2", n)
			}
			if s := d.Stats(); s.RetryIn != 0 || s.LastError != "" {
				t.Errorf("once live: retry in %s, last error %q", s.RetryIn, s.LastError)
			}
			if err := d.ReconnectNow(); !errors.Is(err, ErrAlreadyLive) || err.Error() != "rtmp://127.0.0.1:1935/live/****: the destination is already live" {
				t.Errorf("ReconnectNow while live = %v", err)
			}
			d.Queue().Close()
			if err := <-done; err != nil {
				t.Fatal(err)
			}
		})
	}
}

// A ReconnectNow while an attempt is under way does not cut the next wait.
func TestDestinationReconnectNowDuringAttemptIsNotKept(t *testing.T) {
	target, _ := ParseTarget("rtmp://h/live/k")
	release := make(chan struct{})
	var connects atomic.Int32
	c := connectFunc(func(ctx context.Context) (Sink, error) {
		if connects.Add(1) == 2 {
			<-release // the second attempt hangs until the test has clicked
		}
		return nil, errors.New("connection refused")
	})
	d := NewDestination(target, c, nil, DestinationOptions{Backoff: Backoff{First: time.Hour, Factor: 1, Max: time.Hour}})
	done := make(chan error, 1)
	go func() { done <- d.Run(context.Background()) }()
	eventually(t, "never waited", func() bool { return d.Stats().State == Reconnecting && d.Stats().RetryIn > 0 })
	d.ReconnectNow()
	eventually(t, "no second attempt", func() bool { return connects.Load() == 2 })
	d.ReconnectNow() // during the attempt: nothing to cut short yet
	close(release)
	eventually(t, "never waited again", func() bool { return d.Stats().RetryIn > 30*time.Minute })
	time.Sleep(100 * time.Millisecond)
	if n := connects.Load(); n != 2 {
		t.Errorf("%d attempts: a click during an attempt cut the next wait short", n)
	}
	d.Queue().Close()
	<-done
}

type connectFunc func(ctx context.Context) (Sink, error)

func (f connectFunc) Connect(ctx context.Context, _ Target, _ []encoder.Stream) (Sink, error) {
	return f(ctx)
}

// A destination whose loop ended in failure can run again: Reconnect now on
// a failed destination.
func TestDestinationRunsAgainAfterFailing(t *testing.T) {
	target, _ := ParseTarget("srt://127.0.0.1:9?streamid=abc")
	c := &fakeConnector{failures: 1}
	d := NewDestination(target, c, nil, DestinationOptions{NoRetry: true})
	if err := d.Run(context.Background()); err == nil {
		t.Fatal("the first run did not fail")
	}
	if s := d.Stats(); s.State != Failed {
		t.Fatalf("after the first run: %s", s.State)
	}
	err := d.ReconnectNow()
	if !errors.Is(err, ErrNotRunning) || err.Error() != "srt://127.0.0.1:9?streamid=****: the destination is not running" {
		t.Fatalf("ReconnectNow once failed = %v, want ErrNotRunning", err)
	}
	done := make(chan error, 1)
	go func() { done <- d.Run(context.Background()) }()
	eventually(t, "not live on the second run", func() bool { return d.Stats().State == Live })
	if err := d.Run(context.Background()); !errors.Is(err, ErrRunning) {
		t.Errorf("a second Run at once = %v, want ErrRunning", err)
	}
	d.Queue().Close()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if s := d.Stats(); s.State != Stopped || s.Attempts != 2 || !s.EverLive {
		t.Errorf("stats %+v", s)
	}
}

func first(a, _ int) int { return a }
