package srt

import (
	"bytes"
	"fmt"
	"os"
	"sync"
	"syscall"
	"testing"

	"go.uber.org/goleak"
)

// The package's tests route libsrt's log as onair does, into logs, with
// every test secret masked; no goroutine outlives them.
func TestMain(m *testing.M) {
	stop := RouteLogs(&logs, testRedact, true)
	code := m.Run()
	stop() // the routing's reader goroutine ends here
	if testing.Verbose() {
		fmt.Fprint(os.Stderr, "routed libsrt log:\n", logs.String())
	}
	if err := goleak.Find(); code == 0 && err != nil {
		fmt.Fprintln(os.Stderr, err)
		code = 1
	}
	// Not os.Exit: under -race it ends in C's exit(), whose destructors
	// crash once libsrt has started. libavformat's libsrt (GnuTLS) is loaded
	// beside ours (OpenSSL) and both destroy the same static (a std::map in
	// libsrt.so, seen in gdb under libsrt-gnutls's __cxa_finalize). A Go
	// program's own exit runs no C destructors; races still fail m.Run.
	syscall.Exit(code)
}

// syncBuffer is a bytes.Buffer libsrt's threads can write to.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

var logs syncBuffer
