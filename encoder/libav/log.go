package libav

import (
	"io"
	"strings"
	"sync"

	"github.com/asticode/go-astiav"
)

var logMu sync.Mutex

// RouteLogs sends FFmpeg's warnings and errors to w, one line each, after
// passing them through redact so no stream key reaches a log. verbose lowers
// the level to info.
func RouteLogs(w io.Writer, redact func(string) string, verbose bool) {
	level := astiav.LogLevelError
	if verbose {
		level = astiav.LogLevelInfo
	}
	astiav.SetLogLevel(level)
	astiav.SetLogCallback(func(_ astiav.Classer, _ astiav.LogLevel, _, msg string) {
		msg = strings.TrimSpace(redact(msg))
		if msg == "" {
			return
		}
		logMu.Lock()
		io.WriteString(w, "libav: "+msg+"\n")
		logMu.Unlock()
	})
}
