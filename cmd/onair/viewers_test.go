package main

import (
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"onair/capture"
	"onair/internal/testpeer"
)

// onair live with the phone monitor and a private show beside an RTMP
// destination (issue 13), each opened by headless Chromium as a performer's
// phone and a viewer would: the monitor page plays the program at the
// canvas's size, and the clock burned into the test card, read from the
// frames Chromium decodes, is at most 300 ms old when they arrive — the
// whole path: compositor, x264, RTP, loopback, Chromium's decoder; the
// private viewer receives the program while onair receives their camera;
// a made-up token is refused; the links (keys to the show) are printed
// once each and nowhere else.
func TestMonitorAndPrivateShowLive(t *testing.T) {
	testpeer.Require(t, "chromium")
	nginx := testpeer.StartNginxRTMP(t, "live")
	port := freePort(t)
	config := t.TempDir()
	cmd, stdout, stderr := startOnair(t, []string{"XDG_CONFIG_HOME=" + config}, "live",
		"--source", "testcard:clock", "--size", "1280x720", "--fps", "30", "--bitrate", "2500",
		"--monitor", "--private", "--webrtc-port", fmt.Sprint(port), "--duration", "40s",
		"--dest", nginx.URL("live", "key_live_4821"))
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	links := regexp.MustCompile(`(?m)^(phone monitor|private show): (https://\S+)$`)
	var monitor, private string
	eventually(t, 20*time.Second, "onair prints both links", func() bool {
		for _, m := range links.FindAllStringSubmatch(stdout.String(), -1) {
			if m[1] == "phone monitor" {
				monitor = m[2]
			} else {
				private = m[2]
			}
		}
		return monitor != "" && private != ""
	})
	// On the test machine's loopback, whatever its network.
	local := regexp.MustCompile(`^https://[^/]+`)
	base := fmt.Sprintf("https://127.0.0.1:%d", port)
	monitor, private = local.ReplaceAllString(monitor, base), local.ReplaceAllString(private, base)
	trust := testpeer.ChromiumFlags("--ignore-certificate-errors-spki-list=" + spkiOf(t, filepath.Join(config, "onair", "webrtc", "cert.pem")))

	phone := testpeer.StartChromium(t, monitor, testpeer.ChromiumDevTools(), trust)
	eval := func(c *testpeer.Chromium, js string, out any) error {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return c.Eval(ctx, js, out)
	}
	var st struct {
		Status string `json:"status"`
		W      int    `json:"w"`
		H      int    `json:"h"`
		T      float64
	}
	eventually(t, 20*time.Second, "the phone plays the program", func() bool {
		err := eval(phone, `(() => { const v = document.querySelector('video'); return {status: document.getElementById('status').textContent, w: v.videoWidth, h: v.videoHeight, t: v.currentTime}; })()`, &st)
		return err == nil && st.W > 0 && st.T > 1
	})
	if st.W != 1280 || st.H != 720 || !strings.HasPrefix(st.Status, "Live") {
		t.Errorf("the phone: %+v, want 1280x720 playing", st)
	}
	mctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	lat, err := phone.MeasureClock(mctx, "video", capture.ClockBits, 3*time.Second)
	cancel()
	if err != nil {
		t.Fatal(err)
	}
	recv, disp := testpeer.Summary(lat.Receive), testpeer.Summary(lat.Display)
	t.Logf("glass-to-glass through onair live over %d frames: to receive min/median/max %.0f/%.0f/%.0f ms; to display %.0f/%.0f/%.0f ms",
		len(lat.Receive), recv[0], recv[1], recv[2], disp[0], disp[1], disp[2])
	if len(lat.Receive) < 50 || lat.Plausible() < 0.9 {
		t.Errorf("%d frames measured, %.0f %% plausible", len(lat.Receive), lat.Plausible()*100)
	}
	if recv[1] > 300 {
		t.Errorf("glass-to-glass (to receive) median %.0f ms, want ≤ 300", recv[1])
	}
	var status int
	if err := eval(phone, `fetch('/watch/AAAAAAAAAAAAAAAAAAAAAA').then((r) => r.status)`, &status); err != nil || status != 403 {
		t.Errorf("a made-up token: %d %v, want 403", status, err)
	}
	phone.Stop()

	viewer := testpeer.StartChromium(t, private, testpeer.ChromiumDevTools(), trust)
	eventually(t, 20*time.Second, "onair says the viewer receives the show", func() bool {
		return strings.Contains(stderr.String(), "Your viewer receives your show at 1280x720")
	})
	var pg struct {
		State string `json:"state"`
		Stats *struct {
			FramesDecoded int `json:"framesDecoded"`
			Width         int `json:"width"`
		} `json:"stats"`
	}
	if err := eval(viewer, "window.show", &pg); err != nil || pg.State != "incall" || pg.Stats == nil || pg.Stats.Width != 1280 {
		t.Errorf("the viewer's page: %+v %v", pg, err)
	}
	viewer.Stop()
	eventually(t, 10*time.Second, "onair says the call ended", func() bool { return strings.Contains(stderr.String(), "private show: The call ended") })

	cmd.Process.Signal(os.Interrupt)
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("onair live ended with %v:\n%s", err, stderr)
		}
	case <-time.After(20 * time.Second):
		cmd.Process.Kill()
		<-exited
		t.Fatalf("onair live did not end:\n%s", stderr)
	}
	out := stdout.String() + stderr.String()
	t.Logf("onair: %s", tail(out, 2000))
	if !strings.Contains(out, "reached=2") {
		t.Errorf("the RTMP destination and the viewers were not both reached")
	}
	for _, link := range []string{monitor, private} {
		token := link[strings.LastIndex(link, "/")+1:]
		if n := strings.Count(out, token); n != 1 {
			t.Errorf("a link's token printed %d times, want once (its own line)", n)
		}
	}
	if strings.Contains(out, "key_live_4821") {
		t.Errorf("the stream key was printed")
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// spkiOf is the base64 SHA-256 of a PEM certificate's public key.
func spkiOf(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(b)
	if block == nil {
		t.Fatalf("%s: no PEM", path)
	}
	c, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(c.RawSubjectPublicKeyInfo)
	return base64.StdEncoding.EncodeToString(sum[:])
}

// eventually waits up to d for cond, polling every 50 ms.
func eventually(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited %v for %s", d, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
