package preflight

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"golang.org/x/sys/unix"
)

// upload is what the upload test measured on one connection.
type upload struct {
	Kbps    float64       // what the server's side acknowledged, per second, after the warm-up
	RTT     time.Duration // the kernel's smoothed round trip under that load
	Sent    int64         // bytes written
	Window  time.Duration // how long the rate was measured over
	CapKbps float64       // the test sends no faster than this
}

func (u upload) String() string {
	if u.Window == 0 {
		return ""
	}
	s := fmt.Sprintf("%.0f kb/s over %.1f s, RTT %s", u.Kbps, u.Window.Seconds(), ms(u.RTT))
	if u.Kbps >= 0.9*u.CapKbps {
		s = "at least " + s + " (the test sends at most 3× the stream)"
	}
	return s
}

// headroom is how much faster than the stream a link should carry it for
// the stream to ride out a dip in the link.
const headroom = 1.5

// verdict words the upload against the kbps the destination needs.
func (u upload) verdict(kbps int, err error) (Level, string) {
	switch {
	case err != nil:
		return Red, "the connection broke during the upload test: " + err.Error()
	case u.Window == 0:
		return Amber, "the upload could not be measured"
	case u.Kbps < float64(kbps) && suggest(u.Kbps, kbps) < 300:
		return Red, fmt.Sprintf("your upload to this server carried only %.0f kb/s; the stream needs %d kb/s: this connection cannot carry a show, use a faster one",
			u.Kbps, kbps)
	case u.Kbps < float64(kbps):
		return Red, fmt.Sprintf("your upload to this server carried %.0f kb/s; the stream needs %d kb/s: lower the video bitrate to %d kb/s or less, or use a faster connection",
			u.Kbps, kbps, suggest(u.Kbps, kbps))
	case u.Kbps < headroom*float64(kbps):
		return Amber, fmt.Sprintf("your upload carries %.0f kb/s, only %.1f× the %d kb/s the stream needs: a dip in the link will drop frames; lower the video bitrate to %d kb/s for room",
			u.Kbps, u.Kbps/float64(kbps), kbps, suggest(u.Kbps, kbps))
	}
	return Green, fmt.Sprintf("your upload holds the %d kb/s the stream needs, with room to spare", kbps)
}

// suggest is a video bitrate the measured link carries with headroom,
// rounded down to 100 kb/s (the audio's share taken off).
func suggest(measured float64, kbps int) int {
	_ = kbps
	v := int(measured/headroom) - 160
	return max(v/100*100, 0)
}

// measureUpload sends harmless RTMP commands (the server ignores a command
// it does not know) for d, paced at 3× the stream's rate, and reads from
// the kernel how many bytes the server's side acknowledged: the rate the
// link carries, not what the send buffer swallowed. The first quarter of d
// fills the buffers and is not counted.
func measureUpload(ctx context.Context, c *rtmpConn, tcp *net.TCPConn, kbps int, d time.Duration) (upload, error) {
	capBps := 3 * float64(kbps) * 1000 / 8
	u := upload{CapKbps: capBps * 8 / 1000}
	msg := fillerCommand(16 << 10)
	start := time.Now()
	end := start.Add(d)
	warm := start.Add(d / 4)
	c.conn.SetWriteDeadline(end)
	stop := context.AfterFunc(ctx, func() { c.conn.SetWriteDeadline(time.Now()) })
	defer stop()
	var (
		acked0 uint64
		t0     time.Time
	)
	for {
		now := time.Now()
		if t0.IsZero() && !now.Before(warm) {
			a, _, ok := tcpInfo(tcp)
			if !ok {
				return u, nil
			}
			acked0, t0 = a, now
		}
		if !now.Before(end) || ctx.Err() != nil {
			break
		}
		if float64(u.Sent) >= capBps*now.Sub(start).Seconds() {
			time.Sleep(min(5*time.Millisecond, time.Until(end)))
			continue
		}
		if err := c.writeMessage(3, 20, msg); err != nil {
			if isTimeout(err) {
				break // the test's end, in the middle of a write
			}
			if ctx.Err() != nil {
				break
			}
			return u, errors.New("the server hung up")
		}
		u.Sent += int64(len(msg))
	}
	if t0.IsZero() {
		return u, nil
	}
	acked1, rtt, ok := tcpInfo(tcp)
	if !ok {
		return u, nil
	}
	u.Window = time.Since(t0)
	u.Kbps = float64(acked1-acked0) * 8 / 1000 / u.Window.Seconds()
	u.RTT = rtt
	return u, nil
}

// fillerCommand is an AMF0 command no server acts on, n bytes long.
func fillerCommand(n int) []byte {
	var b []byte
	b = amfString(b, "onairUploadCheck")
	b = amfNumber(b, 0)
	b = append(b, 5) // null
	pad := n - len(b) - 5
	b = append(b, 0x0c, byte(pad>>24), byte(pad>>16), byte(pad>>8), byte(pad))
	for range pad {
		b = append(b, 'x')
	}
	return b
}

// tcpInfo reads the connection's acknowledged bytes and smoothed RTT.
func tcpInfo(c *net.TCPConn) (acked uint64, rtt time.Duration, ok bool) {
	rc, err := c.SyscallConn()
	if err != nil {
		return 0, 0, false
	}
	rc.Control(func(fd uintptr) {
		info, err := unix.GetsockoptTCPInfo(int(fd), unix.IPPROTO_TCP, unix.TCP_INFO)
		if err == nil {
			acked, rtt, ok = info.Bytes_acked, time.Duration(info.Rtt)*time.Microsecond, true
		}
	})
	return acked, rtt, ok
}
