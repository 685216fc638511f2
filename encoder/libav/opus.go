package libav

import (
	"errors"
	"fmt"
	"time"

	"github.com/asticode/go-astiav"

	"onair/capture"
	"onair/encoder"
)

// OpusFrame is the Opus encoder's frame: 20 ms, what WebRTC peers expect.
const OpusFrame = 20 * time.Millisecond

// NewOpusEncoder opens libopus at bitrateKbps, 48 kHz stereo in 20 ms
// frames, for the WebRTC outputs (one shared by all of them, as the AAC
// encoder is by the others).
func NewOpusEncoder(bitrateKbps int) (*AudioEncoder, error) {
	codec := astiav.FindEncoderByName("libopus")
	if codec == nil {
		return nil, errors.New("the Opus encoder (libopus) is missing from this FFmpeg build")
	}
	// libopus takes interleaved float; copySamples interleaves our planes.
	e := newAudioEncoder("Opus", codec, astiav.SampleFormatFlt, bitrateKbps)
	cc := e.cc
	d := astiav.NewDictionary()
	defer d.Free()
	if err := d.Set("frame_duration", "20", 0); err != nil {
		e.Close()
		return nil, fmt.Errorf("setting the Opus frame duration: %w", err)
	}
	if err := cc.Open(codec, d); err != nil {
		e.Close()
		return nil, fmt.Errorf("opening the Opus encoder at %d kb/s: %w", bitrateKbps, err)
	}
	if want := int(int64(OpusFrame) * capture.SampleRate / int64(time.Second)); cc.FrameSize() != want {
		e.Close()
		return nil, fmt.Errorf("the Opus encoder took %d-sample frames, want %d (20 ms)", cc.FrameSize(), want)
	}
	if err := e.opened("Opus", astiav.SampleFormatFlt, encoder.Opus, bitrateKbps); err != nil {
		e.Close()
		return nil, err
	}
	return e, nil
}
