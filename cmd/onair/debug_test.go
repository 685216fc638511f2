package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"onair/internal/testpeer"
	"onair/studio"
)

// --debug-addr serves the live statistics with the goroutine count and the
// Go profiles while live, never a stream key, and is gone when live ends.
func TestDebugEndpoint(t *testing.T) {
	nginx := testpeer.StartNginxRTMP(t, "live")
	addr := fmt.Sprintf("127.0.0.1:%d", testpeer.FreeTCPPort(t))
	cmd, stdout, stderr := startOnair(t, nil, "live", "--size", "320x180", "--bitrate", "300", "--duration", "8s", "--quiet",
		"--debug-addr", addr, "--dest", nginx.URL("live", "sk_debug_1"))
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	defer func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			<-done
		}
	}()

	get := func(path string) (int, string) {
		c := http.Client{Timeout: 3 * time.Second}
		resp, err := c.Get("http://" + addr + path)
		if err != nil {
			return 0, err.Error()
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	var st struct {
		Goroutines   int `json:"goroutines"`
		Destinations []struct {
			Name     string `json:"name"`
			State    string `json:"state"`
			Attempts int    `json:"connect_attempts"`
		} `json:"destinations"`
	}
	var bodies []string
	testpeer.Eventually(t, 6*time.Second, "/debug/stats never showed the destination live", func() bool {
		code, body := get("/debug/stats")
		if code != http.StatusOK {
			return false
		}
		bodies = append(bodies, body)
		return json.Unmarshal([]byte(body), &st) == nil && len(st.Destinations) == 1 && st.Destinations[0].State == "live"
	})
	want := fmt.Sprintf("rtmp://127.0.0.1:%d/live/****", nginx.Port)
	if st.Goroutines < 5 || st.Destinations[0].Name != want || st.Destinations[0].Attempts != 1 {
		t.Errorf("/debug/stats: %d goroutines, destination %+v; want several goroutines, %s after 1 attempt", st.Goroutines, st.Destinations[0], want)
	}
	for _, c := range []struct {
		path string
		code int
		has  string
	}{
		{"/debug/pprof/", http.StatusOK, "goroutine"},
		{"/debug/pprof/goroutine?debug=2", http.StatusOK, "goroutine 1 ["},
		{"/debug/pprof/heap?debug=1", http.StatusOK, "heap profile"},
		{"/debug/pprof/cmdline", http.StatusNotFound, "not served: the command line holds stream keys"},
	} {
		code, body := get(c.path)
		if code != c.code || !strings.Contains(body, c.has) {
			t.Errorf("GET %s: %d %.200q; want %d with %q", c.path, code, body, c.code, c.has)
		}
		bodies = append(bodies, body)
	}
	for _, b := range bodies {
		if strings.Contains(b, "sk_debug_1") {
			t.Fatalf("the stream key is served by the debug endpoint: %.300s", b)
		}
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("onair: %v\n%s", err, stderr)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("onair did not end")
	}
	if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		c.Close()
		t.Errorf("something still listens on %s after live ended", addr)
	}
	assertNoSecrets(t, result{stdout: stdout.String(), stderr: stderr.String()}, "sk_debug_1")
}

// The endpoint has no password: anything but loopback is refused before the
// broadcast starts.
func TestDebugAddrRefused(t *testing.T) {
	for _, c := range []struct{ addr, want string }{
		{"0.0.0.0:6060", `onair live: --debug-addr "0.0.0.0:6060": only a loopback address (127.0.0.1, ::1 or localhost) — the endpoint has no password`},
		{":6060", `onair live: --debug-addr ":6060": only a loopback address (127.0.0.1, ::1 or localhost) — the endpoint has no password`},
		{"192.168.1.10:6060", `onair live: --debug-addr "192.168.1.10:6060": only a loopback address (127.0.0.1, ::1 or localhost) — the endpoint has no password`},
		{"example.com:6060", `onair live: --debug-addr "example.com:6060": only a loopback address (127.0.0.1, ::1 or localhost) — the endpoint has no password`},
		{"6060", `onair live: --debug-addr "6060": give a loopback address and port, e.g. 127.0.0.1:6060`},
	} {
		r := runOnair(t, 10*time.Second, "live", "--debug-addr", c.addr, "--duration", "1s", "--dest", "rtmp://127.0.0.1:1/live/sk_debug_2")
		if r.code != 2 || strings.TrimSpace(r.stderr) != c.want {
			t.Errorf("--debug-addr %s: exit %d, stderr %q; want exit 2, %q", c.addr, r.code, r.stderr, c.want)
		}
	}
	// The environment variable is the same setting.
	r := runOnairEnv(t, 10*time.Second, []string{"ONAIR_DEBUG_ADDR=0.0.0.0:6060"}, "live", "--duration", "1s", "--dest", "rtmp://127.0.0.1:1/live/sk_debug_2")
	if r.code != 2 || !strings.Contains(r.stderr, `--debug-addr "0.0.0.0:6060": only a loopback address`) {
		t.Errorf("ONAIR_DEBUG_ADDR=0.0.0.0:6060: exit %d, stderr %q; want it refused", r.code, r.stderr)
	}
}

// Close ends a CPU profile still being taken and joins every goroutine the
// endpoint started.
func TestDebugServerCloseJoins(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	d, err := listenDebug("127.0.0.1:0", io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	d.Serve(func() studio.BroadcastStats { return studio.BroadcastStats{FramesEncoded: 7} })
	base := "http://" + d.l.Addr().String()
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	c := http.Client{Transport: tr, Timeout: 10 * time.Second}
	resp, err := c.Get(base + "/debug/stats")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(b), `"frames_encoded": 7`) || !strings.Contains(string(b), `"goroutines": `) {
		t.Errorf("/debug/stats = %s", b)
	}
	profiling := make(chan error, 1)
	go func() {
		resp, err := c.Get(base + "/debug/pprof/profile?seconds=30")
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		profiling <- err
	}()
	time.Sleep(300 * time.Millisecond) // let the profile start
	start := time.Now()
	d.Close()
	if took := time.Since(start); took > debugShutdownWait+time.Second {
		t.Errorf("Close took %s with a CPU profile running", took)
	}
	<-profiling
	if _, err := c.Get(base + "/debug/stats"); err == nil {
		t.Error("the endpoint still answers after Close")
	}
}
