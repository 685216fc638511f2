package outputs

import (
	"strings"
	"testing"
)

func TestParseTarget(t *testing.T) {
	for _, tc := range []struct {
		raw      string
		want     Target
		redacted string
	}{
		{"rtmp://live.twitch.tv/app/live_123_abc", Target{Protocol: RTMP, Host: "live.twitch.tv", Port: 1935, App: "app", Key: "live_123_abc"}, "rtmp://live.twitch.tv:1935/app/****"},
		{"rtmps://a.rtmps.youtube.com/live2/abcd-efgh", Target{Protocol: RTMPS, Host: "a.rtmps.youtube.com", Port: 443, App: "live2", Key: "abcd-efgh"}, "rtmps://a.rtmps.youtube.com:443/live2/****"},
		{"rtmp://127.0.0.1:1936/live/app2/k?bandwidthtest=true", Target{Protocol: RTMP, Host: "127.0.0.1", Port: 1936, App: "live/app2", Key: "k?bandwidthtest=true"}, "rtmp://127.0.0.1:1936/live/app2/****"},
		{"srt://10.0.0.1:9000?streamid=publish:live/key&passphrase=0123456789&latency=200&pbkeylen=32", Target{Protocol: SRT, Host: "10.0.0.1", Port: 9000, StreamID: "publish:live/key", Passphrase: "0123456789", LatencyMs: 200, PBKeyLen: 32}, "srt://10.0.0.1:9000?streamid=****&passphrase=****&latency=200"},
		{"srt://[::1]:9000", Target{Protocol: SRT, Host: "::1", Port: 9000}, "srt://[::1]:9000"},
		{"file:///home/me/Videos/show.mkv", Target{Protocol: File, Path: "/home/me/Videos/show.mkv"}, "file:///home/me/Videos/show.mkv"},
		{"whip+https://whip.example.com/rtc/v1/whip?token=tok-123", Target{Protocol: WHIP, Host: "whip.example.com", Port: 443, TLS: true, Path: "/rtc/v1/whip", Token: "tok-123"}, "whip+https://whip.example.com:443/rtc/v1/whip?token=****"},
		{"whip+http://127.0.0.1:8889/live/whip", Target{Protocol: WHIP, Host: "127.0.0.1", Port: 8889, Path: "/live/whip"}, "whip+http://127.0.0.1:8889/live/whip"},
		{"WHIP+HTTP://[::1]?app=a1&token=t0k", Target{Protocol: WHIP, Host: "::1", Port: 80, Path: "/", Token: "t0k", query: "app=a1"}, "whip+http://[::1]:80/?app=****&token=****"},
	} {
		got, err := ParseTarget(tc.raw)
		if err != nil {
			t.Errorf("ParseTarget(%q): %v", tc.raw, err)
			continue
		}
		tc.want.raw = tc.raw
		if got != tc.want {
			t.Errorf("ParseTarget(%q) = %+v, want %+v", tc.raw, got, tc.want)
		}
		if got.String() != tc.redacted {
			t.Errorf("String() = %q, want %q", got.String(), tc.redacted)
		}
		if got.URL() != tc.raw {
			t.Errorf("URL() = %q, want the original", got.URL())
		}
	}
}

func TestParseTargetErrorsNeverShowSecrets(t *testing.T) {
	const key = "SECRETKEY42"
	for _, raw := range []string{
		"rtmp://host/" + key,
		"rtmp://host:0/app/" + key,
		"ftp://host/app/" + key,
		"rtmp://user:" + key + "@host/app/x",
		"srt://host?streamid=" + key,
		"srt://host:1/path?streamid=" + key,
		"srt://host:1?streamid=" + key + "&passphrase=" + key[:5],
		"srt://host:1?passphrase=" + key + "&mode=listener",
		"whip+https://host/whip?token=" + key + "&x=%zz",
		"whip+https://" + key + "@host/whip",
		"whip+https://host:99999/whip?token=" + key,
		"whip+https://host/whip#" + key,
		"%%%" + key,
		"",
	} {
		_, err := ParseTarget(raw)
		if err == nil {
			t.Errorf("ParseTarget(%q) accepted a bad URL", raw)
			continue
		}
		if strings.Contains(err.Error(), key) || strings.Contains(err.Error(), key[:5]+"&") {
			t.Errorf("error for %q shows the secret: %v", raw, err)
		}
		if !strings.HasPrefix(err.Error(), "destination ") {
			t.Errorf("error %q does not name the destination", err)
		}
	}
}

func TestRedactURL(t *testing.T) {
	for raw, want := range map[string]string{
		"rtmp://host/app/key":            "rtmp://host/app/****",
		"rtmp://host/key":                "rtmp://host/****",
		"rtmp://host":                    "rtmp://host",
		"srt://h:1?streamid=a&latency=5": "srt://h:1?streamid=****&latency=****",
		"rtmp://u:pw@host/app/key":       "rtmp://****@host/app/****",
		"garbage":                        "****",
		"host/app/key":                   "host/app/****",
	} {
		if got := RedactURL(raw); got != want {
			t.Errorf("RedactURL(%q) = %q, want %q", raw, got, want)
		}
	}
}

func TestRedactor(t *testing.T) {
	a, _ := ParseTarget("rtmp://h/app/live_abc123")
	b, _ := ParseTarget("srt://h:1?streamid=my%20stream&passphrase=0123456789")
	r := NewRedactor(a, b)
	in := "publish live_abc123 failed; sid=my stream pass=0123456789 esc=my+stream"
	got := r.Redact(in)
	for _, s := range []string{"live_abc123", "my stream", "0123456789", "my+stream"} {
		if strings.Contains(got, s) {
			t.Errorf("Redact left %q in %q", s, got)
		}
	}
}

// A line cut short in the middle of a key (C code truncates long log lines)
// shows none of it.
func TestRedactorMasksACutKey(t *testing.T) {
	tg, err := ParseTarget("rtmp://h/app/live_SECRET_123456")
	if err != nil {
		t.Fatal(err)
	}
	r := NewRedactor(tg)
	for _, in := range []string{"Server error: no stream live_SECRET", "x live_SECRET_123456 y live_SEC", "tail live_SECRET_12345"} {
		if got := r.Redact(in); strings.Contains(got, "SEC") {
			t.Errorf("Redact(%q) = %q", in, got)
		}
	}
	if got := r.Redact("nothing secret here"); got != "nothing secret here" {
		t.Errorf("Redact changed a clean line: %q", got)
	}
}

// A WHIP token, and any other query value the endpoint takes, is masked by
// the redactor like a stream key; the endpoint's URL carries no token.
func TestRedactorMasksWHIPToken(t *testing.T) {
	tg, err := ParseTarget("whip+https://h/whip?room=r00m-9&token=sk_live_abc123")
	if err != nil {
		t.Fatal(err)
	}
	if got := tg.Endpoint(); got != "https://h:443/whip?room=r00m-9" {
		t.Errorf("Endpoint() = %q, want no token in it", got)
	}
	got := NewRedactor(tg).Redact("Authorization: Bearer sk_live_abc123 for room r00m-9")
	for _, s := range []string{"sk_live_abc123", "r00m-9"} {
		if strings.Contains(got, s) {
			t.Errorf("Redact left %q in %q", s, got)
		}
	}
	if s := tg.String(); strings.Contains(s, "sk_live") || strings.Contains(s, "r00m") {
		t.Errorf("String() = %q shows a secret", s)
	}
}
