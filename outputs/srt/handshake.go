package srt

// #include <srt/srt.h>
import "C"

import (
	"context"
	"errors"
	"fmt"
	"time"

	"onair/outputs"
)

// ErrBadPassphrase is a listener that refused the passphrase.
var ErrBadPassphrase = errors.New("the SRT passphrase was refused")

// Handshake calls t's listener, with its stream id and passphrase, and hangs
// up as soon as the handshake is done: no media is sent (onair check). It
// returns how long the handshake took.
func Handshake(ctx context.Context, t outputs.Target, timeout time.Duration) (time.Duration, error) {
	if t.Protocol != outputs.SRT {
		return 0, fmt.Errorf("srt: cannot call %s", t.Protocol)
	}
	ip, err := resolve(ctx, t.Host)
	if err != nil {
		return 0, err
	}
	sock, err := newSocket(t, timeout)
	if err != nil {
		return 0, err
	}
	defer sock.close()
	start := time.Now()
	if err := sock.connect(ctx, ip, t.Port, timeout, t); err != nil {
		if C.srt_getrejectreason(sock.id) == C.SRT_REJ_BADSECRET {
			return 0, fmt.Errorf("%w: check that passphrase= matches the listener's", ErrBadPassphrase)
		}
		return 0, err
	}
	return time.Since(start), nil
}
