package rtmp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"onair/encoder"
	"onair/internal/testpeer"
	"onair/outputs"
)

var testStreams = []encoder.Stream{
	{Kind: encoder.Video, Codec: encoder.H264, Width: 640, Height: 360, FPS: 30, BitrateKbps: 800, TimeBase: encoder.Rational{Num: 1, Den: 30},
		Extradata: []byte{0, 0, 0, 1, 0x67, 0x64, 0x00, 0x1f, 0xac, 0xd9, 0, 0, 0, 1, 0x68, 0xeb, 0xe3, 0xcb}},
	{Kind: encoder.Audio, Codec: encoder.AAC, SampleRate: 48000, Channels: 2, FrameSize: 1024, TimeBase: encoder.Rational{Num: 1, Den: 48000},
		Extradata: []byte{0x11, 0x90}, Delay: 1024 * time.Second / 48000},
}

func target(t *testing.T, url string) outputs.Target {
	t.Helper()
	tg, err := outputs.ParseTarget(url)
	if err != nil {
		t.Fatal(err)
	}
	return tg
}

// A destination cancelled while idle (connected, nothing to send) and then
// closed: the ctx callback that interrupts the connection must be over before
// its C state is freed. Under -race the callback reading freed state shows.
func TestCloseAfterCancelWhileIdle(t *testing.T) {
	nginx := testpeer.StartNginxRTMP(t, "live")
	tg := target(t, nginx.URL("live", "sk_idle_5e6f7a"))
	for i := range 20 {
		ctx, cancel := context.WithCancel(context.Background())
		s, err := Connector{}.Connect(ctx, tg, testStreams)
		if err != nil {
			cancel()
			t.Fatalf("connect %d: %v", i, err)
		}
		cancel()
		if err := s.Close(); err != nil {
			t.Errorf("close %d after cancel: %v", i, err)
		}
	}
}

// dropper accepts TCP connections and hangs up after reading the first
// readFirst bytes of each (0: at once), counting connections.
func dropper(t *testing.T, readFirst int) (port int, accepted *atomic.Int32) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	accepted = new(atomic.Int32)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			accepted.Add(1)
			io.ReadFull(c, make([]byte, readFirst))
			c.Close()
		}
	}()
	t.Cleanup(func() { l.Close(); <-done })
	return l.Addr().(*net.TCPAddr).Port, accepted
}

// A server that accepts and then drops the connection, at once or in the
// middle of the RTMP handshake (after C0+C1), has lost the connection: it
// did not refuse the key, and is retried on the normal schedule.
func TestServerThatDropsIsNotRefused(t *testing.T) {
	const key = "sk_drop_1a2b3c"
	for _, c := range []struct {
		name      string
		readFirst int
	}{{"at once", 0}, {"mid-handshake", 1 + 1536}} {
		t.Run(c.name, func(t *testing.T) {
			port, accepted := dropper(t, c.readFirst)
			tg := target(t, fmt.Sprintf("rtmp://127.0.0.1:%d/live/%s", port, key))
			_, err := Connector{}.Connect(context.Background(), tg, testStreams)
			// The cause is an end of file or a reset, as the kernel has it.
			const said = "): the server hung up before the stream started; is it an RTMP server, on the right port?"
			if err == nil || !strings.HasPrefix(err.Error(), "connecting: connection lost (") || !strings.HasSuffix(err.Error(), said) {
				t.Fatalf("Connect = %v, want a lost connection", err)
			}
			if errors.Is(err, outputs.ErrKeyRefused) {
				t.Error("a dropped connection is reported as a refused key")
			}
			// Retried with the normal backoff (here 50 ms), not a refused
			// key's 30 s.
			d := outputs.NewDestination(tg, Connector{}, testStreams, outputs.DestinationOptions{
				Backoff: outputs.Backoff{First: 50 * time.Millisecond, Factor: 1, Max: 50 * time.Millisecond},
			})
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- d.Run(ctx) }()
			before := accepted.Load()
			testpeer.Eventually(t, 5*time.Second, "not retried within 5 s", func() bool { return accepted.Load() >= before+3 })
			cancel()
			<-done
			d.Queue().Close()
			if s := d.Stats(); strings.Contains(s.LastError, "refused") || !strings.Contains(s.LastError, "connection lost") {
				t.Errorf("last error %q: want a lost connection", s.LastError)
			}
			if strings.Contains(d.Stats().LastError, key) {
				t.Error("the stream key was in the error")
			}
		})
	}
}

// nginx-rtmp hanging up when its on_publish check refuses the key is a
// refused key, said without the key.
func TestRefusedKey(t *testing.T) {
	const key = "sk_refused_9z8y7x"
	auth := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusForbidden)
	}))
	defer auth.Close()
	nginx := testpeer.StartNginxRTMPWith(t, testpeer.NginxOptions{OnPublish: auth.URL + "/auth"}, "live")
	_, err := Connector{}.Connect(context.Background(), target(t, nginx.URL("live", key)), testStreams)
	want := "stream key refused — check it in your profile: the server hung up when asked to publish"
	if err == nil || err.Error() != want || !errors.Is(err, outputs.ErrKeyRefused) {
		t.Fatalf("Connect = %v, want %q", err, want)
	}
}
