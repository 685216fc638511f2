package settings

import (
	"os"
	"testing"

	"go.uber.org/goleak"
)

// Every goroutine a test starts has ended when the package's tests end. A
// child run of the test binary may be asked to crash half-way through a save.
func TestMain(m *testing.M) {
	if dir := os.Getenv(crashEnv); dir != "" {
		crashMidSave(dir)
		return
	}
	goleak.VerifyTestMain(m)
}
