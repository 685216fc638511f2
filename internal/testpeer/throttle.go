package testpeer

import (
	"io"
	"net"
	"sync"
	"time"
)

// SlowProxy forwards TCP from a new loopback port to backend, the upstream
// direction at most bytesPerSec: a performer's destination on a thin upload.
// It returns the proxy's address; the owner's cleanup closes its listener and
// every connection and waits for its goroutines.
func SlowProxy(t T, backend string, bytesPerSec int) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		conns = map[net.Conn]bool{}
	)
	track := func(c net.Conn, open bool) {
		mu.Lock()
		defer mu.Unlock()
		if open {
			conns[c] = true
		} else {
			delete(conns, c)
		}
	}
	t.Cleanup(func() {
		l.Close()
		mu.Lock()
		for c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			b, err := net.Dial("tcp", backend)
			if err != nil {
				c.Close()
				continue
			}
			track(c, true)
			track(b, true)
			// A small receive buffer so the sender feels the limit at once.
			c.(*net.TCPConn).SetReadBuffer(16 << 10)
			wg.Add(2)
			go func() {
				defer wg.Done()
				io.Copy(c, b)
				c.Close()
				track(c, false)
			}()
			go func() {
				defer wg.Done()
				defer func() { b.Close(); track(b, false) }()
				buf := make([]byte, 4096)
				for {
					n, err := c.Read(buf)
					if n > 0 {
						if _, err := b.Write(buf[:n]); err != nil {
							return
						}
						time.Sleep(time.Duration(n) * time.Second / time.Duration(bytesPerSec))
					}
					if err != nil {
						return
					}
				}
			}()
		}
	}()
	return l.Addr().String()
}
