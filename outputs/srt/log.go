package srt

// #cgo LDFLAGS: -lsrt
// #include <srt/srt.h>
// #include <srt/logging_api.h>
// #include <sys/syslog.h>
// #include <limits.h>
// #include <stdint.h>
// #include <string.h>
// #include <unistd.h>
//
// // libsrt calls this from its own threads, holding its log lock. It never
// // calls into Go (a callback into a runtime that is exiting crashes): it
// // writes the line to a pipe that a goroutine reads. One write of at most
// // PIPE_BUF bytes is a whole line, never interleaved; a full pipe drops
// // the line rather than stall libsrt.
// static void onair_srt_log(void *opaque, int level, const char *file, int line, const char *area, const char *msg) {
//     char buf[PIPE_BUF];
//     size_t n = strnlen(msg, sizeof buf - 1);
//     memcpy(buf, msg, n);
//     for (size_t i = 0; i < n; i++) if (buf[i] == '\n' || buf[i] == '\r') buf[i] = ' ';
//     buf[n++] = '\n';
//     ssize_t r = write((int)(intptr_t)opaque, buf, n);
//     (void)r;
// }
//
// // The line comes bare: no libsrt timestamp, thread name, severity mark or
// // newline (the routing adds its own prefix).
// static void onair_srt_route_logs(int fd, int level) {
//     srt_setlogflags(SRT_LOGF_DISABLE_TIME | SRT_LOGF_DISABLE_THREADNAME | SRT_LOGF_DISABLE_SEVERITY | SRT_LOGF_DISABLE_EOL);
//     srt_setloglevel(level);
//     srt_setloghandler((void *)(intptr_t)fd, onair_srt_log);
// }
//
// // Between routings libsrt's lines are dropped: with no handler it would
// // write them to stderr itself, unmasked.
// static void onair_srt_nolog(void *opaque, int level, const char *file, int line, const char *area, const char *msg) {}
//
// // Once this returns no call of the handler is under way: libsrt sets it
// // under the same lock it holds while calling it.
// static void onair_srt_unroute_logs(void) {
//     srt_setloghandler(NULL, onair_srt_nolog);
// }
import "C"

import (
	"bufio"
	"io"
	"os"
	"strings"
	"sync"
	"syscall"
)

var (
	routeMu   sync.Mutex
	stopRoute func()
)

// RouteLogs sends libsrt's own log lines to w as "libsrt: …", one a line,
// through redact (no passphrase or stream id gets out), instead of libsrt's
// default: straight to stderr with its own timestamps. libsrt's errors are
// printed; verbose adds its warnings and notices (a refused handshake, for
// one, which the destination reports itself anyway). The routing lasts
// until stop (or another RouteLogs), which returns once every line libsrt
// gave has been written.
func RouteLogs(w io.Writer, redact func(string) string, verbose bool) (stop func()) {
	routeMu.Lock()
	defer routeMu.Unlock()
	if stopRoute != nil {
		stopRoute()
		stopRoute = nil
	}
	r, pw, err := os.Pipe()
	if err != nil {
		return func() {} // libsrt keeps printing to stderr itself
	}
	fd := -1
	if rc, err := pw.SyscallConn(); err == nil {
		rc.Control(func(f uintptr) { fd = int(f) })
	}
	if fd < 0 || syscall.SetNonblock(fd, true) != nil {
		r.Close()
		pw.Close()
		return func() {}
	}
	level := C.LOG_ERR
	if verbose {
		level = C.LOG_NOTICE
	}
	startup.Do(func() { C.srt_startup() })
	C.onair_srt_route_logs(C.int(fd), C.int(level))
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer r.Close()
		lines := bufio.NewReader(r)
		for {
			line, err := lines.ReadString('\n')
			// With the timestamp and thread name off, a line still starts
			// with the separator that followed them.
			line = strings.TrimPrefix(strings.TrimSpace(redact(line)), ": ")
			if line != "" {
				io.WriteString(w, "libsrt: "+line+"\n")
			}
			if err != nil {
				return
			}
		}
	}()
	var once sync.Once
	stopRoute = func() {
		once.Do(func() {
			C.onair_srt_unroute_logs()
			pw.Close() // the reader reads what is left, then ends
			<-done
		})
	}
	s := stopRoute
	return func() {
		routeMu.Lock()
		defer routeMu.Unlock()
		s()
	}
}
