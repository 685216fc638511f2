package main

import (
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"onair/internal/testpeer"
)

// A server that refuses the stream key: the destination says so, without the
// key, and waits longer before trying again; the others stream on.
func TestStreamKeyRefused(t *testing.T) {
	const good, bad = "sk_good_a1b2c3", "sk_wrong_z9y8x7"
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		if r.Form.Get("name") != good {
			w.WriteHeader(http.StatusForbidden)
		}
	})}
	go srv.Serve(l)
	defer srv.Close()
	nginx := testpeer.StartNginxRTMPWith(t, testpeer.NginxOptions{OnPublish: fmt.Sprintf("http://%s/auth", l.Addr())}, "live")
	plain := testpeer.StartNginxRTMP(t, "other")

	r := runOnair(t, 60*time.Second, "live", "--size", "640x360", "--bitrate", "800", "--duration", "8s", "--quiet",
		"--dest", nginx.URL("live", good), "--dest", nginx.URL("live", bad), "--dest", plain.URL("other", good))
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	want := fmt.Sprintf("destination rtmp://127.0.0.1:%d/live/****: stream key refused", nginx.Port)
	if !strings.Contains(r.stderr, want) {
		t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
	}
	// Retried less eagerly: one attempt in an 8 s show (the first wait is 30 s).
	if n := strings.Count(r.stderr, "stream key refused"); n > 2 {
		t.Errorf("the refused key was retried %d times in 8 s:\n%s", n, r.stderr)
	}
	if sum := summary(t, r.stdout); sum["reached"] != 2 {
		t.Errorf("summary %v: want the two good destinations reached", sum)
	}
	assertNoSecrets(t, r, good, bad)
	nginx.Stop()
	plain.Stop()
	checkRecording(t, nginx.Recording("live", good), 640, 360, 30, 8*time.Second)
	checkRecording(t, plain.Recording("other", good), 640, 360, 30, 8*time.Second)
}
