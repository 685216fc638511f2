package outputs

import (
	"net/url"
	"strconv"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// fuzzKey stands for a stream key in the seeds. Wherever the fuzzer leaves it
// in a secret place of a URL (see urlParts), no error, String(), RedactURL or
// Redactor output may show it.
const fuzzKey = "live_SECRETKEY42"

// FuzzParseTarget feeds ParseTarget arbitrary URLs. Properties: no panic; an
// error names the destination, is one printable line and never shows a key;
// a parsed target has a valid protocol, host and port, keeps the URL, prints
// itself on one line with the secrets masked (String does not depend on
// them; RedactURL and, for RTMP, the Redactor hide the key too), rebuilds
// from its parts to the same target, and its masked form parses to the same
// server.
func FuzzParseTarget(f *testing.F) {
	for _, s := range []string{
		"rtmp://live.twitch.tv/app/" + fuzzKey,
		"rtmp://live.twitch.tv/app/" + fuzzKey + "?bandwidthtest=true",
		"rtmps://a.rtmps.youtube.com/live2/" + fuzzKey,
		"rtmps://live-api-s.facebook.com:443/rtmp/FB-1234567890-0-Ab" + fuzzKey,
		"rtmp://127.0.0.1:1936/live/app2/" + fuzzKey,
		"rtmp://[::1]:1935/live/" + fuzzKey,
		"rtmp://host/" + fuzzKey,
		"rtmp://host/app/" + fuzzKey + "#frag",
		"rtmp://host/app/x@" + fuzzKey,
		"rtmp://user:" + fuzzKey + "@host/app/x",
		"rtmp://host:0/app/" + fuzzKey,
		"srt://10.0.0.1:9000?streamid=publish:live/" + fuzzKey + "&passphrase=0123456789&latency=200&pbkeylen=32",
		"srt://relay.example.com:9000?streamid=#!::r=live/" + fuzzKey + ",m=publish",
		"srt://[::1]:9000?passphrase=" + fuzzKey + "&mode=caller",
		"srt://host?streamid=" + fuzzKey,
		"srt://host:1/path?streamid=" + fuzzKey,
		"srt://host:1?streamid=" + fuzzKey + "&passphrase=short",
		"srt://host:1?passphrase=" + fuzzKey + "&mode=listener",
		"srt://host:1?" + fuzzKey,
		"file:///home/me/Videos/show.mkv",
		"file:///tmp/rec.ts",
		"file://relative/show.mkv",
		"ftp://host/app/" + fuzzKey,
		"%%%" + fuzzKey,
		fuzzKey,
		"",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		tg, err := ParseTarget(raw)
		secret := keyOnlyInSecretParts(raw)
		if err != nil {
			msg := err.Error()
			if !strings.HasPrefix(msg, "destination ") && !strings.HasPrefix(msg, "recording ") {
				t.Errorf("error %q does not name the destination", msg)
			}
			if !utf8.ValidString(msg) || strings.ContainsFunc(msg, unicode.IsControl) {
				t.Errorf("error %q is not one printable line", msg)
			}
			if secret && strings.Contains(msg, fuzzKey) {
				t.Errorf("ParseTarget(%q): the error shows the key: %v", raw, err)
			}
			if tg != (Target{}) {
				t.Errorf("ParseTarget(%q) failed but returned %+v", raw, tg)
			}
			return
		}
		switch tg.Protocol {
		case RTMP, RTMPS, SRT:
			if tg.Host == "" || tg.Port < 1 || tg.Port > 65535 {
				t.Errorf("ParseTarget(%q): host %q port %d", raw, tg.Host, tg.Port)
			}
		case File:
			if !strings.HasPrefix(tg.Path, "/") {
				t.Errorf("ParseTarget(%q): recording path %q is not absolute", raw, tg.Path)
			}
		default:
			t.Fatalf("ParseTarget(%q): protocol %v", raw, tg.Protocol)
		}
		if s := tg.String(); !utf8.ValidString(s) || strings.ContainsFunc(s, unicode.IsControl) {
			t.Errorf("String() of %q = %q is not one printable line", raw, s)
		}
		if tg.URL() != strings.TrimSpace(raw) {
			t.Errorf("URL() = %q, want the input %q", tg.URL(), raw)
		}
		if (tg.Protocol == RTMP || tg.Protocol == RTMPS) && (tg.Key == "" || tg.App == "") {
			t.Errorf("ParseTarget(%q): RTMP target without app or key: %+v", raw, tg)
		}

		// String shows whether a secret is set, never what it is.
		other := tg
		for _, s := range []*string{&other.Key, &other.StreamID, &other.Passphrase} {
			if *s != "" {
				*s = "other" + *s
			}
		}
		if tg.String() != other.String() {
			t.Errorf("String() of %q depends on its secrets: %q vs %q", raw, tg.String(), other.String())
		}
		if secret {
			shown := map[string]string{"String()": tg.String(), "RedactURL": RedactURL(raw)}
			if tg.Protocol == RTMP || tg.Protocol == RTMPS {
				// FFmpeg gets the URL as typed and may log it. libsrt gets
				// the decoded stream id and passphrase, which Secrets holds.
				shown["Redactor"] = NewRedactor(tg).Redact(tg.URL())
			}
			for name, s := range shown {
				if strings.Contains(s, fuzzKey) {
					t.Errorf("%s of %q shows the key: %q", name, raw, s)
				}
			}
		}

		// The parts rebuild to the same target.
		back, err := ParseTarget(rebuild(tg))
		if err != nil {
			t.Fatalf("ParseTarget(%q) = %+v, but its rebuilt URL %q fails: %v", raw, tg, rebuild(tg), err)
		}
		back.raw = tg.raw
		if back != tg {
			t.Errorf("ParseTarget(%q) = %+v; rebuilt as %q it parses to %+v", raw, tg, rebuild(tg), back)
		}
		// The masked form of an RTMP target is a valid URL for the same
		// server (SRT's masked passphrase is too short to be one; a
		// recording's path with unprintable characters is shown escaped).
		if tg.Protocol != SRT && (tg.Protocol != File || tg.String() == "file://"+tg.Path) {
			m, err := ParseTarget(tg.String())
			if err != nil {
				t.Fatalf("String() of %q = %q does not parse: %v", raw, tg.String(), err)
			}
			want := tg
			want.raw = m.raw
			if want.Key != "" {
				want.Key = mask
			}
			if m != want {
				t.Errorf("String() of %q = %q parses to %+v, want %+v", raw, tg.String(), m, want)
			}
		}
	})
}

