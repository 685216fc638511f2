package outputs

import (
	"fmt"
	"net"
	"net/url"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Protocol is a destination's transport. The zero value is invalid.
type Protocol uint8

const (
	RTMP Protocol = iota + 1
	RTMPS
	SRT
	File // a local recording
	WHIP // WebRTC ingest (RFC 9725) over HTTP or HTTPS
	// Viewers is onair's own WebRTC viewers (the phone monitor, the private
	// show's viewer), served from its LAN HTTPS server: "viewers:".
	Viewers
)

// ViewersURL is the destination URL of onair's own WebRTC viewers.
const ViewersURL = "viewers:"

func (p Protocol) String() string {
	switch p {
	case RTMP:
		return "rtmp"
	case RTMPS:
		return "rtmps"
	case SRT:
		return "srt"
	case File:
		return "file"
	case WHIP:
		return "whip"
	case Viewers:
		return "viewers"
	}
	return "invalid"
}

// Target is a parsed destination URL. Its secret parts (stream key, SRT
// stream id and passphrase) never leave it except through URL and Secrets.
type Target struct {
	Protocol Protocol
	Host     string
	Port     int

	// RTMP(S): rtmp://host[:port]/app[/more]/KEY
	App, Key string

	// File: file:///path/show.mkv, a local recording.
	Path string

	// SRT: srt://host:port?streamid=…&passphrase=…&latency=…&pbkeylen=…
	StreamID   string
	Passphrase string
	LatencyMs  int
	PBKeyLen   int

	// WHIP: whip+https://host[:port]/path?token=TOKEN (or whip+http://…).
	// The bearer token rides in the query because a token pasted there is
	// masked like every query value; the path is printed as is.
	Token string
	TLS   bool   // https
	query string // the endpoint's other query items, passed on, masked in print

	raw string
}

// ParseTarget checks a destination URL. Its errors never contain the secret
// parts of the URL.
func ParseTarget(raw string) (Target, error) {
	raw = strings.TrimSpace(raw)
	t := Target{raw: raw}
	fail := func(format string, a ...any) (Target, error) {
		return Target{}, fmt.Errorf("destination %s: %s", RedactURL(raw), fmt.Sprintf(format, a...))
	}
	if rest, ok := strings.CutPrefix(raw, "file://"); ok {
		return parseFile(raw, rest)
	}
	if raw == ViewersURL {
		return Target{Protocol: Viewers, raw: raw}, nil
	}
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return fail("not a valid URL (expected rtmp://host/app/key, rtmps://…, srt://host:port, whip+https://host/path?token=… or file:///path.mkv)")
	}
	switch strings.ToLower(u.Scheme) {
	case "rtmp":
		t.Protocol, t.Port = RTMP, 1935
	case "rtmps":
		t.Protocol, t.Port = RTMPS, 443
	case "srt":
		t.Protocol = SRT
	case "whip+https":
		t.Protocol, t.Port, t.TLS = WHIP, 443, true
	case "whip+http":
		t.Protocol, t.Port = WHIP, 80
	default:
		return fail("unsupported protocol %q (use rtmp, rtmps, srt, whip+https, whip+http or file)", u.Scheme)
	}
	if u.User != nil {
		if t.Protocol == WHIP {
			return fail("put the WHIP token in ?token=, not before the host")
		}
		return fail("user and password in the URL are not supported")
	}
	t.Host = u.Hostname()
	if t.Host == "" {
		return fail("no host name")
	}
	if printable(t.Host) != t.Host {
		return fail("host name %q has characters no host name has", t.Host)
	}
	if ip, _, _ := strings.Cut(t.Host, "%"); strings.Contains(t.Host, ":") && net.ParseIP(ip) == nil {
		return fail("host %q is neither a name nor an IP address (an IPv6 address goes in brackets: [::1])", t.Host)
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return fail("port %q is not a number from 1 to 65535", p)
		}
		t.Port = n
	}
	if strings.Contains(raw, "#") {
		// url.Parse would drop it and what follows, FFmpeg would send them
		// with the key, and the redactor would not know them.
		return fail("'#' cannot be part of a destination URL: a stream key has none; in an SRT streamid write it as %%23")
	}
	if t.Protocol == SRT {
		return t.parseSRT(u, fail)
	}
	if t.Protocol == WHIP {
		return t.parseWHIP(u, fail)
	}
	if u.RawPath != "" && u.EscapedPath() != u.RawPath {
		// FFmpeg would send the key as typed, the redactor would look for it escaped.
		return fail("the application or stream key holds a space or another character a URL cannot carry")
	}
	path := strings.Trim(u.EscapedPath(), "/")
	i := strings.LastIndexByte(path, '/')
	if i <= 0 || i == len(path)-1 {
		return fail("needs an application and a stream key: rtmp://host/app/KEY")
	}
	t.App = path[:i]
	t.Key = path[i+1:]
	if u.RawQuery != "" {
		t.Key += "?" + u.RawQuery // e.g. Twitch's ?bandwidthtest=true rides on the key
	}
	return t, nil
}

