// Package flv writes FLV tags for RTMP: legacy AVC and AAC tags, and the
// metadata the ingest servers read. Each tag is handed to the writer in one
// Write call so a transport can send it as one RTMP message.
package flv

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"time"

	"onair/encoder"
)

// Tag types.
const (
	tagAudio  = 8
	tagVideo  = 9
	tagScript = 18
)

// Writer turns encoder packets into an FLV byte stream.
type Writer struct {
	w      io.Writer
	buf    []byte
	nal    []byte
	shift  time.Duration // added to every timestamp so none is negative
	video  *encoder.Stream
	audio  *encoder.Stream
	lastTS [3]int64
}

// NewWriter writes to w.
func NewWriter(w io.Writer) *Writer { return &Writer{w: w, buf: make([]byte, 0, 64<<10)} }

// WriteHeader writes the FLV file header, onMetaData and the sequence headers
// of streams (one video and/or one audio stream).
func (fw *Writer) WriteHeader(streams []encoder.Stream) error {
	var flags byte
	for i := range streams {
		s := &streams[i]
		switch {
		case s.Kind == encoder.Video && s.Codec == encoder.H264:
			fw.video = s
			flags |= 1
		case s.Kind == encoder.Audio && s.Codec == encoder.AAC:
			fw.audio = s
			flags |= 4
		default:
			return fmt.Errorf("flv: %s %s is not supported", s.Codec, s.Kind)
		}
		fw.shift = max(fw.shift, s.Delay)
	}
	hdr := []byte{'F', 'L', 'V', 1, flags, 0, 0, 0, 9, 0, 0, 0, 0}
	if _, err := fw.w.Write(hdr); err != nil {
		return err
	}
	if err := fw.writeTag(tagScript, 0, fw.metadata()); err != nil {
		return err
	}
	if v := fw.video; v != nil {
		avcc, err := AVCDecoderConfig(v.Extradata)
		if err != nil {
			return err
		}
		body := append([]byte{0x17, 0, 0, 0, 0}, avcc...)
		if err := fw.writeTag(tagVideo, 0, body); err != nil {
			return err
		}
	}
	if a := fw.audio; a != nil {
		if len(a.Extradata) < 2 {
			return errors.New("flv: AAC stream has no AudioSpecificConfig")
		}
		if err := fw.writeTag(tagAudio, 0, append([]byte{0xAF, 0}, a.Extradata...)); err != nil {
			return err
		}
	}
	return nil
}

// WritePacket writes one packet as one tag and returns the bytes written.
func (fw *Writer) WritePacket(p *encoder.Packet) (int, error) {
	dts := (p.DTSTime() + fw.shift).Milliseconds()
	switch p.Kind {
	case encoder.Video:
		if fw.video == nil {
			return 0, errors.New("flv: video packet but no video stream")
		}
		cts := (p.PTSTime() - p.DTSTime()).Milliseconds()
		first := byte(0x27)
		if p.Key {
			first = 0x17
		}
		fw.nal = append(fw.nal[:0], first, 1, byte(cts>>16), byte(cts>>8), byte(cts))
		fw.nal = AppendAVCC(fw.nal, p.Data)
		return fw.tag(tagVideo, dts, fw.nal)
	case encoder.Audio:
		if fw.audio == nil {
			return 0, errors.New("flv: audio packet but no audio stream")
		}
		fw.nal = append(append(fw.nal[:0], 0xAF, 1), p.Data...)
		return fw.tag(tagAudio, dts, fw.nal)
	}
	return 0, fmt.Errorf("flv: packet of kind %s", p.Kind)
}

func (fw *Writer) tag(typ byte, ts int64, body []byte) (int, error) {
	// Each stream's timestamps must not go back; negative ones become zero.
	ts = max(ts, 0, fw.lastTS[typ%3])
	fw.lastTS[typ%3] = ts
	return len(body) + 15, fw.writeTag(typ, ts, body)
}

func (fw *Writer) writeTag(typ byte, ts int64, body []byte) error {
	n := len(body)
	b := append(fw.buf[:0], typ, byte(n>>16), byte(n>>8), byte(n),
		byte(ts>>16), byte(ts>>8), byte(ts), byte(ts>>24), 0, 0, 0)
	b = append(b, body...)
	b = binary.BigEndian.AppendUint32(b, uint32(n+11))
	fw.buf = b
	_, err := fw.w.Write(b)
	return err
}

func (fw *Writer) metadata() []byte {
	b := amfString(nil, "onMetaData")
	var props []amfProp
	if v := fw.video; v != nil {
		props = append(props,
			amfProp{"width", float64(v.Width)}, amfProp{"height", float64(v.Height)},
			amfProp{"framerate", float64(v.FPS)}, amfProp{"videocodecid", 7.0},
			amfProp{"videodatarate", float64(v.BitrateKbps)})
	}
	if a := fw.audio; a != nil {
		props = append(props,
			amfProp{"audiocodecid", 10.0}, amfProp{"audiosamplerate", float64(a.SampleRate)},
			amfProp{"audiosamplesize", 16.0}, amfProp{"stereo", a.Channels == 2},
			amfProp{"audiodatarate", float64(a.BitrateKbps)})
	}
	props = append(props, amfProp{"encoder", "onair"})
	b = append(b, 8)
	b = binary.BigEndian.AppendUint32(b, uint32(len(props)))
	for _, p := range props {
		b = binary.BigEndian.AppendUint16(b, uint16(len(p.key)))
		b = append(b, p.key...)
		switch v := p.val.(type) {
		case float64:
			b = append(b, 0)
			b = binary.BigEndian.AppendUint64(b, math.Float64bits(v))
		case bool:
			var x byte
			if v {
				x = 1
			}
			b = append(b, 1, x)
		case string:
			b = amfString(b, v)
		}
	}
	return append(b, 0, 0, 9)
}

type amfProp struct {
	key string
	val any
}

func amfString(b []byte, s string) []byte {
	b = append(b, 2)
	b = binary.BigEndian.AppendUint16(b, uint16(len(s)))
	return append(b, s...)
}
