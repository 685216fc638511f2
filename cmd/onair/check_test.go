package main

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"onair/internal/testpeer"
)

const (
	checkKey  = "live_sk_chk_5Tg7Yh"
	checkKey2 = "live_sk_chk_tls_8Uj1"
	checkPass = "srt_chk_right_2Wq4"
	checkBad  = "srt_chk_wrong_6Ze3"
)

// checkedIn reads "checked in 3.4 s" from the last line.
func checkedIn(t *testing.T, out string) float64 {
	t.Helper()
	m := regexp.MustCompile(`checked in ([0-9.]+) s`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no timing line:\n%s", out)
	}
	s, _ := strconv.ParseFloat(m[1], 64)
	if s > 15 {
		t.Errorf("the check took %.1f s, more than 15", s)
	}
	return s
}

// nginx-rtmp and an SRT listener up: every line green, exit 0, and nothing
// was published.
func TestCheckAllGreen(t *testing.T) {
	nginx := testpeer.StartNginxRTMP(t, "live")
	l := testpeer.StartSRTListener(t, "&passphrase="+checkPass)
	rec := t.TempDir() + "/show.mkv"
	r := runOnair(t, 60*time.Second, "check",
		"--dest", nginx.URL("live", checkKey),
		"--dest", fmt.Sprintf("srt://127.0.0.1:%d?passphrase=%s", l.Port, checkPass),
		"--dest", "file://"+rec)
	t.Logf("stdout:\n%s\nstderr tail: %s", r.stdout, tail(r.stderr, 600))
	if r.code != 0 {
		t.Errorf("exit %d, want 0", r.code)
	}
	for _, want := range []string{"/live/****: RTMP", "/live/****: upload", "?passphrase=****: SRT", "program: video", "program: audio", "checks green: ready to go live"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("stdout lacks %q", want)
		}
	}
	if strings.Contains(r.stdout, "FAIL") || strings.Contains(r.stdout, "WARN") || strings.Contains(r.stdout, "\x1b[") {
		t.Errorf("a failure, a warning or colour (not a terminal) in the table")
	}
	checkedIn(t, r.stdout)
	assertNoSecrets(t, r, checkKey, checkPass)
	if files := nginx.Recordings("live"); len(files) != 0 {
		t.Errorf("the check published: %v", files)
	}
}

// A stopped server, a wrong SRT passphrase and a certificate from an
// unknown CA: each its red line with the reason, exit 1, within 15 s.
func TestCheckFailures(t *testing.T) {
	down := testpeer.StartNginxRTMP(t, "live")
	downURL := down.URL("live", checkKey)
	down.Stop()
	up := testpeer.StartNginxRTMP(t, "live")
	front := testpeer.StartTLSFront(t, up)
	l := testpeer.StartSRTListener(t, "&passphrase="+checkPass)
	r := runOnair(t, 60*time.Second, "check", "--no-program",
		"--dest", downURL,
		"--dest", fmt.Sprintf("srt://127.0.0.1:%d?passphrase=%s", l.Port, checkBad),
		"--dest", front.URL("live", checkKey2))
	t.Logf("stdout:\n%s", r.stdout)
	if r.code != 1 {
		t.Errorf("exit %d, want 1", r.code)
	}
	for _, want := range []string{
		fmt.Sprintf("FAIL  rtmp://127.0.0.1:%d/live/****: connect", down.Port),
		fmt.Sprintf("nothing answers at 127.0.0.1:%d (connection refused)", down.Port),
		"?passphrase=****: SRT",
		"the SRT passphrase was refused",
		fmt.Sprintf("FAIL  rtmps://localhost:%d/live/****: TLS", front.Port),
		"the server's certificate is not from an authority this computer trusts",
		"3 red of",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("stdout lacks %q", want)
		}
	}
	checkedIn(t, r.stdout)
	assertNoSecrets(t, r, checkKey, checkKey2, checkPass, checkBad)
}

// Bad input is exit 2 with the reason, and no key shown.
func TestCheckBadInput(t *testing.T) {
	for _, c := range []struct {
		args []string
		says string
	}{
		{[]string{"--dest", "ftp://host/app/" + checkKey}, "unsupported protocol"},
		{[]string{"rtmp://host/app/" + checkKey}, "unexpected argument"},
		{[]string{"--dest", "rtmp://127.0.0.1/app/x", "--color", "pink"}, "--color"},
		{[]string{"--profile", t.TempDir()}, "profile"},
	} {
		r := runOnair(t, 20*time.Second, append([]string{"check"}, c.args...)...)
		if r.code != 2 || !strings.Contains(r.stderr, c.says) {
			t.Errorf("onair check %v: exit %d, stderr %q; want 2 saying %q", c.args, r.code, r.stderr, c.says)
		}
		assertNoSecrets(t, r, checkKey)
	}
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}
