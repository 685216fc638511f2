package record

import (
	"testing"

	"go.uber.org/goleak"
)

// No goroutine a test starts (a destination loop) outlives the tests.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
