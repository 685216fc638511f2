package settings

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// testHookWrite, when set, writes the temp file in place of the normal
// write (a test makes it stop half-way, as a crash would).
var testHookWrite func(f *os.File, data []byte) error

// writeAtomic replaces dir/name with data so that a crash at any moment
// leaves either the old file or the new one, never a mix: a temp file in the
// same directory, fsync, rename over, fsync the directory. Mode 0600.
func writeAtomic(dir, name string, data []byte) (err error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("onair cannot make its settings folder %s: %w", dir, err)
	}
	f, err := os.CreateTemp(dir, name+".tmp-*")
	if err != nil {
		return fmt.Errorf("onair cannot save its settings in %s: %w", dir, err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if err := f.Chmod(0o600); err != nil {
		return fmt.Errorf("onair cannot make %s readable only by you: %w", tmp, err)
	}
	if testHookWrite != nil {
		err = testHookWrite(f, data)
	} else {
		_, err = f.Write(data)
	}
	if err != nil {
		return fmt.Errorf("onair cannot save %s (is the disk full?): %w", filepath.Join(dir, name), err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("onair cannot save %s: %w", filepath.Join(dir, name), err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("onair cannot save %s: %w", filepath.Join(dir, name), err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, name)); err != nil {
		return fmt.Errorf("onair cannot save %s: %w", filepath.Join(dir, name), err)
	}
	return syncDir(dir)
}

// syncDir makes a rename in dir survive a power cut.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, os.ErrInvalid) {
		return fmt.Errorf("onair cannot save its settings in %s: %w", dir, err)
	}
	return nil
}

// removeStaleTemps clears temp files a crash left behind.
func removeStaleTemps(dir, name string) {
	tmps, _ := filepath.Glob(filepath.Join(dir, name+".tmp-*"))
	for _, t := range tmps {
		os.Remove(t)
	}
}

// backup moves path aside to path.broken-YYYYMMDD-HHMMSS (-2, -3… when that
// exists: a backup is never overwritten) and returns the backup's name.
func backup(path string, now time.Time) (string, error) {
	base := path + ".broken-" + now.Format("20060102-150405")
	for n := 1; n < 1000; n++ {
		name := base
		if n > 1 {
			name = fmt.Sprintf("%s-%d", base, n)
		}
		err := os.Link(path, name)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil { // a file system without hard links: copy
			if err = copyExcl(path, name); errors.Is(err, fs.ErrExist) {
				continue
			}
		}
		if err != nil {
			return "", err
		}
		if err := os.Remove(path); err != nil {
			return name, err
		}
		return name, syncDir(filepath.Dir(path))
	}
	return "", fmt.Errorf("too many backups of %s already", path)
}

func copyExcl(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		os.Remove(dst)
		return err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
