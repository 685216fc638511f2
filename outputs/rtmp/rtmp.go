// Package rtmp sends the program to RTMP and RTMPS ingest servers: FLV tags
// written in Go, carried by libavformat's rtmp/rtmps protocol.
package rtmp

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/asticode/go-astiav"

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
	s := &sink{io: newAVIO(), done: make(chan struct{})}
	s.stopCtx = context.AfterFunc(ctx, s.io.interrupt)
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
	done    chan struct{}
	wg      sync.WaitGroup
	mu      sync.Mutex
	stalled bool
	broken  bool // a write failed: the connection is not worth a goodbye
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

func (s *sink) release() {
	close(s.done)
	s.wg.Wait()
	s.stopCtx()
	s.io.free()
}

// refusal recognises a server that took the connection but not the stream:
// it says so ("Server error: …", e.g. NetStream.Publish.BadName), or, like
// nginx-rtmp when its on_publish check fails, hangs up during the publish.
func refusal(err error, said string) error {
	if strings.Contains(said, "certificate") {
		return fmt.Errorf("connecting: the server's certificate was not accepted (%s); for a server with its own CA, name the CA file in SSL_CERT_FILE", strings.TrimSpace(said))
	}
	if i := strings.Index(said, "Server error:"); i >= 0 {
		reason := strings.TrimSpace(said[i+len("Server error:"):])
		return fmt.Errorf("%w: the server said %q", outputs.ErrKeyRefused, reason)
	}
	if errors.Is(err, astiav.ErrEio) || errors.Is(err, astiav.ErrEof) {
		return fmt.Errorf("%w: the server hung up when asked to publish (or it is not an RTMP server)", outputs.ErrKeyRefused)
	}
	return nil
}

// explain turns libav's terse errors into words a performer can act on.
func explain(err error, stalled bool, doing string) error {
	switch {
	case stalled:
		return fmt.Errorf("%s: the server stopped responding", doing)
	case errors.Is(err, errInterrupted):
		return fmt.Errorf("%s: %w", doing, err)
	}
	msg := err.Error()
	switch {
	case strings.Contains(msg, "Connection refused"):
		return fmt.Errorf("%s: connection refused: is the server address and port right?", doing)
	case strings.Contains(msg, "timed out"):
		return fmt.Errorf("%s: timed out: the server did not answer", doing)
	}
	return fmt.Errorf("%s: %w", doing, err)
}
