package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"onair/internal/testpeer"
)

// A wrong SRT passphrase is said as such, retried like a refused key, and
// libsrt's own lines come through onair's log routing (no libsrt timestamp,
// no passphrase); the other destination streams on.
func TestSRTWrongPassphrase(t *testing.T) {
	const right, wrong, key = "pass_right_1a2s3d4f", "pass_wrong_9z8x7c6v", "sk_srt_side_5g6h7j"
	l := testpeer.StartSRTListener(t, "&passphrase="+right)
	nginx := testpeer.StartNginxRTMP(t, "live")
	srtURL := fmt.Sprintf("srt://127.0.0.1:%d?passphrase=%s", l.Port, wrong)
	r := runOnairEnv(t, 60*time.Second, []string{"ONAIR_DEBUG=1"}, "live", "--size", "640x360", "--bitrate", "800",
		"--duration", "6s", "--quiet", "--dest", srtURL, "--dest", nginx.URL("live", key))
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	want := fmt.Sprintf("destination srt://127.0.0.1:%d?passphrase=****: connecting: the SRT listener refused the passphrase: check that passphrase= matches the listener's; retrying in 30", l.Port)
	if !strings.Contains(r.stderr, want) {
		t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
	}
	if !strings.Contains(r.stderr, "libsrt: processAsyncConnectRequest: REJECT") {
		t.Errorf("libsrt's own line did not come through the routing (ONAIR_DEBUG):\n%s", r.stderr)
	}
	if strings.Contains(r.stderr, "/SRT:") {
		t.Errorf("libsrt printed to stderr itself:\n%s", r.stderr)
	}
	assertNoSecrets(t, r, right, wrong, key)
	nginx.Stop()
	checkRecording(t, nginx.Recording("live", key), 640, 360, 30, 6*time.Second)
}
