package rtmp

// #include <errno.h>
import "C"

import (
	"errors"
	"fmt"
	"strings"

	"github.com/asticode/go-astiav"

	"onair/outputs"
)

// errInterrupted is returned when a call was stopped from our side.
var errInterrupted = errors.New("stopped")

var errConnReset = astiav.Error(-C.ECONNRESET)

func avError(code C.int) error {
	err := astiav.Error(code)
	if errors.Is(err, astiav.ErrExit) {
		return errInterrupted
	}
	return err
}

// refusal recognises a server that took the connection but not the stream.
// It says so ("Server error: …", e.g. NetStream.Publish.BadName), or, like
// nginx-rtmp when its on_publish check fails, hangs up once the RTMP session
// is under way: FFmpeg reads that as EIO (no next chunk) with nothing else
// said. A hang-up before the handshake is done is not a refusal but a lost
// connection: FFmpeg says "Cannot read RTMP handshake response" and fails
// with EOF or a reset (and over TLS names the TLS failure).
func refusal(err error, said string) error {
	if strings.Contains(said, "certificate") {
		return fmt.Errorf("connecting: the server's certificate was not accepted (%s); for a server with its own CA, name the CA file in SSL_CERT_FILE", strings.TrimSpace(said))
	}
	if i := strings.Index(said, "Server error:"); i >= 0 {
		reason := strings.TrimSpace(said[i+len("Server error:"):])
		return fmt.Errorf("%w: the server said %q", outputs.ErrKeyRefused, reason)
	}
	if errors.Is(err, astiav.ErrEio) && strings.TrimSpace(said) == "" {
		return fmt.Errorf("%w: the server hung up when asked to publish", outputs.ErrKeyRefused)
	}
	return nil
}

// explain turns libav's terse errors into words a performer can act on.
func explain(err error, stalled bool, doing string) error {
	switch {
	case stalled:
		return fmt.Errorf("%s: the server stopped responding", doing)
	case errors.Is(err, errInterrupted):
		return fmt.Errorf("%s: %w", doing, err)
	case doing == "connecting" && lost(err):
		return fmt.Errorf("connecting: connection lost (%w): the server hung up before the stream started; is it an RTMP server, on the right port?", err)
	case lost(err):
		return fmt.Errorf("%s: connection lost (%w)", doing, err)
	}
	msg := err.Error()
	switch {
	case strings.Contains(msg, "Connection refused"):
		return fmt.Errorf("%s: connection refused: is the server address and port right?", doing)
	case strings.Contains(msg, "timed out"):
		return fmt.Errorf("%s: timed out: the server did not answer", doing)
	}
	return fmt.Errorf("%s: %w", doing, err)
}

// lost is a connection the other side closed or reset.
func lost(err error) bool {
	return errors.Is(err, astiav.ErrEof) || errors.Is(err, astiav.ErrEio) ||
		errors.Is(err, errConnReset) || errors.Is(err, astiav.ErrEpipe)
}
