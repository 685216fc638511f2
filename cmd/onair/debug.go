package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/pprof"
	"runtime"
	"time"

	"onair/studio"
)

// debugServer is `onair live --debug-addr`: an HTTP endpoint on loopback with
// the Go profiles (/debug/pprof/) and the live statistics (/debug/stats) for
// soak runs and profiling. It has no password, so it never listens beyond
// this machine, and it never serves the command line (it holds stream keys).
// A nil *debugServer is the endpoint turned off.
type debugServer struct {
	l      net.Listener
	srv    *http.Server
	cancel context.CancelFunc // ends the requests still running (a CPU profile)
	served chan struct{}      // closed when Serve has returned
}

// debugShutdownWait is how long requests get to finish when live ends.
const debugShutdownWait = 2 * time.Second

// listenDebug binds addr, which must be a loopback address; "" turns the
// endpoint off (nil, nil).
func listenDebug(addr string, stderr io.Writer) (*debugServer, error) {
	if addr == "" {
		return nil, nil
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("--debug-addr %q: give a loopback address and port, e.g. 127.0.0.1:6060", addr)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return nil, fmt.Errorf("--debug-addr %q: only a loopback address (127.0.0.1, ::1 or localhost) — the endpoint has no password", addr)
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("--debug-addr %q: %w", addr, err)
	}
	if a, ok := l.Addr().(*net.TCPAddr); !ok || !a.IP.IsLoopback() {
		l.Close()
		return nil, fmt.Errorf("--debug-addr %q: %s is not a loopback address", addr, l.Addr())
	}
	fmt.Fprintf(stderr, "debug: http://%s/debug/pprof/ and /debug/stats\n", l.Addr())
	return &debugServer{l: l}, nil
}

// Serve starts answering requests, /debug/stats from stats. Close stops it.
func (d *debugServer) Serve(stats func() studio.BroadcastStats) {
	if d == nil {
		return
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	mux.HandleFunc("/debug/pprof/cmdline", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "not served: the command line holds stream keys", http.StatusNotFound)
	})
	mux.HandleFunc("/debug/stats", func(w http.ResponseWriter, r *http.Request) {
		doc := struct {
			Goroutines int `json:"goroutines"`
			statsDoc
		}{runtime.NumGoroutine(), statsReport(stats())}
		w.Header().Set("Content-Type", "application/json")
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		enc.Encode(doc)
	})
	ctx, cancel := context.WithCancel(context.Background())
	d.cancel = cancel
	d.srv = &http.Server{
		Handler:           loopbackOnly(mux),
		ReadHeaderTimeout: 5 * time.Second,
		BaseContext:       func(net.Listener) context.Context { return ctx },
	}
	d.served = make(chan struct{})
	go func() {
		defer close(d.served)
		d.srv.Serve(d.l)
	}()
}

// Close stops the endpoint and returns once its goroutines have ended.
func (d *debugServer) Close() {
	if d == nil {
		return
	}
	if d.srv == nil { // never served
		d.l.Close()
		return
	}
	d.cancel()
	ctx, cancel := context.WithTimeout(context.Background(), debugShutdownWait)
	defer cancel()
	if err := d.srv.Shutdown(ctx); errors.Is(err, context.DeadlineExceeded) {
		d.srv.Close()
	}
	<-d.served
}

// loopbackOnly refuses requests that name another host: a web page the
// performer visits could otherwise reach the endpoint through a DNS name
// it points at 127.0.0.1 (DNS rebinding).
func loopbackOnly(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host := r.Host
		if h, _, err := net.SplitHostPort(host); err == nil {
			host = h
		}
		if ip := net.ParseIP(host); !(host == "localhost" || ip != nil && ip.IsLoopback()) {
			http.Error(w, "forbidden", http.StatusForbidden)
			return
		}
		h.ServeHTTP(w, r)
	})
}
