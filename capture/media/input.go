package media

import (
	"errors"
	"fmt"
	"os"

	"github.com/asticode/go-astiav"
)

// openInput opens path's demuxer and reads its streams, with errors a
// performer can act on. It looks at the path first: FFmpeg would block for
// ever on a pipe and says only "Invalid data" of a folder or an empty file.
func openInput(path string) (*astiav.FormatContext, error) {
	st, err := os.Stat(path)
	var pe *os.PathError
	switch {
	case errors.As(err, &pe):
		return nil, fmt.Errorf("media file %s: %w", path, pe.Err)
	case err != nil:
		return nil, fmt.Errorf("media file %s: %w", path, err)
	case st.IsDir():
		return nil, fmt.Errorf("media file %s is a folder, not a file: choose a video file", path)
	case !st.Mode().IsRegular():
		return nil, fmt.Errorf("media file %s is not a regular file (a pipe or a device): choose a video file", path)
	case st.Size() == 0:
		return nil, fmt.Errorf("media file %s is empty", path)
	}
	fc := astiav.AllocFormatContext()
	if err := fc.OpenInput(path, nil, nil); err != nil {
		fc.Free()
		return nil, unreadable(path, err)
	}
	if err := fc.FindStreamInfo(nil); err != nil {
		fc.CloseInput() // it frees the context too
		return nil, unreadable(path, err)
	}
	return fc, nil
}

func unreadable(path string, err error) error {
	if errors.Is(err, astiav.ErrInvaliddata) {
		// What FFmpeg says of text, noise, and an mp4 whose index was cut off.
		return fmt.Errorf("media file %s is not a video onair can play, or it is damaged: %w", path, err)
	}
	return fmt.Errorf("media file %s cannot be read: %w", path, err)
}

// reopen starts the file over with a new demuxer, for files that cannot seek
// back (a Matroska file cut before its index).
func (d *decoders) reopen() error {
	fc, err := openInput(d.path)
	if err != nil {
		return err
	}
	if len(fc.Streams()) <= max(d.vidx, d.aidx) {
		fc.CloseInput()
		return fmt.Errorf("media file %s changed while playing", d.path)
	}
	d.fc.CloseInput()
	d.fc = fc
	return nil
}
