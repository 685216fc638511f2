package settings

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
)

// Layout is the studio window's shape, saved beside the profile.
type Layout struct {
	Width  float32 `json:"width"` // the window's size, in Fyne's units
	Height float32 `json:"height"`
	// MainSplit is the preview's share of the window's width, the side
	// column beside it (0.1 to 0.9).
	MainSplit float64 `json:"main_split"`
	// SideSplit is the destinations' share of the side column's height, the
	// chat below them (0.1 to 0.9).
	SideSplit float64 `json:"side_split"`
	Maximized bool    `json:"maximized,omitempty"`
}

// layoutFormat is layout.json's version.
const layoutFormat = 1

type layoutFile struct {
	Format int `json:"format"`
	Layout
}

// DefaultLayout is a first start's window.
func DefaultLayout() Layout {
	return Layout{Width: 1280, Height: 800, MainSplit: 0.7, SideSplit: 0.6}
}

// Validate says what in l cannot be a window.
func (l Layout) Validate() error {
	split := func(f float64) bool { return f >= 0.1 && f <= 0.9 }
	size := func(f float32) bool { return f >= 200 && f <= 16384 }
	switch {
	case !size(l.Width) || !size(l.Height):
		return fmt.Errorf("a window of %gx%g: width and height must be 200 to 16384", l.Width, l.Height)
	case !split(l.MainSplit) || !split(l.SideSplit) || math.IsNaN(l.MainSplit) || math.IsNaN(l.SideSplit):
		return errors.New("the split positions must be 0.1 to 0.9")
	}
	return nil
}

// LoadLayout reads the saved window layout: the default one when there is
// none, or (moved aside, with a message) when it is broken or newer.
func (s *Store) LoadLayout() (Layout, []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	path := filepath.Join(s.dir, LayoutFile)
	removeStaleTemps(s.dir, LayoutFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return DefaultLayout(), nil
	}
	if err != nil {
		return DefaultLayout(), []string{fmt.Sprintf("onair could not read the window layout (%s): %v. The window opened at its usual size.", path, err)}
	}
	f := layoutFile{Layout: DefaultLayout()}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var v struct{ Format int }
	if json.Unmarshal(b, &v) == nil && v.Format > layoutFormat {
		err = fmt.Errorf("it was saved by a newer onair (format %d; this one reads format %d)", v.Format, layoutFormat)
	} else if err = dec.Decode(&f); err != nil {
		err = errors.New("it is not valid JSON")
	} else if dec.More() {
		err = errors.New("something follows the layout")
	} else {
		err = f.Validate()
	}
	if err != nil {
		name, berr := backup(path, s.now())
		if berr != nil {
			return DefaultLayout(), []string{fmt.Sprintf("The window layout (%s) could not be used: %v; it could not be set aside either (%v). The window opened at its usual size.", path, err, berr)}
		}
		return DefaultLayout(), []string{fmt.Sprintf("The window layout (%s) could not be used: %v. It is kept as %s, and the window opened at its usual size.", path, err, filepath.Base(name))}
	}
	s.lastL, _ = json.Marshal(f.Layout)
	return f.Layout, nil
}

// SaveLayout writes l; an unchanged layout writes nothing.
func (s *Store) SaveLayout(l Layout) error {
	if err := l.Validate(); err != nil {
		return fmt.Errorf("window layout not saved: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	plain, _ := json.Marshal(l)
	if bytes.Equal(plain, s.lastL) {
		return nil
	}
	data, err := json.MarshalIndent(layoutFile{Format: layoutFormat, Layout: l}, "", "  ")
	if err != nil {
		return err
	}
	if err := writeAtomic(s.dir, LayoutFile, append(data, '\n')); err != nil {
		return err
	}
	s.lastL = plain
	return nil
}
