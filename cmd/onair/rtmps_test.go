package main

import (
	"strings"
	"testing"
	"time"

	"onair/internal/testpeer"
)

// RTMPS through a TLS front, as ingest services run it; the certificate is
// checked (against SSL_CERT_FILE here) and an untrusted one is refused.
func TestLiveOverRTMPS(t *testing.T) {
	nginx := testpeer.StartNginxRTMP(t, "live")
	front := testpeer.StartTLSFront(t, nginx)
	run := func(env ...string) result {
		t.Helper()
		return runOnairEnv(t, 60*time.Second, env, "live", "--size", "640x360", "--bitrate", "800", "--duration", "6s", "--quiet",
			"--dest", front.URL("live", "sk_tls_5566"))
	}
	if r := run(); r.code != 1 || !strings.Contains(r.stderr, "rtmps://localhost:") || !strings.Contains(r.stderr, "certificate was not accepted") {
		t.Errorf("an untrusted certificate: want exit 1 and a word on the certificate, got exit %d:\n%s", r.code, r.stderr)
	}
	r := run("SSL_CERT_FILE=" + front.CAFile)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	assertNoSecrets(t, r, "sk_tls_5566")
	nginx.Stop()
	checkRecording(t, nginx.Recording("live", "sk_tls_5566"), 640, 360, 30, 6*time.Second)
}
