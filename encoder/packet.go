package encoder

import "time"

// Kind says which elementary stream a packet belongs to. The zero value is invalid.
type Kind uint8

const (
	Video Kind = iota + 1
	Audio
)

func (k Kind) String() string {
	switch k {
	case Video:
		return "video"
	case Audio:
		return "audio"
	}
	return "invalid"
}

// Codec names an elementary stream's codec. The zero value is invalid.
type Codec uint8

const (
	H264 Codec = iota + 1
	HEVC
	AAC
	Opus
)

func (c Codec) String() string {
	switch c {
	case H264:
		return "h264"
	case HEVC:
		return "hevc"
	case AAC:
		return "aac"
	case Opus:
		return "opus"
	}
	return "invalid"
}

// Rational is a time base such as 1/30 or 1/48000.
type Rational struct{ Num, Den int }

// Packet is one encoded access unit in Go-owned memory. It is immutable once
// published: every destination reads the same bytes, none writes to them.
type Packet struct {
	Kind Kind
	Key  bool
	// PTS and DTS count TimeBase units from the start of the broadcast.
	PTS, DTS int64
	TimeBase Rational
	// Data is the payload as the encoder wrote it (Annex B for H.264/HEVC, raw AAC).
	Data []byte
	// Composed is when the picture (or audio chunk) was handed to the encoder:
	// the start of the glass-to-wire latency a destination measures.
	Composed time.Time
}

// Ticks converts a timestamp in tb units to a duration.
func Ticks(v int64, tb Rational) time.Duration {
	return time.Duration(v) * time.Second * time.Duration(tb.Num) / time.Duration(tb.Den)
}

// InTicks converts a duration to tb units, rounded to the nearest tick (1/48000 s
// of a 21.33 ms priming delay is 1024, not 1023).
func InTicks(d time.Duration, tb Rational) int64 {
	unit := int64(time.Second) * int64(tb.Num)
	return (int64(d)*int64(tb.Den) + unit/2) / unit
}

// DTSTime is the packet's decode time as a duration.
func (p *Packet) DTSTime() time.Duration { return Ticks(p.DTS, p.TimeBase) }

// PTSTime is the packet's presentation time as a duration.
func (p *Packet) PTSTime() time.Duration { return Ticks(p.PTS, p.TimeBase) }

// Stream describes one elementary stream for a muxer: what goes into FLV
// sequence headers, MPEG-TS PMTs and file headers.
type Stream struct {
	Kind     Kind
	Codec    Codec
	TimeBase Rational
	// Extradata: Annex B parameter sets for video, AudioSpecificConfig for AAC
	// (Opus: libopus's OpusHead, which WebRTC does not carry).
	Extradata   []byte
	BitrateKbps int

	// Video
	Width, Height int
	FPS           int

	// Audio
	SampleRate, Channels int
	FrameSize            int
	// Delay is how far the stream's first timestamps run before zero (AAC priming).
	Delay time.Duration
}
