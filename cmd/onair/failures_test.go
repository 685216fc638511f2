package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"onair/internal/testpeer"
)

// A malformed destination is refused before anything starts: one line naming
// it (without its key), exit code 2, at once.
func TestLiveRefusesMalformedURL(t *testing.T) {
	const secret = "sk_live_QQ77ww88"
	for _, tc := range []struct{ url, want string }{
		{"rtmp://", "not a valid URL"},
		{"rtmp://127.0.0.1/" + secret, "needs an application and a stream key"},
		{"rtmp://127.0.0.1:99999/live/" + secret, "port"},
		{"http://example.com/live/" + secret, `unsupported protocol "http"`},
		{"srt://127.0.0.1?streamid=" + secret, "SRT needs a port"},
		{"srt://127.0.0.1:9000?streamid=" + secret + "&passphrase=short", "passphrase must be 10 to 80 characters"},
		{"srt://127.0.0.1:9000?streamid=" + secret + "&latency=fast", "latency"},
		{"srt://127.0.0.1:9000?streamid=" + secret + "&colour=blue", `unknown SRT option "colour"`},
		{"127.0.0.1/live/" + secret, "not a valid URL"},
	} {
		t.Run(tc.want, func(t *testing.T) {
			r := runOnair(t, 10*time.Second, "live", "--duration", "2s", "--dest", tc.url)
			if r.code != 2 {
				t.Errorf("exit %d, want 2", r.code)
			}
			lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
			if len(lines) != 1 || !strings.Contains(lines[0], tc.want) || !strings.Contains(lines[0], "destination ") {
				t.Errorf("want one line naming the destination and saying %q, got:\n%s", tc.want, r.stderr)
			}
			if r.stdout != "" {
				t.Errorf("nothing should have started, got stdout:\n%s", r.stdout)
			}
			if r.took > 3*time.Second {
				t.Errorf("took %s to refuse a bad URL", r.took)
			}
			assertNoSecrets(t, r, secret, "short")
		})
	}
}

// A reconnect cap out of range is refused before anything starts.
func TestLiveRefusesBadReconnectMax(t *testing.T) {
	for _, v := range []string{"2s", "2h", "-1m"} {
		r := runOnair(t, 10*time.Second, "live", "--duration", "2s", "--reconnect-max", v, "--dest", "rtmp://127.0.0.1:9/live/k")
		d, _ := time.ParseDuration(v)
		want := fmt.Sprintf("onair live: --reconnect-max %s: the longest wait between reconnect attempts must be 5s to 1h\n", d)
		if r.code != 2 || r.stderr != want || r.stdout != "" {
			t.Errorf("--reconnect-max %s: exit %d, stderr %q, stdout %q; want 2 and %q", v, r.code, r.stderr, r.stdout, want)
		}
	}
}

// Destinations that cannot connect are reported, by name without their key,
// while the reachable one streams on undisturbed.
func TestLiveUnreachableDestinationsDoNotDisturbTheOthers(t *testing.T) {
	nginx := testpeer.StartNginxRTMP(t, "live")
	good, refusedKey, unknownKey := "sk_good_8a7b6c5d", "sk_refused_1q2w3e", "sk_unknown_0p9o8i"
	closedPort := testpeer.FreeTCPPort(t)
	refused := fmt.Sprintf("rtmp://127.0.0.1:%d/live/%s", closedPort, refusedKey)
	unknown := "rtmp://no-such-host.invalid/live/" + unknownKey
	deadSRT := fmt.Sprintf("srt://127.0.0.1:%d?streamid=%s", testpeer.FreeUDPPort(t), unknownKey)

	r := runOnair(t, 60*time.Second, "live", "--size", "640x360", "--fps", "30", "--bitrate", "1000",
		"--duration", "8s", "--dest", nginx.URL("live", good), "--dest", refused, "--dest", unknown, "--dest", deadSRT)
	if r.code != 0 {
		t.Fatalf("exit %d with one destination reachable\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{
		fmt.Sprintf("destination rtmp://127.0.0.1:%d/live/****: connecting: connection refused", closedPort),
		`destination rtmp://no-such-host.invalid:1935/live/****: cannot find the server "no-such-host.invalid"`,
		"destination srt://127.0.0.1:",
	} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
	sum := summary(t, r.stdout)
	if sum["reached"] != 1 || sum["destinations"] != 4 {
		t.Errorf("summary %v: want 1 of 4 destinations reached", sum)
	}
	assertNoSecrets(t, r, good, refusedKey, unknownKey)
	nginx.Stop()
	checkRecording(t, nginx.Recording("live", good), 640, 360, 30, 8*time.Second)
}

// When no destination can be reached at all, the session ends with exit 1.
func TestLiveEndsWhenNoDestinationIsReachable(t *testing.T) {
	key := "sk_nowhere_5t6y7u"
	refused := fmt.Sprintf("rtmp://127.0.0.1:%d/live/%s", testpeer.FreeTCPPort(t), key)
	r := runOnair(t, 30*time.Second, "live", "--size", "640x360", "--duration", "60s", "--dest", refused)
	if r.code != 1 {
		t.Fatalf("exit %d, want 1\nstderr:\n%s", r.code, r.stderr)
	}
	if !strings.Contains(r.stderr, "no destination could be reached") {
		t.Errorf("stderr does not say why:\n%s", r.stderr)
	}
	if r.took > 10*time.Second {
		t.Errorf("took %s to give up on an unreachable destination", r.took)
	}
	assertNoSecrets(t, r, key)
}
