package preflight

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"syscall"
	"time"

	"onair/outputs"
)

// Deadlines of the steps, each within the pre-flight's 15 s.
const (
	dnsTimeout     = 3 * time.Second
	connectTimeout = 3 * time.Second
	tlsTimeout     = 3 * time.Second
	rtmpTimeout    = 4 * time.Second
)

// checkRTMP checks an RTMP(S) destination: DNS, TCP connect, TLS, the RTMP
// handshake and connect to the app (never publish: the key is not sent),
// then the upload.
func checkRTMP(ctx context.Context, cfg Config, label string, t outputs.Target, kbps int) ([]Result, *upload) {
	s := &steps{label: label}
	start := time.Now()
	ip, err := lookup(ctx, t.Host)
	if !s.add("DNS", start, lvl(err), reasonOr(err, fmt.Sprintf("%s found", t.Host)), ip) {
		return s.out, nil
	}
	addr := net.JoinHostPort(ip, strconv.Itoa(t.Port))
	start = time.Now()
	dctx, cancel := context.WithTimeout(ctx, connectTimeout)
	raw, err := (&net.Dialer{}).DialContext(dctx, "tcp", addr)
	cancel()
	connectTook := time.Since(start)
	if err != nil {
		s.add("connect", start, Red, dialReason(err, t), "")
		return s.out, nil
	}
	defer raw.Close()
	s.add("connect", start, Green, "the server answers on port "+strconv.Itoa(t.Port), "connect "+ms(connectTook))
	tcp := raw.(*net.TCPConn)
	var conn net.Conn = tcp
	if t.Protocol == outputs.RTMPS {
		start = time.Now()
		tc := tls.Client(tcp, &tls.Config{ServerName: t.Host, RootCAs: cfg.RootCAs, MinVersion: tls.VersionTLS12})
		hctx, cancel := context.WithTimeout(ctx, tlsTimeout)
		err := tc.HandshakeContext(hctx)
		cancel()
		if err != nil {
			s.add("TLS", start, Red, tlsReason(err), "")
			return s.out, nil
		}
		st := tc.ConnectionState()
		leaf := st.PeerCertificates[0]
		level, reason := Green, "the certificate is valid for "+t.Host
		if left := time.Until(leaf.NotAfter); left < 12*time.Hour { // it would lapse during a long show
			level, reason = Amber, fmt.Sprintf("the certificate is valid but expires in %.0f hours: the show may outlast it; the site must renew it", left.Hours())
		}
		s.add("TLS", start, level, reason, fmt.Sprintf("%s, issued by %s, valid until %s", tls.VersionName(st.Version), leaf.Issuer.CommonName, leaf.NotAfter.UTC().Format("2006-01-02")))
		conn = tc
	}
	start = time.Now()
	rctx, cancel := context.WithTimeout(ctx, rtmpTimeout)
	stop := context.AfterFunc(rctx, func() { conn.SetDeadline(time.Now()) })
	c := &rtmpConn{conn: conn, inChunk: 128}
	hs, err := c.handshake()
	if err == nil {
		err = c.connect(t)
	}
	stop()
	cancel()
	conn.SetDeadline(time.Time{})
	if err != nil {
		s.add("RTMP", start, Red, rtmpReason(err, t), "")
		return s.out, nil
	}
	s.add("RTMP", start, Green, fmt.Sprintf("the server accepted the app %q (nothing was published)", t.App), "handshake "+ms(hs)+", connect "+ms(time.Since(start)))
	start = time.Now()
	u, err := measureUpload(ctx, c, tcp, kbps, cfg.UploadFor)
	level, reason := u.verdict(kbps, err)
	s.add("upload", start, level, reason, u.String())
	return s.out, &u
}

func lvl(err error) Level {
	if err != nil {
		return Red
	}
	return Green
}

func reasonOr(err error, ok string) string {
	if err != nil {
		return err.Error()
	}
	return ok
}

// lookup resolves host (an IP address stays as it is).
func lookup(ctx context.Context, host string) (string, error) {
	if net.ParseIP(host) != nil {
		return host, nil
	}
	ctx, cancel := context.WithTimeout(ctx, dnsTimeout)
	defer cancel()
	ips, err := net.DefaultResolver.LookupHost(ctx, host)
	if err != nil || len(ips) == 0 {
		return "", fmt.Errorf("cannot find the server %q: check the URL and your internet connection", host)
	}
	return ips[0], nil
}

func dialReason(err error, t outputs.Target) string {
	where := net.JoinHostPort(t.Host, strconv.Itoa(t.Port))
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return fmt.Sprintf("nothing answers at %s (connection refused): is the server up, and is the port right?", where)
	case errors.Is(err, context.DeadlineExceeded) || isTimeout(err):
		return fmt.Sprintf("no answer from %s within %s: a firewall, or the wrong address", where, connectTimeout)
	case errors.Is(err, syscall.ENETUNREACH) || errors.Is(err, syscall.EHOSTUNREACH):
		return fmt.Sprintf("%s cannot be reached: is this computer online?", where)
	}
	return fmt.Sprintf("cannot connect to %s: %v", where, err)
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// tlsReason words a failed TLS handshake.
func tlsReason(err error) string {
	var unknown x509.UnknownAuthorityError
	var invalid x509.CertificateInvalidError
	var host x509.HostnameError
	switch {
	case errors.As(err, &unknown):
		issuer := ""
		if unknown.Cert != nil {
			issuer = " (issued by " + strconv.Quote(unknown.Cert.Issuer.CommonName) + ")"
		}
		return "the server's certificate is not from an authority this computer trusts" + issuer + ": it may not be the site you think; for a server with its own CA, name the CA file in SSL_CERT_FILE"
	case errors.As(err, &invalid) && invalid.Reason == x509.Expired:
		return fmt.Sprintf("the server's certificate has expired or is not valid yet (valid %s to %s): the site must renew it, or this computer's clock is wrong",
			invalid.Cert.NotBefore.UTC().Format("2006-01-02"), invalid.Cert.NotAfter.UTC().Format("2006-01-02"))
	case errors.As(err, &invalid):
		return "the server's certificate was not accepted: " + invalid.Error()
	case errors.As(err, &host):
		return "the server's certificate is for another name (" + host.Error() + "): check the host in the URL"
	case errors.Is(err, context.DeadlineExceeded) || isTimeout(err):
		return fmt.Sprintf("no TLS answer within %s: is it an RTMPS port?", tlsTimeout)
	}
	return "the secure connection failed: " + err.Error() + ": is it an RTMPS port?"
}

// rtmpReason words a failed RTMP handshake or connect.
func rtmpReason(err error, t outputs.Target) string {
	var refused *connectRefused
	switch {
	case errors.As(err, &refused):
		return fmt.Sprintf("the server refused the app %q: %s", t.App, refused.said)
	case errors.Is(err, errHungUp) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE):
		return fmt.Sprintf("the server hung up when asked for the app %q: check the app in the URL (rtmp://host/APP/key), or it is not an RTMP server", t.App)
	case isTimeout(err):
		return fmt.Sprintf("the server did not answer the RTMP handshake within %s: is it an RTMP server, on the right port?", rtmpTimeout)
	}
	return "the RTMP conversation failed: " + strings.TrimPrefix(err.Error(), "rtmp: ")
}
