package studio

import (
	"slices"
	"strings"
	"testing"

	"onair/encoder"
)

func mustPreset(t *testing.T, id string) *Preset {
	t.Helper()
	p, err := FindPreset(id)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestPresetsShipForEveryPlatform(t *testing.T) {
	ps, err := Presets()
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"twitch", "youtube", "kick", "facebook", "chaturbate", "stripchat", "camsoda", "cam4", "myfreecams", "bongacams", "custom-rtmp", "custom-srt"} {
		if _, err := FindPreset(id); err != nil {
			t.Error(err)
		}
	}
	if len(ps) < 12 {
		t.Errorf("%d presets", len(ps))
	}
	if _, err := FindPreset("myspace"); err == nil || !strings.Contains(err.Error(), "twitch") {
		t.Errorf("unknown preset: %v (should list the known ones)", err)
	}
}

// Destinations share an encoder when their platforms accept the same
// settings: CAM4's 1 s keyframes and baseline profile need their own.
func TestPlanRenditions(t *testing.T) {
	base := encoder.VideoConfig{Width: 1280, Height: 720, FPS: 30, BitrateKbps: 8000}
	plan, err := PlanRenditions(base, []*Preset{mustPreset(t, "twitch"), mustPreset(t, "stripchat"), mustPreset(t, "cam4"), nil})
	if err != nil {
		t.Fatal(err)
	}
	if len(plan) != 3 {
		t.Fatalf("%d renditions: %+v", len(plan), plan)
	}
	shared, cam4, custom := plan[0], plan[1], plan[2]
	if len(shared.Destinations) != 2 || shared.Video.BitrateKbps != 6000 || shared.Video.KeyframeSec != 2 || shared.Video.Profile != "high" {
		t.Errorf("Twitch and Stripchat should share 6000 kb/s, 2 s, high: %+v", shared)
	}
	if cam4.Destinations[0] != 2 || cam4.Video.KeyframeSec != 1 || cam4.Video.Profile != "baseline" || cam4.Video.BitrateKbps != 6000 {
		t.Errorf("CAM4: %+v", cam4)
	}
	if custom.Destinations[0] != 3 || custom.Video.BitrateKbps != 8000 {
		t.Errorf("no preset keeps the profile's settings: %+v", custom)
	}
	// Within every limit, everyone shares one encoder.
	plan, _ = PlanRenditions(encoder.VideoConfig{Width: 1280, Height: 720, FPS: 30, BitrateKbps: 3000}, []*Preset{mustPreset(t, "twitch"), mustPreset(t, "stripchat"), nil})
	if len(plan) != 1 {
		t.Errorf("%d renditions for destinations that can share one", len(plan))
	}
	if _, err := PlanRenditions(encoder.VideoConfig{Width: 1280, Height: 720, FPS: 60, BitrateKbps: 3000}, []*Preset{mustPreset(t, "camsoda")}); err == nil {
		t.Error("CamSoda accepted 60 fps")
	}
}

// HEVC where the platform takes it (YouTube, custom SRT, a destination with
// no preset), H.264 where it does not, with the platform's own profile.
func TestPlanRenditionsHEVC(t *testing.T) {
	base := encoder.VideoConfig{Codec: encoder.HEVC, Width: 1280, Height: 720, FPS: 30, BitrateKbps: 4000}
	plan, err := PlanRenditions(base, []*Preset{mustPreset(t, "youtube"), mustPreset(t, "twitch"), mustPreset(t, "custom-srt"), mustPreset(t, "cam4"), nil})
	if err != nil {
		t.Fatal(err)
	}
	if len(plan) != 3 {
		t.Fatalf("%d renditions: %+v", len(plan), plan)
	}
	hevc, h264, cam4 := plan[0], plan[1], plan[2]
	if hevc.Video.Codec != encoder.HEVC || hevc.Video.Profile != "main" || !slices.Equal(hevc.Destinations, []int{0, 2, 4}) {
		t.Errorf("YouTube, custom SRT and the preset-less destination should share HEVC main: %+v", hevc)
	}
	if h264.Video.Codec != encoder.H264 || h264.Video.Profile != "high" || !slices.Equal(h264.Destinations, []int{1}) {
		t.Errorf("Twitch takes H.264 only: %+v", h264)
	}
	if cam4.Video.Codec != encoder.H264 || cam4.Video.Profile != "baseline" {
		t.Errorf("CAM4: %+v", cam4)
	}
	if _, err := (&Preset{Name: "AV1 only", Codecs: []string{"av1"}}).Constrain(base); err == nil {
		t.Error("a platform taking neither HEVC nor H.264 was accepted")
	}
}
