package testpeer

import (
	"encoding/json"
	"os/exec"
	"strconv"
	"strings"
)

// Probe is what ffprobe found in a recording.
type Probe struct {
	Streams []ProbeStream
	Packets []ProbePacket
}

// ProbeStream is one stream as ffprobe reports it.
type ProbeStream struct {
	Index        int    `json:"index"`
	CodecType    string `json:"codec_type"`
	CodecName    string `json:"codec_name"`
	Profile      string `json:"profile"`
	Width        int    `json:"width"`
	Height       int    `json:"height"`
	RFrameRate   string `json:"r_frame_rate"`
	AvgFrameRate string `json:"avg_frame_rate"`
	NbReadFrames string `json:"nb_read_frames"`
	SampleRate   string `json:"sample_rate"`
	Channels     int    `json:"channels"`
	TimeBase     string `json:"time_base"`
}

// ProbePacket is one packet's timing and flags.
type ProbePacket struct {
	StreamIndex int    `json:"stream_index"`
	PTS         *int64 `json:"pts"`
	DTS         *int64 `json:"dts"`
	Flags       string `json:"flags"`
}

// Frames is nb_read_frames as a number.
func (s ProbeStream) Frames() int { n, _ := strconv.Atoi(s.NbReadFrames); return n }

// Rate parses "30/1" style rates.
func Rate(s string) float64 {
	a, b, ok := strings.Cut(s, "/")
	if !ok {
		return 0
	}
	n, _ := strconv.ParseFloat(a, 64)
	d, _ := strconv.ParseFloat(b, 64)
	if d == 0 {
		return 0
	}
	return n / d
}

// Stream returns the first stream of a type ("video", "audio").
func (p *Probe) Stream(codecType string) (ProbeStream, bool) {
	for _, s := range p.Streams {
		if s.CodecType == codecType {
			return s, true
		}
	}
	return ProbeStream{}, false
}

// PacketsOf returns the packets of one stream in file order.
func (p *Probe) PacketsOf(index int) []ProbePacket {
	var out []ProbePacket
	for _, k := range p.Packets {
		if k.StreamIndex == index {
			out = append(out, k)
		}
	}
	return out
}

// FFprobe decodes the whole file (counting frames) and lists its packets.
func FFprobe(t T, path string) *Probe {
	t.Helper()
	Require(t, "ffprobe")
	out, err := exec.Command("ffprobe", "-v", "error", "-count_frames", "-show_streams",
		"-show_entries", "packet=stream_index,pts,dts,flags", "-of", "json", path).Output()
	if err != nil {
		msg := ""
		if ee, ok := err.(*exec.ExitError); ok {
			msg = string(ee.Stderr)
		}
		t.Fatalf("ffprobe %s: %v %s", path, err, msg)
	}
	var p Probe
	if err := json.Unmarshal(out, &p); err != nil {
		t.Fatalf("ffprobe %s: %v", path, err)
	}
	return &p
}
