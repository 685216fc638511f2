package encoder

import "fmt"

// Encoder families a rendition can use.
const (
	Software = "software" // libx264 / libx265
	NVENC    = "nvenc"
	VAAPI    = "vaapi"
	QSV      = "qsv"
)

// EncoderFamilies are the names VideoConfig.Encoder accepts.
var EncoderFamilies = []string{Software, NVENC, VAAPI, QSV}

// VideoConfig is one rendition's video settings.
type VideoConfig struct {
	Codec              Codec // H264 (the zero value means H264) or HEVC
	Width, Height, FPS int
	BitrateKbps        int
	KeyframeSec        int    // keyframe interval; exact, no scene-cut keyframes
	Preset             string // software preset, e.g. "veryfast"
	Profile            string // H.264: "baseline", "main" or "high"; HEVC: "main"
	// Encoder is "software" (libx264/libx265, the default) or a hardware
	// family: "nvenc", "vaapi", "qsv".
	Encoder string
	// Adaptive: the bitrate may change while running (SetBitrate). x264
	// then leaves out NAL HRD signalling and filler, which pin the rate.
	Adaptive bool
}

// Filled returns c with the defaults in place of unset fields.
func (c VideoConfig) Filled() VideoConfig {
	if c.Codec == 0 {
		c.Codec = H264
	}
	if c.Encoder == "" {
		c.Encoder = Software
	}
	if c.KeyframeSec <= 0 {
		c.KeyframeSec = 2
	}
	if c.Preset == "" {
		c.Preset = "veryfast"
	}
	if c.Profile == "" || c.Codec == HEVC {
		c.Profile = "high"
		if c.Codec == HEVC {
			c.Profile = "main" // 8-bit 4:2:0; H.264 profiles do not apply
		}
	}
	return c
}

// EncoderName is FFmpeg's name for c's encoder: libx264, hevc_nvenc, ….
func (c VideoConfig) EncoderName() string {
	codec := "h264"
	if c.Codec == HEVC {
		codec = "hevc"
	}
	if c.Encoder == "" || c.Encoder == Software {
		if codec == "hevc" {
			return "libx265"
		}
		return "libx264"
	}
	return codec + "_" + c.Encoder
}

// Describe is the settings in words, for the session's rendition lines.
func (c VideoConfig) Describe() string {
	c = c.Filled()
	return fmt.Sprintf("%s %dx%d@%d %d kb/s, keyframe every %d s, %s profile (%s)", c.Codec.Name(), c.Width, c.Height, c.FPS, c.BitrateKbps, c.KeyframeSec, c.Profile, c.EncoderName())
}

// Name is the codec as performers know it: "H.264", "HEVC", "AAC".
func (c Codec) Name() string {
	switch c {
	case H264:
		return "H.264"
	case HEVC:
		return "HEVC"
	case AAC:
		return "AAC"
	case Opus:
		return "Opus"
	}
	return "invalid"
}
