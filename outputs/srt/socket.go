package srt

// #cgo LDFLAGS: -lsrt
// #include <srt/srt.h>
// #include <arpa/inet.h>
// #include <stdlib.h>
// #include <string.h>
//
// // Each helper reads libsrt's (thread-local) last error in the same call.
// static int onair_srt_err(int r) { return r < 0 ? srt_getlasterror(NULL) : 0; }
// static int onair_srt_setint(SRTSOCKET s, SRT_SOCKOPT o, int v) { return onair_srt_err(srt_setsockflag(s, o, &v, sizeof v)); }
// static int onair_srt_setstr(SRTSOCKET s, SRT_SOCKOPT o, const char *v) { return onair_srt_err(srt_setsockflag(s, o, v, (int)strlen(v))); }
//
// static SRTSOCKET onair_srt_socket(int *err) {
//     SRTSOCKET s = srt_create_socket();
//     *err = s == SRT_INVALID_SOCK ? srt_getlasterror(NULL) : 0;
//     return s;
// }
//
// // onair_srt_connect starts a non-blocking connect (SRTO_RCVSYN off) to
// // an IPv4 or IPv6 address.
// static int onair_srt_connect(SRTSOCKET s, const char *ip, int port) {
//     struct sockaddr_storage ss;
//     memset(&ss, 0, sizeof ss);
//     struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;
//     struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;
//     int len;
//     if (inet_pton(AF_INET, ip, &a4->sin_addr) == 1) {
//         a4->sin_family = AF_INET; a4->sin_port = htons(port); len = sizeof *a4;
//     } else if (inet_pton(AF_INET6, ip, &a6->sin6_addr) == 1) {
//         a6->sin6_family = AF_INET6; a6->sin6_port = htons(port); len = sizeof *a6;
//     } else {
//         return SRT_EINVPARAM;
//     }
//     return onair_srt_err(srt_connect(s, (struct sockaddr *)&ss, len));
// }
//
// static int onair_srt_unsent(SRTSOCKET s) {
//     size_t blocks = 0, bytes = 0;
//     if (srt_getsndbuffer(s, &blocks, &bytes) < 0) return 0;
//     return (int)blocks;
// }
//
// // onair_srt_peer_latency is the receiver's latency in ms (0 if unknown).
// static int onair_srt_peer_latency(SRTSOCKET s) {
//     int v = 0, n = sizeof v;
//     if (srt_getsockflag(s, SRTO_PEERLATENCY, &v, &n) < 0) return 0;
//     return v;
// }
//
// static const char *onair_srt_strerror(int code) { return srt_strerror(code, 0); }
import "C"

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
	"unsafe"

	"onair/outputs"
)

var startup sync.Once

// socket is one libsrt caller socket, known by its id: libsrt's calls on an
// id are safe from any thread, and fail cleanly once it is closed. close
// closes it exactly once, whoever asks first (the ctx callback or the sink),
// and returns only once it is closed.
type socket struct {
	id        C.SRTSOCKET
	closeOnce sync.Once
}

// newSocket makes a live-mode caller socket with t's options. Its connect
// does not block (SRTO_RCVSYN off), so a cancelled connect never needs
// another goroutine to close the socket under it.
func newSocket(t outputs.Target, connectTimeout time.Duration) (*socket, error) {
	startup.Do(func() { C.srt_startup() })
	var code C.int
	id := C.onair_srt_socket(&code)
	if code != 0 {
		return nil, fmt.Errorf("connecting: libsrt could not make a socket: %s", srtError(code))
	}
	s := &socket{id: id}
	var err error
	set := func(what string, code C.int) {
		if err == nil && code != 0 {
			err = fmt.Errorf("connecting: libsrt refused %s: %s", what, srtError(code))
		}
	}
	set("live mode", C.onair_srt_setint(id, C.SRTO_TRANSTYPE, C.SRTT_LIVE))
	set("a non-blocking connect", C.onair_srt_setint(id, C.SRTO_RCVSYN, 0))
	if connectTimeout > 0 {
		set("the connect timeout", C.onair_srt_setint(id, C.SRTO_CONNTIMEO, C.int(connectTimeout.Milliseconds())))
	}
	if t.LatencyMs != 0 {
		set("the latency", C.onair_srt_setint(id, C.SRTO_LATENCY, C.int(t.LatencyMs)))
	}
	if t.StreamID != "" {
		set("the streamid", s.setSecret(C.SRTO_STREAMID, t.StreamID))
	}
	if t.Passphrase != "" {
		set("the passphrase", s.setSecret(C.SRTO_PASSPHRASE, t.Passphrase))
		if t.PBKeyLen != 0 {
			set("pbkeylen", C.onair_srt_setint(id, C.SRTO_PBKEYLEN, C.int(t.PBKeyLen)))
		}
	}
	if err != nil {
		s.close()
		return nil, err
	}
	return s, nil
}

// setSecret sets a string option and wipes the C copy of it; it returns
// libsrt's error code (0: set).
func (s *socket) setSecret(o C.SRT_SOCKOPT, v string) C.int {
	cv := C.CString(v)
	defer func() {
		C.memset(unsafe.Pointer(cv), 0, C.size_t(len(v)))
		C.free(unsafe.Pointer(cv))
	}()
	return C.onair_srt_setstr(s.id, o, cv)
}

// setInt sets an integer option after the connection is up.
func (s *socket) setInt(o C.SRT_SOCKOPT, v int) error {
	if code := C.onair_srt_setint(s.id, o, C.int(v)); code != 0 {
		return errors.New(srtError(code))
	}
	return nil
}

// connect calls ip:port and waits for the handshake's outcome, watching the
// socket's state (libsrt's connect timeout bounds it). On failure it says
// why, from libsrt's reject reason.
func (s *socket) connect(ctx context.Context, ip string, port int, timeout time.Duration, t outputs.Target) error {
	cip := C.CString(ip)
	code := C.onair_srt_connect(s.id, cip, C.int(port))
	C.free(unsafe.Pointer(cip))
	if code != 0 {
		return fmt.Errorf("connecting: %s", srtError(code))
	}
	if timeout <= 0 {
		timeout = 3 * time.Second // libsrt's default
	}
	// A guard in case libsrt never settles: its own timeout comes first.
	deadline := time.Now().Add(timeout + 2*time.Second)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		switch C.srt_getsockstate(s.id) {
		case C.SRTS_CONNECTED:
			return nil
		case C.SRTS_INIT, C.SRTS_OPENED, C.SRTS_CONNECTING:
		default:
			return rejection(int(C.srt_getrejectreason(s.id)), t)
		}
		if time.Now().After(deadline) {
			return rejection(C.SRT_REJ_TIMEOUT, t)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
}

// unsent is the number of packets libsrt still holds to send (0 once closed).
func (s *socket) unsent() int { return int(C.onair_srt_unsent(s.id)) }

// peerLatency is how long the receiver holds a packet before handing it on.
func (s *socket) peerLatency() time.Duration {
	return time.Duration(C.onair_srt_peer_latency(s.id)) * time.Millisecond
}

// close closes the socket once; a second caller waits for the first.
func (s *socket) close() {
	s.closeOnce.Do(func() { C.srt_close(s.id) })
}

func srtError(code C.int) string { return C.GoString(C.onair_srt_strerror(code)) }
