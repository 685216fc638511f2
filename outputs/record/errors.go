package record

import (
	"errors"
	"fmt"
	"syscall"

	"github.com/asticode/go-astiav"

	"onair/outputs"
)

// failed words a failure to create or write the recording. Retrying cannot
// fix a full disk or a path that cannot be written (permissions, a
// read-only disk, a folder where the file should be, a file where a folder
// should be): those are said once and stop the recording (the other
// destinations go on). Anything else (an I/O error on a disk that may come
// back) is retried.
func failed(doing string, err error) error {
	errno, ok := errnoOf(err)
	switch {
	case !ok:
		return fmt.Errorf("%s: %w", doing, err)
	case errno == syscall.ENOSPC || errno == syscall.EDQUOT || errno == syscall.EFBIG:
		return outputs.Permanent(fmt.Errorf("disk full: the recording stopped (%s: %w); free some space, then start it again", doing, err))
	case errno == syscall.EACCES || errno == syscall.EPERM || errno == syscall.EROFS ||
		errno == syscall.EISDIR || errno == syscall.ENOTDIR || errno == syscall.EEXIST ||
		errno == syscall.ENAMETOOLONG || errno == syscall.ELOOP:
		return outputs.Permanent(fmt.Errorf("%s: %w: record somewhere else", doing, err))
	}
	return fmt.Errorf("%s: %w", doing, err)
}

// errnoOf finds the system error under err: Go's, or FFmpeg's AVERROR(e),
// which is -e.
func errnoOf(err error) (syscall.Errno, bool) {
	var e syscall.Errno
	if errors.As(err, &e) {
		return e, true
	}
	var a astiav.Error
	if errors.As(err, &a) && a < 0 && a > -4096 {
		return syscall.Errno(-a), true
	}
	return 0, false
}
