package settings

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"onair/studio"
)

// fullProfile is testdata/full.json: every setting a profile has, set.
func fullProfile(t *testing.T) studio.Profile {
	t.Helper()
	p, err := studio.LoadProfile("testdata/full.json")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// fixtureSecrets are the secrets full.json holds.
var fixtureSecrets = []string{"TwS3cretKey111", "SrtS3cretPass222", "FbS3cretKey333", "TwitchS3cretTok444",
	"CbS3cretTok555", "OwnS3cretTok666", "AIzaYtS3cretKey777", "BotS3cret888", "RoomS3cret999"}

// leaked names (by number, never by value) the fixture's secrets found in b.
func leaked(b []byte) []string {
	var out []string
	for i, s := range fixtureSecrets {
		if bytes.Contains(b, []byte(s)) {
			out = append(out, fmt.Sprintf("secret #%d", i+1))
		}
	}
	return out
}

// A fixture that misses a field would let the round trip skip it: every
// field of every settings struct is set somewhere in full.json.
func TestFixtureSetsEveryField(t *testing.T) {
	p := fullProfile(t)
	seen := map[string]bool{}
	var walk func(v reflect.Value, path string)
	walk = func(v reflect.Value, path string) {
		switch v.Kind() {
		case reflect.Pointer:
			if !v.IsNil() {
				walk(v.Elem(), path)
			}
		case reflect.Slice:
			for i := 0; i < v.Len(); i++ {
				walk(v.Index(i), path+"[]")
			}
		case reflect.Struct:
			for i := 0; i < v.NumField(); i++ {
				f := v.Type().Field(i)
				name := path + "." + f.Name
				if _, ok := seen[name]; !ok {
					seen[name] = false
				}
				if !v.Field(i).IsZero() {
					seen[name] = true
				}
				walk(v.Field(i), name)
			}
		}
	}
	walk(reflect.ValueOf(p), "Profile")
	for name, set := range seen {
		// Layers' own options are the overlay's business (its tests): a camera
		// and a text layer are enough to carry scenes through.
		if !set && !strings.HasPrefix(name, "Profile.Scenes[].Layers[].") {
			t.Errorf("testdata/full.json does not set %s", name)
		}
	}
}

// Saved and read back by another store (a restart): every field the same,
// the file 0600 in a 0700 folder, and the secrets in it (no keyring).
func TestRoundTripWithoutKeyring(t *testing.T) {
	syscall.Umask(0o022)
	dir := filepath.Join(t.TempDir(), "onair")
	p := fullProfile(t)
	s := Open(dir, nil)
	if err := s.SaveProfile(p); err != nil {
		t.Fatal(err)
	}
	if got := s.SecretsPlace().String(); got != "stored in the profile file, readable only by you" {
		t.Errorf("place %q", got)
	}
	fi, err := os.Stat(s.ProfilePath())
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("profile mode %v, want 0600", fi.Mode().Perm())
	}
	if di, _ := os.Stat(dir); di.Mode().Perm() != 0o700 {
		t.Errorf("folder mode %v, want 0700", di.Mode().Perm())
	}
	b, _ := os.ReadFile(s.ProfilePath())
	if n := len(leaked(b)); n != len(fixtureSecrets) {
		t.Errorf("without a keyring the file holds %d of the %d secrets", n, len(fixtureSecrets))
	}
	if !bytes.Contains(b, []byte(`"format": 1`)) {
		t.Error(`the file has no "format": 1`)
	}
	// What onair live reads is the same profile.
	if q, err := studio.LoadProfile(s.ProfilePath()); err != nil || !reflect.DeepEqual(q, p) {
		t.Errorf("studio.LoadProfile of the saved file differs (err %v)", err)
	}

	q, notices := Open(dir, nil).LoadProfile()
	if len(notices) > 0 {
		t.Errorf("notices %q", notices)
	}
	if !reflect.DeepEqual(q, p) {
		a, _ := json.Marshal(p)
		b, _ := json.Marshal(q)
		t.Errorf("read back a different profile (%d bytes of JSON, was %d)", len(b), len(a))
	}
}

