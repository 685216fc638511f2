// Package posixlocale lets Fyne read the C locale as English. With
// LANG=C.UTF-8 (the default of Debian and most containers) Fyne v2.7 parses
// the language "C", fails, and logs an error at start-up of every onair
// command. Setting LANGUAGE, which gettext ignores in the C locale anyway,
// gives it a language it can parse.
//
// main imports it for its side effect. Go initialises packages in import-path
// order among those whose imports are ready, so this one (which needs only
// os and strings) runs before fyne.io/fyne/v2/lang reads the locale.
package posixlocale

import (
	"os"
	"strings"
)

func init() {
	Apply()
}

// Apply sets LANGUAGE=en when the messages locale is C or POSIX with a
// charset (C.UTF-8) and LANGUAGE is unset. Plain C and POSIX Fyne handles.
func Apply() {
	if os.Getenv("LANGUAGE") != "" {
		return
	}
	loc := ""
	for _, k := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		if loc = os.Getenv(k); loc != "" {
			break
		}
	}
	lang, _, _ := strings.Cut(loc, ".")
	if loc != lang && (lang == "C" || lang == "POSIX") {
		os.Setenv("LANGUAGE", "en")
	}
}
