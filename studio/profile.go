package studio

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"onair/capture/device"
	"onair/encoder"
	"onair/outputs"
	"onair/overlay"
	"onair/studio/chat"
)

// Profile is a performer's saved set-up: canvas, encoder settings and
// destinations. It lives in DefaultProfilePath unless told otherwise.
type Profile struct {
	// Format is the file's layout version (ProfileFormat when saved; files
	// without it are format 1). A newer format is refused, never half-read.
	Format int `json:"format,omitempty"`
	// Source is the program's picture: "testcard" ("testcard:clock" adds a
	// strip with the wall clock, for measuring latency), "file:PATH" (a media file
	// played in a loop) or "camera" / "camera:LABEL" (the first camera, or
	// the one with that label as `onair devices` lists it).
	Source string `json:"source"`
	// CameraMode is the camera mode wanted, "1920x1080@30"; empty asks for
	// the canvas size and rate. The nearest mode is used when the camera
	// lacks it (and onair says so).
	CameraMode string `json:"camera_mode,omitempty"`
	// Mic is the microphone mixed into the program. Its Device "" means none
	// chosen: the test card then plays its tone.
	Mic AudioInput `json:"mic,omitzero"`
	// ExtraMics are more microphones mixed in (a second mic, a guest's).
	ExtraMics    []AudioInput  `json:"extra_mics,omitempty"`
	Canvas       Canvas        `json:"canvas"`
	Video        VideoSettings `json:"video"`
	Audio        AudioSettings `json:"audio"`
	Destinations []Destination `json:"destinations"`
	// ReconnectMaxSec caps the wait between reconnect attempts (0: 60 s).
	ReconnectMaxSec int `json:"reconnect_max_sec,omitempty"`
	// Scenes are the show's scenes, the first on air at the start; none
	// gives overlay.DefaultScenes ("Live" with the camera and the alert box,
	// "Be right back", "Starting soon", "Privacy").
	Scenes []overlay.SceneSpec `json:"scenes,omitempty"`
	// Chat is the platforms' chats read beside the show (and sent to), and
	// the studio's moderation of them.
	Chat chat.Config `json:"chat,omitzero"`
	// WebRTC is the phone monitor, the local server's port and the ICE
	// (STUN/TURN) servers.
	WebRTC WebRTCSettings `json:"webrtc,omitzero"`
}

// ProfileFormat is the profile layout this onair reads and writes.
const ProfileFormat = 1

// NewerFormatError is a profile saved by a newer onair: reading it would
// drop what this one does not know.
type NewerFormatError struct{ Format int }

func (e *NewerFormatError) Error() string {
	return fmt.Sprintf("it was saved by a newer onair (format %d; this one reads format %d): update onair to use it", e.Format, ProfileFormat)
}

// Reconnect cap limits: retrying more often than every 5 s can get an account
// rate-limited; an hour is as long as anyone would wait on purpose.
const (
	MinReconnectMax = 5 * time.Second
	MaxReconnectMax = time.Hour
)

// Backoff is the reconnect schedule the profile asks for.
func (p Profile) Backoff() outputs.Backoff {
	return outputs.Backoff{Max: time.Duration(p.ReconnectMaxSec) * time.Second}
}

// Canvas is the program's picture.
type Canvas struct {
	Width  int `json:"width"`
	Height int `json:"height"`
	FPS    int `json:"fps"`
}

// VideoSettings are the shared encoder's settings.
type VideoSettings struct {
	BitrateKbps int    `json:"bitrate_kbps"`
	Preset      string `json:"preset"`
	KeyframeSec int    `json:"keyframe_sec"`
	// Codec is the codec wanted where the platform takes it: "h264" (the
	// default) or "hevc" (destinations whose preset takes only H.264 get
	// an H.264 rendition of their own).
	Codec string `json:"codec,omitempty"`
	// Encoder is "software" (the default) or a hardware encoder family:
	// "nvenc", "vaapi", "qsv". When it is missing, onair says so and encodes
	// in software.
	Encoder string `json:"encoder,omitempty"`
}

// AudioInput is a microphone and its strip in the mixer.
type AudioInput struct {
	// Device is "default" (the system's default microphone), a label as
	// `onair devices` lists it, or "none".
	Device    string  `json:"device"`
	GainDB    float64 `json:"gain_db,omitempty"` // -30 to +30
	Muted     bool    `json:"muted,omitempty"`
	NoiseGate bool    `json:"noise_gate,omitempty"`
}

