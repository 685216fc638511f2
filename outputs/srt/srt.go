// Package srt sends the program to SRT listeners: MPEG-TS from libavformat's
// muxer, carried by libsrt in caller mode, 7×188 bytes per message.
package srt

// #include <srt/srt.h>
import "C"

import (
	"context"
	"fmt"
	"net"
	"time"

	"onair/encoder"
	"onair/outputs"
)

// MessageSize is the SRT payload: seven 188-byte TS packets.
const MessageSize = 7 * 188

// Connector opens SRT connections.
type Connector struct {
	// ConnectTimeout bounds the handshake (libsrt's default is 3 s).
	ConnectTimeout time.Duration
}

// Connect dials t as caller and starts an MPEG-TS stream for streams.
func (c Connector) Connect(ctx context.Context, t outputs.Target, streams []encoder.Stream) (outputs.Sink, error) {
	if t.Protocol != outputs.SRT {
		return nil, fmt.Errorf("srt: cannot send to %s", t.Protocol)
	}
	ip, err := resolve(ctx, t.Host)
	if err != nil {
		return nil, err
	}
	sock, err := newSocket(t, c.ConnectTimeout)
	if err != nil {
		return nil, err
	}
	if err := sock.connect(ctx, ip, t.Port, c.ConnectTimeout, t); err != nil {
		sock.close()
		return nil, err
	}
	s := &sink{sock: sock, interrupted: make(chan struct{})}
	// Cancelling ctx closes the socket, which ends a send blocked in libsrt.
	s.stopCtx = context.AfterFunc(ctx, func() {
		defer close(s.interrupted)
		sock.close()
	})
	if err := s.startMux(streams); err != nil {
		s.failed = true // nothing was sent: no goodbye to wait for
		s.Close()
		return nil, err
	}
	return s, nil
}

func resolve(ctx context.Context, host string) (string, error) {
	if net.ParseIP(host) != nil {
		return host, nil
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	ips, err := net.DefaultResolver.LookupHost(ctx, host)
	if err != nil || len(ips) == 0 {
		return "", fmt.Errorf("cannot find the server %q: check the URL and your internet connection", host)
	}
	return ips[0], nil
}

type sink struct {
	sock    *socket
	mux     *tsMuxer
	failed  bool
	stopCtx func() bool
	// interrupted is closed when the ctx callback has returned.
	interrupted chan struct{}
}

func (s *sink) startMux(streams []encoder.Stream) error {
	// Sends block (bounded by SRTO_SNDTIMEO, in ms) instead of failing when
	// libsrt's buffer is momentarily full; a dead peer still surfaces as an
	// error.
	if err := s.sock.setInt(C.SRTO_SNDSYN, 1); err != nil {
		return fmt.Errorf("starting SRT: %w", err)
	}
	if err := s.sock.setInt(C.SRTO_SNDTIMEO, 5000); err != nil {
		return fmt.Errorf("starting SRT: %w", err)
	}
	m, err := newTSMuxer(int(s.sock.id), streams)
	if err != nil {
		return err
	}
	s.mux = m
	return nil
}

func (s *sink) Write(p *encoder.Packet) (int, error) {
	n, err := s.mux.write(p)
	if err != nil {
		s.failed = true
		return n, fmt.Errorf("sending: %w", err)
	}
	return n, nil
}

func (s *sink) Close() error {
	var err error
	if s.mux != nil && !s.failed {
		err = s.mux.finish()
	}
	// From here only this goroutine closes the socket: the ctx callback will
	// not run, or has returned (stopCtx is false once ctx is done).
	if !s.stopCtx() {
		<-s.interrupted
	}
	if err == nil && !s.failed {
		s.drain(time.Second)
	}
	if s.mux != nil {
		s.mux.free()
	}
	s.sock.close()
	return err
}

// drain waits (up to limit) for the receiver to acknowledge what was sent
// (in live mode libsrt drops unsent data on close), then for the receiver's
// latency, twice over: it holds what it got that long before its reader can
// have it, and drops what is left when we hang up; a busy reader is late.
func (s *sink) drain(limit time.Duration) {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) && s.sock.unsent() > 0 {
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(min(2*s.sock.peerLatency(), time.Until(deadline)))
}
