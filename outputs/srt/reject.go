package srt

// #include <srt/srt.h>
// #include <srt/access_control.h>
import "C"

import (
	"errors"
	"fmt"

	"onair/outputs"
)

// rejection says why libsrt gave up on a handshake (srt_getrejectreason),
// in words a performer can act on. A listener that refused us (passphrase,
// stream id, its own rules) is a refusal: retried as patiently as a refused
// stream key. A busy, silent or closing listener is retried as usual.
func rejection(reason int, t outputs.Target) error {
	refused := func(format string, a ...any) error {
		return outputs.Refused(fmt.Errorf("connecting: "+format, a...))
	}
	switch reason {
	case C.SRT_REJ_BADSECRET:
		return refused("the SRT listener refused the passphrase: check that passphrase= matches the listener's")
	case C.SRT_REJ_UNSECURE:
		if t.Passphrase == "" {
			return refused("the SRT listener needs a passphrase: add passphrase= to the destination's URL")
		}
		return refused("the SRT listener takes no passphrase: remove passphrase= from the URL, or set the same one on the listener")
	case C.SRT_REJ_PEER:
		return refused("the SRT listener refused the connection: check streamid=")
	case C.SRT_REJ_TIMEOUT:
		return errors.New("connecting: no answer from the SRT listener: is it up, and are the address and port right?")
	case C.SRT_REJ_RESOURCE, C.SRT_REJ_BACKLOG:
		return errors.New("connecting: the SRT listener is busy (too many callers): retrying")
	case C.SRT_REJ_CLOSE:
		return errors.New("connecting: the SRT listener closed the connection during the handshake")
	case C.SRT_REJ_VERSION:
		return refused("the SRT listener runs an SRT version that does not accept this one")
	case C.SRT_REJ_MESSAGEAPI, C.SRT_REJ_CONGESTION, C.SRT_REJ_FILTER, C.SRT_REJ_GROUP:
		return refused("the SRT listener's settings do not match the destination's (%s)", reasonText(reason))
	case C.SRT_REJ_SYSTEM:
		return fmt.Errorf("connecting: SRT failed on this computer (%s)", reasonText(reason))
	}
	switch {
	case reason >= C.SRT_REJC_USERDEFINED:
		return refused("the SRT listener refused the connection (its code %d): check streamid=", reason)
	case reason >= C.SRT_REJC_PREDEFINED:
		return listenerSaid(reason)
	}
	return errors.New("connecting: no SRT handshake: is the listener up, and are the address and port right?")
}

// listenerSaid words the codes listeners answer a stream id with (libsrt's
// access control, modelled on HTTP's: 1403 is 403 Forbidden).
func listenerSaid(code int) error {
	refused := func(why string) error {
		return outputs.Refused(fmt.Errorf("connecting: the SRT listener refused the stream id (%s, code %d): check streamid=", why, code))
	}
	switch code {
	case C.SRT_REJX_BAD_REQUEST, C.SRT_REJX_FALLBACK, C.SRT_REJX_KEY_NOTSUP:
		return refused("malformed")
	case C.SRT_REJX_UNAUTHORIZED:
		return refused("not authorized")
	case C.SRT_REJX_FORBIDDEN:
		return refused("forbidden")
	case C.SRT_REJX_NOTFOUND, C.SRT_REJX_HOSTNOTFOUND, C.SRT_REJX_FILEPATH:
		return refused("unknown")
	case C.SRT_REJX_BAD_MODE, C.SRT_REJX_UNACCEPTABLE, C.SRT_REJX_NOTSUP_MEDIA:
		return refused("not accepted for publishing")
	case C.SRT_REJX_CONFLICT, C.SRT_REJX_LOCKED:
		return fmt.Errorf("connecting: the SRT listener says the stream id is in use (code %d): is someone else sending to it?", code)
	case C.SRT_REJX_OVERLOAD, C.SRT_REJX_DOWN, C.SRT_REJX_NOROOM:
		return fmt.Errorf("connecting: the SRT listener is busy or down for now (code %d)", code)
	}
	return fmt.Errorf("connecting: the SRT listener refused the connection (code %d)", code)
}

func reasonText(reason int) string { return C.GoString(C.srt_rejectreason_str(C.int(reason))) }
