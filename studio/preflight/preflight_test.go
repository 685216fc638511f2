package preflight

import (
	"context"
	"crypto/x509"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"onair/capture/audio"
	"onair/internal/testpeer"
	"onair/studio"
)

// Secrets the tests put in URLs; none may appear in any result.
const (
	key1    = "live_sk_check_7Hq2Wz"
	key2    = "live_sk_tls_3Rt9Lp"
	srtPass = "srt_pass_right_4Dk8"
	srtBad  = "srt_pass_wrong_1Vc5"
)

func profile(dests ...string) studio.Profile {
	p := studio.DefaultProfile()
	p.Canvas = studio.Canvas{Width: 640, Height: 360, FPS: 30}
	p.Video.BitrateKbps = 1000
	for _, d := range dests {
		p.Destinations = append(p.Destinations, studio.ParseDestFlag(d))
	}
	return p
}

// run runs the pre-flight, logs its table and checks the 15 s bound and that
// no secret shows.
func run(t *testing.T, cfg Config) []Result {
	t.Helper()
	start := time.Now()
	rs := Run(context.Background(), cfg)
	took := time.Since(start)
	for _, r := range rs {
		t.Logf("%-5s %-28s %s [%s] (%s)", r.Level, r.Name, r.Reason, r.Detail, r.Took.Round(time.Millisecond))
		for _, s := range []string{key1, key2, srtPass, srtBad} {
			if strings.Contains(r.Name+r.Reason+r.Detail, s) {
				t.Errorf("a secret (%s…) shows in %q", s[:4], r.Name)
			}
		}
	}
	t.Logf("took %s", took.Round(time.Millisecond))
	if took > Timeout+time.Second {
		t.Errorf("the pre-flight took %s, more than %s", took, Timeout)
	}
	return rs
}

func find(t *testing.T, rs []Result, name string) Result {
	t.Helper()
	for _, r := range rs {
		if r.Name == name {
			return r
		}
	}
	t.Fatalf("no result %q", name)
	return Result{}
}

func want(t *testing.T, r Result, level Level, reason string) {
	t.Helper()
	if r.Level != level || !strings.Contains(r.Reason, reason) {
		t.Errorf("%s: %s %q, want %s containing %q", r.Name, r.Level, r.Reason, level, reason)
	}
}