// A profile left 0644 by hand becomes 0600 at the next save; saving what is
// saved writes nothing.
func TestSaveTightensModeAndSkipsUnchanged(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, ProfileFile)
	os.WriteFile(path, []byte(`{"destinations":[{"url":"rtmp://h/app/TwS3cretKey111"}]}`), 0o644)
	s := Open(dir, nil)
	p, notices := s.LoadProfile()
	if len(notices) > 0 || len(p.Destinations) != 1 {
		t.Fatalf("loaded %d destinations, notices %q", len(p.Destinations), notices)
	}
	if err := s.SaveProfile(p); err != nil {
		t.Fatal(err)
	}
	fi, _ := os.Stat(path)
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode after save %v", fi.Mode().Perm())
	}
	old := time.Unix(1e9, 0)
	os.Chtimes(path, old, old)
	if err := s.SaveProfile(p); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(path); !fi.ModTime().Equal(old) {
		t.Error("an unchanged profile was written again")
	}
	p.Video.BitrateKbps = 4500
	if err := s.SaveProfile(p); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(path); fi.ModTime().Equal(old) {
		t.Error("a changed profile was not written")
	}
	p.Video.BitrateKbps = 5
	if err := s.SaveProfile(p); err == nil || !strings.Contains(err.Error(), "not saved: video bitrate 5 kb/s: must be 100 to 100000") {
		t.Errorf("an invalid profile: %v", err)
	}
}

const crashEnv = "ONAIR_SETTINGS_TEST_CRASH"

// crashMidSave runs in a child test binary: it saves a changed profile and
// dies (exit 3) with half the new file written.
func crashMidSave(dir string) {
	s := Open(dir, nil)
	p, _ := s.LoadProfile()
	p.Video.BitrateKbps = 9999
	p.Destinations = nil
	testHookWrite = func(f *os.File, data []byte) error {
		f.Write(data[:len(data)/2])
		f.Sync()
		os.Exit(3)
		return nil
	}
	s.SaveProfile(p)
	os.Exit(4) // the hook did not run
}

// A process killed in the middle of a save leaves the old profile whole.
func TestCrashMidSaveKeepsOldFile(t *testing.T) {
	dir := t.TempDir()
	p := fullProfile(t)
	if err := Open(dir, nil).SaveProfile(p); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(filepath.Join(dir, ProfileFile))

	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), crashEnv+"="+dir)
	err := cmd.Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 3 {
		t.Fatalf("the child did not crash mid-write: %v", err)
	}
	tmps, _ := filepath.Glob(filepath.Join(dir, ProfileFile+".tmp-*"))
	if len(tmps) != 1 {
		t.Fatalf("%d temp files after the crash, want the half-written one", len(tmps))
	}
	if half, _ := os.ReadFile(tmps[0]); len(half) == 0 || len(half) >= len(before) || json.Valid(half) {
		t.Fatalf("the temp file (%d bytes) is not a half-written profile", len(half))
	}
	after, _ := os.ReadFile(filepath.Join(dir, ProfileFile))
	if !bytes.Equal(before, after) {
		t.Fatal("the profile changed under a crashed save")
	}
	q, notices := Open(dir, nil).LoadProfile()
	if len(notices) > 0 || !reflect.DeepEqual(q, p) {
		t.Errorf("after the crash: notices %q, same profile %v", notices, reflect.DeepEqual(q, p))
	}
	if tmps, _ := filepath.Glob(filepath.Join(dir, ProfileFile+".tmp-*")); len(tmps) != 0 {
		t.Error("the crash's temp file is still there after a load")
	}
}

