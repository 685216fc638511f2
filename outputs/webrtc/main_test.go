package webrtc

import (
	"testing"

	"go.uber.org/goleak"
)

// No goroutine a test starts outlives the package's tests: pion's included.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
