package studio

import "strings"

// ParseDestFlag reads a --dest value: a URL, or PRESET=URL ("cam4=rtmp://…")
// for a platform's limits. Only a lower-case preset name before "://" counts
// as a preset, so a URL whose query holds '=' stays a URL. The URL itself is
// checked later, with the profile.
func ParseDestFlag(d string) Dest {
	i := strings.IndexByte(d, '=')
	j := strings.Index(d, "://")
	if i <= 0 || j < 0 || i > j {
		return Dest{URL: d}
	}
	for _, r := range d[:i] {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
			return Dest{URL: d}
		}
	}
	return Dest{URL: d[i+1:], Preset: d[:i]}
}
