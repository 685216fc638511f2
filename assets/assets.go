// Package assets holds what onair ships inside its binary: the app icon now,
// and later fonts, default overlays and the platform presets, as data.
package assets

import _ "embed"

// Icon is the app icon (PNG, 256×256).
//
//go:embed icon.png
var Icon []byte
