//go:build race

package wire

import (
	"os"
	"syscall"
)

// Exit ends the program with code. Under the race detector os.Exit first
// runs C atexit handlers and C++ static destructors (a normal build never
// does), and libsrt's crash when SRT was used: SIGSEGV at a null function
// in racefini. Races are reported on stderr when they happen; the tests
// look for them there.
func Exit(code int) {
	os.Stdout.Sync()
	os.Stderr.Sync()
	syscall.Exit(code)
}