// A newer onair's profile stays where it is, untouched: the studio opens
// with defaults, says so, and does not save over it.
func TestNewerProfileKept(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, ProfileFile)
	body := `{"format": 2, "hologram": {"key": "TwS3cretKey111"}}`
	os.WriteFile(path, []byte(body), 0o600)
	s := Open(dir, nil)
	p, notices := s.LoadProfile()
	if !reflect.DeepEqual(p, studio.DefaultProfile()) || len(notices) != 1 ||
		!strings.Contains(notices[0], "from a newer onair, and are kept as they are") || !strings.Contains(notices[0], "will not save over them") {
		t.Errorf("notices %q", notices)
	}
	if l := leaked([]byte(strings.Join(notices, ""))); l != nil {
		t.Errorf("the message shows %v", l)
	}
	if err := s.SaveProfile(studio.DefaultProfile()); err == nil {
		t.Error("a save over a newer onair's profile was allowed")
	}
	if kept, _ := os.ReadFile(path); string(kept) != body {
		t.Error("the newer profile was changed")
	}
	if m, _ := filepath.Glob(path + ".broken-*"); len(m) != 0 {
		t.Errorf("set aside as %v", m)
	}
}

var backupName = regexp.MustCompile(`^profile\.json\.broken-\d{8}-\d{6}(-\d+)?$`)

// A profile that cannot be used is set aside byte for byte, never
// overwritten, and the studio opens with defaults and a message in words.
func TestBrokenProfileSetAside(t *testing.T) {
	for _, c := range []struct{ name, body, want string }{
		{"json", `{"destinations": [{"url": "rtmp://h/app/TwS3cretKey111"`, "JSON syntax error: the file ends too early"},
		{"trailing", `{"source": "testcard"} {"x": 1}`, "something follows the settings at byte 22"},
		{"latin1", "{\"source\": \"caf\xe9\"}", "it is not UTF-8 text: save it as UTF-8 (plain JSON)"},
		{"type", `{"canvas": {"width": "TwS3cretKey111"}}`, `field "canvas.width" should be int`},
		{"invalid", `{"video": {"bitrate_kbps": 5, "preset": "veryfast", "keyframe_sec": 2}, "destinations": [{"url": "rtmp://h/app/TwS3cretKey111"}]}`, "video bitrate 5 kb/s: must be 100 to 100000"},
		{"bad format", `{"format": "two"}`, `field "format" should be a whole number from 1`},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, ProfileFile)
			os.WriteFile(path, []byte(c.body), 0o600)
			s := Open(dir, nil)
			s.now = func() time.Time { return time.Date(2026, 11, 30, 12, 34, 56, 0, time.Local) }
			p, notices := s.LoadProfile()
			if !reflect.DeepEqual(p, studio.DefaultProfile()) {
				t.Error("not the default profile")
			}
			want := fmt.Sprintf("Your saved settings (%s) could not be used: %s. They are kept as profile.json.broken-20261130-123456, and onair opened with default settings.", path, c.want)
			if len(notices) != 1 || notices[0] != want {
				t.Errorf("notices %q\nwant %q", notices, want)
			}
			if l := leaked([]byte(strings.Join(notices, ""))); l != nil {
				t.Errorf("the message shows %v", l)
			}
			kept, err := os.ReadFile(path + ".broken-20261130-123456")
			if err != nil || string(kept) != c.body {
				t.Fatalf("backup: %v, same bytes %v", err, string(kept) == c.body)
			}
			if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
				t.Error("the broken profile is still in place")
			}
			// Broken again within the same second: a second backup, the first untouched.
			os.WriteFile(path, []byte("{"), 0o600)
			if _, notices := s.LoadProfile(); len(notices) != 1 || !strings.Contains(notices[0], "kept as profile.json.broken-20261130-123456-2,") {
				t.Errorf("second breakage: %q", notices)
			}
			if again, _ := os.ReadFile(path + ".broken-20261130-123456"); string(again) != c.body {
				t.Error("the first backup was overwritten")
			}
			// The studio goes on saving; the backups stay.
			if err := s.SaveProfile(p); err != nil {
				t.Fatal(err)
			}
			names, _ := filepath.Glob(filepath.Join(dir, "profile.json.*"))
			for _, n := range names {
				if !backupName.MatchString(filepath.Base(n)) {
					t.Errorf("stray file %s", filepath.Base(n))
				}
			}
			if len(names) != 2 {
				t.Errorf("%d backups, want 2", len(names))
			}
		})
	}
}