// Mics are the microphones to open, the main one first.
func (p Profile) Mics() []AudioInput {
	var ins []AudioInput
	for _, in := range append([]AudioInput{p.Mic}, p.ExtraMics...) {
		if in.Device != "" && in.Device != "none" {
			ins = append(ins, in)
		}
	}
	return ins
}

// CameraLabel reports whether the source is a camera and which ("" for
// the first one found).
func (p Profile) CameraLabel() (label string, ok bool) {
	if p.Source == "camera" {
		return "", true
	}
	return strings.CutPrefix(p.Source, "camera:")
}

// AudioSettings are the AAC encoder's settings.
type AudioSettings struct {
	BitrateKbps int `json:"bitrate_kbps"`
}

// DefaultProfile is what a first start gets.
func DefaultProfile() Profile {
	return Profile{
		Source: "testcard",
		Canvas: Canvas{Width: 1280, Height: 720, FPS: 30},
		Video:  VideoSettings{BitrateKbps: 3000, Preset: "veryfast", KeyframeSec: 2},
		Audio:  AudioSettings{BitrateKbps: 160},
	}
}

// DefaultProfilePath is $XDG_CONFIG_HOME/onair/profile.json (~/.config/… on Linux).
func DefaultProfilePath() string {
	dir, err := os.UserConfigDir()
	if err != nil {
		dir = "."
	}
	return filepath.Join(dir, "onair", "profile.json")
}

// LoadProfile reads path. A missing file gives the defaults; a broken one an
// error naming the file and what is wrong, never a half-read profile.
func LoadProfile(path string) (Profile, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return DefaultProfile(), nil
	}
	if err != nil {
		return DefaultProfile(), fmt.Errorf("reading profile %s: %w", path, err)
	}
	p, err := DecodeProfile(b)
	if err != nil {
		return DefaultProfile(), fmt.Errorf("profile %s is not valid: %w", path, err)
	}
	if err := p.Validate(); err != nil {
		return DefaultProfile(), fmt.Errorf("profile %s: %w", path, err)
	}
	return p, nil
}

// DecodeProfile reads a profile file's bytes over the defaults, without
// Validate: a *NewerFormatError for a newer format, an error in words (never
// quoting a value, which may be a key) for anything else that is wrong.
func DecodeProfile(b []byte) (Profile, error) {
	p := DefaultProfile()
	// Editors on some systems save with a byte-order mark or in UTF-16.
	b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
	if !utf8.Valid(b) {
		return DefaultProfile(), errors.New("it is not UTF-8 text: save it as UTF-8 (plain JSON)")
	}
	// The format first: a newer file may hold fields this onair lacks.
	var v struct {
		Format json.RawMessage `json:"format"`
	}
	if json.Unmarshal(b, &v) == nil && len(v.Format) > 0 {
		var f int
		if err := json.Unmarshal(v.Format, &f); err != nil || f < 1 {
			return DefaultProfile(), errors.New(`field "format" should be a whole number from 1`)
		}
		if f > ProfileFormat {
			return DefaultProfile(), &NewerFormatError{Format: f}
		}
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return DefaultProfile(), errors.New(redactJSONError(err))
	}
	end := dec.InputOffset()
	if _, err := dec.Token(); err != io.EOF {
		return DefaultProfile(), fmt.Errorf("something follows the settings at byte %d", end)
	}
	return p, nil
}

// redactJSONError keeps decoder errors from quoting a value that may be a key.
func redactJSONError(err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("JSON syntax error at byte %d", se.Offset)
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		want := te.Type.String() // int, string, bool; not Go's names for our types
		switch te.Type.Kind() {
		case reflect.Struct:
			want = "an object {…}"
		case reflect.Slice:
			want = "a list […]"
		}
		if te.Field == "" {
			return "the profile should be an object {…}"
		}
		return fmt.Sprintf("field %q should be %s", te.Field, want)
	}
	if errors.Is(err, io.EOF) {
		return "the file is empty"
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return "JSON syntax error: the file ends too early"
	}
	return strings.ReplaceAll(err.Error(), "json: ", "")
}

