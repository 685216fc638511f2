package webrtc

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	pion "github.com/pion/webrtc/v4"
)

// ServerConfig sets up onair's own HTTPS server.
type ServerConfig struct {
	// Addr is where to listen, ":8443" by default (every interface: the
	// phone is on the local network; requests from beyond it are refused).
	Addr string
	// CertDir keeps the self-signed certificate and its key, so the
	// fingerprint the performer checked stays the same from one launch to
	// the next; "" keeps them in memory only.
	CertDir string
	// ICEServers are STUN and TURN servers for its WebRTC peers.
	ICEServers []pion.ICEServer
}

// Server is onair's own HTTPS server on the local network: the phone
// monitor's and the private show's pages and signalling. Its certificate is
// self-signed (no authority vouches for a laptop's address): the window
// shows its fingerprint so the performer can check what the phone's warning
// shows. Requests from beyond the local network are refused.
type Server struct {
	cfg         ServerConfig
	cert        tls.Certificate
	fingerprint string // SHA-256 of the certificate, colon hex
	spki        string // base64 SHA-256 of its public key
	mux         *http.ServeMux

	mu      sync.Mutex
	http    *http.Server
	port    int
	closers []func() // the monitors' and shows' ends, run by Close
	serving sync.WaitGroup
}

// DefaultServerAddr is where the server listens unless told.
const DefaultServerAddr = ":8443"

// NewServer loads (or makes) the certificate; nothing listens until Start.
func NewServer(cfg ServerConfig) (*Server, error) {
	if cfg.Addr == "" {
		cfg.Addr = DefaultServerAddr
	}
	cert, err := loadOrMakeCert(cfg.CertDir)
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, cert: cert, mux: http.NewServeMux()}
	sum := sha256.Sum256(cert.Leaf.Raw)
	hexes := make([]string, len(sum))
	for i, b := range sum {
		hexes[i] = fmt.Sprintf("%02X", b)
	}
	s.fingerprint = strings.Join(hexes, ":")
	spki := sha256.Sum256(cert.Leaf.RawSubjectPublicKeyInfo)
	s.spki = base64.StdEncoding.EncodeToString(spki[:])
	return s, nil
}

// Start listens and serves. A port another program holds is said in words.
func (s *Server) Start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.http != nil {
		return nil
	}
	ln, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		if errors.Is(err, syscall.EADDRINUSE) {
			return fmt.Errorf("port %s is taken by another program: choose another (webrtc port in the settings)", portOf(s.cfg.Addr))
		}
		return fmt.Errorf("listening on %s: %w", s.cfg.Addr, err)
	}
	s.port = ln.Addr().(*net.TCPAddr).Port
	s.http = &http.Server{
		Handler:           s.guard(s.mux),
		TLSConfig:         &tls.Config{Certificates: []tls.Certificate{s.cert}, MinVersion: tls.VersionTLS12},
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          quietLog(),
	}
	srv := s.http
	s.serving.Add(1)
	go func() {
		defer s.serving.Done()
		srv.ServeTLS(ln, "", "") // returns at Shutdown
	}()
	return nil
}

func portOf(addr string) string {
	_, p, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	return p
}

// Port is the port listened on (after Start).
func (s *Server) Port() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.port
}

// Fingerprint is the certificate's SHA-256, colon hex, as browsers show it.
func (s *Server) Fingerprint() string { return s.fingerprint }

// SPKIHash is the base64 SHA-256 of the certificate's public key (what
// Chromium's --ignore-certificate-errors-spki-list takes).
func (s *Server) SPKIHash() string { return s.spki }

// Handle serves h for pattern (http.ServeMux's patterns), to the local
// network only.
func (s *Server) Handle(pattern string, h http.Handler) { s.mux.Handle(pattern, localOnly(h)) }

// HandleOpen serves h for pattern to anyone who reaches the server: the
// private show's viewer may be anywhere (a token of one use guards it; the
// performer's router decides whether the server can be reached at all).
func (s *Server) HandleOpen(pattern string, h http.Handler) { s.mux.Handle(pattern, h) }

// onClose adds what Close ends (before the server shuts down).
func (s *Server) onClose(f func()) {
	s.mu.Lock()
	s.closers = append(s.closers, f)
	s.mu.Unlock()
}

