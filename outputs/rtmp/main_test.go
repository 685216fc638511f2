package rtmp

import (
	"os"
	"testing"

	"go.uber.org/goleak"

	"onair/encoder/libav"
)

// FFmpeg's log goes through the same routing as in onair, so a connection's
// error can quote what FFmpeg said while opening it; no goroutine outlives
// the tests.
func TestMain(m *testing.M) {
	libav.RouteLogs(os.Stderr, func(s string) string { return s }, false, NoteLog)
	goleak.VerifyTestMain(m)
}
