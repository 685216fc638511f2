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

	"github.com/asticode/go-astiav"
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
	fc      *astiav.FormatContext
	ioc     *astiav.IOContext
	pkt     *astiav.Packet
	tbs     []encoder.Rational // per output stream: the muxer's time base
	index   map[encoder.Kind]int
	extra   map[encoder.Kind][]byte
	shift   time.Duration
	err     error // first write error from the muxer's callback
	sent    int
	buf     []byte
	stopCtx func() bool
}

func (s *sink) startMux(streams []encoder.Stream) error {
	fc, err := astiav.AllocOutputFormatContext(nil, "mpegts", "")
	if err != nil {
		return fmt.Errorf("starting MPEG-TS: %w", err)
	}
	s.fc = fc
	s.index = map[encoder.Kind]int{}
	s.extra = map[encoder.Kind][]byte{}
	for _, st := range streams {
		ost := fc.NewStream(nil)
		cp := ost.CodecParameters()
		switch st.Codec {
		case encoder.H264:
			cp.SetCodecID(astiav.CodecIDH264)
		case encoder.HEVC:
			cp.SetCodecID(astiav.CodecIDHevc)
		case encoder.AAC:
			cp.SetCodecID(astiav.CodecIDAac)
		default:
			return fmt.Errorf("MPEG-TS cannot carry %s", st.Codec)
		}
		if st.Kind == encoder.Video {
			cp.SetCodecType(astiav.MediaTypeVideo)
			cp.SetWidth(st.Width)
			cp.SetHeight(st.Height)
			cp.SetPixelFormat(astiav.PixelFormatYuv420P)
			ost.SetAvgFrameRate(astiav.NewRational(st.FPS, 1))
			ost.SetRFrameRate(astiav.NewRational(st.FPS, 1))
			// Receivers may join at any keyframe: repeat the parameter sets there.
			s.extra[encoder.Video] = st.Extradata
		} else {
			cp.SetCodecType(astiav.MediaTypeAudio)
			cp.SetSampleRate(st.SampleRate)
			cp.SetChannelLayout(astiav.ChannelLayoutStereo)
			cp.SetChannels(st.Channels)
			cp.SetFrameSize(st.FrameSize)
		}
		if len(st.Extradata) > 0 {
			if err := cp.SetExtraData(st.Extradata); err != nil {
				return fmt.Errorf("starting MPEG-TS: %w", err)
			}
		}
		ost.SetTimeBase(astiav.NewRational(st.TimeBase.Num, st.TimeBase.Den))
		s.index[st.Kind] = ost.Index()
		s.shift = max(s.shift, st.Delay)
	}
	ioc, err := astiav.AllocIOContext(MessageSize, true, nil, nil, s.send)
	if err != nil {
		return fmt.Errorf("starting MPEG-TS: %w", err)
	}
	s.ioc = ioc
	fc.SetPb(ioc)
	d := astiav.NewDictionary()
	defer d.Free()
	d.Set("flush_packets", "1", 0)
	if err := fc.WriteHeader(d); err != nil {
		return fmt.Errorf("starting MPEG-TS: %w", err)
	}
	if s.err != nil {
		return fmt.Errorf("sending: %w", s.err)
	}
	for _, ost := range fc.Streams() {
		tb := ost.TimeBase()
		s.tbs = append(s.tbs, encoder.Rational{Num: tb.Num(), Den: tb.Den()})
	}
	s.pkt = astiav.AllocPacket()
	return nil
}

// send is the muxer's write callback: at most MessageSize bytes, whole TS packets.
func (s *sink) send(b []byte) (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	if _, err := s.sock.Write(b); err != nil {
		s.err = err
		return 0, err
	}
	s.sent += len(b)
	return len(b), nil
}

func (s *sink) Write(p *encoder.Packet) (int, error) {
	i, ok := s.index[p.Kind]
	if !ok {
		return 0, nil // a stream this destination does not carry
	}
	data := p.Data
	if p.Kind == encoder.Video && p.Key && len(s.extra[encoder.Video]) > 0 {
		s.buf = append(append(s.buf[:0], s.extra[encoder.Video]...), p.Data...)
		data = s.buf
	}
	if err := s.pkt.FromData(data); err != nil {
		return 0, fmt.Errorf("sending: %w", err)
	}
	defer s.pkt.Unref()
	tb := s.tbs[i]
	unit := int64(time.Second) * int64(tb.Num)
	shift := (int64(s.shift)*int64(tb.Den) + unit/2) / unit
	s.pkt.SetPts(rescale(p.PTS, p.TimeBase, tb) + shift)
	s.pkt.SetDts(rescale(p.DTS, p.TimeBase, tb) + shift)
	s.pkt.SetStreamIndex(i)
	if p.Key {
		s.pkt.SetFlags(s.pkt.Flags().Add(astiav.PacketFlagKey))
	}
	before := s.sent
	if err := s.fc.WriteFrame(s.pkt); err != nil {
		return 0, fmt.Errorf("sending: %w", err)
	}
	if s.err != nil {
		return 0, fmt.Errorf("sending: %w (the SRT listener went away?)", s.err)
	}
	return s.sent - before, nil
}

func rescale(v int64, from, to encoder.Rational) int64 {
	return v * int64(from.Num) * int64(to.Den) / (int64(from.Den) * int64(to.Num))
}

func (s *sink) Close() error {
	var err error
	if s.fc != nil && s.pkt != nil && s.err == nil {
		if e := s.fc.WriteTrailer(); e != nil {
			err = e
		}
	}
	if s.stopCtx != nil {
		s.stopCtx()
	}
	if s.err == nil {
		s.drain(time.Second)
	}
	if s.pkt != nil {
		s.pkt.Free()
	}
	if s.fc != nil {
		s.fc.Free()
	}
	if s.ioc != nil {
		s.ioc.Free()
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
