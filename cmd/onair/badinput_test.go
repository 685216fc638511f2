package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Bad input to onair live ends at once with one line saying what is wrong
// and exit 2: never a panic, a Go stack, a hang or a key in the output.
func TestLiveRefusesBadSettings(t *testing.T) {
	const key = "sk_badinput_Zx81"
	dest := "rtmp://127.0.0.1:9/live/" + key
	dir := t.TempDir()
	write := func(name string, body []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, body, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	text := write("notes.mp4", []byte("these are my show notes, not a video\n"))
	empty := write("empty.mkv", nil)
	truncated := write("truncated.json", []byte(`{"canvas": {"width": 1280, "height": 72`))
	wrongType := write("types.json", []byte(`{"canvas": {"width": "wide"}, "destinations": [{"url": "`+dest+`"}]}`))
	latin1 := write("latin1.json", []byte("{\"destinations\": [{\"name\": \"Caf\xe9\", \"url\": \""+dest+"\"}]}"))
	utf16 := write("utf16.json", []byte("\xff\xfe{\x00}\x00"))
	trailing := write("trailing.json", []byte(`{"canvas": {"width": 1280, "height": 720, "fps": 30}} {"x": 1}`))
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"size 0", []string{"--size", "0x0"}, "canvas 0x0"},
		{"size huge", []string{"--size", "100000x100000"}, "canvas 100000x100000"},
		{"size odd", []string{"--size", "641x361"}, "must be even"},
		{"size words", []string{"--size", "big"}, `--size "big"`},
		{"fps 0", []string{"--fps", "0"}, "canvas fps 0"},
		{"fps absurd", []string{"--fps", "100000"}, "canvas fps 100000"},
		{"bitrate negative", []string{"--bitrate", "-3000"}, "video bitrate -3000"},
		{"bitrate 0", []string{"--bitrate", "0"}, "video bitrate 0"},
		{"audio bitrate negative", []string{"--audio-bitrate", "-1"}, "audio bitrate -1"},
		{"duration negative", []string{"--duration", "-5s"}, "--duration -5s"},
		{"preset", []string{"--preset", "ludicrous"}, `preset "ludicrous"`},
		{"source missing", []string{"--source", "file:" + filepath.Join(dir, "gone.mp4")}, "gone.mp4"},
		{"source not media", []string{"--source", "file:" + text}, "notes.mp4"},
		{"source empty", []string{"--source", "file:" + empty}, "empty.mkv"},
		{"source a folder", []string{"--source", "file:" + dir}, filepath.Base(dir)},
		{"source unknown", []string{"--source", "webcam9"}, `source "webcam9"`},
		{"profile truncated", []string{"--profile", truncated}, "ends too early"},
		{"profile wrong type", []string{"--profile", wrongType}, `field "canvas.width"`},
		{"profile not UTF-8", []string{"--profile", latin1}, "not UTF-8"},
		{"profile UTF-16", []string{"--profile", utf16}, "not UTF-8"},
		{"profile trailing", []string{"--profile", trailing}, "something follows the settings"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"live", "--duration", "2s"}, tc.args...)
			if !strings.HasPrefix(tc.name, "profile") {
				args = append(args, "--dest", dest)
			}
			r := runOnair(t, 20*time.Second, args...)
			lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
			if r.code != 2 || len(lines) != 1 || !strings.Contains(lines[0], tc.want) {
				t.Errorf("exit %d, want 2 and one line saying %q; stderr:\n%s", r.code, tc.want, r.stderr)
			}
			if strings.Contains(r.stderr, "goroutine ") || strings.Contains(r.stderr, "panic") {
				t.Errorf("a Go stack reached the performer:\n%s", r.stderr)
			}
			if r.stdout != "" || r.took > 5*time.Second {
				t.Errorf("took %s; stdout %q: nothing should have started", r.took, r.stdout)
			}
			assertNoSecrets(t, r, key)
		})
	}
}

// A media file cut short plays what it has: the session runs, never hangs
// or panics.
func TestLivePlaysATruncatedFile(t *testing.T) {
	dir := t.TempDir()
	full := filepath.Join(dir, "full.mkv")
	gen := exec.Command("ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=320x180:rate=30:duration=4",
		"-f", "lavfi", "-i", "sine=frequency=440:duration=4", "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", "-shortest", full)
	if out, err := gen.CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v\n%s", err, out)
	}
	b, err := os.ReadFile(full)
	if err != nil {
		t.Fatal(err)
	}
	cut := filepath.Join(dir, "cut.mkv")
	if err := os.WriteFile(cut, b[:len(b)/2], 0o600); err != nil {
		t.Fatal(err)
	}
	rec := filepath.Join(dir, "out.mkv")
	r := runOnair(t, 30*time.Second, "live", "--size", "320x180", "--duration", "3s", "--quiet",
		"--source", "file:"+cut, "--dest", "file://"+rec)
	if r.code != 0 || strings.Contains(r.stderr, "panic") {
		t.Fatalf("exit %d\nstderr:\n%s", r.code, r.stderr)
	}
	if fi, err := os.Stat(rec); err != nil || fi.Size() == 0 {
		t.Errorf("nothing recorded from the truncated file: %v", err)
	}
}
