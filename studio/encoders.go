package studio

import (
	"time"

	"onair/capture"
	"onair/encoder"
	"onair/outputs"
)

// VideoEncoder is one rendition's encoder as the broadcast drives it
// (libav's in the app, a fake in tests).
type VideoEncoder interface {
	Encode(f *capture.Frame, pts int64, composed time.Time, emit func(*encoder.Packet)) error
	Flush(emit func(*encoder.Packet)) error
	Stream() encoder.Stream
	// Config is what it runs; Asked is what was asked of it (they differ
	// when a missing hardware encoder was replaced by software).
	Config() encoder.VideoConfig
	Asked() encoder.VideoConfig
	Close()
}

// BitrateSetter is a video encoder whose rate can change while it runs
// (dynamic bitrate), found by type assertion.
type BitrateSetter interface {
	SetBitrate(kbps int) error
}

// AudioEncoder is the broadcast's one sound encoder.
type AudioEncoder interface {
	Encode(c *capture.AudioChunk, pts int64, composed time.Time, emit func(*encoder.Packet)) error
	Flush(emit func(*encoder.Packet)) error
	Stream() encoder.Stream
	Close()
}

// KeyframeRequester is a video encoder that can make its next picture a
// keyframe (a WebRTC receiver's PLI), found by type assertion.
type KeyframeRequester interface {
	RequestKeyframe()
}

// OpusOpener is an Encoders that can open the Opus encoder the WebRTC
// destinations share, found by type assertion.
type OpusOpener interface {
	OpenOpus(bitrateKbps int) (AudioEncoder, error)
}

// KeyframeConnector is a connector whose receivers ask for keyframes (WHIP):
// With returns one whose sessions call ask, rate-limited. Found by type
// assertion.
type KeyframeConnector interface {
	WithKeyframeRequests(ask func()) outputs.Connector
}

// Encoders opens encoders. OpenVideo's notice says what the performer should
// know (a hardware encoder replaced by software).
type Encoders interface {
	OpenVideo(c encoder.VideoConfig) (e VideoEncoder, notice string, err error)
	OpenAudio(bitrateKbps int) (AudioEncoder, error)
}
