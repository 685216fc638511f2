// Package record writes the program to a local file: Matroska (written live,
// cluster by cluster) or MPEG-TS, both of which stay playable up to the last
// second written if onair is killed. Recording is a destination like any
// other, so it goes on while the network is down.
package record

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/asticode/go-astiav"

	"onair/encoder"
	"onair/outputs"
)

// Connector opens recordings.
type Connector struct{}

// Connect creates the file (and its folder) and writes the header.
func (Connector) Connect(_ context.Context, t outputs.Target, streams []encoder.Stream) (outputs.Sink, error) {
	if t.Protocol != outputs.File {
		return nil, fmt.Errorf("record: cannot write to %s", t.Protocol)
	}
	if err := os.MkdirAll(filepath.Dir(t.Path), 0o755); err != nil {
		return nil, failed("creating the recordings folder", err)
	}
	// Opening a pipe or a socket would wait for a reader, for ever.
	if fi, err := os.Stat(t.Path); err == nil && fi.Mode()&(os.ModeNamedPipe|os.ModeSocket) != 0 {
		return nil, outputs.Permanent(fmt.Errorf("%s is not a file: record somewhere else", t.Path))
	}
	format := "matroska"
	if strings.EqualFold(filepath.Ext(t.Path), ".ts") {
		format = "mpegts"
	}
	s := &sink{}
	if err := s.open(format, freePath(t.Path), streams); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// freePath is path, or when a recording is already there (an earlier show,
// or this one before a reconnect) the first free "name-N.ext" beside it:
// a recording is never written over.
func freePath(path string) string {
	ext := filepath.Ext(path)
	base := strings.TrimSuffix(path, ext)
	p := path
	for n := 2; n < 10000; n++ {
		if fi, err := os.Stat(p); err != nil || !fi.Mode().IsRegular() || fi.Size() == 0 {
			return p // free, or not a file: opening it says what is wrong
		}
		p = fmt.Sprintf("%s-%d%s", base, n, ext)
	}
	return p
}

type sink struct {
	fc     *astiav.FormatContext
	ioc    *astiav.IOContext
	pkt    *astiav.Packet
	index  map[encoder.Kind]int
	tbs    []astiav.Rational
	shift  time.Duration
	extra  []byte
	buf    []byte
	header bool
}

func (s *sink) open(format, path string, streams []encoder.Stream) error {
	fc, err := astiav.AllocOutputFormatContext(nil, format, path)
	if err != nil {
		return fmt.Errorf("starting the recording: %w", err)
	}
	s.fc = fc
	s.index = map[encoder.Kind]int{}
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
			return fmt.Errorf("a recording cannot hold %s", st.Codec)
		}
		if st.Kind == encoder.Video {
			cp.SetCodecType(astiav.MediaTypeVideo)
			cp.SetWidth(st.Width)
			cp.SetHeight(st.Height)
			cp.SetPixelFormat(astiav.PixelFormatYuv420P)
			ost.SetAvgFrameRate(astiav.NewRational(st.FPS, 1))
			ost.SetRFrameRate(astiav.NewRational(st.FPS, 1))
			if format == "mpegts" {
				s.extra = st.Extradata // repeated before keyframes, as over SRT
			}
		} else {
			cp.SetCodecType(astiav.MediaTypeAudio)
			cp.SetSampleRate(st.SampleRate)
			cp.SetChannelLayout(astiav.ChannelLayoutStereo)
			cp.SetChannels(st.Channels)
			cp.SetFrameSize(st.FrameSize)
		}
		if len(st.Extradata) > 0 {
			if err := cp.SetExtraData(st.Extradata); err != nil {
				return fmt.Errorf("starting the recording: %w", err)
			}
		}
		ost.SetTimeBase(astiav.NewRational(st.TimeBase.Num, st.TimeBase.Den))
		s.index[st.Kind] = ost.Index()
		s.shift = max(s.shift, st.Delay)
	}
	ioc, err := astiav.OpenIOContext(path, astiav.NewIOContextFlags(astiav.IOContextFlagWrite))
	if err != nil {
		return failed("cannot write "+path, err)
	}
	s.ioc = ioc
	fc.SetPb(ioc)
	d := astiav.NewDictionary()
	defer d.Free()
	// Matroska "live": clusters written as they close, no seeking back to fix
	// the header; a cluster a second bounds what a kill can lose.
	d.Set("flush_packets", "1", 0)
	if format == "matroska" {
		d.Set("live", "1", 0)
		d.Set("cluster_time_limit", "1000", 0)
	}
	if err := fc.WriteHeader(d); err != nil {
		return failed("starting the recording "+path, err)
	}
	s.header = true
	for _, ost := range fc.Streams() {
		s.tbs = append(s.tbs, ost.TimeBase())
	}
	s.pkt = astiav.AllocPacket()
	return nil
}

