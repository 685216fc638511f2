package libav

import (
	"errors"
	"fmt"
	"time"

	"github.com/asticode/go-astiav"

	"onair/capture"
	"onair/encoder"
)

// AudioEncoder is an audio encoder shared by every rendition that takes its
// codec: AAC (NewAudioEncoder) or Opus (NewOpusEncoder), 48 kHz stereo. It
// re-chunks whatever it is given into the codec's frame size.
type AudioEncoder struct {
	codec
	fifo   [capture.Channels][]float32
	next   int64 // pts of the first sample in fifo
	primed bool
	// composed is the wall time the oldest sample in fifo arrived.
	composed time.Time
}

// newAudioEncoder sets codec up for the studio's sound (48 kHz stereo) in
// format at bitrateKbps; the caller opens it.
func newAudioEncoder(name string, codec *astiav.Codec, format astiav.SampleFormat, bitrateKbps int) *AudioEncoder {
	e := &AudioEncoder{}
	e.codec = newCodec(name, codec, func(int64) time.Time { return e.composed })
	cc := e.cc
	cc.SetSampleFormat(format)
	cc.SetSampleRate(capture.SampleRate)
	cc.SetChannelLayout(astiav.ChannelLayoutStereo)
	cc.SetChannels(capture.Channels)
	cc.SetBitRate(int64(bitrateKbps) * 1000)
	cc.SetTimeBase(astiav.NewRational(1, capture.SampleRate))
	return e
}

// opened allocates, once the codec is open, the frame the samples go into
// and the packet, and describes the stream.
func (e *AudioEncoder) opened(name string, format astiav.SampleFormat, codec encoder.Codec, bitrateKbps int) error {
	cc := e.cc
	e.frame = astiav.AllocFrame()
	e.frame.SetNbSamples(cc.FrameSize())
	e.frame.SetSampleFormat(format)
	e.frame.SetChannelLayout(astiav.ChannelLayoutStereo)
	e.frame.SetSampleRate(capture.SampleRate)
	if err := e.frame.AllocBuffer(0); err != nil {
		return fmt.Errorf("allocating the %s encoder's frame: %w", name, err)
	}
	e.pkt = astiav.AllocPacket()
	e.stream = encoder.Stream{
		Kind: encoder.Audio, Codec: codec, TimeBase: encoder.Rational{Num: 1, Den: capture.SampleRate},
		Extradata: cc.ExtraData(), BitrateKbps: bitrateKbps,
		SampleRate: capture.SampleRate, Channels: capture.Channels, FrameSize: cc.FrameSize(),
	}
	return nil
}

// NewAudioEncoder opens FFmpeg's AAC encoder at bitrateKbps.
func NewAudioEncoder(bitrateKbps int) (*AudioEncoder, error) {
	codec := astiav.FindEncoder(astiav.CodecIDAac)
	if codec == nil {
		return nil, errors.New("the AAC encoder is missing from this FFmpeg build")
	}
	e := newAudioEncoder("AAC", codec, astiav.SampleFormatFltp, bitrateKbps)
	cc := e.cc
	cc.SetFlags(cc.Flags().Add(astiav.CodecContextFlagGlobalHeader))
	if err := cc.Open(codec, nil); err != nil {
		e.Close()
		return nil, fmt.Errorf("opening the AAC encoder at %d kb/s: %w", bitrateKbps, err)
	}
	if err := e.opened("AAC", astiav.SampleFormatFltp, encoder.AAC, bitrateKbps); err != nil {
		e.Close()
		return nil, err
	}
	// FFmpeg's AAC encoder primes with one frame: its first packet has pts -1024.
	e.stream.Delay = time.Duration(cc.FrameSize()) * time.Second / capture.SampleRate
	return e, nil
}

// Encode queues the chunk's samples, whose first sample has timestamp pts
// (in samples), and encodes every whole codec frame.
func (e *AudioEncoder) Encode(c *capture.AudioChunk, pts int64, composed time.Time, emit func(*encoder.Packet)) error {
	switch expected := e.next + int64(len(e.fifo[0])); {
	case !e.primed || len(e.fifo[0]) == 0:
		e.next = pts - int64(len(e.fifo[0]))
		e.primed = true
	case pts > expected && pts-expected <= capture.SampleRate:
		// Sound was skipped (the encoder fell behind): silence in its place
		// keeps what follows on time and in step with the picture.
		for ch := range e.fifo {
			e.fifo[ch] = append(e.fifo[ch], make([]float32, pts-expected)...)
		}
	case pts != expected:
		// A long gap: what is buffered belongs to before it; start afresh.
		for ch := range e.fifo {
			e.fifo[ch] = e.fifo[ch][:0]
		}
		e.next = pts
	}
	if len(e.fifo[0]) == 0 {
		e.composed = composed
	}
	for ch := range e.fifo {
		e.fifo[ch] = append(e.fifo[ch], c.Samples[ch]...)
	}
	n := e.cc.FrameSize()
	for len(e.fifo[0]) >= n {
		if err := copySamples(e.frame, e.fifo[0][:n], e.fifo[1][:n]); err != nil {
			return err
		}
		e.frame.SetPts(e.next)
		for ch := range e.fifo {
			e.fifo[ch] = append(e.fifo[ch][:0], e.fifo[ch][n:]...)
		}
		e.next += int64(n)
		if err := e.send(e.frame, emit); err != nil {
			return err
		}
		e.composed = composed
	}
	return nil
}

// Close frees the encoder.
func (e *AudioEncoder) Close() { e.free() }
