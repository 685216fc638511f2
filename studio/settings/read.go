package settings

import (
	"fmt"
	"os"

	"onair/studio"
)

// ReadProfile reads the profile at path as `onair live` and `onair chat` do
// (studio.LoadProfile: a broken file is an error, never set aside or
// rewritten), with the stream keys and tokens the studio put in the desktop
// keyring read back from it. The keyring is asked only when the file names
// it; a secret it cannot give turns its setting off, and the messages say so.
func ReadProfile(path string) (studio.Profile, []string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		p, err := studio.LoadProfile(path) // its words for a missing or unreadable file
		return p, nil, err
	}
	p, err := studio.DecodeProfile(b)
	if err != nil || !hasRefs(&p) {
		p, err := studio.LoadProfile(path)
		return p, nil, err
	}
	s := Open(".", nil)
	if kr, err := ConnectKeyring(); err == nil {
		s.keyring = kr
		defer kr.Close()
	}
	notices := s.resolve(&p)
	if err := p.Validate(); err != nil {
		return studio.DefaultProfile(), notices, fmt.Errorf("profile %s: %w", path, err)
	}
	return p, notices, nil
}

func hasRefs(p *studio.Profile) bool {
	for _, sec := range secrets(p) {
		if isRef(sec.get()) {
			return true
		}
	}
	return false
}
