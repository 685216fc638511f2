package srt

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/haivision/srtgo"

	"onair/encoder"
	"onair/internal/testpeer"
	"onair/outputs"
)

const (
	listenerPass = "listener_pass_7h8j9k"
	wrongPass    = "wrong_pass_1q2w3e"
	refusedID    = "sid_refused_4r5t6y"
)

var testRedact = outputs.NewRedactor(target(nil, "srt://h:1?passphrase="+listenerPass),
	target(nil, "srt://h:1?passphrase="+wrongPass), target(nil, "srt://h:1?streamid="+refusedID)).Redact

func target(t *testing.T, url string) outputs.Target {
	tg, err := outputs.ParseTarget(url)
	if err != nil {
		panic(err)
	}
	return tg
}

func connectTo(t *testing.T, url string) (outputs.Sink, error) {
	t.Helper()
	return Connector{ConnectTimeout: time.Second}.Connect(context.Background(), target(t, url), testStreams)
}

// A wrong or missing passphrase is said as such (not "is the listener up?")
// and retried as patiently as a refused key; the right one gets through.
// No passphrase shows in an error or in libsrt's routed log.
func TestPassphraseRefused(t *testing.T) {
	l := testpeer.StartSRTListener(t, "&passphrase="+listenerPass)
	for _, c := range []struct{ query, want string }{
		{"?passphrase=" + wrongPass, "connecting: the SRT listener refused the passphrase: check that passphrase= matches the listener's"},
		{"", "connecting: the SRT listener needs a passphrase: add passphrase= to the destination's URL"},
	} {
		_, err := connectTo(t, fmt.Sprintf("srt://127.0.0.1:%d%s", l.Port, c.query))
		if err == nil || err.Error() != c.want || !errors.Is(err, outputs.ErrKeyRefused) {
			t.Errorf("%q: Connect = %v, want %q, retried like a refused key", c.query, err, c.want)
		}
	}
	s, err := connectTo(t, fmt.Sprintf("srt://127.0.0.1:%d?passphrase=%s", l.Port, listenerPass))
	if err != nil {
		t.Fatalf("with the listener's passphrase: %v", err)
	}
	sendSome(t, s)
	if err := s.Close(); err != nil {
		t.Error(err)
	}
	said := logs.String()
	if !strings.Contains(said, "libsrt: processAsyncConnectRequest: REJECT reported from HS processing: Incorrect passphrase") {
		t.Errorf("libsrt's log did not come through the routing:\n%s", said)
	}
	for _, line := range strings.Split(strings.TrimSpace(said), "\n") {
		if !strings.HasPrefix(line, "libsrt: ") || strings.Contains(line, "SRT:RcvQ") || line[8] == ':' || line[8] >= '0' && line[8] <= '9' {
			t.Errorf("a routed libsrt line with libsrt's own prefix: %q", line)
		}
	}
	for _, secret := range []string{listenerPass, wrongPass} {
		if strings.Contains(said, secret) {
			t.Errorf("a passphrase reached the log")
		}
	}
}

// The other side of a mismatch: a listener with no passphrase.
func TestPassphraseUnexpected(t *testing.T) {
	l := testpeer.StartSRTListener(t, "")
	_, err := connectTo(t, fmt.Sprintf("srt://127.0.0.1:%d?passphrase=%s", l.Port, wrongPass))
	want := "connecting: the SRT listener takes no passphrase: remove passphrase= from the URL, or set the same one on the listener"
	if err == nil || err.Error() != want {
		t.Errorf("Connect = %v, want %q", err, want)
	}
}

