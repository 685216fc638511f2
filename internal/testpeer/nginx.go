package testpeer

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
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
	conf string
}

// StartNginxRTMP starts nginx on a free loopback port with one `live on;
// record all;` application per name; app X records to Dir/X/<stream>.flv.
func StartNginxRTMP(t T, apps ...string) *NginxRTMP {
	t.Helper()
	return StartNginxRTMPWith(t, NginxOptions{}, apps...)
}

// NginxOptions vary the RTMP server.
type NginxOptions struct {
	// UniqueRecordings keeps every publish in its own file
	// (Dir/app/stream-<time>.flv) instead of overwriting one.
	UniqueRecordings bool
	// OnPublish is an HTTP URL nginx asks before accepting a stream (2xx
	// accepts, anything else refuses the stream key).
	OnPublish string
}

// StartNginxRTMPWith starts nginx like StartNginxRTMP, with options.
func StartNginxRTMPWith(t T, o NginxOptions, apps ...string) *NginxRTMP {
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
	unique := "off"
	if o.UniqueRecordings {
		unique = "on"
	}
	for _, app := range apps {
		rec := filepath.Join(dir, app)
		if err := os.MkdirAll(rec, 0o777); err != nil {
			t.Fatal(err)
		}
		extra := ""
		if o.OnPublish != "" {
			extra = " on_publish " + o.OnPublish + ";"
		}
		fmt.Fprintf(&b, "    application %s { live on; record all; record_path %s; record_unique %s;%s }\n", app, rec, unique, extra)
	}
	b.WriteString("  }\n}\n")
	conf := filepath.Join(dir, "nginx.conf")
	mustWrite(t, conf, b.String())
	n := &NginxRTMP{Port: port, Dir: dir, conf: conf}
	n.Restart(t)
	return n
}

// Restart starts nginx again with the same port and configuration (after
// Kill, say).
func (n *NginxRTMP) Restart(t T) {
	t.Helper()
	n.Process = start(t, n.Dir, "nginx", nil, "nginx", "-p", n.Dir, "-c", n.conf, "-e", filepath.Join(n.Dir, "error.log"))
	n.Log = filepath.Join(n.Dir, "error.log")
	waitTCP(t, fmt.Sprintf("127.0.0.1:%d", n.Port), n.Process)
}

// Recordings lists the files app recorded, oldest first.
func (n *NginxRTMP) Recordings(app string) []string {
	files, _ := filepath.Glob(filepath.Join(n.Dir, app, "*.flv"))
	slices.Sort(files)
	return files
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
