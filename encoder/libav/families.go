package libav

import (
	"fmt"
	"strings"

	"onair/encoder"
)

// encoderOptions are the private and generic options that make each family
// behave the same: constant bitrate with a one-second buffer, a keyframe
// exactly every KeyframeSec (no scene-cut or open-GOP keyframes, so every
// keyframe is a clean place for a destination to join), no B-frames, nothing
// buffered ahead (zerolatency), BT.709.
func encoderOptions(cfg encoder.VideoConfig) [][2]string {
	gop := cfg.KeyframeSec * cfg.FPS
	bps := fmt.Sprint(cfg.BitrateKbps * 1000)
	o := [][2]string{
		{"bf", "0"}, {"maxrate", bps}, {"bufsize", bps},
		{"color_primaries", "bt709"}, {"color_trc", "bt709"}, {"colorspace", "bt709"},
	}
	switch cfg.EncoderName() {
	case "libx264":
		x264 := []string{
			fmt.Sprintf("keyint=%d", gop), fmt.Sprintf("min-keyint=%d", gop), "scenecut=0", "force-cfr=1",
		}
		if !cfg.Adaptive {
			x264 = append(x264, "nal-hrd=cbr")
		}
		o = append(o, [2]string{"preset", cfg.Preset}, [2]string{"tune", "zerolatency"}, [2]string{"forced-idr", "1"},
			[2]string{"profile", cfg.Profile}, [2]string{"minrate", bps}, [2]string{"sc_threshold", "0"},
			[2]string{"x264-params", strings.Join(x264, ":")})
	case "libx265":
		// x265 speaks for itself on stderr unless told not to.
		x265 := []string{
			fmt.Sprintf("keyint=%d", gop), fmt.Sprintf("min-keyint=%d", gop), "scenecut=0",
			"open-gop=0", "bframes=0", "repeat-headers=0", "strict-cbr=1", "log-level=error",
		}
		o = append(o, [2]string{"preset", cfg.Preset}, [2]string{"tune", "zerolatency"}, [2]string{"forced-idr", "1"},
			[2]string{"profile", cfg.Profile}, [2]string{"x265-params", strings.Join(x265, ":")})
	default:
		switch cfg.Encoder {
		case encoder.NVENC:
			o = append(o, [2]string{"preset", "p4"}, [2]string{"tune", "ll"}, [2]string{"rc", "cbr"},
				[2]string{"zerolatency", "1"}, [2]string{"forced-idr", "1"}, [2]string{"no-scenecut", "1"},
				[2]string{"profile", cfg.Profile})
		case encoder.VAAPI:
			o = append(o, [2]string{"rc_mode", "CBR"}, [2]string{"idr_interval", "0"})
		case encoder.QSV:
			o = append(o, [2]string{"preset", "veryfast"}, [2]string{"look_ahead", "0"},
				[2]string{"idr_interval", "0"})
		}
	}
	return o
}
