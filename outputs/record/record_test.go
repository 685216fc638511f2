package record

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/asticode/go-astiav"

	"onair/encoder"
	"onair/outputs"
)

var testStreams = []encoder.Stream{
	{Kind: encoder.Video, Codec: encoder.H264, Width: 640, Height: 360, FPS: 30, TimeBase: encoder.Rational{Num: 1, Den: 30},
		Extradata: []byte{0, 0, 0, 1, 0x67, 0x64, 0x00, 0x1f, 0xac, 0xd9, 0, 0, 0, 1, 0x68, 0xeb, 0xe3, 0xcb}},
	{Kind: encoder.Audio, Codec: encoder.AAC, SampleRate: 48000, Channels: 2, FrameSize: 1024, TimeBase: encoder.Rational{Num: 1, Den: 48000},
		Extradata: []byte{0x11, 0x90}, Delay: 1024 * time.Second / 48000},
}

func target(t *testing.T, path string) outputs.Target {
	t.Helper()
	tg, err := outputs.ParseTarget("file://" + path)
	if err != nil {
		t.Fatal(err)
	}
	return tg
}

// video is the i-th picture of a fake stream: 64 KB, a keyframe a second.
func video(i int) *encoder.Packet {
	return &encoder.Packet{Kind: encoder.Video, Key: i%30 == 0, PTS: int64(i), DTS: int64(i), TimeBase: testStreams[0].TimeBase,
		Data: append([]byte{0, 0, 0, 1, 0x65}, make([]byte, 64<<10)...)}
}

// A place that cannot take a recording fails at once, says why, and is
// marked permanent: the destination stops instead of retrying forever.
func TestUnwritablePlaceIsPermanent(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "a-file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	folder := filepath.Join(dir, "show.mkv")
	if err := os.Mkdir(folder, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ name, path, want string }{
		{"a folder that cannot be created", filepath.Join(file, "shows", "show.mkv"),
			"creating the recordings folder: mkdir " + file + ": not a directory: record somewhere else"},
		{"a path that is a folder", folder, "cannot write " + folder + ": Is a directory: record somewhere else"},
	} {
		t.Run(c.name, func(t *testing.T) {
			s, err := Connector{}.Connect(context.Background(), target(t, c.path), testStreams)
			if s != nil {
				s.Close()
			}
			if err == nil || err.Error() != c.want || !errors.Is(err, outputs.ErrPermanent) {
				t.Errorf("Connect = %v, want %q, permanent", err, c.want)
			}
		})
	}
}

// What a recording's failure is: permanent when retrying cannot help.
func TestFailedIsPermanentOnlyWhenRetryCannotHelp(t *testing.T) {
	for _, c := range []struct {
		err       error
		permanent bool
	}{
		{syscall.ENOSPC, true},
		{astiav.Error(-int(syscall.ENOSPC)), true},
		{astiav.Error(-int(syscall.EDQUOT)), true},
		{&os.PathError{Op: "mkdir", Path: "/x", Err: syscall.EACCES}, true},
		{syscall.EPERM, true},
		{syscall.EROFS, true},
		{astiav.Error(-int(syscall.EISDIR)), true},
		{syscall.EIO, false},
		{astiav.Error(-int(syscall.EIO)), false},
		{astiav.ErrEof, false},
		{errors.New("something else"), false},
	} {
		if got := errors.Is(failed("writing", c.err), outputs.ErrPermanent); got != c.permanent {
			t.Errorf("failed(%v) permanent = %v, want %v", c.err, got, c.permanent)
		}
	}
}

// smallDisk mounts a tmpfs of the given size for the test (root only).
func smallDisk(t *testing.T, size string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "disk")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size, "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("a full disk is a %s tmpfs, and mounting one needs root: %v %s", size, err, strings.TrimSpace(string(out)))
	}
	t.Cleanup(func() { exec.Command("umount", dir).Run() })
	return dir
}

// A disk that fills while recording: the recording says "disk full" once and
// stops (state Failed); nothing is retried. The disk is /dev/full (every
// write fails with ENOSPC), or a 2 MB tmpfs that fills up (root only).
func TestDiskFillsWhileRecording(t *testing.T) {
	for _, c := range []struct {
		name string
		path func(t *testing.T) string
		kept int64 // what the recording keeps of the show, at least
	}{
		{"/dev/full", func(t *testing.T) string {
			path := filepath.Join(t.TempDir(), "show.mkv")
			if err := os.Symlink("/dev/full", path); err != nil {
				t.Fatal(err)
			}
			return path
		}, 0},
		{"tmpfs", func(t *testing.T) string { return filepath.Join(smallDisk(t, "2m"), "show.mkv") }, 1 << 20},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := c.path(t)
			var mu sync.Mutex
			var said []string
			d := outputs.NewDestination(target(t, path), Connector{}, testStreams, outputs.DestinationOptions{
				Backoff: outputs.Backoff{First: 10 * time.Millisecond, Factor: 1, Max: 10 * time.Millisecond},
				OnEvent: func(e outputs.Event) {
					mu.Lock()
					defer mu.Unlock()
					if e.Err != "" {
						said = append(said, e.Err)
					}
				},
			})
			defer d.Queue().Close()
			done := make(chan error, 1)
			go func() { done <- d.Run(context.Background()) }()
			for d.Stats().State != outputs.Live {
				time.Sleep(5 * time.Millisecond)
			}
			for i := range 30 * 10 { // 10 s at 15 Mb/s: far more than 2 MB
				d.Queue().Push(video(i))
			}
			var err error
			select {
			case err = <-done:
			case <-time.After(10 * time.Second):
				t.Fatalf("still recording onto a full disk: %+v", d.Stats())
			}
			want := fmt.Sprintf("file://%s: disk full: the recording stopped (writing: No space left on device); free some space, then start it again", path)
			if err == nil || err.Error() != want {
				t.Errorf("Run = %v, want %q", err, want)
			}
			if s := d.Stats(); s.State != outputs.Failed || s.Attempts != 1 {
				t.Errorf("stats %+v: want failed after one attempt", s)
			}
			mu.Lock()
			defer mu.Unlock()
			if len(said) != 1 || said[0] != want {
				t.Errorf("said %q, want it said once", said)
			}
			if fi, err := os.Stat(path); c.kept > 0 && (err != nil || fi.Size() < c.kept) {
				t.Errorf("the recording up to the full disk is gone: %v", err)
			}
		})
	}
}
