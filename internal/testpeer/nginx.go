package testpeer

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// RTMPModule is where Debian's libnginx-mod-rtmp puts the module.
const RTMPModule = "/usr/lib/nginx/modules/ngx_rtmp_module.so"

// NginxRTMP is nginx with the RTMP module, recording every stream it gets.
type NginxRTMP struct {
	*Process
	Port int
	Dir  string
}

// StartNginxRTMP starts nginx on a free loopback port with one `live on;
// record all;` application per name; app X records to Dir/X/<stream>.flv.
func StartNginxRTMP(t T, apps ...string) *NginxRTMP {
	t.Helper()
	Require(t, "nginx")
	if _, err := os.Stat(RTMPModule); err != nil {
		t.Fatalf("the nginx RTMP module is missing (%s): install libnginx-mod-rtmp", RTMPModule)
	}
	dir := t.TempDir()
	port := FreeTCPPort(t)
	var b strings.Builder
	fmt.Fprintf(&b, "load_module %s;\ndaemon off;\nmaster_process off;\nerror_log %s/error.log info;\npid %s/nginx.pid;\n", RTMPModule, dir, dir)
	fmt.Fprintf(&b, "events { worker_connections 128; }\nrtmp {\n  server {\n    listen 127.0.0.1:%d;\n    chunk_size 4096;\n", port)
	for _, app := range apps {
		rec := filepath.Join(dir, app)
		if err := os.MkdirAll(rec, 0o777); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "    application %s { live on; record all; record_path %s; record_unique off; }\n", app, rec)
	}
	b.WriteString("  }\n}\n")
	conf := filepath.Join(dir, "nginx.conf")
	mustWrite(t, conf, b.String())
	p := start(t, dir, "nginx", nil, "nginx", "-p", dir, "-c", conf, "-e", filepath.Join(dir, "error.log"))
	n := &NginxRTMP{Process: p, Port: port, Dir: dir}
	n.Log = filepath.Join(dir, "error.log")
	waitTCP(t, fmt.Sprintf("127.0.0.1:%d", port), p)
	return n
}

// URL is rtmp://127.0.0.1:port/app/stream.
func (n *NginxRTMP) URL(app, stream string) string {
	return fmt.Sprintf("rtmp://127.0.0.1:%d/%s/%s", n.Port, app, stream)
}

// Recording is the file app records stream into.
func (n *NginxRTMP) Recording(app, stream string) string {
	return filepath.Join(n.Dir, app, stream+".flv")
}

// Stop waits until every recording has stopped growing (nginx has written
// what it received), then stops nginx.
func (n *NginxRTMP) Stop() {
	waitQuiet(n.Dir, 400*time.Millisecond, 10*time.Second)
	n.Process.Stop()
}

// waitQuiet waits until the total size of the recordings under dir has not
// changed for quiet, or until limit.
func waitQuiet(dir string, quiet, limit time.Duration) {
	size := func() (total int64) {
		filepath.Walk(dir, func(_ string, fi os.FileInfo, err error) error {
			if err == nil && strings.HasSuffix(fi.Name(), ".flv") {
				total += fi.Size()
			}
			return nil
		})
		return total
	}
	deadline := time.Now().Add(limit)
	last, since := size(), time.Now()
	for time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
		if s := size(); s != last {
			last, since = s, time.Now()
		} else if time.Since(since) >= quiet {
			return
		}
	}
}