// A listener that refuses the stream id with an access-control code (403
// Forbidden, as in libsrt's access_control.h) is a refusal, said so.
func TestStreamIDRefused(t *testing.T) {
	port := testpeer.FreeUDPPort(t)
	srtgo.InitSRT()
	l := srtgo.NewSrtSocket("127.0.0.1", uint16(port), map[string]string{"blocking": "1", "mode": "listener"})
	if l == nil {
		t.Fatal("no listener socket")
	}
	defer l.Close()
	if err := l.Listen(1); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var asked []string
	l.SetListenCallback(func(s *srtgo.SrtSocket, _ int, _ *net.UDPAddr, streamid string) bool {
		mu.Lock()
		asked = append(asked, streamid)
		mu.Unlock()
		s.SetRejectReason(srtgo.RejectionReasonForbidden)
		return false
	})
	_, err := connectTo(t, fmt.Sprintf("srt://127.0.0.1:%d?streamid=%s", port, refusedID))
	want := "connecting: the SRT listener refused the stream id (forbidden, code 1403): check streamid="
	if err == nil || err.Error() != want || !errors.Is(err, outputs.ErrKeyRefused) {
		t.Errorf("Connect = %v, want %q", err, want)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(asked) != 1 || asked[0] != refusedID {
		t.Errorf("the listener was asked for %q", asked)
	}
}

// Nobody listening: the handshake times out, said as such.
func TestNoListener(t *testing.T) {
	_, err := connectTo(t, fmt.Sprintf("srt://127.0.0.1:%d", testpeer.FreeUDPPort(t)))
	want := "connecting: no answer from the SRT listener: is it up, and are the address and port right?"
	if err == nil || err.Error() != want || errors.Is(err, outputs.ErrKeyRefused) {
		t.Errorf("Connect = %v, want %q", err, want)
	}
}

// A connect cancelled while waiting for the handshake returns at once.
func TestCancelWhileConnecting(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	start := time.Now()
	tg := target(t, fmt.Sprintf("srt://127.0.0.1:%d", testpeer.FreeUDPPort(t)))
	_, err := Connector{ConnectTimeout: 5 * time.Second}.Connect(ctx, tg, testStreams)
	if !errors.Is(err, context.Canceled) || time.Since(start) > time.Second {
		t.Errorf("Connect = %v after %s, want cancelled within a second", err, time.Since(start))
	}
}

// Cancelling a destination's ctx while its sink closes: the socket is closed
// once, by whichever comes first, and Close returns with the callback over.
// Under -race two closes of one socket show.
func TestCloseRacesCancel(t *testing.T) {
	l := testpeer.StartSRTListener(t, "")
	tg := target(t, fmt.Sprintf("srt://127.0.0.1:%d", l.Port))
	for i := range 10 {
		ctx, cancel := context.WithCancel(context.Background())
		var s outputs.Sink
		var err error
		// srt-live-transmit takes one caller at a time: it listens again a
		// moment after the last one went.
		testpeer.Eventually(t, 5*time.Second, fmt.Sprintf("connect %d failed", i), func() bool {
			s, err = Connector{ConnectTimeout: time.Second}.Connect(ctx, tg, testStreams)
			return err == nil
		})
		sendSome(t, s)
		var wg sync.WaitGroup
		wg.Add(1)
		go func() { defer wg.Done(); cancel() }()
		s.Close() // may fail: the socket may be gone under the trailer
		wg.Wait()
	}
}

// A clean end delivers every byte: Close waits for the acknowledgements
// and for the receiver's latency before hanging up (a live receiver drops
// what it holds when the caller hangs up).
func TestCleanEndDeliversEverything(t *testing.T) {
	port, received := receive(t)
	s, err := connectTo(t, fmt.Sprintf("srt://127.0.0.1:%d", port))
	if err != nil {
		t.Fatal(err)
	}
	sendSome(t, s)
	sent := s.(*sink).mux.sentBytes()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if got := <-received; got != sent {
		t.Errorf("the receiver got %d bytes, want the %d sent", got, sent)
	}
}

// receive listens on a free port (libsrt in this process, through srtgo,
// blocking) for one caller and counts the bytes it reads until the caller
// hangs up. Unlike srt-live-transmit it buffers nothing on the way.
func receive(t *testing.T) (port int, received <-chan int64) {
	t.Helper()
	port = testpeer.FreeUDPPort(t)
	srtgo.InitSRT()
	l := srtgo.NewSrtSocket("127.0.0.1", uint16(port), map[string]string{"blocking": "1", "mode": "listener"})
	if l == nil {
		t.Fatal("no listener socket")
	}
	if err := l.Listen(1); err != nil {
		t.Fatal(err)
	}
	out := make(chan int64, 1)
	// The goroutine owns the listener from here (srtgo's Close must not run
	// beside another call on the socket).
	go func() {
		c, _, err := l.Accept()
		l.Close()
		if err != nil {
			out <- -1
			return
		}
		defer c.Close()
		buf := make([]byte, 1500)
		var n int64
		for {
			k, err := c.Read(buf)
			if err != nil {
				break
			}
			n += int64(k)
		}
		out <- n
	}()
	return port, out
}

// sendSome sends a second of fake video.
func sendSome(t *testing.T, s outputs.Sink) {
	t.Helper()
	p := &encoder.Packet{Kind: encoder.Video, Key: true, TimeBase: testStreams[0].TimeBase, Data: append([]byte{0, 0, 0, 1, 0x65}, make([]byte, 3000)...)}
	for i := range 30 {
		p.PTS, p.DTS, p.Key = int64(i), int64(i), i == 0
		if _, err := s.Write(p); err != nil {
			t.Fatalf("write %d: %v", i, err)
		}
	}
}
