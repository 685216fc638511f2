package preflight

import (
	"fmt"
	"os"
	"syscall"
	"testing"

	"go.uber.org/goleak"
)

// No goroutine outlives the tests. Not os.Exit: see outputs/srt's
// TestMain (libsrt's C destructors under two TLS libraries).
func TestMain(m *testing.M) {
	code := m.Run()
	if err := goleak.Find(); code == 0 && err != nil {
		fmt.Fprintln(os.Stderr, err)
		code = 1
	}
	syscall.Exit(code)
}
