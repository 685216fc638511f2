package settings

import (
	"bufio"
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
)

// startKeyring starts a private session bus and GNOME Keyring on it, its
// login keyring made and unlocked with an empty password, and points
// DBUS_SESSION_BUS_ADDRESS at it: the performer's own keyring is never
// touched. It skips only when the programs are missing.
func startKeyring(t *testing.T) {
	t.Helper()
	for _, prog := range []string{"dbus-daemon", "gnome-keyring-daemon"} {
		if _, err := exec.LookPath(prog); err != nil {
			t.Skipf("%s is not installed (Debian: apt-get install dbus-daemon gnome-keyring): no Secret Service to test against", prog)
		}
	}
	dir := t.TempDir()
	run := filepath.Join(dir, "run")
	os.Mkdir(run, 0o700)
	env := append(os.Environ(), "HOME="+dir, "XDG_DATA_HOME="+filepath.Join(dir, "data"), "XDG_RUNTIME_DIR="+run)

	bus := exec.Command("dbus-daemon", "--session", "--nofork", "--print-address=1", "--address=unix:path="+filepath.Join(run, "bus"))
	bus.Env = env
	out, err := bus.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := bus.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { bus.Process.Kill(); bus.Wait() })
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("dbus-daemon gave no address: %v", err)
	}
	addr := strings.TrimSpace(line)
	env = append(env, "DBUS_SESSION_BUS_ADDRESS="+addr)

	kr := exec.Command("gnome-keyring-daemon", "--foreground", "--unlock", "--components=secrets")
	kr.Env = env
	kr.Stdin = strings.NewReader("\n") // the empty password
	logs, err := os.Create(filepath.Join(dir, "keyring.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer logs.Close()
	kr.Stdout, kr.Stderr = logs, logs
	if err := kr.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { kr.Process.Kill(); kr.Wait() })
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", addr)

	// Ready when the daemon owns the name (asked without starting it: the
	// bus would start a second, locked one) and its login keyring is the
	// default one, unlocked (the alias comes a moment before the unlock).
	conn, err := dbus.Connect(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	deadline := time.Now().Add(15 * time.Second)
	for {
		var owned bool
		var coll dbus.ObjectPath
		err := conn.BusObject().Call("org.freedesktop.DBus.NameHasOwner", 0, ssName).Store(&owned)
		if err == nil && owned {
			err = conn.Object(ssName, ssPath).Call(ssService+".ReadAlias", dbus.FlagNoAutoStart, "default").Store(&coll)
		}
		if err == nil && owned && coll != "/" {
			var locked dbus.Variant
			if locked, err = conn.Object(ssName, coll).GetProperty(ssCollection + ".Locked"); err == nil && locked.Value() == false {
				return
			}
		}
		if time.Now().After(deadline) {
			l, _ := os.ReadFile(logs.Name())
			t.Fatalf("gnome-keyring-daemon did not come up in 15 s (%v): %s", err, l)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// onairItems counts the keyring's entries onair made.
func onairItems(t *testing.T, kr *SecretService) int {
	var unlocked, locked []dbus.ObjectPath
	err := kr.call(kr.conn.Object(ssName, ssPath), ssService+".SearchItems", map[string]string{"application": "onair"}).Store(&unlocked, &locked)
	if err != nil {
		t.Fatal(err)
	}
	return len(unlocked) + len(locked)
}

// Through a real Secret Service: the secrets leave the file for the keyring
// and come back on the next start; a changed key replaces its entry; an
// entry gone from the keyring turns its destination off with a message.
func TestSecretsInRealKeyring(t *testing.T) {
	startKeyring(t)
	dir := t.TempDir()
	s, notice := OpenDesktop(dir)
	t.Cleanup(func() { s.Close() })
	if notice != "" {
		t.Fatalf("no keyring: %s", notice)
	}
	if got := s.SecretsPlace().String(); got != "stored in the keyring" {
		t.Errorf("place %q", got)
	}
	p := fullProfile(t)
	if err := s.SaveProfile(p); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(s.ProfilePath())
	if l := leaked(b); l != nil {
		t.Errorf("the profile file holds %v although the keyring has them", l)
	}
	// 3 stream URLs (the recording is no secret), Twitch, Chaturbate,
	// Owncast, YouTube, 2 headers.
	if n := bytes.Count(b, []byte(`"keyring:onair/`)); n != 9 {
		t.Errorf("%d keyring references in the file, want 9", n)
	}
	if !bytes.Contains(b, []byte(`"url": "file:///home/cam/show.mkv"`)) {
		t.Error("the recording's path left the file")
	}
	kr := s.keyring.(*SecretService)
	if n := onairItems(t, kr); n != 9 {
		t.Errorf("%d entries in the keyring, want 9", n)
	}

	// A restart: a new connection, every field back.
	s2, notice := OpenDesktop(dir)
	t.Cleanup(func() { s2.Close() })
	q, notices := s2.LoadProfile()
	if notice != "" || notices != nil {
		t.Fatalf("%q %q", notice, notices)
	}
	if !reflect.DeepEqual(q, p) {
		t.Fatal("the profile read back through the keyring differs")
	}
	if s2.SecretsPlace() != InKeyring {
		t.Errorf("place after load %v", s2.SecretsPlace())
	}

	// A new Facebook key: its entry replaced, the old one gone, the rest kept.
	oldID := s2.ids["rtmps://live-api-s.facebook.com:443/rtmp/FbS3cretKey333"]
	q.Destinations[2].URL = "rtmps://live-api-s.facebook.com:443/rtmp/FbN3wKey"
	if err := s2.SaveProfile(q); err != nil {
		t.Fatal(err)
	}
	if _, err := kr.Get(oldID); !errors.Is(err, ErrNoSecret) {
		t.Errorf("the old key's entry: %v, want it gone", err)
	}
	if n := onairItems(t, kr); n != 9 {
		t.Errorf("%d entries after a key change, want 9", n)
	}
	b, _ = os.ReadFile(s2.ProfilePath())
	if bytes.Contains(b, []byte("FbN3wKey")) {
		t.Error("the new key is in the file")
	}

	// onair live reads the same file, its secrets from the keyring.
	if live, notices, err := ReadProfile(s2.ProfilePath()); err != nil || notices != nil || !reflect.DeepEqual(live, q) {
		t.Errorf("ReadProfile: %v %q, same profile %v", err, notices, reflect.DeepEqual(live, q))
	}

	// The Twitch stream key's entry deleted behind onair's back (a keyring
	// cleaned by hand, another machine's keyring).
	if err := kr.Delete(s2.ids["rtmp://live.twitch.tv/app/live_TwS3cretKey111"]); err != nil {
		t.Fatal(err)
	}
	s3, _ := OpenDesktop(dir)
	t.Cleanup(func() { s3.Close() })
	r, notices := s3.LoadProfile()
	want := `The stream key of "Twitch" is no longer in the keyring. Destination "Twitch" is turned off: enter its stream key again in Destinations.`
	if len(notices) != 1 || notices[0] != want {
		t.Fatalf("notices %q\nwant %q", notices, want)
	}
	if r.Destinations[0].On() || !strings.HasPrefix(r.Destinations[0].URL, refPrefix) {
		t.Error("the destination without its key is not off, or lost its place")
	}
	if len(r.Enabled()) != 2 || r.Destinations[2].URL != "rtmps://live-api-s.facebook.com:443/rtmp/FbN3wKey" || r.Chat.Twitch.Token != "oauth:TwitchS3cretTok444" {
		t.Error("the other secrets did not come back")
	}
	// The studio goes on: saving keeps the dangling reference, not a crash.
	if err := s3.SaveProfile(r); err != nil {
		t.Fatal(err)
	}

	// The same file where no keyring answers: every secret it holds is
	// reported, those destinations off, the chats that need them off.
	r4, notices := Open(dir, nil).LoadProfile()
	if len(notices) != 9 {
		t.Errorf("%d notices without the keyring, want 9: %q", len(notices), notices)
	}
	if len(r4.Enabled()) != 1 || r4.Enabled()[0].Name != "Recording" || r4.Chat.YouTube != nil || r4.Chat.Chaturbate != nil || r4.Chat.Twitch.Token != "" {
		t.Error("without the keyring, settings that need a secret stayed on")
	}
	for _, n := range notices {
		if !strings.Contains(n, "is kept in the desktop keyring, which is not available now.") {
			t.Errorf("notice %q", n)
		}
	}
	// And onair live on a machine without the keyring (a server over ssh):
	// the same messages, the show goes on with what it has.
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path="+filepath.Join(t.TempDir(), "no-bus"))
	live, liveNotices, err := ReadProfile(s3.ProfilePath())
	if err != nil || !reflect.DeepEqual(liveNotices, notices) || !reflect.DeepEqual(live, r4) {
		t.Errorf("ReadProfile without a keyring: %v, %d notices", err, len(liveNotices))
	}
}

// Without a Secret Service on the bus, OpenDesktop says so and secrets stay
// in the 0600 file.
func TestNoKeyringFallsBackToFile(t *testing.T) {
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path="+filepath.Join(t.TempDir(), "no-bus"))
	dir := t.TempDir()
	s, notice := OpenDesktop(dir)
	defer s.Close()
	if !strings.HasPrefix(notice, "Stream keys and chat tokens are stored in the profile file, readable only by you: no desktop keyring: the session's message bus did not answer") {
		t.Errorf("notice %q", notice)
	}
	if s.SecretsPlace() != InProfileFile {
		t.Errorf("place %v", s.SecretsPlace())
	}
	if err := s.SaveProfile(fullProfile(t)); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(s.ProfilePath())
	if len(leaked(b)) != len(fixtureSecrets) || bytes.Contains(b, []byte(refPrefix)) {
		t.Error("without a keyring the secrets are not all in the file")
	}
	if fi, _ := os.Stat(s.ProfilePath()); fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v", fi.Mode().Perm())
	}
}

// A keyring that fails while saving: everything goes to the file instead,
// and the place says so.
func TestKeyringFailureFallsBackToFile(t *testing.T) {
	dir := t.TempDir()
	fk := &failingKeyring{}
	s := Open(dir, fk)
	if err := s.SaveProfile(fullProfile(t)); err != nil {
		t.Fatal(err)
	}
	if s.SecretsPlace() != InProfileFile {
		t.Errorf("place %v", s.SecretsPlace())
	}
	b, _ := os.ReadFile(s.ProfilePath())
	if len(leaked(b)) != len(fixtureSecrets) {
		t.Error("secrets lost when the keyring failed")
	}
	if fk.deleted != fk.set {
		t.Errorf("%d entries cleaned after the failure, want the %d tried", fk.deleted, fk.set)
	}
	q, notices := Open(dir, nil).LoadProfile()
	if notices != nil || !reflect.DeepEqual(q, fullProfile(t)) {
		t.Errorf("read back: %q", notices)
	}
}

// failingKeyring takes one secret, then fails.
type failingKeyring struct{ set, deleted int }

func (f *failingKeyring) Set(id, label, secret string) error {
	if f.set++; f.set > 1 {
		return errors.New("the desktop keyring refused to keep a secret: locked")
	}
	return nil
}
func (f *failingKeyring) Get(string) (string, error) { return "", ErrNoSecret }
func (f *failingKeyring) Delete(string) error        { f.deleted++; return nil }
