// Package settings keeps the studio's settings between runs: the profile and
// the window layout in os.UserConfigDir()/onair, each written atomically and
// readable only by the performer, with stream keys and chat tokens in the
// desktop keyring when one answers. No UI here: the window calls it and
// shows its messages.
package settings

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"onair/studio"
)

// File names inside the settings folder.
const (
	ProfileFile = "profile.json"
	LayoutFile  = "layout.json"
)

// Place is where the profile's stream keys and chat tokens are kept.
type Place int

const (
	InKeyring     Place = iota + 1 // the desktop keyring (Secret Service)
	InProfileFile                  // the profile file itself, mode 0600
)

// String is the sentence the window shows.
func (p Place) String() string {
	switch p {
	case InKeyring:
		return "stored in the keyring"
	case InProfileFile:
		return "stored in the profile file, readable only by you"
	}
	return ""
}

// Store reads and writes the settings folder. Its methods may be called from
// any goroutine.
type Store struct {
	dir     string
	keyring Keyring // nil: none answered
	closer  func() error
	now     func() time.Time

	mu    sync.Mutex
	ids   map[string]string // a secret → its keyring id, for entries this store read or wrote
	place Place
	held  error  // why the profile file must not be replaced this run
	last  []byte // the profile last loaded or saved, secrets in the clear
	lastL []byte // the layout last loaded or saved
}

// DefaultDir is os.UserConfigDir()/onair, where studio.DefaultProfilePath is.
func DefaultDir() string { return filepath.Dir(studio.DefaultProfilePath()) }

// Open is a store for the settings in dir ("" for DefaultDir) with secrets
// going to keyring (nil: into the profile file).
func Open(dir string, keyring Keyring) *Store {
	if dir == "" {
		dir = DefaultDir()
	}
	s := &Store{dir: dir, keyring: keyring, now: time.Now, ids: map[string]string{}, place: InProfileFile}
	if keyring != nil {
		s.place = InKeyring
	}
	return s
}

// OpenDesktop is Open with the session's Secret Service when one answers;
// otherwise notice says, in words, why secrets stay in the profile file.
// Close the store when done.
func OpenDesktop(dir string) (s *Store, notice string) {
	kr, err := ConnectKeyring()
	if err != nil {
		return Open(dir, nil), fmt.Sprintf("Stream keys and chat tokens are %s: %v.", InProfileFile, err)
	}
	s = Open(dir, kr)
	s.closer = kr.Close
	return s, ""
}

// Close lets go of the keyring OpenDesktop opened.
func (s *Store) Close() error {
	if s.closer != nil {
		return s.closer()
	}
	return nil
}

// Dir is the settings folder.
func (s *Store) Dir() string { return s.dir }

// ProfilePath is the profile file's path.
func (s *Store) ProfilePath() string { return filepath.Join(s.dir, ProfileFile) }

// SecretsPlace says where the profile's secrets are kept since the last load
// or save.
func (s *Store) SecretsPlace() Place {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.place
}

// LoadProfile reads the saved profile, its secrets resolved from the
// keyring. It always gives a profile to open with: the defaults when there is
// none, or when it is broken or from a newer onair (then moved aside to
// profile.json.broken-YYYYMMDD-HHMMSS). The messages say, in words, what
// happened that the performer should know.
func (s *Store) LoadProfile() (studio.Profile, []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	path := s.ProfilePath()
	removeStaleTemps(s.dir, ProfileFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return studio.DefaultProfile(), nil
	}
	if err != nil {
		s.held = fmt.Errorf("onair could not read your saved settings (%s), and will not replace them: %w", path, err)
		return studio.DefaultProfile(), []string{s.held.Error() + ". onair opened with default settings."}
	}
	p, err := studio.DecodeProfile(b)
	var newer *studio.NewerFormatError
	if errors.As(err, &newer) {
		// A newer onair's settings: kept where they are, untouched, for when
		// it runs again; this run does not save over them.
		s.held = fmt.Errorf("your saved settings (%s) are from a newer onair, and are kept as they are: %w", path, err)
		return studio.DefaultProfile(), []string{capital(s.held.Error()) + ". onair opened with default settings and will not save over them."}
	}
	if err != nil {
		return studio.DefaultProfile(), []string{s.setAside(path, err)}
	}
	notices := s.resolve(&p)
	if err := p.Validate(); err != nil {
		clear(s.ids) // the set-aside file still names them: keep them in the keyring
		return studio.DefaultProfile(), []string{s.setAside(path, err)}
	}
	s.last, _ = json.Marshal(p)
	return p, notices
}

