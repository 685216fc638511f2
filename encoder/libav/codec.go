package libav

import (
	"errors"
	"fmt"
	"time"

	"github.com/asticode/go-astiav"

	"onair/encoder"
)

// codec is what the video and audio encoders share: an open codec context,
// the frame they fill and the packet they drain into.
type codec struct {
	name   string // for errors: "H.264", "AAC"
	cc     *astiav.CodecContext
	frame  *astiav.Frame
	pkt    *astiav.Packet
	stream encoder.Stream
	// composed tells when the input of a packet with a given pts was composed.
	composed func(pts int64) time.Time
}

// send encodes frame and emits what comes out.
func (c *codec) send(frame *astiav.Frame, emit func(*encoder.Packet)) error {
	if err := c.cc.SendFrame(frame); err != nil {
		return fmt.Errorf("%s encoder refused its input: %w", c.name, err)
	}
	return c.drain(emit)
}

// Flush drains the encoder at the end of the broadcast.
func (c *codec) Flush(emit func(*encoder.Packet)) error {
	if err := c.cc.SendFrame(nil); err != nil && !errors.Is(err, astiav.ErrEof) {
		return fmt.Errorf("flushing the %s encoder: %w", c.name, err)
	}
	return c.drain(emit)
}

// drain copies each finished packet into Go memory (the one copy a packet
// gets) and emits it.
func (c *codec) drain(emit func(*encoder.Packet)) error {
	for {
		err := c.cc.ReceivePacket(c.pkt)
		if errors.Is(err, astiav.ErrEagain) || errors.Is(err, astiav.ErrEof) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s encoder failed: %w", c.name, err)
		}
		p := &encoder.Packet{
			Kind: c.stream.Kind, Key: c.pkt.Flags().Has(astiav.PacketFlagKey) || c.stream.Kind == encoder.Audio,
			PTS: c.pkt.Pts(), DTS: c.pkt.Dts(), TimeBase: c.stream.TimeBase,
			Data: c.pkt.Data(), Composed: c.composed(c.pkt.Pts()),
		}
		c.pkt.Unref()
		emit(p)
	}
}

// Stream describes the encoder's output for muxers.
func (c *codec) Stream() encoder.Stream { return c.stream }

// free releases the C side once: a second call finds nothing left to free.
func (c *codec) free() {
	if c.pkt != nil {
		c.pkt.Free()
		c.pkt = nil
	}
	if c.frame != nil {
		c.frame.Free()
		c.frame = nil
	}
	if c.cc != nil {
		c.cc.Free()
		c.cc = nil
	}
}

func newCodec(name string, c *astiav.Codec, composed func(pts int64) time.Time) codec {
	return codec{name: name, cc: astiav.AllocCodecContext(c), composed: composed}
}
