package main

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// The debug endpoint answers only requests addressed to loopback (no DNS
// rebinding from a web page).
func TestDebugEndpointRefusesOtherHosts(t *testing.T) {
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})
	for host, want := range map[string]int{
		"127.0.0.1:6060": 200, "localhost:6060": 200, "[::1]:6060": 200,
		"evil.example:6060": 403, "10.0.0.2:6060": 403, "": 403,
	} {
		r := httptest.NewRequest("GET", "/debug/stats", nil)
		r.Host = host
		w := httptest.NewRecorder()
		loopbackOnly(ok).ServeHTTP(w, r)
		if w.Code != want {
			t.Errorf("Host %q: %d, want %d", host, w.Code, want)
		}
	}
}