// parseFile takes file:///absolute/path.mkv (the recording's container comes
// from its extension: .mkv, or .ts).
func parseFile(raw, path string) (Target, error) {
	fail := func(format string, a ...any) (Target, error) {
		return Target{}, fmt.Errorf("recording %s: %s", printable(raw), fmt.Sprintf(format, a...))
	}
	if !filepath.IsAbs(path) {
		return fail("give an absolute path: file:///home/you/Videos/show.mkv")
	}
	switch strings.ToLower(filepath.Ext(path)) {
	case ".mkv", ".ts":
	default:
		return fail("record to .mkv (Matroska) or .ts (MPEG-TS): both stay playable if onair is killed")
	}
	return Target{Protocol: File, Path: filepath.Clean(path), raw: raw}, nil
}

func (t Target) parseSRT(u *url.URL, fail func(string, ...any) (Target, error)) (Target, error) {
	if u.Port() == "" {
		return fail("SRT needs a port: srt://host:port")
	}
	if p := strings.Trim(u.Path, "/"); p != "" {
		return fail("SRT URLs take no path; put the stream name in ?streamid=")
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return fail("the query string cannot be parsed")
	}
	for k, vs := range q {
		v := vs[len(vs)-1]
		switch k {
		case "streamid":
			if len(v) > 512 {
				return fail("streamid is longer than 512 characters")
			}
			t.StreamID = v
		case "passphrase":
			if len(v) < 10 || len(v) > 80 {
				return fail("passphrase must be 10 to 80 characters")
			}
			t.Passphrase = v
		case "latency":
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 || n > 60000 {
				return fail("latency %q must be milliseconds from 0 to 60000", v)
			}
			t.LatencyMs = n
		case "pbkeylen":
			n, err := strconv.Atoi(v)
			if err != nil || (n != 16 && n != 24 && n != 32) {
				return fail("pbkeylen must be 16, 24 or 32")
			}
			t.PBKeyLen = n
		case "mode":
			if v != "caller" {
				return fail("onair connects as SRT caller; mode=%s is not supported", printable(v))
			}
		default:
			if v == "" {
				// A bare item may be a key pasted without "streamid=".
				return fail("an SRT option without a value (known: streamid, passphrase, latency, pbkeylen, mode)")
			}
			return fail("unknown SRT option %q (known: streamid, passphrase, latency, pbkeylen, mode)", k)
		}
	}
	return t, nil
}

// parseWHIP takes the endpoint's path as is, the bearer token from ?token=,
// and keeps any other query item for the endpoint.
func (t Target) parseWHIP(u *url.URL, fail func(string, ...any) (Target, error)) (Target, error) {
	if u.RawPath != "" && u.EscapedPath() != u.RawPath {
		return fail("the endpoint's path holds a character a URL cannot carry")
	}
	t.Path = u.EscapedPath()
	if t.Path == "" {
		t.Path = "/"
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return fail("the query string cannot be parsed")
	}
	if vs, ok := q["token"]; ok {
		t.Token = vs[len(vs)-1]
		if t.Token == "" {
			return fail("token= is empty: give the bearer token the service shows, or leave token= out")
		}
		if printable(t.Token) != t.Token || strings.ContainsAny(t.Token, " \t") {
			return fail("the token holds a space or a character an HTTP header cannot carry")
		}
		delete(q, "token")
	}
	t.query = q.Encode()
	return t, nil
}

// Endpoint is the WHIP endpoint's http(s) URL, without the token (that goes
// in the Authorization header), for the protocol code only: other query
// items may be secret too.
func (t Target) Endpoint() string {
	scheme := "http"
	if t.TLS {
		scheme = "https"
	}
	s := scheme + "://" + t.Address() + t.Path
	if t.query != "" {
		s += "?" + t.query
	}
	return s
}

// URL is the full URL, secrets included, for the protocol code only.
func (t Target) URL() string { return t.raw }

// Address is host:port.
func (t Target) Address() string { return net.JoinHostPort(t.Host, strconv.Itoa(t.Port)) }