// Validate checks every setting and destination URL.
func (p Profile) Validate() error {
	c := p.Canvas
	switch {
	case p.Source != "testcard" && p.Source != "testcard:clock" && p.Source != "camera" && (!hasValue(p.Source, "file:") && !hasValue(p.Source, "camera:")):
		return fmt.Errorf("source %q is not available (use \"testcard\", \"file:PATH\", \"camera\" or \"camera:LABEL\")", p.Source)
	case c.Width < 64 || c.Height < 64 || c.Width > 4096 || c.Height > 2304 || c.Width%2 != 0 || c.Height%2 != 0:
		return fmt.Errorf("canvas %dx%d: width and height must be even, 64 to 4096x2304", c.Width, c.Height)
	case c.FPS < 1 || c.FPS > 120:
		return fmt.Errorf("canvas fps %d: must be 1 to 120", c.FPS)
	case p.Video.BitrateKbps < 100 || p.Video.BitrateKbps > 100000:
		return fmt.Errorf("video bitrate %d kb/s: must be 100 to 100000", p.Video.BitrateKbps)
	case p.Video.KeyframeSec < 1 || p.Video.KeyframeSec > 10:
		return fmt.Errorf("keyframe interval %d s: must be 1 to 10", p.Video.KeyframeSec)
	case p.Audio.BitrateKbps < 32 || p.Audio.BitrateKbps > 512:
		return fmt.Errorf("audio bitrate %d kb/s: must be 32 to 512", p.Audio.BitrateKbps)
	case p.ReconnectMaxSec != 0 && (p.ReconnectMaxSec < int(MinReconnectMax/time.Second) || p.ReconnectMaxSec > int(MaxReconnectMax/time.Second)):
		return fmt.Errorf("reconnect_max_sec %d: the longest wait between reconnect attempts must be 5 to 3600 s (or leave it out for 60 s)", p.ReconnectMaxSec)
	}
	switch p.Video.Preset {
	case "ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower", "veryslow":
	default:
		return fmt.Errorf("x264 preset %q is unknown (use ultrafast … veryslow; veryfast is the usual choice)", p.Video.Preset)
	}
	if _, err := ParseCodec(p.Video.Codec); err != nil {
		return err
	}
	if err := p.Chat.Validate(); err != nil {
		return err
	}
	if err := p.WebRTC.Validate(); err != nil {
		return err
	}
	if err := overlay.ValidateScenes(p.Scenes); err != nil {
		return fmt.Errorf("scenes: %w", err)
	}
	if p.CameraMode != "" {
		if _, err := device.ParseMode(p.CameraMode); err != nil {
			return err
		}
	}
	for i, in := range append([]AudioInput{p.Mic}, p.ExtraMics...) {
		switch {
		case i > 0 && (in.Device == "" || in.Device == "none"):
			return fmt.Errorf("extra_mics: each needs a device (\"default\" or a label as onair devices lists it)")
		case in.GainDB < -30 || in.GainDB > 30 || in.GainDB != in.GainDB:
			return fmt.Errorf("microphone %q: gain %g dB must be -30 to +30", in.Device, in.GainDB)
		}
	}
	if e := p.Video.Encoder; e != "" && !slices.Contains(encoder.EncoderFamilies, e) {
		return fmt.Errorf("video encoder %q is unknown (use %s)", e, strings.Join(encoder.EncoderFamilies, ", "))
	}
	for _, d := range p.Enabled() {
		if err := d.Check(c.FPS); err != nil {
			return err
		}
	}
	return nil
}

func hasValue(s, prefix string) bool {
	return strings.HasPrefix(s, prefix) && len(s) > len(prefix)
}

// Enabled is the destinations Go Live sends to, in order.
func (p Profile) Enabled() []Destination {
	var ds []Destination
	for _, d := range p.Destinations {
		if d.On() {
			ds = append(ds, d)
		}
	}
	return ds
}

// ParseCodec reads a codec name as profiles and flags give it: "h264" (or
// empty) or "hevc" ("h265" too).
func ParseCodec(name string) (encoder.Codec, error) {
	switch strings.ToLower(name) {
	case "", "h264", "avc":
		return encoder.H264, nil
	case "hevc", "h265":
		return encoder.HEVC, nil
	}
	return 0, fmt.Errorf("video codec %q is unknown (use h264 or hevc)", name)
}

// ExposedSecrets tells, for a profile file holding stream keys, chat
// tokens or a TURN credential, that other users of the machine can read it; the warning says how
// to fix it ("" when there is nothing to say).
func ExposedSecrets(path string, p Profile) string {
	secrets := len(p.Chat.Secrets()) > 0
	for _, ice := range p.WebRTC.ICEServers {
		secrets = secrets || ice.Credential != ""
	}
	for _, d := range p.Destinations {
		if !strings.HasPrefix(d.URL, "file:") {
			secrets = true
		}
	}
	fi, err := os.Stat(path)
	if !secrets || err != nil || fi.Mode().Perm()&0o077 == 0 {
		return ""
	}
	return fmt.Sprintf("profile %s holds stream keys or chat tokens and other users of this machine can read it: chmod 600 %s", path, path)
}