// BaseURLs are the server's addresses, https://IP:port: the local
// network's first, loopback last.
func (s *Server) BaseURLs() []string {
	port := strconv.Itoa(s.Port())
	var out []string
	for _, ip := range append(lanIPs(), net.IPv4(127, 0, 0, 1)) {
		out = append(out, "https://"+net.JoinHostPort(ip.String(), port))
	}
	return out
}

// Close ends every monitor viewer and show, stops serving and waits.
func (s *Server) Close() error {
	s.mu.Lock()
	closers := s.closers
	s.closers = nil
	srv := s.http
	s.mu.Unlock()
	for _, f := range closers {
		f()
	}
	if srv == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	err := srv.Shutdown(ctx)
	if err != nil {
		err = srv.Close() // a request that would not finish
	}
	s.serving.Wait()
	return err
}

// localOnly refuses whoever is not on the local network.
func localOnly(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !localRemote(r.RemoteAddr) {
			http.Error(w, "onair serves its own network only", http.StatusForbidden)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// guard keeps the pages out of caches and referrers (their address holds
// a token).
func (s *Server) guard(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("Referrer-Policy", "no-referrer")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		h.ServeHTTP(w, r)
	})
}

// localRemote says whether a request's remote address is on this
// computer's networks: loopback, private (RFC 1918, RFC 4193), link-local
// or carrier-grade NAT (a phone on some hotspots).
func localRemote(hostport string) bool {
	host, _, err := net.SplitHostPort(hostport)
	if err != nil {
		host = hostport
	}
	ip := net.ParseIP(strings.Split(host, "%")[0])
	if ip == nil {
		return false
	}
	if ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() {
		return true
	}
	_, cgnat, _ := net.ParseCIDR("100.64.0.0/10")
	return cgnat.Contains(ip)
}

// lanIPs are this computer's private IPv4 addresses, in interface order.
func lanIPs() []net.IP {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return nil
	}
	var out []net.IP
	for _, a := range addrs {
		n, ok := a.(*net.IPNet)
		if !ok {
			continue
		}
		if ip := n.IP.To4(); ip != nil && !ip.IsLoopback() && (ip.IsPrivate() || ip.IsLinkLocalUnicast() || localRemote(ip.String())) {
			out = append(out, ip)
		}
	}
	return out
}

// certLife is how long a certificate made here lasts; one that ends within
// certRenew is made again.
const (
	certLife  = 2 * 365 * 24 * time.Hour
	certRenew = 7 * 24 * time.Hour
)

// loadOrMakeCert reads dir's certificate and key, or makes a new pair (and
// saves it, the key 0600) when there is none, it is unreadable or ends soon.
func loadOrMakeCert(dir string) (tls.Certificate, error) {
	certPath, keyPath := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if dir != "" {
		if c, err := tls.LoadX509KeyPair(certPath, keyPath); err == nil && c.Leaf != nil && time.Until(c.Leaf.NotAfter) > certRenew {
			return c, nil
		}
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return tls.Certificate{}, err
	}
	host, _ := os.Hostname()
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: "onair on " + host, Organization: []string{"onair"}},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(certLife),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:     []string{"localhost"},
		IPAddresses:  append(lanIPs(), net.IPv4(127, 0, 0, 1), net.IPv6loopback),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return tls.Certificate{}, err
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})
	c, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return tls.Certificate{}, err
	}
	if dir != "" {
		// Not saved is not fatal: the fingerprint changes next launch.
		if err := os.MkdirAll(dir, 0o700); err == nil {
			if err := os.WriteFile(keyPath, keyPEM, 0o600); err == nil {
				os.WriteFile(certPath, certPEM, 0o644)
			}
		}
	}
	return c, nil
}

// sameOrigin says whether a browser request comes from our own pages (a
// page elsewhere cannot make our server answer it).
func sameOrigin(r *http.Request) bool {
	o := r.Header.Get("Origin")
	return o == "" || o == "https://"+r.Host
}

// quietLog swallows net/http's own lines: a phone that has not accepted the
// certificate yet fails its TLS handshakes, which is expected.
func quietLog() *log.Logger { return log.New(io.Discard, "", 0) }
