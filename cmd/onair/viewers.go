package main

import (
	"fmt"
	"io"
	"sync"

	"onair/internal/wire"
	"onair/studio"
)

// startViewers serves the phone monitor (when the settings say so) and a
// private show (when asked) and prints their links once: they are the keys
// to the show, printed for the performer and nowhere else. The private
// show's changes are printed as they come. nil when neither is asked; ok
// false when the server could not start (said).
func startViewers(s studio.WebRTCSettings, private bool, stdout, stderr io.Writer) (v *wire.Viewers, ok bool) {
	if !s.Monitor && !private {
		return nil, true
	}
	v = wire.NewViewers(s, wire.CertDir())
	if s.Monitor {
		if err := v.SetMonitor(true); err != nil {
			fmt.Fprintf(stderr, "onair live: %v\n", err)
			v.Close()
			return nil, false
		}
	}
	if private {
		if err := v.OpenPrivate(); err != nil {
			fmt.Fprintf(stderr, "onair live: %v\n", err)
			v.Close()
			return nil, false
		}
	}
	st := v.State()
	fmt.Fprintf(stdout, "webrtc: this computer's certificate, SHA-256 %s (your browser warns that nobody vouches for it: check the figures match)\n", st.Fingerprint)
	if st.Link != "" {
		fmt.Fprintf(stdout, "phone monitor: %s\n", st.Link)
	}
	if st.PrivateLink != "" {
		fmt.Fprintf(stdout, "private show: %s\n", st.PrivateLink)
	}
	var mu sync.Mutex
	last := st.Call
	v.OnChange(func() {
		call := v.State().Call
		mu.Lock()
		defer mu.Unlock()
		if call != last && call != "" {
			last = call
			fmt.Fprintln(stderr, "private show:", call)
		}
	})
	return v, true
}
