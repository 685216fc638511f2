package device

// ALSA and JACK (which ALSA's plugins pull in) print to stderr whenever a
// device they look at is missing — a machine with no sound server prints a
// dozen lines on every scan. miniaudio loads libasound at run time; we load
// the same libraries first and hand them handlers that say nothing, since
// what matters reaches the performer in our own words ("no microphone
// found"). ONAIR_DEBUG keeps their lines.

/*
#cgo LDFLAGS: -ldl
#include <dlfcn.h>
#include <stddef.h>

static void onair_alsa_quiet(const char *file, int line, const char *fn, int err, const char *fmt, ...) {}
static void onair_jack_quiet(const char *msg) {}

static void onair_quiet_audio_libs(void) {
	void *a = dlopen("libasound.so.2", RTLD_NOW | RTLD_GLOBAL);
	if (a != NULL) {
		int (*set)(void *) = (int (*)(void *))dlsym(a, "snd_lib_error_set_handler");
		if (set != NULL) set((void *)onair_alsa_quiet);
	}
	void *j = dlopen("libjack.so.0", RTLD_NOW | RTLD_GLOBAL);
	if (j != NULL) {
		void (*seterr)(void (*)(const char *)) = (void (*)(void (*)(const char *)))dlsym(j, "jack_set_error_function");
		void (*setinfo)(void (*)(const char *)) = (void (*)(void (*)(const char *)))dlsym(j, "jack_set_info_function");
		if (seterr != NULL) seterr(onair_jack_quiet);
		if (setinfo != NULL) setinfo(onair_jack_quiet);
	}
	// The handles stay open for the process's life: the libraries must not
	// unload with our handlers set.
}
*/
import "C"

import (
	"os"
	"sync"
)

var quietOnce sync.Once

// quietAudioLibs silences ALSA's and JACK's own stderr lines, once.
func quietAudioLibs() {
	quietOnce.Do(func() {
		if os.Getenv("ONAIR_DEBUG") == "" {
			C.onair_quiet_audio_libs()
		}
	})
}
