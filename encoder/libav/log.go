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
	astiav.SetLogCallback(func(c astiav.Classer, _ astiav.LogLevel, _, msg string) {
		if !verbose && isNetwork(c) {
			return // the destination reports these itself, in words
		}
		msg = strings.TrimSpace(redact(msg))
		if msg == "" {
			return
		}
		logMu.Lock()
		io.WriteString(w, "libav: "+msg+"\n")
		logMu.Unlock()
	})
}

// isNetwork tells messages from protocol contexts (tcp, tls, rtmp), whose
// failures the destinations already report.
func isNetwork(c astiav.Classer) bool {
	if c == nil || c.Class() == nil {
		return false
	}
	switch c.Class().Name() {
	case "URLContext", "AVIOContext", "TCP", "TLS", "RTMP", "rtmp", "tcp", "tls":
		return true
	}
	return false
}
