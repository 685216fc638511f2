package outputs

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"onair/encoder"
)

// A permanent error is said once and stops the destination (Failed), however
// eager the retry schedule: at connect (a folder that cannot be created) and
// while sending (a full disk).
func TestDestinationStopsOnPermanentError(t *testing.T) {
	full := Permanent(errors.New("writing: the disk is full"))
	for _, c := range []struct {
		name    string
		connect error // what Connect returns
		write   error // what the sink's first Write returns
		want    string
		live    bool
	}{
		{"at connect", Permanent(errors.New("creating the recordings folder: not a directory")), nil,
			"file:///nowhere/show.mkv: creating the recordings folder: not a directory", false},
		{"while sending", nil, full, "file:///nowhere/show.mkv: writing: the disk is full", true},
	} {
		t.Run(c.name, func(t *testing.T) {
			target, _ := ParseTarget("file:///nowhere/show.mkv")
			var mu sync.Mutex
			var events []Event
			connects := 0
			conn := connectFunc(func(context.Context) (Sink, error) {
				mu.Lock()
				defer mu.Unlock()
				connects++
				if c.connect != nil {
					return nil, c.connect
				}
				return errSink{c.write}, nil
			})
			d := NewDestination(target, conn, nil, DestinationOptions{
				Backoff: Backoff{First: time.Millisecond, Factor: 1, Max: time.Millisecond},
				OnEvent: func(e Event) { mu.Lock(); events = append(events, e); mu.Unlock() },
			})
			done := make(chan error, 1)
			go func() { done <- d.Run(context.Background()) }()
			if c.live {
				eventually(t, "never went live", func() bool { return d.Stats().State == Live })
				d.Queue().Push(&encoder.Packet{Kind: encoder.Video, Key: true, TimeBase: encoder.Rational{Num: 1, Den: 30}, Data: []byte{1}})
			}
			var err error
			select {
			case err = <-done:
			case <-time.After(2 * time.Second):
				d.Queue().Close()
				<-done
				mu.Lock()
				defer mu.Unlock()
				t.Fatalf("still running after a permanent error (%d connects)", connects)
			}
			defer d.Queue().Close()
			if err == nil || err.Error() != c.want || !errors.Is(err, ErrPermanent) {
				t.Errorf("Run = %v, want %q marked permanent", err, c.want)
			}
			s := d.Stats()
			if s.State != Failed || s.LastError != c.want || s.Attempts != 1 {
				t.Errorf("stats %+v: want failed after one attempt saying %q", s, c.want)
			}
			mu.Lock()
			defer mu.Unlock()
			var said int
			for _, e := range events {
				if e.Err != "" {
					said++
					if e.State != Failed || e.Retry != 0 {
						t.Errorf("event %+v: want one failed event, no retry", e)
					}
				}
			}
			if said != 1 {
				t.Errorf("the error was said %d times: %+v", said, events)
			}
		})
	}
}

// Permanent keeps the words of what it marks, and marks nothing else.
func TestPermanentMarker(t *testing.T) {
	cause := errors.New("no space left on device")
	err := Permanent(cause)
	if err.Error() != cause.Error() || !errors.Is(err, cause) || !errors.Is(err, ErrPermanent) {
		t.Errorf("Permanent(%v) = %v", cause, err)
	}
	if errors.Is(cause, ErrPermanent) || Permanent(nil) != nil {
		t.Error("an unmarked error, or nil, is permanent")
	}
}

type errSink struct{ err error }

func (s errSink) Write(p *encoder.Packet) (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	return len(p.Data), nil
}

func (errSink) Close() error { return nil }
