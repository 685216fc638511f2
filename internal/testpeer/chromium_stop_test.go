package testpeer

import (
	"testing"
	"time"
)

// TestChromiumStop: Stop takes the browser and every process of its group
// down by SIGTERM (not the SIGKILL that follows 3 s later), nothing of it
// left running.
func TestChromiumStop(t *testing.T) {
	page := ServePage(t)
	c := StartChromium(t, page.AnswererURL())
	page.WaitStats(t, 15*time.Second, "the page reported", func(s PageStats) bool { return s.Role == "answer" })
	members := groupMembers(c.PID())
	if len(members) < 3 {
		t.Fatalf("chromium's group holds %v: want the browser, its zygote, renderer and GPU processes", members)
	}
	start := time.Now()
	c.Stop()
	took := time.Since(start)
	if !c.Exited() {
		t.Fatal("chromium still runs after Stop")
	}
	if left := groupMembers(c.PID()); len(left) > 0 {
		t.Fatalf("after Stop, %v of chromium's group still run", left)
	}
	if took >= 3*time.Second {
		t.Errorf("Stop took %v: chromium ignored SIGTERM and was killed", took)
	}
	t.Logf("%d processes in chromium's group, all gone %v after SIGTERM", len(members), took.Round(time.Millisecond))
}
