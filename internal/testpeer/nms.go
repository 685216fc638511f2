package testpeer

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"time"
)

// NMSDir is where `make setup-test` installs node-media-server with npm
// ($ONAIR_NMS_DIR, or ~/.cache/onair/node-media-server). The release is pinned
// in scripts/nms: 4.x parses Enhanced RTMP (HEVC in FLV with FourCCs) and
// records FLV; 4.3 still runs on Debian 12's Node.js 18.
func NMSDir() string {
	if d := os.Getenv("ONAIR_NMS_DIR"); d != "" {
		return d
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	return filepath.Join(cache, "onair", "node-media-server")
}

// NodeMediaServer is node-media-server on free loopback ports, recording
// every stream to Dir/record/APP/STREAM/*.flv, with its HTTP API on.
type NodeMediaServer struct {
	*Process
	RTMPPort, HTTPPort int
	Dir                string
	password           string
}

// nmsRunner starts the server from the module (argv: module dir, config
// file); the admin password is stored hashed, as the server wants.
const nmsRunner = `
const path = require("path");
const [dir, configPath] = process.argv.slice(2);
const NodeMediaServer = require(path.join(dir, "node_modules/node-media-server"));
const { hashPassword } = require(path.join(dir, "node_modules/node-media-server/src/api/handlers/password_hash.js"));
const config = JSON.parse(require("fs").readFileSync(configPath, "utf8"));
config.auth.jwt.users[0].password = hashPassword(config.auth.jwt.users[0].password);
const nms = new NodeMediaServer(config);
nms.run();
process.on("SIGINT", () => process.exit(0));
`

// StartNodeMediaServer starts node-media-server (installed by make
// setup-test) and waits for its RTMP and HTTP ports.
func StartNodeMediaServer(t T) *NodeMediaServer {
	t.Helper()
	Require(t, "node")
	mod := NMSDir()
	if _, err := os.Stat(filepath.Join(mod, "node_modules", "node-media-server", "package.json")); err != nil {
		t.Fatalf("node-media-server is not installed in %s: run make setup-test", mod)
	}
	dir := t.TempDir()
	n := &NodeMediaServer{RTMPPort: FreeTCPPort(t), HTTPPort: FreeTCPPort(t), Dir: dir, password: "test-only-password"}
	config := map[string]any{
		"bind":   "127.0.0.1",
		"rtmp":   map[string]any{"port": n.RTMPPort},
		"http":   map[string]any{"port": n.HTTPPort},
		"record": map[string]any{"path": filepath.Join(dir, "record")},
		"store":  map[string]any{"path": filepath.Join(dir, "data")},
		"auth": map[string]any{"play": false, "publish": false, "jwt": map[string]any{
			"secret": "test-only-secret", "expiresIn": "1h", "refreshExpiresIn": "1h", "algorithm": "HS256",
			"users": []map[string]string{{"username": "admin", "password": n.password, "role": "admin"}},
		}},
	}
	cfg, _ := json.Marshal(config)
	script, cfgPath := filepath.Join(dir, "run.js"), filepath.Join(dir, "config.json")
	mustWrite(t, script, nmsRunner)
	mustWrite(t, cfgPath, string(cfg))
	n.Process = start(t, dir, "node-media-server", nil, "node", script, mod, cfgPath)
	waitTCP(t, fmt.Sprintf("127.0.0.1:%d", n.RTMPPort), n.Process)
	waitTCP(t, fmt.Sprintf("127.0.0.1:%d", n.HTTPPort), n.Process)
	return n
}

// URL is rtmp://127.0.0.1:port/app/stream.
func (n *NodeMediaServer) URL(app, stream string) string {
	return fmt.Sprintf("rtmp://127.0.0.1:%d/%s/%s", n.RTMPPort, app, stream)
}

// Recordings lists the FLV files recorded for app/stream, oldest first.
func (n *NodeMediaServer) Recordings(app, stream string) []string {
	files, _ := filepath.Glob(filepath.Join(n.Dir, "record", app, stream, "*.flv"))
	slices.Sort(files)
	return files
}

// NMSStream is a stream as the server's API reports it.
type NMSStream struct {
	Key       string `json:"key"`
	Publisher *struct {
		VideoCodec     float64 `json:"videoCodec"`
		VideoWidth     int     `json:"videoWidth"`
		VideoHeight    int     `json:"videoHeight"`
		VideoFramerate float64 `json:"videoFramerate"`
		AudioCodec     float64 `json:"audioCodec"`
		InBytes        int64   `json:"inBytes"`
	} `json:"publisher"`
}

// Streams asks the server's HTTP API which streams it is receiving.
func (n *NodeMediaServer) Streams(t T) []NMSStream {
	t.Helper()
	base := fmt.Sprintf("http://127.0.0.1:%d/api/v1", n.HTTPPort)
	login, _ := json.Marshal(map[string]string{"username": "admin", "password": n.password})
	var auth struct {
		Data struct{ Token string } `json:"data"`
	}
	getJSON(t, mustReq(t, "POST", base+"/login", login, ""), &auth)
	var out struct {
		Data struct{ Streams []NMSStream } `json:"data"`
	}
	getJSON(t, mustReq(t, "GET", base+"/streams", nil, auth.Data.Token), &out)
	return out.Data.Streams
}

// Stop waits for the recordings to settle, then stops the server.
func (n *NodeMediaServer) Stop() {
	waitQuiet(n.Dir, 400*time.Millisecond, 10*time.Second)
	n.Process.Stop()
}

func mustReq(t T, method, url string, body []byte, token string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return req
}

func getJSON(t T, req *http.Request, v any) {
	t.Helper()
	c := http.Client{Timeout: 5 * time.Second}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("%s %s: %s", req.Method, req.URL, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
}
