package preflight

import (
	"context"
	"errors"
	"strconv"
	"time"

	"onair/outputs"
	"onair/outputs/srt"
)

const srtTimeout = 4 * time.Second

// checkSRT resolves and does the SRT handshake with the stream id and
// passphrase, then hangs up: nothing is sent.
func checkSRT(ctx context.Context, label string, t outputs.Target) []Result {
	s := &steps{label: label}
	start := time.Now()
	ip, err := lookup(ctx, t.Host)
	if !s.add("DNS", start, lvl(err), reasonOr(err, t.Host+" found"), ip) {
		return s.out
	}
	start = time.Now()
	took, err := srt.Handshake(ctx, t, srtTimeout)
	switch {
	case errors.Is(err, srt.ErrBadPassphrase):
		s.add("SRT", start, Red, "the SRT passphrase was refused: check that passphrase= matches the listener's", "")
	case err != nil:
		s.add("SRT", start, Red, trimConnecting(err.Error()), "")
	default:
		what := "the SRT listener accepted the call"
		if t.Passphrase != "" {
			what += " and its passphrase"
		}
		s.add("SRT", start, Green, what+" (nothing was sent; the upload is not measured over SRT)", "port "+strconv.Itoa(t.Port)+", handshake "+ms(took))
	}
	return s.out
}

func trimConnecting(s string) string {
	const p = "connecting: "
	if len(s) > len(p) && s[:len(p)] == p {
		return s[len(p):]
	}
	return s
}
