package studio

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"unicode"
)

// fuzzKey stands for a stream key in the seeds: wherever the fuzzer leaves it
// in a secret place of a destination URL only, no error may show it.
const fuzzKey = "live_SECRETKEY42"

// FuzzLoadProfile feeds LoadProfile arbitrary files: JSON of every shape,
// truncated, of wrong types, not UTF-8. Properties: no panic; a profile
// loaded passes Validate and survives a save and reload unchanged, and the
// file was one JSON document in UTF-8; an error names the file, is one
// printable line, names no Go type, comes with the defaults and never shows
// a stream key.
func FuzzLoadProfile(f *testing.F) {
	real := []string{
		`{
  "source": "testcard",
  "canvas": { "width": 1280, "height": 720, "fps": 30 },
  "video": { "bitrate_kbps": 3000, "preset": "veryfast", "keyframe_sec": 2, "codec": "h264", "encoder": "software" },
  "audio": { "bitrate_kbps": 160 },
  "reconnect_max_sec": 60,
  "destinations": [
    { "name": "Twitch", "url": "rtmp://live.twitch.tv/app/` + fuzzKey + `", "preset": "twitch" },
    { "name": "YouTube", "url": "rtmps://a.rtmps.youtube.com/live2/` + fuzzKey + `", "preset": "youtube" },
    { "name": "Relay", "url": "srt://relay.example:9000?streamid=` + fuzzKey + `", "enabled": false, "dynamic_bitrate": true }
  ]
}`,
		`{"video": {"codec": "hevc"}, "destinations": [{"url": "srt://10.0.0.1:9000?streamid=publish:live/` + fuzzKey + `&passphrase=0123456789abc&latency=200"}]}`,
		`{"source": "file:/home/me/clip.mp4", "canvas": {"width": 640, "height": 360, "fps": 60}, "destinations": [{"url": "file:///tmp/show.mkv"}]}`,
		`{"destinations": [{"url": "rtmp://h/app/` + fuzzKey + `", "preset": "camsoda"}], "canvas": {"width": 1280, "height": 720, "fps": 60}}`,
		`{"destinations": [{"url": "rtmp://h/` + fuzzKey + `"}]}`,
		`{"destinations": [{"url": "rtmp://h/app/` + fuzzKey + `", "preset": "myspace"}]}`,
		`{"destinations": [{"url": "srt://h:1?` + fuzzKey + `"}]}`,
		`{"destinations": [{"url": "rtmp://u:` + fuzzKey + `@h/app/x"}]}`,
		`{"destinations": [{"url": 42}]}`,
		`{"destinations": {"url": "rtmp://h/app/` + fuzzKey + `"}}`,
		`{"canvas": {"width": "wide"}}`,
		`{"canvas": {"width": 1e999}}`,
		`{"reconnect_max_sec": "1m"}`,
		`{"colour": 1}`,
		`{"canvas": {"width": 1280,`,
		"{\"source\": \"\xff\xfe\"}",
		"\xef\xbb\xbf{}",
		`{} {"destinations": [{"url": "rtmp://h/app/` + fuzzKey + `"}]}`,
		`null`,
		`[]`,
		`{"destinations": {}}`,
		`{"canvas": []}`,
		``,
	}
	for _, s := range real {
		f.Add([]byte(s))
		if len(s) > 40 {
			f.Add([]byte(s[:len(s)/2])) // truncated
		}
	}
	path := filepath.Join(f.TempDir(), "profile.json") // one per process: inputs run one at a time
	write := func(t *testing.T, b []byte) {
		// A new file each time: ext4 flushes a file truncated and rewritten
		// at close, which took the fuzzer from thousands of inputs a second to 500.
		os.Remove(path)
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		write(t, data)
		p, err := LoadProfile(path)
		if err != nil {
			msg := err.Error()
			if !strings.Contains(msg, path) {
				t.Errorf("error %q does not name the file", msg)
			}
			if strings.ContainsFunc(msg, unicode.IsControl) {
				t.Errorf("error %q is not one printable line", msg)
			}
			if strings.Contains(msg, "studio.") {
				t.Errorf("error %q names a Go type", msg)
			}
			if keyOnlyInURLSecrets(data) && strings.Contains(msg, fuzzKey) {
				t.Errorf("error shows the stream key: %v", err)
			}
			if !reflect.DeepEqual(p, DefaultProfile()) {
				t.Errorf("a broken profile gave %+v, want the defaults", p)
			}
			return
		}
		if err := p.Validate(); err != nil {
			t.Fatalf("loaded a profile that does not validate: %v", err)
		}
		// A UTF-8 byte-order mark (some editors write one) is allowed.
		if !json.Valid(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))) {
			t.Errorf("loaded a profile from a file that is not one JSON document in UTF-8: %q", data)
		}
		b, err := json.Marshal(p)
		if err != nil {
			t.Fatal(err)
		}
		write(t, b)
		q, err := LoadProfile(path)
		if err != nil {
			t.Fatalf("the profile saved again does not load: %v\n%s", err, b)
		}
		if !reflect.DeepEqual(p, q) {
			t.Errorf("the profile changed in a save and reload:\n%+v\n%+v", p, q)
		}
	})
}