// String is the URL with every secret masked: safe for logs, errors and the UI.
func (t Target) String() string {
	switch t.Protocol {
	case RTMP, RTMPS:
		return fmt.Sprintf("%s://%s/%s/%s", t.Protocol, t.Address(), t.App, mask)
	case File:
		return "file://" + printable(t.Path)
	case Viewers:
		return ViewersURL
	case SRT:
		var q []string
		if t.StreamID != "" {
			q = append(q, "streamid="+mask)
		}
		if t.Passphrase != "" {
			q = append(q, "passphrase="+mask)
		}
		if t.LatencyMs != 0 {
			q = append(q, "latency="+strconv.Itoa(t.LatencyMs))
		}
		s := "srt://" + t.Address()
		if len(q) > 0 {
			s += "?" + strings.Join(q, "&")
		}
		return s
	case WHIP:
		s := "whip+" + t.Endpoint()
		var q []string
		if t.query != "" {
			s = s[:strings.IndexByte(s, '?')]
			for _, kv := range strings.Split(t.query, "&") {
				k, _, _ := strings.Cut(kv, "=")
				q = append(q, k+"="+mask)
			}
		}
		if t.Token != "" {
			q = append(q, "token="+mask)
		}
		if len(q) > 0 {
			s += "?" + strings.Join(q, "&")
		}
		return printable(s)
	}
	return RedactURL(t.raw)
}

// Secrets lists the strings that must never be printed.
func (t Target) Secrets() []string {
	var s []string
	vals := []string{t.Key, t.StreamID, t.Passphrase, t.Token}
	if q, err := url.ParseQuery(t.query); err == nil {
		for _, vs := range q {
			vals = append(vals, vs...)
		}
	}
	for _, v := range vals {
		if v != "" {
			s = append(s, v)
			// Each half alone too: "KEY/?q" in the URL is Key "KEY?q".
			if key, query, ok := strings.Cut(v, "?"); ok {
				s = append(s, key, query)
				s = slices.DeleteFunc(s, func(x string) bool { return x == "" })
			}
		}
	}
	return s
}

const mask = "****"

// RedactURL masks what may be secret in a URL that could not be parsed: the
// user info, the last path segment (the stream key), every query value and
// query item without '=', the fragment.
func RedactURL(raw string) string {
	raw = strings.TrimSpace(raw) // as ParseTarget reads it: "…/KEY/ " ends in KEY
	start := 0                   // a '?' or '#' before "://" starts no query
	if i := strings.Index(raw, "://"); i >= 0 {
		start = i + 3
	}
	s, _, fragment := strings.Cut(raw[start:], "#")
	s, q, query := strings.Cut(s, "?")
	s = redactPath(raw[:start] + s)
	if query {
		var parts []string
		for _, kv := range strings.Split(q, "&") {
			switch k, _, ok := strings.Cut(kv, "="); {
			case ok:
				parts = append(parts, k+"="+mask)
			case kv != "":
				parts = append(parts, mask)
			default:
				parts = append(parts, "")
			}
		}
		s += "?" + strings.Join(parts, "&")
	}
	if fragment {
		s += "#" + mask
	}
	return printable(s)
}

// printable escapes what would break the line a URL is printed on: control
// characters, bytes that are not UTF-8.
func printable(s string) string {
	if utf8.ValidString(s) && !strings.ContainsFunc(s, func(r rune) bool { return !strconv.IsPrint(r) }) {
		return s
	}
	q := strconv.Quote(s)
	return q[1 : len(q)-1]
}

func redactPath(s string) string {
	start := 0
	if i := strings.Index(s, "://"); i >= 0 {
		start = i + 3
	}
	auth := s[start:]
	if i := strings.IndexByte(auth, '/'); i >= 0 {
		auth = auth[:i] // an '@' further on is in the key
	}
	if at := strings.LastIndexByte(auth, '@'); at >= 0 {
		s = s[:start] + mask + s[start+at:]
	}
	if start > 0 {
		slash := strings.IndexByte(s[start:], '/')
		if slash < 0 {
			return s
		}
		start += slash + 1
	}
	// Not a URL at all, it may be a bare key: its last segment goes too.
	path := strings.TrimRight(s[start:], "/")
	if path == "" {
		return s
	}
	return s[:start] + path[:strings.LastIndexByte(path, '/')+1] + mask
}

// Redactor masks every registered secret in a piece of text.
type Redactor struct {
	r       *strings.Replacer
	secrets []string
}

// NewRedactor masks the secrets of every target.
func NewRedactor(targets ...Target) *Redactor {
	var pairs, secrets []string
	for _, t := range targets {
		for _, s := range t.Secrets() {
			if len(s) < 3 {
				continue // masking one or two letters everywhere would garble every line
			}
			pairs = append(pairs, s, mask)
			secrets = append(secrets, s)
			if e := url.QueryEscape(s); e != s {
				pairs = append(pairs, e, mask)
				secrets = append(secrets, e)
			}
		}
	}
	return &Redactor{r: strings.NewReplacer(pairs...), secrets: secrets}
}

// Redact masks the secrets in s, and the start of one that s ends with (a
// line cut to a length by C code can end in the middle of a key).
func (r *Redactor) Redact(s string) string {
	s = r.r.Replace(s)
	for _, sec := range r.secrets {
		for n := len(sec) - 1; n >= 3; n-- {
			if strings.HasSuffix(s, sec[:n]) {
				return s[:len(s)-n] + mask
			}
		}
	}
	return s
}
