// Package assets holds what onair ships inside its binary: the app icon now,
// and later fonts, default overlays and the platform presets, as data.
package assets

import _ "embed"

// Icon is the app icon (PNG, 256×256).
//
//go:embed icon.png
var Icon []byte

// PresetsJSON lists the streaming platforms onair knows: ingest URL and the
// encoder limits each accepts (codecs, max bitrate, keyframe interval, max
// fps, B-frames, profile), from the widely used OBS service list. Limits are
// data: a destination's preset decides which rendition it can share.
//
//go:embed presets.json
var PresetsJSON []byte

// GoFontLicense is the licence of the Go fonts (golang.org/x/image/font/gofont)
// that overlay text is drawn in unless the performer picks a font; a binary
// that ships them must reproduce it, e.g. in the app's About box.
//
//go:embed fonts/LICENSE-gofont
var GoFontLicense string
