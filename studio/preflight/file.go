package preflight

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/sys/unix"

	"onair/outputs"
)

// checkFile checks a recording's folder: it exists, onair can write there,
// and the disk holds enough of the show.
func checkFile(label string, t outputs.Target, kbps int) Result {
	start := time.Now()
	r := Result{Name: label + ": recording"}
	dir := filepath.Dir(t.Path)
	done := func(l Level, reason, detail string) Result {
		r.Level, r.Reason, r.Detail, r.Took = l, reason, detail, time.Since(start)
		return r
	}
	fi, err := os.Stat(dir)
	switch {
	case err != nil:
		return done(Red, fmt.Sprintf("the folder %s does not exist: create it or record elsewhere", dir), "")
	case !fi.IsDir():
		return done(Red, fmt.Sprintf("%s is not a folder", dir), "")
	}
	f, err := os.CreateTemp(dir, ".onair-check-*")
	if err != nil {
		return done(Red, fmt.Sprintf("onair cannot write in %s: check the folder's permissions", dir), "")
	}
	f.Close()
	os.Remove(f.Name())
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return done(Amber, "the free space could not be read", "")
	}
	free := int64(st.Bavail) * int64(st.Bsize)
	perHour := int64(kbps) * 1000 / 8 * 3600
	hours := float64(free) / float64(perHour)
	detail := fmt.Sprintf("%.1f GB free, %.1f GB per hour at %d kb/s", float64(free)/1e9, float64(perHour)/1e9, kbps)
	switch {
	case hours < 0.25:
		return done(Red, fmt.Sprintf("the disk holds only %.0f minutes of the show: free some space", hours*60), detail)
	case hours < 2:
		return done(Amber, fmt.Sprintf("the disk holds about %.0f minutes of the show", hours*60), detail)
	}
	return done(Green, fmt.Sprintf("%s is writable and holds %.0f hours of the show", dir, hours), detail)
}
