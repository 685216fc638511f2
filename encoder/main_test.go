package encoder

import (
	"testing"

	"go.uber.org/goleak"
)

// No goroutine a test starts outlives the package's tests.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
