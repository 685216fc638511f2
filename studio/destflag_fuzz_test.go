package studio

import (
	"strings"
	"testing"
)

// FuzzParseDestFlag feeds ParseDestFlag arbitrary --dest values. Properties:
// no panic; a preset found is a lower-case name (letters, digits, '-') that
// stood before the first '=' and before "://", and PRESET=URL gives back the
// input; without a preset the URL is the input unchanged, and no such name
// stood there.
func FuzzParseDestFlag(f *testing.F) {
	for _, s := range []string{
		"twitch=rtmp://live.twitch.tv/app/live_123456789_AbCdEf",
		"cam4=rtmp://origin.cam4.com/live/SECRET",
		"custom-srt=srt://relay.example:9000?streamid=publish:live/key&passphrase=0123456789",
		"youtube=rtmps://a.rtmps.youtube.com/live2/abcd-efgh-ijkl",
		"rtmp://live.twitch.tv/app/live_123?bandwidthtest=true",
		"srt://h:9000?streamid=#!::r=live/key,m=publish",
		"file:///home/me/Videos/show.mkv",
		"Twitch=rtmp://h/app/key",
		"=rtmp://h/app/key",
		"a=b=rtmp://h/app/key",
		"cam4=",
		"cam4=://",
		"",
	} {
		f.Add(s)
	}
	const name = "abcdefghijklmnopqrstuvwxyz0123456789-"
	f.Fuzz(func(t *testing.T, s string) {
		d := ParseDestFlag(s)
		if d.Preset == "" {
			if d.URL != s {
				t.Errorf("ParseDestFlag(%q): URL %q, want the input", s, d.URL)
			}
			if i := strings.IndexByte(s, '='); i > 0 && strings.TrimLeft(s[:i], name) == "" && strings.Contains(s[i:], "://") {
				t.Errorf("ParseDestFlag(%q) missed the preset %q", s, s[:i])
			}
			return
		}
		if d.Preset+"="+d.URL != s {
			t.Errorf("ParseDestFlag(%q) = preset %q, URL %q: they do not make the input", s, d.Preset, d.URL)
		}
		if strings.TrimLeft(d.Preset, name) != "" {
			t.Errorf("ParseDestFlag(%q): preset %q is not a lower-case name", s, d.Preset)
		}
		if !strings.Contains(d.URL, "://") || strings.Index(s, "://") < len(d.Preset) {
			t.Errorf("ParseDestFlag(%q): preset %q found where no URL follows it", s, d.Preset)
		}
	})
}
