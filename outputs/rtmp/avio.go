package rtmp

// #cgo pkg-config: libavformat libavutil
// #include <libavformat/avio.h>
// #include <libavutil/dict.h>
// #include <stdlib.h>
// #include <stdio.h>
// #include <string.h>
//
// typedef struct { AVIOContext *pb; int stop; char said[512]; } onair_avio;
//
// // What FFmpeg logs while this thread opens a connection ("Server error:
// // …") belongs to that connection: the log callback runs on the same thread.
// static __thread onair_avio *onair_opening;
//
// static int onair_avio_note(const char *msg) {
//     onair_avio *o = onair_opening;
//     if (!o) return 0;
//     size_t n = strlen(o->said);
//     if (n + 2 < sizeof o->said) {
//         if (n) o->said[n++] = ' ';
//         strncpy(o->said + n, msg, sizeof o->said - n - 1);
//     }
//     return 1;
// }
//
// static int onair_avio_interrupted(void *o) { return __atomic_load_n(&((onair_avio*)o)->stop, __ATOMIC_RELAXED); }
// static void onair_avio_interrupt(onair_avio *o) { __atomic_store_n(&o->stop, 1, __ATOMIC_RELAXED); }
//
// static int onair_avio_open(onair_avio *o, const char *url, long long rw_timeout_us, const char *ca_file, int send_buffer) {
//     AVIOInterruptCB cb = { onair_avio_interrupted, o };
//     AVDictionary *opts = NULL;
//     char v[32];
//     snprintf(v, sizeof v, "%lld", rw_timeout_us);
//     av_dict_set(&opts, "rw_timeout", v, 0);
//     // RTMPS: check the server's certificate (FFmpeg does not by default),
//     // against the system's CAs or the given bundle.
//     av_dict_set(&opts, "tls_verify", "1", 0);
//     if (ca_file && *ca_file) av_dict_set(&opts, "ca_file", ca_file, 0);
//     if (send_buffer > 0) av_dict_set_int(&opts, "send_buffer_size", send_buffer, 0);
//     onair_opening = o;
//     int r = avio_open2(&o->pb, url, AVIO_FLAG_WRITE, &cb, &opts);
//     onair_opening = NULL;
//     av_dict_free(&opts);
//     return r;
// }
//
// static int onair_avio_write(onair_avio *o, const uint8_t *b, int n) {
//     avio_write(o->pb, b, n);
//     avio_flush(o->pb);
//     return o->pb->error;
// }
//
// static int onair_avio_close(onair_avio *o) { return avio_closep(&o->pb); }
import "C"

import (
	"sync/atomic"
	"time"
	"unsafe"
)

// avio is a libavformat write connection (rtmp:// or rtmps://) that takes an
// FLV byte stream. Each Write is flushed, so one tag goes out as one message.
// interrupt may be called from any goroutine until free; free's caller
// makes sure none is still running.
type avio struct {
	c *C.onair_avio
	// busySince is the unix-nano time the current open/write/close began
	// (0 when idle), read by the watchdog that interrupts calls that hang.
	busySince atomic.Int64
}

func newAVIO() *avio {
	return &avio{c: (*C.onair_avio)(C.calloc(1, C.sizeof_onair_avio))}
}

// open connects. sendBuffer, when set, is the socket's send buffer in bytes
// (SO_SNDBUF, which Linux doubles).
func (a *avio) open(url string, rwTimeout time.Duration, caFile string, sendBuffer int) error {
	cu := C.CString(url)
	defer C.free(unsafe.Pointer(cu))
	cca := C.CString(caFile)
	defer C.free(unsafe.Pointer(cca))
	a.busySince.Store(time.Now().UnixNano())
	defer a.busySince.Store(0)
	if r := C.onair_avio_open(a.c, cu, C.longlong(rwTimeout.Microseconds()), cca, C.int(sendBuffer)); r < 0 {
		return avError(r)
	}
	return nil
}

func (a *avio) Write(b []byte) (int, error) {
	if len(b) == 0 {
		return 0, nil
	}
	a.busySince.Store(time.Now().UnixNano())
	r := C.onair_avio_write(a.c, (*C.uint8_t)(unsafe.Pointer(&b[0])), C.int(len(b)))
	a.busySince.Store(0)
	if r < 0 {
		return 0, avError(r)
	}
	return len(b), nil
}

// said is what FFmpeg logged while opening this connection.
func (a *avio) said() string { return C.GoString(&a.c.said[0]) }

// NoteLog takes an FFmpeg log line if it was written while this thread was
// opening an RTMP connection, so the connection's error can quote the
// server ("Server error: …"). It reports whether it took the line.
func NoteLog(msg string) bool {
	cs := C.CString(msg)
	defer C.free(unsafe.Pointer(cs))
	return C.onair_avio_note(cs) != 0
}

// busyFor is how long the current call has been running (0 when idle).
func (a *avio) busyFor() time.Duration {
	t := a.busySince.Load()
	if t == 0 {
		return 0
	}
	return time.Since(time.Unix(0, t))
}

// interrupt makes a pending or future open, write or close return at once.
func (a *avio) interrupt() { C.onair_avio_interrupt(a.c) }

func (a *avio) close() error {
	if a.c.pb == nil {
		return nil
	}
	a.busySince.Store(time.Now().UnixNano())
	defer a.busySince.Store(0)
	if r := C.onair_avio_close(a.c); r < 0 {
		return avError(r)
	}
	return nil
}

// free releases the C state, once every caller of interrupt has returned:
// nothing may touch a afterwards.
func (a *avio) free() {
	C.free(unsafe.Pointer(a.c))
	a.c = nil
}
