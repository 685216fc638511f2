package main

import (
	"strings"
	"testing"
	"time"

	"onair/internal/testpeer"
)

// Twitch, Stripchat and CAM4 presets: two encoders, because CAM4's 1 s
// keyframes and baseline profile cannot share Twitch's and Stripchat's.
func TestPresetsShareRenditions(t *testing.T) {
	nginx := testpeer.StartNginxRTMP(t, "twitch", "stripchat", "cam4")
	r := runOnair(t, 60*time.Second, "live", "--size", "640x360", "--fps", "30", "--bitrate", "1000", "--duration", "8s", "--quiet",
		"--dest", "twitch="+nginx.URL("twitch", "sk_tw_1"),
		"--dest", "stripchat="+nginx.URL("stripchat", "sk_sc_1"),
		"--dest", "cam4="+nginx.URL("cam4", "sk_c4_1"))
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	if sum := summary(t, r.stdout); sum["video_encoders"] != 2 || sum["reached"] != 3 {
		t.Errorf("summary %v: want 2 video encoders for 3 destinations", sum)
	}
	if !strings.Contains(r.stderr, "rendition 2: H.264 640x360@30 1000 kb/s, keyframe every 1 s, baseline profile (libx264) — for rtmp://") {
		t.Errorf("the renditions are not shown:\n%s", r.stderr)
	}
	assertNoSecrets(t, r, "sk_tw_1", "sk_sc_1", "sk_c4_1")
	nginx.Stop()
	for _, app := range []string{"twitch", "stripchat"} {
		p := checkRecording(t, nginx.Recording(app, map[string]string{"twitch": "sk_tw_1", "stripchat": "sk_sc_1"}[app]), 640, 360, 30, 8*time.Second)
		if v, _ := p.Stream("video"); v.Profile != "High" {
			t.Errorf("%s profile %q, want High", app, v.Profile)
		}
	}
	p := checkRecordingGOP(t, nginx.Recording("cam4", "sk_c4_1"), 640, 360, 30, 8*time.Second, 30)
	if v, _ := p.Stream("video"); !strings.Contains(v.Profile, "Baseline") {
		t.Errorf("CAM4 profile %q, want Baseline", v.Profile)
	}
}
