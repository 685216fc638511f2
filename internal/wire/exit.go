//go:build !race

package wire

import "os"

// Exit ends the program with code.
func Exit(code int) { os.Exit(code) }
