package ui

import (
	"testing"

	"go.uber.org/goleak"
)

// Every goroutine a window test starts (its broadcast, the stats loop, the
// preview) has ended when the tests end.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
