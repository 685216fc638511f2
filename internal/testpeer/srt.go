package testpeer

import (
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// SRTListener is srt-live-transmit listening on a free loopback UDP port and
// writing what it receives (MPEG-TS) to Out.
type SRTListener struct {
	*Process
	Port int
	Out  string
}

// StartSRTListener starts the listener; query adds options such as
// "&passphrase=…" to its URL.
func StartSRTListener(t T, query string) *SRTListener {
	t.Helper()
	Require(t, "srt-live-transmit")
	dir := t.TempDir()
	port := FreeUDPPort(t)
	out := filepath.Join(dir, "received.ts")
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	url := fmt.Sprintf("srt://127.0.0.1:%d?mode=listener%s", port, query)
	p := start(t, dir, "srt-live-transmit", f, "srt-live-transmit", "-q", url, "file://con")
	// It listens as soon as it has started; give it a moment to bind.
	time.Sleep(200 * time.Millisecond)
	if p.Exited() {
		t.Fatalf("srt-live-transmit exited at once:\n%s", logTail(p.Log))
	}
	return &SRTListener{Process: p, Port: port, Out: out}
}