// Everything up: nginx-rtmp (plain and behind TLS with its CA trusted), an
// SRT listener with a passphrase, a recording folder and the program's
// loopback encode: all green, and nothing was published.
func TestAllGreen(t *testing.T) {
	nginx := testpeer.StartNginxRTMP(t, "live")
	front := testpeer.StartTLSFront(t, nginx)
	l := testpeer.StartSRTListener(t, "&passphrase="+srtPass)
	rec := filepath.Join(t.TempDir(), "show.mkv")
	p := profile(
		"plain="+nginx.URL("live", key1),
		front.URL("live", key2),
		fmt.Sprintf("srt://127.0.0.1:%d?passphrase=%s", l.Port, srtPass),
		"file://"+rec)
	p.Destinations[0] = studio.Destination{Name: "nginx", URL: nginx.URL("live", key1)}
	ca, err := os.ReadFile(front.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(ca)
	rs := run(t, Config{Profile: p, RootCAs: pool, Program: Program(p)})
	if !AllGreen(rs) {
		t.Errorf("not all green")
	}
	for _, name := range []string{"nginx: DNS", "nginx: connect", "nginx: RTMP", "nginx: upload",
		"rtmps://localhost:" + fmt.Sprint(front.Port) + "/live/****: TLS", "program: video", "program: audio", "upload, all destinations at once"} {
		find(t, rs, name)
	}
	for _, r := range rs {
		if strings.HasPrefix(r.Name, "camera") {
			t.Errorf("the test card was judged as a camera: %q", r.Name)
		}
	}
	up := find(t, rs, "nginx: upload")
	if !strings.Contains(up.Detail, "kb/s") {
		t.Errorf("upload without its figure: %q", up.Detail)
	}
	if files := nginx.Recordings("live"); len(files) != 0 {
		t.Errorf("something was published: %v", files)
	}
	if _, err := os.Stat(rec); err == nil {
		t.Errorf("the check wrote the recording itself")
	}
}

// A server that is down is red at connect, with the reason, at once.
func TestStoppedServer(t *testing.T) {
	nginx := testpeer.StartNginxRTMP(t, "live")
	url := nginx.URL("live", key1)
	nginx.Stop()
	rs := run(t, Config{Profile: profile(url)})
	want(t, find(t, rs, "rtmp://127.0.0.1:"+fmt.Sprint(nginx.Port)+"/live/****: connect"), Red, "connection refused")
}

// A wrong SRT passphrase is said as such.
func TestWrongSRTPassphrase(t *testing.T) {
	l := testpeer.StartSRTListener(t, "&passphrase="+srtPass)
	p := profile(fmt.Sprintf("srt://127.0.0.1:%d?passphrase=%s", l.Port, srtBad))
	p.Destinations[0].Name = "srt"
	rs := run(t, Config{Profile: p})
	want(t, find(t, rs, "srt: SRT"), Red, "the SRT passphrase was refused")
}

// A certificate from a CA this computer does not trust is red, naming it.
func TestUntrustedCertificate(t *testing.T) {
	nginx := testpeer.StartNginxRTMP(t, "live")
	front := testpeer.StartTLSFront(t, nginx)
	p := profile(front.URL("live", key2))
	p.Destinations[0].Name = "rtmps"
	rs := run(t, Config{Profile: p, RootCAs: x509.NewCertPool()})
	want(t, find(t, rs, "rtmps: TLS"), Red, "not from an authority this computer trusts")
}

// An application the server does not have: nginx-rtmp hangs up at connect.
func TestUnknownApp(t *testing.T) {
	nginx := testpeer.StartNginxRTMP(t, "live")
	p := profile(nginx.URL("nosuchapp", key1))
	p.Destinations[0].Name = "app"
	rs := run(t, Config{Profile: p})
	want(t, find(t, rs, "app: RTMP"), Red, `when asked for the app "nosuchapp"`)
}

// A link slower than the stream is red, with the figure it carried. The
// throttle proxy delivers less than its nominal rate (a counting sink behind
// it received 47.5 of 75 kB/s), so the figure must lie below the nominal
// 600 kb/s, not at it (it varied from 170 to 443 kb/s between runs).
func TestThrottledUpload(t *testing.T) {
	nginx := testpeer.StartNginxRTMP(t, "live")
	slow := testpeer.SlowProxy(t, fmt.Sprintf("127.0.0.1:%d", nginx.Port), 75_000)
	p := profile("rtmp://" + slow + "/live/" + key1)
	p.Destinations[0].Name = "slow"
	rs := run(t, Config{Profile: p})
	r := find(t, rs, "slow: upload")
	want(t, r, Red, "the stream needs 1160 kb/s")
	var kbps float64
	fmt.Sscanf(r.Detail, "%f kb/s", &kbps)
	if kbps < 50 || kbps > 660 {
		t.Errorf("slow link measured at %.0f kb/s, throttled at 600 nominal", kbps)
	}
	if !strings.Contains(r.Reason, fmt.Sprintf(" %.0f kb/s; the stream needs", kbps)) {
		t.Errorf("the reason lacks the figure: %q", r.Reason)
	}
}

// The verdict's thresholds: below the stream red, below 1.5× amber.
func TestUploadVerdict(t *testing.T) {
	for _, c := range []struct {
		kbps  float64
		level Level
		says  string
	}{
		{3000, Green, "holds the 1160 kb/s"},
		{1500, Amber, "only 1.3× the 1160 kb/s"},
		{900, Red, "carried 900 kb/s; the stream needs 1160 kb/s: lower the video bitrate to 400 kb/s"},
		{400, Red, "carried only 400 kb/s; the stream needs 1160 kb/s: this connection cannot carry a show"},
	} {
		l, why := upload{Kbps: c.kbps, Window: time.Second, CapKbps: 3480}.verdict(1160, nil)
		if l != c.level || !strings.Contains(why, c.says) {
			t.Errorf("%.0f kb/s: %s %q, want %s with %q", c.kbps, l, why, c.level, c.says)
		}
	}
}

// Destinations measured at once share the connection: "holds 2 of these 3".
func TestTogether(t *testing.T) {
	u := func(kbps float64) *upload { return &upload{Kbps: kbps, Window: time.Second} }
	r, ok := together([]*upload{u(3000), u(2000), nil, u(2000)}, []int{3160, 3160, 3160, 3160})
	if !ok || r.Level != Red || !strings.Contains(r.Reason, "holds 2 of these 3 destinations") {
		t.Errorf("%v %s %q", ok, r.Level, r.Reason)
	}
	r, _ = together([]*upload{u(10000), u(10000)}, []int{3160, 3160})
	if r.Level != Green {
		t.Errorf("%s %q", r.Level, r.Reason)
	}
	r, _ = together([]*upload{u(3500), u(3500)}, []int{3160, 3160})
	if r.Level != Amber || !strings.Contains(r.Reason, "little room") {
		t.Errorf("%s %q", r.Level, r.Reason)
	}
	if _, ok := together([]*upload{u(10000), nil}, []int{3160, 3160}); ok {
		t.Errorf("a line for one destination")
	}
}

// With a microphone (a headless PulseAudio playing a -9 dBFS tone into it),
// the pre-flight judges it and the loopback program carries its sound; a
// microphone that hears nothing is red.
func TestProgramWithMic(t *testing.T) {
	pulse := testpeer.StartPulse(t)
	p := profile()
	p.Mic = studio.AudioInput{Device: testpeer.PulseMic}
	ctx, cancel := context.WithTimeout(context.Background(), Timeout)
	defer cancel()

	rs := program(ctx, p, nil) // silence: nothing plays yet
	for _, r := range rs {
		t.Logf("silent: %s %s: %s [%s]", r.Level, r.Name, r.Reason, r.Detail)
	}
	if r := find(t, rs, "microphone"); r.Level != Red {
		t.Errorf("a silent microphone is %s: %q", r.Level, r.Reason)
	}
	want(t, find(t, rs, "program: audio"), Amber, "the program is silent")

	tone := pulse.PlayTone(10)
	defer tone.Stop()
	rs = program(ctx, p, nil)
	for _, r := range rs {
		t.Logf("tone: %s %s: %s [%s]", r.Level, r.Name, r.Reason, r.Detail)
	}
	if r := find(t, rs, "microphone"); r.Level != Green || !strings.Contains(r.Detail, "peak -9.") {
		t.Errorf("the tone's microphone: %s %q [%s]", r.Level, r.Reason, r.Detail)
	}
	want(t, find(t, rs, "program: audio"), Green, "the program has sound")
	want(t, find(t, rs, "program: video"), Green, "encodes and decodes back")

	// The window's own sources: "Check my mic" pressed while the pre-flight
	// checks the same microphone — an input records for one check at a
	// time, so the second waits, and both are judged.
	srcs, _ := runningSources(t, p)
	type checked struct {
		rep audio.MicReport
		err error
	}
	mine := make(chan checked, 1)
	go func() {
		rep, err := srcs.MicCheck(ctx, time.Second)
		mine <- checked{rep, err}
	}()
	rs = ProgramOn(p, srcs)(ctx)
	if r := find(t, rs, "microphone"); r.Level != Green {
		t.Errorf("the pre-flight's mic check beside Check my mic: %s %q", r.Level, r.Reason)
	}
	if c := <-mine; c.err != nil || c.rep.Verdict != audio.VerdictGood {
		t.Errorf("Check my mic beside the pre-flight: %+v, %v", c.rep, c.err)
	}
}