// A profile onair cannot read at all (no permission) is left alone: never
// replaced this run.
func TestUnreadableProfileIsNotReplaced(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root reads every file: an unreadable profile cannot be made")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, ProfileFile)
	os.WriteFile(path, []byte(`{}`), 0o000)
	s := Open(dir, nil)
	if _, notices := s.LoadProfile(); len(notices) != 1 || !strings.Contains(notices[0], "could not read your saved settings") {
		t.Errorf("notices %q", notices)
	}
	if err := s.SaveProfile(studio.DefaultProfile()); err == nil {
		t.Error("an unreadable profile was replaced")
	}
}

// The window's layout: saved beside the profile, read back, defaults with a
// message when broken.
func TestLayout(t *testing.T) {
	dir := t.TempDir()
	s := Open(dir, nil)
	if l, notices := s.LoadLayout(); l != DefaultLayout() || notices != nil {
		t.Fatalf("first start: %+v %q", l, notices)
	}
	want := Layout{Width: 1600.5, Height: 900, MainSplit: 0.65, SideSplit: 0.4, Maximized: true}
	if err := s.SaveLayout(want); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(filepath.Join(dir, LayoutFile)); fi.Mode().Perm() != 0o600 {
		t.Errorf("layout mode %v", fi.Mode().Perm())
	}
	if l, notices := Open(dir, nil).LoadLayout(); l != want || notices != nil {
		t.Errorf("read back %+v %q", l, notices)
	}
	if err := s.SaveLayout(Layout{Width: 10, Height: 900, MainSplit: 0.5, SideSplit: 0.5}); err == nil {
		t.Error("a 10-unit-wide window was saved")
	}
	for body, why := range map[string]string{
		`{"format": 1, "width": 1600`:                                  "it is not valid JSON",
		`{"format": 7, "width": 1600, "height": 900, "tabs": 3}`:       "it was saved by a newer onair (format 7; this one reads format 1)",
		`{"format": 1, "width": 1600, "height": 900, "main_split": 2}`: "the split positions must be 0.1 to 0.9",
	} {
		os.WriteFile(filepath.Join(dir, LayoutFile), []byte(body), 0o600)
		l, notices := Open(dir, nil).LoadLayout()
		if l != DefaultLayout() || len(notices) != 1 || !strings.Contains(notices[0], "could not be used: "+why+". It is kept as layout.json.broken-") {
			t.Errorf("%s: %+v %q", body, l, notices)
		}
	}
}

// onair live's reading: studio.LoadProfile's answers, the file untouched
// (never set aside), no keyring asked when the file names none.
func TestReadProfileForLive(t *testing.T) {
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path="+filepath.Join(t.TempDir(), "no-bus"))
	p, notices, err := ReadProfile("testdata/full.json")
	if err != nil || notices != nil || !reflect.DeepEqual(p, fullProfile(t)) {
		t.Errorf("full profile: %v %q", err, notices)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, ProfileFile)
	os.WriteFile(path, []byte(`{"format": 2}`), 0o600)
	_, _, err = ReadProfile(path)
	_, want := studio.LoadProfile(path)
	if err == nil || err.Error() != want.Error() || !strings.Contains(err.Error(), "saved by a newer onair") {
		t.Errorf("newer profile: %v", err)
	}
	if names, _ := filepath.Glob(filepath.Join(dir, "*")); len(names) != 1 {
		t.Errorf("onair live touched the folder: %d files", len(names))
	}
	if p, _, err := ReadProfile(filepath.Join(dir, "none.json")); err != nil || !reflect.DeepEqual(p, studio.DefaultProfile()) {
		t.Errorf("missing profile: %v", err)
	}
}
