package settings

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/godbus/dbus/v5"
)

// Keyring keeps secrets outside the profile file, each under an id.
type Keyring interface {
	Set(id, label, secret string) error
	// Get returns ErrNoSecret when the keyring holds nothing under id.
	Get(id string) (string, error)
	Delete(id string) error
}

// ErrNoSecret is a keyring without the secret asked for.
var ErrNoSecret = errors.New("the keyring no longer holds it")

// The Secret Service API (freedesktop.org): GNOME Keyring, KWallet, KeePassXC.
const (
	ssName       = "org.freedesktop.secrets"
	ssPath       = dbus.ObjectPath("/org/freedesktop/secrets")
	ssService    = "org.freedesktop.Secret.Service"
	ssCollection = "org.freedesktop.Secret.Collection"
	ssItem       = "org.freedesktop.Secret.Item"
	ssPrompt     = "org.freedesktop.Secret.Prompt"
)

// callTimeout bounds every call: a keyring that hangs must not hold the window.
const callTimeout = 5 * time.Second

// promptTimeout is how long an unlock dialog may wait for the performer.
const promptTimeout = 2 * time.Minute

// SecretService is the desktop's keyring over D-Bus. Close it when done.
type SecretService struct {
	conn    *dbus.Conn
	session dbus.ObjectPath
	coll    dbus.ObjectPath
}

// ssSecret is the API's Secret struct (oayays).
type ssSecret struct {
	Session     dbus.ObjectPath
	Parameters  []byte
	Value       []byte
	ContentType string
}

