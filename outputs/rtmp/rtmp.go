// Package rtmp sends the program to RTMP and RTMPS ingest servers: FLV tags
// written in Go, carried by libavformat's rtmp/rtmps protocol.
package rtmp

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"time"

	"onair/encoder"
	"onair/outputs"
	"onair/outputs/flv"
)

// Connector opens RTMP(S) connections.
type Connector struct {
	// StallTimeout: a connect or write that makes no progress for this long
	// is abandoned and the destination reconnects.
	StallTimeout time.Duration
}

// Connect resolves, connects and publishes, then writes the FLV header and
// sequence headers.
func (c Connector) Connect(ctx context.Context, t outputs.Target, streams []encoder.Stream) (outputs.Sink, error) {
	if t.Protocol != outputs.RTMP && t.Protocol != outputs.RTMPS {
		return nil, fmt.Errorf("rtmp: cannot send to %s", t.Protocol)
	}
	stall := c.StallTimeout
	if stall <= 0 {
		stall = 10 * time.Second
	}
	if err := resolve(ctx, t.Host); err != nil {
		return nil, err
	}
	s := &sink{io: newAVIO(), done: make(chan struct{}), interrupted: make(chan struct{})}
	s.stopCtx = context.AfterFunc(ctx, func() {
		defer close(s.interrupted)
		s.io.interrupt()
	})
	s.wg.Add(1)
	go s.watch(stall)
	// SSL_CERT_FILE, as for OpenSSL and Go, names extra CAs to trust.
	if err := s.io.open(t.URL(), stall, os.Getenv("SSL_CERT_FILE"), sendBuffer(streams)); err != nil {
		said := s.io.said()
		s.release()
		if e := refusal(err, outputs.NewRedactor(t).Redact(said)); e != nil {
			return nil, e
		}
		return nil, explain(err, s.stalled, "connecting")
	}
	s.flv = flv.NewWriter(s.io)
	if err := s.flv.WriteHeader(streams); err != nil {
		s.broken = true
		s.Close()
		return nil, explain(err, s.stalled, "starting the stream")
	}
	return s, nil
}

// sendBuffer sizes the socket's send buffer to about one second of the
// stream (Linux doubles what is asked). Left to itself the kernel grows it to
// megabytes on a slow link, and the queue, the drop policy and dynamic
// bitrate would not see the congestion for tens of seconds (bufferbloat). One
// second still carries 3× the stream's rate across a 300 ms round trip.
func sendBuffer(streams []encoder.Stream) int {
	kbps := 0
	for _, s := range streams {
		kbps += s.BitrateKbps
	}
	if kbps == 0 {
		return 0 // unknown: leave the kernel's default
	}
	return min(max(kbps*1000/8/2, 32<<10), 1<<20)
}

func resolve(ctx context.Context, host string) error {
	if net.ParseIP(host) != nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if _, err := net.DefaultResolver.LookupHost(ctx, host); err != nil {
		return fmt.Errorf("cannot find the server %q: check the URL and your internet connection", host)
	}
	return nil
}

type sink struct {
	io      *avio
	flv     *flv.Writer
	stopCtx func() bool
	// interrupted is closed when the ctx callback has returned.
	interrupted chan struct{}
	done        chan struct{}
	wg          sync.WaitGroup // the watchdog
	mu          sync.Mutex
	stalled     bool
	broken      bool // a write failed: the connection is not worth a goodbye
}

// watch interrupts a call that has made no progress for stall.
func (s *sink) watch(stall time.Duration) {
	defer s.wg.Done()
	t := time.NewTicker(250 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-s.done:
			return
		case <-t.C:
			if s.io.busyFor() > stall {
				s.mu.Lock()
				s.stalled = true
				s.mu.Unlock()
				s.io.interrupt()
			}
		}
	}
}

func (s *sink) Write(p *encoder.Packet) (int, error) {
	n, err := s.flv.WritePacket(p)
	if err != nil {
		s.broken = true
		return n, explain(err, s.wasStalled(), "sending")
	}
	return n, nil
}

func (s *sink) wasStalled() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stalled
}

func (s *sink) Close() error {
	if !s.broken {
		s.flv.WriteEnd() // best effort: the server learns the sequence ended
	}
	err := s.io.close()
	s.release()
	if err != nil && !errors.Is(err, errInterrupted) {
		return err
	}
	return nil
}

// release frees the connection's C state once nothing can touch it: the
// watchdog has ended, and the ctx callback either never runs or has returned
// (stopCtx is false once ctx is done: the callback may still be running).
func (s *sink) release() {
	close(s.done)
	s.wg.Wait()
	if !s.stopCtx() {
		<-s.interrupted
	}
	s.io.free()
}
