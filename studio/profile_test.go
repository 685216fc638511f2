package studio

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
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
