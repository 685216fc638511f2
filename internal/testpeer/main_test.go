package testpeer_test

import (
	"testing"

	"go.uber.org/goleak"
)

// No goroutine of the Go peers, the page's server or the senders outlives
// the tests.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
