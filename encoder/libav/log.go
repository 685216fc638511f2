package libav

import (
	"io"
	"strings"
	"sync"

	"github.com/asticode/go-astiav"
)

var (
	logMu sync.Mutex
	held  *[]string // while set, messages are kept here instead of printed
)

// HoldLogs runs f and returns what FFmpeg said meanwhile (when RouteLogs is
// in place), without printing it: the words behind a probe's failure. Only
// for moments nothing else is talking (opening, probing).
func HoldLogs(f func()) []string {
	var lines []string
	logMu.Lock()
	held = &lines
	logMu.Unlock()
	f()
	logMu.Lock()
	held = nil
	logMu.Unlock()
	return lines
}

// RouteLogs sends FFmpeg's warnings and errors to w, one line each, after
// passing them through redact so no stream key reaches a log. verbose lowers
// the level to info.
// take, when given, sees every line first and keeps those it returns true
// for (a destination quoting its server, say).
func RouteLogs(w io.Writer, redact func(string) string, verbose bool, take ...func(string) bool) {
	print := astiav.LogLevelError
	if verbose {
		print = astiav.LogLevelInfo
	}
	// Info reaches the callback even when only errors are printed: some
	// failures are told at that level ("Peer certificate failed verification").
	astiav.SetLogLevel(astiav.LogLevelInfo)
	astiav.SetLogCallback(func(c astiav.Classer, level astiav.LogLevel, _, msg string) {
		for _, t := range take {
			if t(strings.TrimSpace(msg)) && !verbose {
				return
			}
		}
		if level > print || (!verbose && isNetwork(c)) {
			return
		}
		msg = strings.TrimSpace(redact(msg))
		if msg == "" {
			return
		}
		logMu.Lock()
		defer logMu.Unlock()
		if held != nil {
			*held = append(*held, msg)
			return
		}
		io.WriteString(w, "libav: "+msg+"\n")
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
