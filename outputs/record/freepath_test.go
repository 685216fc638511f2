package record

import (
	"os"
	"path/filepath"
	"testing"
)

// A recording never writes over another: a reconnect or a second show with
// the same name goes beside it, numbered.
func TestFreePathNeverOverwrites(t *testing.T) {
	dir := t.TempDir()
	show := filepath.Join(dir, "show.mkv")
	if got := freePath(show); got != show {
		t.Errorf("no file yet: %s, want %s", got, show)
	}
	os.WriteFile(show, []byte("part one"), 0o644)
	if got, want := freePath(show), filepath.Join(dir, "show-2.mkv"); got != want {
		t.Errorf("after part one: %s, want %s", got, want)
	}
	os.WriteFile(filepath.Join(dir, "show-2.mkv"), []byte("part two"), 0o644)
	os.WriteFile(filepath.Join(dir, "show-3.mkv"), nil, 0o644) // opened, nothing written
	if got, want := freePath(show), filepath.Join(dir, "show-3.mkv"); got != want {
		t.Errorf("after part two: %s, want %s", got, want)
	}
	if b, _ := os.ReadFile(show); string(b) != "part one" {
		t.Errorf("part one was changed: %q", b)
	}
}
