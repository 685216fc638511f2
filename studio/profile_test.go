package studio

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"onair/outputs"
)

func TestProfileMissingGivesDefaults(t *testing.T) {
	p, err := LoadProfile(filepath.Join(t.TempDir(), "none.json"))
	if err != nil {
		t.Fatal(err)
	}
	if p.Canvas != (Canvas{1280, 720, 30}) || p.Video.BitrateKbps != 3000 || p.Source != "testcard" {
		t.Errorf("defaults %+v", p)
	}
}

// A saved profile reads back with every destination as written, and Go Live
// takes only the enabled ones.
func TestProfileDestinations(t *testing.T) {
	path := filepath.Join(t.TempDir(), "profile.json")
	body := `{"destinations": [
		{"name": "Twitch", "url": "rtmp://live.twitch.tv/app/live_abc", "preset": "twitch", "dynamic_bitrate": true},
		{"url": "srt://h:1", "enabled": false}]}`
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	q, err := LoadProfile(path)
	if err != nil {
		t.Fatal(err)
	}
	on := q.Enabled()
	if len(q.Destinations) != 2 || len(on) != 1 || on[0].Name != "Twitch" || on[0].Preset != "twitch" || !on[0].DynamicBitrate {
		t.Fatalf("destinations %+v, enabled %+v", q.Destinations, on)
	}
	if tg, err := on[0].Target(); err != nil || tg.Key != "live_abc" || on[0].Label() != "Twitch" {
		t.Errorf("target %+v (%v), label %q", tg, err, on[0].Label())
	}
}

// Camera and microphones read back as written; the test card's tone plays
// only when no microphone is chosen.
func TestProfileCameraAndMics(t *testing.T) {
	path := filepath.Join(t.TempDir(), "profile.json")
	body := `{"source": "camera:HD Pro Webcam C920", "camera_mode": "1920x1080@30",
		"mic": {"device": "default", "gain_db": 6, "noise_gate": true},
		"extra_mics": [{"device": "USB Audio", "muted": true}]}`
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	p, err := LoadProfile(path)
	if err != nil {
		t.Fatal(err)
	}
	if l, ok := p.CameraLabel(); !ok || l != "HD Pro Webcam C920" || p.CameraMode != "1920x1080@30" {
		t.Errorf("camera %q %v mode %q", l, ok, p.CameraMode)
	}
	mics := p.Mics()
	if len(mics) != 2 || mics[0] != (AudioInput{Device: "default", GainDB: 6, NoiseGate: true}) || mics[1] != (AudioInput{Device: "USB Audio", Muted: true}) {
		t.Errorf("mics %+v", mics)
	}
	if l, ok := (Profile{Source: "camera"}).CameraLabel(); !ok || l != "" {
		t.Errorf("camera: %q %v", l, ok)
	}
	if _, ok := DefaultProfile().CameraLabel(); ok || len(DefaultProfile().Mics()) != 0 {
		t.Error("the default profile has a camera or a mic")
	}
	if len((Profile{Mic: AudioInput{Device: "none"}}).Mics()) != 0 {
		t.Error(`mic "none" opens a microphone`)
	}
}

