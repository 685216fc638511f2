// Package srt sends the program to SRT listeners: MPEG-TS from libavformat's
// muxer, carried by libsrt (haivision/srtgo) in caller mode, 7×188 bytes per
// message.
package srt

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/haivision/srtgo"

	"onair/encoder"
	"onair/outputs"
)

// MessageSize is the SRT payload: seven 188-byte TS packets.
const MessageSize = 7 * 188

var initOnce sync.Once

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
	initOnce.Do(srtgo.InitSRT)
	ip, err := resolve(ctx, t.Host)
	if err != nil {
		return nil, err
	}
	opts := map[string]string{"mode": "caller", "transtype": "live", "blocking": "0"}
	if c.ConnectTimeout > 0 {
		opts["conntimeo"] = strconv.Itoa(int(c.ConnectTimeout.Milliseconds()))
	}
	if t.StreamID != "" {
		opts["streamid"] = t.StreamID
	}
	if t.Passphrase != "" {
		opts["passphrase"] = t.Passphrase
		if t.PBKeyLen != 0 {
			opts["pbkeylen"] = strconv.Itoa(t.PBKeyLen)
		}
	}
	if t.LatencyMs != 0 {
		opts["latency"] = strconv.Itoa(t.LatencyMs)
	}
	sock := srtgo.NewSrtSocket(ip, uint16(t.Port), opts)
	if sock == nil {
		return nil, errors.New("connecting: libsrt refused the socket options (check latency, passphrase and pbkeylen)")
	}
	if err := connect(ctx, sock); err != nil {
		sock.Close()
		return nil, err
	}
	s := &sink{sock: sock}
	if err := s.startMux(streams); err != nil {
		s.Close()
		return nil, err
	}
	s.stopCtx = context.AfterFunc(ctx, func() { s.sock.Close() })
	return s, nil
}

func connect(ctx context.Context, sock *srtgo.SrtSocket) error {
	done := make(chan error, 1)
	go func() { done <- sock.Connect() }()
	select {
	case err := <-done:
		if err != nil {
			return fmt.Errorf("connecting: no SRT handshake (%v): is the listener up, and do streamid and passphrase match?", err)
		}
		return nil
	case <-ctx.Done():
		sock.Close()
		<-done
		return ctx.Err()
	}
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
	sock    *srtgo.SrtSocket
	mux     *tsMuxer
	failed  bool
	stopCtx func() bool
}

func (s *sink) startMux(streams []encoder.Stream) error {
	// Sends block (bounded by SRTO_SNDTIMEO) instead of failing when libsrt's
	// buffer is momentarily full; a dead peer still surfaces as an error.
	if err := s.sock.SetSockOptInt(srtoSndSyn, 1); err != nil {
		return fmt.Errorf("starting SRT: %w", err)
	}
	if err := s.sock.SetSockOptInt(srtoSndTimeo, 5000); err != nil {
		return fmt.Errorf("starting SRT: %w", err)
	}
	m, err := newTSMuxer(int(s.sock.GetSocket()), streams)
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
	if s.stopCtx != nil {
		s.stopCtx()
	}
	if err == nil && !s.failed {
		s.drain(time.Second)
	}
	if s.mux != nil {
		s.mux.free()
	}
	s.sock.Close()
	return err
}

// drain waits (up to limit) for the receiver to acknowledge what was sent:
// in live mode libsrt drops unsent data on close.
func (s *sink) drain(limit time.Duration) {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		st, err := s.sock.Stats()
		if err != nil || st.PktSndBuf == 0 {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}
