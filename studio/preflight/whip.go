package preflight

import (
	"context"
	"time"

	"onair/outputs"
)

// checkWHIP finds the WHIP server's host. A session is not tried: a WHIP
// server would count it as a show starting (and the token is checked at Go
// Live, in words, like a stream key).
func checkWHIP(ctx context.Context, label string, t outputs.Target) []Result {
	s := &steps{label: label}
	start := time.Now()
	ip, err := lookup(ctx, t.Host)
	if !s.add("DNS", start, lvl(err), reasonOr(err, t.Host+" found"), ip) {
		return s.out
	}
	s.add("WHIP", time.Now(), Amber, "the WHIP server is not tried before going live: its token and the WebRTC path are checked at Go Live", "")
	return s.out
}