// rebuild writes a target back as a URL from its parts.
func rebuild(t Target) string {
	host := (&url.URL{Host: t.Address()}).String() // escapes an IPv6 zone's '%'
	switch t.Protocol {
	case RTMP, RTMPS:
		return t.Protocol.String() + ":" + host + "/" + t.App + "/" + t.Key
	case SRT:
		q := url.Values{}
		if t.StreamID != "" {
			q.Set("streamid", t.StreamID)
		}
		if t.Passphrase != "" {
			q.Set("passphrase", t.Passphrase)
		}
		if t.LatencyMs != 0 {
			q.Set("latency", strconv.Itoa(t.LatencyMs))
		}
		if t.PBKeyLen != 0 {
			q.Set("pbkeylen", strconv.Itoa(t.PBKeyLen))
		}
		return "srt:" + host + "?" + q.Encode()
	}
	return "file://" + t.Path
}

// keyOnlyInSecretParts reports whether raw holds fuzzKey, and only in places
// of a URL that may be secret: the user info, the last path segment (what
// follows it up to the query), the value of a query parameter other than
// SRT's latency, pbkeylen and mode, a query item without '=', the fragment.
// A key in a host or an application name is the user's mistake to show.
func keyOnlyInSecretParts(raw string) bool {
	raw = strings.TrimSpace(raw)
	if !strings.Contains(raw, fuzzKey) || strings.HasPrefix(raw, "file://") {
		return false
	}
	return !strings.Contains(strings.Join(urlParts(raw), "\x00"), fuzzKey)
}

// urlParts returns the parts of raw that are not secret. fuzzKey holds none
// of the delimiters it splits at, so a key lies within one part.
func urlParts(raw string) (public []string) {
	rest := raw
	if i := strings.Index(raw, "://"); i >= 0 {
		public = append(public, raw[:i])
		rest = raw[i+3:]
		end := strings.IndexAny(rest, "/?#")
		if end < 0 {
			end = len(rest)
		}
		auth := rest[:end]
		if at := strings.LastIndexByte(auth, '@'); at >= 0 {
			auth = auth[at+1:] // user info: secret
		}
		public = append(public, auth)
		rest = rest[end:]
	}
	rest, _, _ = strings.Cut(rest, "#") // the fragment: secret
	path, query, _ := strings.Cut(rest, "?")
	if i := strings.LastIndexByte(strings.TrimRight(path, "/"), '/'); i >= 0 {
		public = append(public, path[:i]) // the last segment: secret
	}
	for _, kv := range strings.Split(query, "&") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			continue // a bare item may be a key
		}
		public = append(public, k)
		switch k {
		case "latency", "pbkeylen", "mode":
			public = append(public, v)
		}
	}
	return public
}
