package outputs

import "errors"

// ErrKeyRefused is a destination that answered but would not take the
// stream: almost always a wrong or expired stream key. It is retried less
// eagerly (retrying does not fix a key).
var ErrKeyRefused = errors.New("stream key refused — check it in your profile")

// ErrPermanent marks a failure that retrying cannot fix (a recordings folder
// that cannot be created, a full disk): the destination says so once and
// stops, instead of retrying forever like after a network error.
var ErrPermanent = errors.New("retrying will not help")

// Permanent marks err as permanent (errors.Is(err, ErrPermanent)) and keeps
// its words: the performer reads err's message, not the marker's.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return permanent{err}
}

type permanent struct{ err error }

func (p permanent) Error() string   { return p.err.Error() }
func (p permanent) Unwrap() []error { return []error{p.err, ErrPermanent} }

// Refused marks err as a refusal (errors.Is(err, ErrKeyRefused)), retried
// as patiently as a refused key, in err's own words: a protocol that can say
// more than "stream key refused" (a wrong SRT passphrase, say) says it.
func Refused(err error) error {
	if err == nil {
		return nil
	}
	return refused{err}
}

type refused struct{ err error }

func (r refused) Error() string   { return r.err.Error() }
func (r refused) Unwrap() []error { return []error{r.err, ErrKeyRefused} }