// ConnectKeyring opens the session's Secret Service and its default
// collection (unlocking it, which may show the desktop's dialog). The error
// says in words why there is no keyring to use.
func ConnectKeyring() (*SecretService, error) {
	conn, err := dbus.ConnectSessionBus()
	if err != nil {
		return nil, fmt.Errorf("no desktop keyring: the session's message bus did not answer (%v)", err)
	}
	s := &SecretService{conn: conn}
	if err := s.open(); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

func (s *SecretService) open() error {
	svc := s.conn.Object(ssName, ssPath)
	var out dbus.Variant
	if err := s.call(svc, ssService+".OpenSession", "plain", dbus.MakeVariant("")).Store(&out, &s.session); err != nil {
		return fmt.Errorf("no desktop keyring: no Secret Service answered (%v)", err)
	}
	if err := s.call(svc, ssService+".ReadAlias", "default").Store(&s.coll); err != nil {
		return fmt.Errorf("the desktop keyring did not answer: %v", err)
	}
	if s.coll == "/" {
		return errors.New("the desktop keyring has no default keyring to keep secrets in")
	}
	// Properties.Get with a deadline (GetProperty has none: a keyring that
	// accepts calls and never answers would hold the window's start).
	var locked dbus.Variant
	if err := s.call(s.conn.Object(ssName, s.coll), "org.freedesktop.DBus.Properties.Get", ssCollection, "Locked").Store(&locked); err != nil {
		return fmt.Errorf("the desktop keyring did not answer: %v", err)
	}
	if l, _ := locked.Value().(bool); l {
		return s.unlock(s.coll)
	}
	return nil
}

func (s *SecretService) call(o dbus.BusObject, method string, args ...any) *dbus.Call {
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	return o.CallWithContext(ctx, method, 0, args...)
}

func (s *SecretService) unlock(paths ...dbus.ObjectPath) error {
	var unlocked []dbus.ObjectPath
	var prompt dbus.ObjectPath
	if err := s.call(s.conn.Object(ssName, ssPath), ssService+".Unlock", paths).Store(&unlocked, &prompt); err != nil {
		return fmt.Errorf("the desktop keyring stayed locked: %v", err)
	}
	if err := s.prompt(prompt); err != nil {
		return fmt.Errorf("the desktop keyring stayed locked: %w", err)
	}
	return nil
}

// prompt runs a Secret Service prompt (an unlock or confirm dialog) and waits
// for its answer.
func (s *SecretService) prompt(p dbus.ObjectPath) error {
	if p == "/" || p == "" {
		return nil
	}
	match := []dbus.MatchOption{dbus.WithMatchObjectPath(p), dbus.WithMatchInterface(ssPrompt), dbus.WithMatchMember("Completed")}
	if err := s.conn.AddMatchSignal(match...); err != nil {
		return err
	}
	defer s.conn.RemoveMatchSignal(match...)
	ch := make(chan *dbus.Signal, 4)
	s.conn.Signal(ch)
	defer s.conn.RemoveSignal(ch)
	if err := s.call(s.conn.Object(ssName, p), ssPrompt+".Prompt", "").Err; err != nil {
		return err
	}
	timeout := time.NewTimer(promptTimeout)
	defer timeout.Stop()
	for {
		select {
		case sig := <-ch:
			if sig.Path != p || sig.Name != ssPrompt+".Completed" {
				continue
			}
			if dismissed, _ := sig.Body[0].(bool); dismissed {
				return errors.New("the keyring's dialog was dismissed")
			}
			return nil
		case <-timeout.C:
			s.call(s.conn.Object(ssName, p), ssPrompt+".Dismiss")
			return errors.New("nobody answered the keyring's dialog")
		}
	}
}

func attrs(id string) map[string]string {
	return map[string]string{"application": "onair", "onair-id": id}
}

// Set keeps secret under id (replacing what was there).
func (s *SecretService) Set(id, label, secret string) error {
	props := map[string]dbus.Variant{
		"org.freedesktop.Secret.Item.Label":      dbus.MakeVariant(label),
		"org.freedesktop.Secret.Item.Attributes": dbus.MakeVariant(attrs(id)),
	}
	sec := ssSecret{Session: s.session, Value: []byte(secret), ContentType: "text/plain; charset=utf8"}
	var item, prompt dbus.ObjectPath
	if err := s.call(s.conn.Object(ssName, s.coll), ssCollection+".CreateItem", props, sec, true).Store(&item, &prompt); err != nil {
		return fmt.Errorf("the desktop keyring refused to keep a secret: %v", err)
	}
	if err := s.prompt(prompt); err != nil {
		return fmt.Errorf("the desktop keyring refused to keep a secret: %w", err)
	}
	return nil
}

func (s *SecretService) find(id string) ([]dbus.ObjectPath, error) {
	var unlocked, locked []dbus.ObjectPath
	if err := s.call(s.conn.Object(ssName, ssPath), ssService+".SearchItems", attrs(id)).Store(&unlocked, &locked); err != nil {
		return nil, fmt.Errorf("the desktop keyring did not answer: %v", err)
	}
	if len(locked) > 0 {
		if err := s.unlock(locked...); err != nil {
			return nil, err
		}
	}
	return append(unlocked, locked...), nil
}

// Get returns the secret under id.
func (s *SecretService) Get(id string) (string, error) {
	items, err := s.find(id)
	if err != nil {
		return "", err
	}
	if len(items) == 0 {
		return "", ErrNoSecret
	}
	var sec ssSecret
	if err := s.call(s.conn.Object(ssName, items[0]), ssItem+".GetSecret", s.session).Store(&sec); err != nil {
		return "", fmt.Errorf("the desktop keyring did not give a secret back: %v", err)
	}
	return string(sec.Value), nil
}

// Delete removes the secret under id (nothing there is no error).
func (s *SecretService) Delete(id string) error {
	items, err := s.find(id)
	if err != nil {
		return err
	}
	for _, it := range items {
		var prompt dbus.ObjectPath
		if err := s.call(s.conn.Object(ssName, it), ssItem+".Delete").Store(&prompt); err != nil {
			return fmt.Errorf("the desktop keyring did not remove a secret: %v", err)
		}
		if err := s.prompt(prompt); err != nil {
			return err
		}
	}
	return nil
}

// Close ends the keyring session and the bus connection.
func (s *SecretService) Close() error {
	if s.session != "" {
		s.call(s.conn.Object(ssName, s.session), "org.freedesktop.Secret.Session.Close")
	}
	return s.conn.Close()
}
