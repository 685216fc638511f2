package overlay

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/font/sfnt"
)

// Font names a TextStyle can give besides a file path.
const (
	FontRegular = ""     // the bundled Go Regular
	FontBold    = "bold" // the bundled Go Bold
)

// maxFontBytes bounds what a font file may cost in memory. The largest
// common fonts (CJK collections) are about 30 MB.
const maxFontBytes = 64 << 20

// The bundled fonts are parsed once, on first use.
var (
	goRegular = sync.OnceValues(func() (*sfnt.Font, error) { return opentype.Parse(goregular.TTF) })
	goBold    = sync.OnceValues(func() (*sfnt.Font, error) { return opentype.Parse(gobold.TTF) })
)

// userFonts holds the font files a style named, parsed once each: a style is
// rendered whenever its text changes, and reading the file each time would
// cost milliseconds. A file changed on disk is not read again.
var userFonts = struct {
	sync.Mutex
	byPath map[string]*sfnt.Font
}{byPath: map[string]*sfnt.Font{}}

// loadFontFile parses a TrueType or OpenType file (or the first font of a
// collection), once per path.
func loadFontFile(path string) (*sfnt.Font, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("font %q: %w", path, err)
	}
	userFonts.Lock()
	defer userFonts.Unlock()
	if f, ok := userFonts.byPath[abs]; ok {
		return f, nil
	}
	f, err := parseFontFile(abs)
	if err != nil {
		return nil, fmt.Errorf("font %q could not be used: %w; choose a TrueType or OpenType file (.ttf, .otf)", path, err)
	}
	userFonts.byPath[abs] = f
	return f, nil
}

func parseFontFile(path string) (*sfnt.Font, error) {
	st, err := os.Stat(path)
	switch {
	case err != nil:
		return nil, err
	case !st.Mode().IsRegular():
		return nil, errors.New("it is not a file")
	case st.Size() > maxFontBytes:
		return nil, fmt.Errorf("it is %d MB, more than the %d MB a font may be", st.Size()>>20, maxFontBytes>>20)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	f, err := opentype.Parse(data)
	if err == nil {
		return f, nil
	}
	// A .ttc/.otc collection: use its first font.
	if c, cerr := opentype.ParseCollection(data); cerr == nil && c.NumFonts() > 0 {
		if f, ferr := c.Font(0); ferr == nil {
			return f, nil
		}
	}
	return nil, fmt.Errorf("it is not a font this program can read (%w)", err)
}

// systemFallbacks are fonts tried, in order, for characters the chosen font
// lacks, when they are installed (Debian's fonts-dejavu-core, fonts-noto-*).
// Colour emoji fonts are left out: their glyphs are bitmaps we cannot draw.
var systemFallbacks = [2][]string{
	{ // regular
		"/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
		"/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf",
		"/usr/share/fonts/truetype/noto/NotoSans*-Regular.ttf",
		"/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
		"/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
	},
	{ // bold, then the regular ones for what bold faces lack
		"/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
		"/usr/share/fonts/truetype/noto/NotoSans-Bold.ttf",
	},
}

// lazyFont is a fallback font parsed the first time a character needs it:
// most text never does, and the Noto set is tens of megabytes.
type lazyFont struct {
	path string
	once sync.Once
	f    *sfnt.Font // nil when the file is missing or unreadable
}

func (l *lazyFont) font() *sfnt.Font {
	l.once.Do(func() {
		// A system font that cannot be read is skipped quietly: it is not
		// the performer's choice, and the text still renders without it.
		l.f, _ = parseFontFile(l.path)
	})
	return l.f
}

// systemFonts lists the installed fallbacks once per process (regular, bold).
var systemFonts = sync.OnceValue(func() [2][]*lazyFont {
	var out [2][]*lazyFont
	seen := map[string]bool{}
	add := func(i int, pattern string) {
		paths, _ := filepath.Glob(pattern) // a bad pattern is ours; no match is normal
		for _, p := range paths {
			if !seen[p] {
				seen[p] = true
				out[i] = append(out[i], &lazyFont{path: p})
			}
		}
	}
	for _, p := range systemFallbacks[0] {
		add(0, p)
	}
	for _, p := range systemFallbacks[1] {
		add(1, p)
	}
	out[1] = append(out[1], out[0]...)
	return out
})

// fontChain is the fonts tried in order for each character: the chosen one,
// the bundled one for what a user's font lacks, then the system fallbacks.
// A character none of them has is left out.
type fontChain struct {
	first    []*sfnt.Font
	fallback []*lazyFont
}

func newFontChain(name string) (fontChain, error) {
	var c fontChain
	bold := name == FontBold
	switch name {
	case FontRegular, FontBold:
		load := goRegular
		if bold {
			load = goBold
		}
		f, err := load()
		if err != nil {
			return c, fmt.Errorf("the bundled font is damaged: %w", err)
		}
		c.first = []*sfnt.Font{f}
	default:
		f, err := loadFontFile(name)
		if err != nil {
			return c, err
		}
		c.first = []*sfnt.Font{f}
		if reg, err := goRegular(); err == nil {
			c.first = append(c.first, reg)
		}
	}
	sys := systemFonts()
	if bold {
		c.fallback = sys[1]
	} else {
		c.fallback = sys[0]
	}
	return c, nil
}

// main is the font whose metrics set the line height.
func (c fontChain) main() *sfnt.Font { return c.first[0] }

// glyph finds r's glyph in the first font that has one; ok is false when no
// font has it (never the .notdef box).
func (c fontChain) glyph(buf *sfnt.Buffer, r rune) (f *sfnt.Font, idx sfnt.GlyphIndex, ok bool) {
	for _, f := range c.first {
		if i, err := f.GlyphIndex(buf, r); err == nil && i != 0 {
			return f, i, true
		}
	}
	for _, l := range c.fallback {
		f := l.font()
		if f == nil {
			continue
		}
		if i, err := f.GlyphIndex(buf, r); err == nil && i != 0 {
			return f, i, true
		}
	}
	return nil, 0, false
}
