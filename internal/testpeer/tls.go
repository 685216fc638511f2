package testpeer

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// StreamModule is where Debian's libnginx-mod-stream puts the module.
const StreamModule = "/usr/lib/nginx/modules/ngx_stream_module.so"

// TLSFront is nginx terminating TLS in front of an RTMP server: RTMPS, the
// way ingest services run it. CAFile is the self-signed certificate to trust.
type TLSFront struct {
	*Process
	Port   int
	CAFile string
}

// StartTLSFront puts a TLS listener for localhost in front of backend.
func StartTLSFront(t T, backend *NginxRTMP) *TLSFront {
	t.Helper()
	Require(t, "nginx")
	if _, err := os.Stat(StreamModule); err != nil {
		t.Fatalf("the nginx stream module is missing (%s): install libnginx-mod-stream", StreamModule)
	}
	dir := t.TempDir()
	cert, key := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := selfSigned(cert, key); err != nil {
		t.Fatal(err)
	}
	port := FreeTCPPort(t)
	conf := filepath.Join(dir, "nginx.conf")
	mustWrite(t, conf, fmt.Sprintf(`load_module %s;
daemon off;
master_process off;
error_log %s/error.log info;
pid %s/nginx.pid;
events { worker_connections 64; }
stream {
  server {
    listen 127.0.0.1:%d ssl;
    ssl_certificate %s;
    ssl_certificate_key %s;
    proxy_pass 127.0.0.1:%d;
  }
}
`, StreamModule, dir, dir, port, cert, key, backend.Port))
	p := start(t, dir, "nginx-tls", nil, "nginx", "-p", dir, "-c", conf, "-e", filepath.Join(dir, "error.log"))
	waitTCP(t, fmt.Sprintf("127.0.0.1:%d", port), p)
	return &TLSFront{Process: p, Port: port, CAFile: cert}
}

// URL is rtmps://localhost:port/app/stream.
func (f *TLSFront) URL(app, stream string) string {
	return fmt.Sprintf("rtmps://localhost:%d/%s/%s", f.Port, app, stream)
}

func selfSigned(certPath, keyPath string) error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(time.Now().UnixNano()),
		Subject:               pkix.Name{CommonName: "localhost"},
		DNSNames:              []string{"localhost"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return err
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return err
	}
	if err := os.WriteFile(certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		return err
	}
	return os.WriteFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600)
}
