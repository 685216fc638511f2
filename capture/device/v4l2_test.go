//go:build linux

package device

import (
	"path/filepath"
	"testing"
)

// On a machine without cameras RegisterV4L2 finds none, and looking again
// registers nothing twice.
func TestRegisterV4L2FindsWhatIsThere(t *testing.T) {
	nodes, _ := filepath.Glob("/dev/video*")
	n := RegisterV4L2()
	if len(nodes) == 0 && n != 0 {
		t.Errorf("no /dev/video nodes, yet %d cameras", n)
	}
	before := len(List(Camera))
	if again := RegisterV4L2(); again != n || len(List(Camera)) != before {
		t.Errorf("a second scan: %d cameras (first %d), %d listed (first %d)", again, n, len(List(Camera)), before)
	}
}
