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

func TestProfileRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "onair", "profile.json")
	off := false
	p := DefaultProfile()
	p.Destinations = []Dest{{Name: "Twitch", URL: "rtmp://live.twitch.tv/app/live_abc"}, {URL: "srt://h:1", Enabled: &off}}
	if err := p.Save(path); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("profile mode %v: it holds stream keys, want 0600", fi.Mode().Perm())
	}
	q, err := LoadProfile(path)
	if err != nil {
		t.Fatal(err)
	}
	ts, _ := q.Targets()
	if len(ts) != 1 || ts[0].Key != "live_abc" {
		t.Errorf("targets %+v: want only the enabled one", ts)
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
func TestProfileListings(t *testing.T) {
	off := false
	p := DefaultProfile()
	p.Destinations = []Dest{
		{URL: "rtmp://live.twitch.tv/app/live_secret_1", Preset: "twitch"},
		{URL: "srt://relay:9000?streamid=secret_2", Enabled: &off},
		{URL: "rtmp://h/live_secret_3", Enabled: &off},
		{URL: "rtmp://h/app/secret_4", Preset: "myspace", Enabled: &off},
	}
	if err := p.Validate(); err != nil {
		t.Fatalf("a disabled destination's broken URL failed the profile: %v", err)
	}
	ls := p.Listings()
	if len(ls) != 4 {
		t.Fatalf("%d listings, want 4", len(ls))
	}
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
		var err string
		if l.Err != nil {
			err = l.Err.Error()
		}
		if l.Name != w.name || l.Enabled != w.enabled || !strings.HasPrefix(err, w.err) || (w.err == "") != (l.Err == nil) {
			t.Errorf("listing %d: %q enabled %v err %v; want %q enabled %v err %q", i, l.Name, l.Enabled, l.Err, w.name, w.enabled, w.err)
		}
		if strings.Contains(l.Name+err, "secret") {
			t.Errorf("listing %d shows a secret: %s %s", i, l.Name, err)
		}
	}
	if ls[0].Preset == nil || ls[0].Preset.ID != "twitch" || ls[0].Target.Key != "live_secret_1" {
		t.Errorf("listing 0: preset %v, target %+v", ls[0].Preset, ls[0].Target)
	}
}