func TestProfileBrokenIsRefusedClearly(t *testing.T) {
	dir := t.TempDir()
	for name, tc := range map[string]struct{ body, want string }{
		"syntax":  {`{"canvas": {"width": 1280,`, "JSON syntax error"},
		"type":    {`{"canvas": {"width": "wide"}}`, `field "canvas.width"`},
		"unknown": {`{"colour": 1}`, `unknown field "colour"`},
		"fps":     {`{"canvas": {"width": 1280, "height": 720, "fps": 500}}`, "fps 500"},
		"url":     {`{"destinations": [{"url": "rtmp://h/live_secret_1"}]}`, "needs an application and a stream key"},
		"keytype": {`{"destinations": [{"url": 42}]}`, `field "destinations.url"`},
		"preset":  {`{"destinations": [{"url": "rtmp://h/app/live_secret_1", "preset": "myspace"}]}`, `unknown platform preset "myspace"`},
		"codec":   {`{"video": {"codec": "vp8"}}`, `video codec "vp8" is unknown (use h264 or hevc)`},
		"encoder": {`{"video": {"encoder": "gpu"}}`, `video encoder "gpu" is unknown (use software, nvenc, vaapi, qsv)`},
		"maxfps":  {`{"canvas": {"width": 1280, "height": 720, "fps": 60}, "destinations": [{"url": "rtmp://h/app/k1", "preset": "camsoda"}]}`, "CamSoda takes at most 30 fps"},
		"retry":   {`{"reconnect_max_sec": 2}`, "reconnect_max_sec 2: the longest wait between reconnect attempts must be 5 to 3600 s"},
		"retry2":  {`{"reconnect_max_sec": 7200}`, "reconnect_max_sec 7200"},
		"source":  {`{"source": "webcam"}`, `source "webcam" is not available`},
		"camlbl":  {`{"source": "camera:"}`, `source "camera:" is not available`},
		"cammode": {`{"source": "camera", "camera_mode": "1080p"}`, `camera mode "1080p": use WIDTHxHEIGHT@FPS`},
		"micgain": {`{"mic": {"device": "default", "gain_db": 90}}`, `microphone "default": gain 90 dB must be -30 to +30`},
		"micnone": {`{"extra_mics": [{"device": ""}]}`, "extra_mics: each needs a device"},
		"retry3":  {`{"reconnect_max_sec": -60}`, "reconnect_max_sec -60"},
		"retry4":  {`{"reconnect_max_sec": "1m"}`, `field "reconnect_max_sec" should be int`},
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(dir, name+".json")
			os.WriteFile(path, []byte(tc.body), 0o600)
			p, err := LoadProfile(path)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), path) {
				t.Fatalf("err = %v, want it to name %s and say %q", err, path, tc.want)
			}
			if strings.Contains(err.Error(), "live_secret_1") {
				t.Errorf("error shows the key: %v", err)
			}
			if p.Canvas.Width != 1280 || len(p.Destinations) != 0 {
				t.Errorf("a broken profile gave %+v, want the defaults", p)
			}
		})
	}
}

// The reconnect cap comes from the profile; left out, the destinations keep
// their default (60 s).
func TestProfileReconnectCap(t *testing.T) {
	dir := t.TempDir()
	for body, want := range map[string]time.Duration{
		`{}`:                          0,
		`{"reconnect_max_sec": 5}`:    5 * time.Second,
		`{"reconnect_max_sec": 300}`:  5 * time.Minute,
		`{"reconnect_max_sec": 3600}`: time.Hour,
	} {
		path := filepath.Join(dir, "p.json")
		os.WriteFile(path, []byte(body), 0o600)
		p, err := LoadProfile(path)
		if err != nil {
			t.Fatalf("%s: %v", body, err)
		}
		if b := p.Backoff(); b != (outputs.Backoff{Max: want}) {
			t.Errorf("%s: backoff %+v, want a cap of %s and the rest default", body, b, want)
		}
	}
}

// The window lists every destination, the disabled ones too, with what keeps
// one from being used and never its key.
func TestProfileDestinationChecks(t *testing.T) {
	off := false
	p := DefaultProfile()
	p.Destinations = []Destination{
		{URL: "rtmp://live.twitch.tv/app/live_secret_1", Preset: "twitch"},
		{URL: "srt://relay:9000?streamid=secret_2", Enabled: &off},
		{URL: "rtmp://h/live_secret_3", Enabled: &off},
		{URL: "rtmp://h/app/secret_4", Preset: "myspace", Enabled: &off},
	}
	if err := p.Validate(); err != nil {
		t.Fatalf("a disabled destination's broken URL failed the profile: %v", err)
	}
	ls := p.Destinations
	want := []struct {
		name    string
		enabled bool
		err     string
	}{
		{"rtmp://live.twitch.tv:1935/app/****", true, ""},
		{"srt://relay:9000?streamid=****", false, ""},
		{"rtmp://h/****", false, "destination rtmp://h/****: needs an application and a stream key: rtmp://host/app/KEY"},
		{"rtmp://h:1935/app/****", false, `unknown platform preset "myspace"`},
	}
	for i, w := range want {
		l := ls[i]
		lerr := l.Check(p.Canvas.FPS)
		var err string
		if lerr != nil {
			err = lerr.Error()
		}
		if l.Label() != w.name || l.On() != w.enabled || !strings.Contains(err, w.err) || (w.err == "") != (lerr == nil) {
			t.Errorf("destination %d: %q enabled %v err %v; want %q enabled %v err %q", i, l.Label(), l.On(), lerr, w.name, w.enabled, w.err)
		}
		if strings.Contains(l.Label()+err, "secret") {
			t.Errorf("destination %d shows a secret: %s %s", i, l.Label(), err)
		}
	}
	pr, _ := ls[0].Platform()
	tg, _ := ls[0].Target()
	if pr == nil || pr.ID != "twitch" || tg.Key != "live_secret_1" {
		t.Errorf("destination 0: preset %v, target %+v", pr, tg)
	}
}