// keyOnlyInURLSecrets reports whether the profile holds fuzzKey and only in
// the secret parts of destination URLs (not in a host, a name, an unknown
// field…, which the error may quote). A file that is not JSON is never quoted.
func keyOnlyInURLSecrets(data []byte) bool {
	if !bytes.Contains(data, []byte(fuzzKey)) {
		return false
	}
	var public []string
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := walkJSON(dec, atTop, &public); err != nil {
		return true
	}
	return !strings.Contains(strings.Join(public, "\x00"), fuzzKey)
}

// Where a JSON value sits, for walkJSON.
const (
	atOther = iota
	atTop
	atDestinations
	atDestination
	atURL
)

// walkJSON reads one value and appends its public strings: every key and
// every value but the secret parts of a destination's URL. Keys match the
// way encoding/json matches fields, ignoring case.
func walkJSON(dec *json.Decoder, at int, public *[]string) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	switch v := tok.(type) {
	case string:
		if at == atURL {
			*public = append(*public, urlPublicParts(v)...)
		} else {
			*public = append(*public, v)
		}
	case json.Delim:
		for dec.More() {
			child := atOther
			switch {
			case v == '[' && at == atDestinations:
				child = atDestination
			case v == '{':
				k, err := dec.Token()
				if err != nil {
					return err
				}
				key, _ := k.(string)
				*public = append(*public, key)
				switch {
				case at == atTop && strings.EqualFold(key, "destinations"):
					child = atDestinations
				case at == atDestination && strings.EqualFold(key, "url"):
					child = atURL
				}
			}
			if err := walkJSON(dec, child, public); err != nil {
				return err
			}
		}
		_, err := dec.Token() // the closing delimiter
		return err
	}
	return nil
}

// urlPublicParts returns the parts of a destination URL that are not secret:
// all but the user info, the last path segment, query values (except SRT's
// latency, pbkeylen and mode), query items without '=' and the fragment.
// (outputs.FuzzParseTarget checks the same split.)
func urlPublicParts(raw string) (public []string) {
	raw = strings.TrimSpace(raw)
	if strings.HasPrefix(raw, "file://") {
		return []string{raw}
	}
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
			auth = auth[at+1:]
		}
		public = append(public, auth)
		rest = rest[end:]
	}
	rest, _, _ = strings.Cut(rest, "#")
	path, query, _ := strings.Cut(rest, "?")
	if i := strings.LastIndexByte(strings.TrimRight(path, "/"), '/'); i >= 0 {
		public = append(public, path[:i])
	}
	for _, kv := range strings.Split(query, "&") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			continue
		}
		public = append(public, k)
		switch k {
		case "latency", "pbkeylen", "mode":
			public = append(public, v)
		}
	}
	return public
}
