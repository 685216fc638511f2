package benchrun

import (
	"os"
	"testing"
	"time"
)

func TestParseStat(t *testing.T) {
	name, cpu, err := parseStat("1234 (llvmpipe-0) S 1 1234 1234 0 -1 4194368 100 0 0 0 250 50 0 0 20 0 1 0 100 0 0")
	if err != nil || name != "llvmpipe-0" || cpu != 3*time.Second {
		t.Errorf("got %q %v %v", name, cpu, err)
	}
	if _, _, err := parseStat("garbage"); err == nil {
		t.Error("garbage parsed")
	}
	// This process: some CPU, none of it in threads named "nothing-".
	for end := time.Now().Add(50 * time.Millisecond); time.Now().Before(end); {
	}
	total, none, err := ThreadCPU(os.Getpid(), "nothing-")
	if err != nil || total <= 0 || none != 0 {
		t.Errorf("ThreadCPU: %v %v %v", total, none, err)
	}
	if RSSKB(os.Getpid()) <= 0 {
		t.Error("no RSS")
	}
}