// setAside backs up a profile that cannot be used and says so.
func (s *Store) setAside(path string, why error) string {
	name, err := backup(path, s.now())
	if err != nil {
		s.held = fmt.Errorf("onair could not set your saved settings (%s) aside, and will not replace them: %w", path, err)
		return fmt.Sprintf("Your saved settings (%s) could not be used: %v. %v. onair opened with default settings.", path, why, s.held)
	}
	return fmt.Sprintf("Your saved settings (%s) could not be used: %v. They are kept as %s, and onair opened with default settings.", path, why, filepath.Base(name))
}

// resolve puts the keyring's secrets in place of their references.
func (s *Store) resolve(p *studio.Profile) []string {
	var notices []string
	refs := false
	for _, sec := range secrets(p) {
		v := sec.get()
		if !isRef(v) {
			continue
		}
		refs = true
		id := strings.TrimPrefix(v, refPrefix)
		if s.keyring == nil {
			notices = append(notices, fmt.Sprintf("%s is kept in the desktop keyring, which is not available now. %s", capital(sec.what), sec.lost()))
			continue
		}
		got, err := s.keyring.Get(id)
		switch {
		case errors.Is(err, ErrNoSecret):
			notices = append(notices, fmt.Sprintf("%s is no longer in the keyring. %s", capital(sec.what), sec.lost()))
		case err != nil:
			notices = append(notices, fmt.Sprintf("%s could not be read from the keyring (%v). %s", capital(sec.what), err, sec.lost()))
		default:
			sec.set(got)
			s.ids[got] = id
		}
	}
	if refs && s.keyring != nil {
		s.place = InKeyring
	}
	return notices
}

func capital(s string) string { return strings.ToUpper(s[:1]) + s[1:] }

// SaveProfile writes p (checked first: a profile that would not load is
// refused in words), its secrets in the keyring when one answers. Saving
// what is already saved writes nothing.
func (s *Store) SaveProfile(p studio.Profile) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.held != nil {
		return s.held
	}
	if err := p.Validate(); err != nil {
		return fmt.Errorf("not saved: %w", err)
	}
	p.Format = studio.ProfileFormat
	plain, err := json.Marshal(p)
	if err != nil {
		return err
	}
	if bytes.Equal(plain, s.last) {
		return nil
	}
	var cp studio.Profile // the caller's profile shares maps and pointers: work on a copy
	if err := json.Unmarshal(plain, &cp); err != nil {
		return err
	}
	place, used := InProfileFile, map[string]string{}
	if s.keyring != nil {
		if err := s.toKeyring(&cp, used); err == nil {
			place = InKeyring
		} else {
			for v, id := range used { // best effort: entries made before it failed
				if _, ok := s.ids[v]; !ok {
					s.keyring.Delete(id)
				}
			}
			clear(used)
			cp = studio.Profile{} // start again, every secret in the file
			if err := json.Unmarshal(plain, &cp); err != nil {
				return err
			}
		}
	}
	data, err := json.MarshalIndent(cp, "", "  ")
	if err != nil {
		return err
	}
	if err := writeAtomic(s.dir, ProfileFile, append(data, '\n')); err != nil {
		return err
	}
	s.last, s.place = plain, place
	// Only now is no file pointing at the old entries.
	for v, id := range s.ids {
		if _, ok := used[v]; !ok && s.keyring != nil && s.keyring.Delete(id) == nil {
			delete(s.ids, v)
		}
	}
	for v, id := range used {
		s.ids[v] = id
	}
	return nil
}

// toKeyring stores cp's secrets in the keyring and puts references in their
// place; used gets every secret stored.
func (s *Store) toKeyring(cp *studio.Profile, used map[string]string) error {
	for _, sec := range secrets(cp) {
		v := sec.get()
		if isRef(v) {
			continue
		}
		id, ok := s.ids[v]
		if !ok {
			if id, ok = used[v]; !ok {
				id = newID()
			}
		}
		used[v] = id
		if err := s.keyring.Set(id, "onair: "+sec.what, v); err != nil {
			return err
		}
		sec.set(refPrefix + id)
	}
	return nil
}

func newID() string {
	b := make([]byte, 12)
	rand.Read(b)
	return hex.EncodeToString(b)
}