func (s *sink) Write(p *encoder.Packet) (int, error) {
	i, ok := s.index[p.Kind]
	if !ok {
		return 0, nil
	}
	data := p.Data
	if p.Kind == encoder.Video && p.Key && len(s.extra) > 0 {
		s.buf = append(append(s.buf[:0], s.extra...), p.Data...)
		data = s.buf
	}
	if err := s.pkt.FromData(data); err != nil {
		return 0, fmt.Errorf("writing: %w", err)
	}
	defer s.pkt.Unref()
	tb := s.tbs[i]
	// The shift in the file's time base, after rescaling: in a video
	// stream's 1/fps it would round the audio's 21.3 ms priming to a whole
	// frame and put the pictures 12 ms late against the sound.
	shift := encoder.InTicks(s.shift, encoder.Rational{Num: tb.Num(), Den: tb.Den()})
	from := astiav.NewRational(p.TimeBase.Num, p.TimeBase.Den)
	s.pkt.SetPts(astiav.RescaleQ(p.PTS, from, tb) + shift)
	s.pkt.SetDts(astiav.RescaleQ(p.DTS, from, tb) + shift)
	s.pkt.SetStreamIndex(i)
	if p.Key {
		s.pkt.SetFlags(s.pkt.Flags().Add(astiav.PacketFlagKey))
	}
	if err := s.fc.WriteFrame(s.pkt); err != nil {
		return 0, failed("writing", err)
	}
	return len(data), nil
}

func (s *sink) Close() error {
	var err error
	if s.header {
		err = s.fc.WriteTrailer()
	}
	if s.pkt != nil {
		s.pkt.Free()
	}
	if s.ioc != nil {
		if e := s.ioc.Close(); err == nil {
			err = e
		}
	}
	if s.fc != nil {
		s.fc.Free()
	}
	return err
}

// DefaultPath is where a recording goes when none is named: the user's video
// folder (XDG_VIDEOS_DIR, else ~/Videos), onair-YYYY-MM-DD-HHMMSS.mkv.
func DefaultPath(now time.Time) string {
	return filepath.Join(videosDir(), "onair-"+now.Format("2006-01-02-150405")+".mkv")
}

func videosDir() string {
	home, err := os.UserHomeDir()
	if err != nil {
		home = os.TempDir()
	}
	if d := os.Getenv("XDG_VIDEOS_DIR"); d != "" {
		return d
	}
	// user-dirs.dirs holds lines like XDG_VIDEOS_DIR="$HOME/Videos".
	cfg, err := os.UserConfigDir()
	if err == nil {
		if b, err := os.ReadFile(filepath.Join(cfg, "user-dirs.dirs")); err == nil {
			for _, line := range strings.Split(string(b), "\n") {
				if v, ok := strings.CutPrefix(strings.TrimSpace(line), "XDG_VIDEOS_DIR="); ok {
					v = strings.ReplaceAll(strings.Trim(v, `"`), "$HOME", home)
					if filepath.IsAbs(v) {
						return v
					}
				}
			}
		}
	}
	return filepath.Join(home, "Videos")
}
