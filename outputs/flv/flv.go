// Package flv writes FLV tags for RTMP: legacy AVC and AAC tags, Enhanced
// RTMP (veovera v1) tags for HEVC, and the metadata the ingest servers read.
// Each tag is handed to the writer in one Write call so a transport can send
// it as one RTMP message.
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

// Enhanced RTMP video tags: the first byte is IsExHeader (0x80) | FrameType<<4
// | PacketType, then a FourCC.
const (
	exHeader      = 0x80
	frameKey      = 1 << 4
	frameInter    = 2 << 4
	pktSeqStart   = 0 // body: the decoder configuration record (hvcC)
	pktCoded      = 1 // body: 3-byte signed composition time, then NAL units
	pktSeqEnd     = 2
	pktCodedNoCTS = 3 // CodedFramesX: NAL units, composition time 0
)

// fourCCHEVC is 'hvc1'; onMetaData's videocodecid carries it as a number.
var fourCCHEVC = []byte("hvc1")

const fourCCHEVCNumber = 0x68766331

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
		case s.Kind == encoder.Video && (s.Codec == encoder.H264 || s.Codec == encoder.HEVC):
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
		body, err := sequenceStart(v)
		if err != nil {
			return err
		}
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
		if fw.video.Codec == encoder.HEVC {
			fw.nal = codedFramesHEVC(fw.nal[:0], p.Key, cts, p.Data)
			return fw.tag(tagVideo, dts, fw.nal)
		}
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

// WriteEnd marks the end of the video sequence (a clean end of stream); the
// transport is closed by the caller.
func (fw *Writer) WriteEnd() error {
	if fw.video == nil {
		return nil
	}
	body := []byte{0x17, 2, 0, 0, 0}
	if fw.video.Codec == encoder.HEVC {
		body = append([]byte{exHeader | frameKey | pktSeqEnd}, fourCCHEVC...)
	}
	_, err := fw.tag(tagVideo, fw.lastTS[tagVideo%3], body)
	return err
}

// sequenceStart is the video sequence header tag body: legacy AVC with avcC,
// or Enhanced RTMP SequenceStart 'hvc1' with hvcC.
func sequenceStart(v *encoder.Stream) ([]byte, error) {
	if v.Codec == encoder.HEVC {
		hvcc, err := HEVCDecoderConfig(v.Extradata)
		if err != nil {
			return nil, err
		}
		return append(append([]byte{exHeader | frameKey | pktSeqStart}, fourCCHEVC...), hvcc...), nil
	}
	avcc, err := AVCDecoderConfig(v.Extradata)
	if err != nil {
		return nil, err
	}
	return append([]byte{0x17, 0, 0, 0, 0}, avcc...), nil
}

// codedFramesHEVC appends an Enhanced RTMP coded frame: CodedFramesX when the
// composition offset is zero (no B-frames), CodedFrames with it otherwise.
func codedFramesHEVC(b []byte, key bool, cts int64, au []byte) []byte {
	frame := byte(frameInter)
	if key {
		frame = frameKey
	}
	if cts == 0 {
		b = append(append(b, exHeader|frame|pktCodedNoCTS), fourCCHEVC...)
	} else {
		b = append(append(b, exHeader|frame|pktCoded), fourCCHEVC...)
		b = append(b, byte(cts>>16), byte(cts>>8), byte(cts))
	}
	return AppendHVCC(b, au)
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
			amfProp{"framerate", float64(v.FPS)}, amfProp{"videocodecid", videoCodecID(v.Codec)},
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

// videoCodecID is onMetaData's videocodecid: 7 for AVC, the FourCC for
// Enhanced RTMP codecs.
func videoCodecID(c encoder.Codec) float64 {
	if c == encoder.HEVC {
		return fourCCHEVCNumber
	}
	return 7
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
