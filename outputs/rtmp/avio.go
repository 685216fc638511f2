package rtmp

// #cgo pkg-config: libavformat libavutil
// #include <libavformat/avio.h>
// #include <libavutil/dict.h>
// #include <stdlib.h>
// #include <stdio.h>
//
// typedef struct { AVIOContext *pb; int stop; } onair_avio;
//
// static int onair_avio_interrupted(void *o) { return __atomic_load_n(&((onair_avio*)o)->stop, __ATOMIC_RELAXED); }
// static void onair_avio_interrupt(onair_avio *o) { __atomic_store_n(&o->stop, 1, __ATOMIC_RELAXED); }
//
// static int onair_avio_open(onair_avio *o, const char *url, long long rw_timeout_us) {
//     AVIOInterruptCB cb = { onair_avio_interrupted, o };
//     AVDictionary *opts = NULL;
//     char v[32];
//     snprintf(v, sizeof v, "%lld", rw_timeout_us);
//     av_dict_set(&opts, "rw_timeout", v, 0);
//     int r = avio_open2(&o->pb, url, AVIO_FLAG_WRITE, &cb, &opts);
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
	"errors"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/asticode/go-astiav"
)

// avio is a libavformat write connection (rtmp:// or rtmps://) that takes an
// FLV byte stream. Each Write is flushed, so one tag goes out as one message.
// Interrupt may be called from any goroutine until free.
type avio struct {
	c *C.onair_avio
	// busySince is the unix-nano time the current open/write/close began
	// (0 when idle), read by the watchdog that interrupts calls that hang.
	busySince atomic.Int64
}

func newAVIO() *avio {
	return &avio{c: (*C.onair_avio)(C.calloc(1, C.sizeof_onair_avio))}
}

func (a *avio) open(url string, rwTimeout time.Duration) error {
	cu := C.CString(url)
	defer C.free(unsafe.Pointer(cu))
	a.busySince.Store(time.Now().UnixNano())
	defer a.busySince.Store(0)
	if r := C.onair_avio_open(a.c, cu, C.longlong(rwTimeout.Microseconds())); r < 0 {
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

// free releases the C state; nothing may call interrupt afterwards.
func (a *avio) free() { C.free(unsafe.Pointer(a.c)) }

// errInterrupted is returned when a call was stopped from our side.
var errInterrupted = errors.New("stopped")

func avError(code C.int) error {
	err := astiav.Error(code)
	if errors.Is(err, astiav.ErrExit) {
		return errInterrupted
	}
	return err
}
