package studio

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestParseCommand(t *testing.T) {
	for line, want := range map[string]Command{
		"scene Be right back":                {Kind: CmdScene, Name: "Be right back"},
		"  show   logo ":                     {Kind: CmdShow, Name: "logo"},
		"HIDE chat box":                      {Kind: CmdHide, Name: "chat box"},
		"privacy on":                         {Kind: CmdPrivacy, On: true},
		"privacy OFF":                        {Kind: CmdPrivacy},
		"alert tip 100 Ana":                  {Kind: CmdAlert, Alert: AlertEvent{Kind: AlertTip, Amount: 100, Name: "Ana"}},
		"alert raid 42 Bo  hi":               {Kind: CmdAlert, Alert: AlertEvent{Kind: AlertRaid, Amount: 42, Name: "Bo", Message: "hi"}},
		"alert tip 2.5 Zoë merci beaucoup !": {Kind: CmdAlert, Alert: AlertEvent{Kind: AlertTip, Amount: 2.5, Name: "Zoë", Message: "merci beaucoup !"}},
		"alert follow 0 李小龙":                 {Kind: CmdAlert, Alert: AlertEvent{Kind: AlertFollow, Name: "李小龙"}},
		"alert tip 5 p thanks":               {Kind: CmdAlert, Alert: AlertEvent{Kind: AlertTip, Amount: 5, Name: "p", Message: "thanks"}},
		"alert sub 12 sub hi":                {Kind: CmdAlert, Alert: AlertEvent{Kind: AlertSub, Amount: 12, Name: "sub", Message: "hi"}},
	} {
		got, err := ParseCommand(line)
		if err != nil || got != want {
			t.Errorf("ParseCommand(%q) = %+v, %v; want %+v", line, got, err, want)
		}
	}
	for line, want := range map[string]string{
		"":                        "an empty line",
		"dance":                   `"dance" is not a command`,
		"scene":                   "scene: which one?",
		"privacy maybe":           `privacy "maybe": say privacy on or privacy off`,
		"alert tip":               "alert: say alert tip|follow|sub|raid",
		"alert hug 1 Ana":         `alert "hug": the kinds are tip, follow, sub and raid`,
		"alert tip lots Ana":      `the amount "lots" is not a number`,
		"alert tip -5 Ana":        `the amount "-5" is not a number`,
		"alert tip NaN Ana":       `the amount "NaN" is not a number`,
		"alert tip 1 \u202e":      "the viewer's name is empty once cleaned",
		"scene \xff\xfe":          "not UTF-8",
		strings.Repeat("a", 5000): "too long",
	} {
		if _, err := ParseCommand(line); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseCommand(%.40q) = %v; want an error saying %q", line, err, want)
		}
	}
}

// Untrusted text is drawn as plain text: controls become spaces, bidi
// overrides and zero-width characters go, it is cut with an ellipsis.
func TestCleanText(t *testing.T) {
	for in, want := range map[string]string{
		"Ana\u202eevil":            "Anaevil",
		"tab\there\nnew  line":     "tab here new line",
		"zero\u200bwidth\u2066iso": "zerowidthiso",
		"  spaces  ":               "spaces",
		"\u3164\u3164Ana\u2800":    "Ana",
		"Za\u0301\u0302\u0303\u0304\u0305\u0306\u0307lgo": "Za\u0301\u0302\u0303\u0304lgo",
		"Vi\u1EC7t":              "Vi\u1EC7t",
		"\x00\x1b[31mred\x1b[0m": "[31mred [0m",
		"émoji 🎉 ok":             "émoji 🎉 ok",
		"العربية":                "العربية",
		strings.Repeat("x", 60):  strings.Repeat("x", 39) + "…",
	} {
		if got := CleanText(in, 40); got != want {
			t.Errorf("CleanText(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCleanTextLimits(t *testing.T) {
	for _, limit := range []int{-5, 0, 1, 1 << 62} {
		if got := CleanText("abc", limit); got == "" || !utf8.ValidString(got) {
			t.Errorf("CleanText(abc, %d) = %q", limit, got)
		}
	}
}

func FuzzParseCommand(f *testing.F) {
	for _, s := range []string{"scene Live", "alert tip 100 Ana thanks", "privacy on", "alert raid 1e9 x \u202e y", "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		c, err := ParseCommand(line)
		if err != nil {
			return
		}
		for _, s := range []string{c.Name, c.Alert.Name, c.Alert.Message} {
			if !utf8.ValidString(s) || strings.ContainsAny(s, "\x00\n\r\u202e\u200b") || utf8.RuneCountInString(s) > MaxMessageRunes+1 {
				t.Fatalf("unsafe text %q from %q", s, line)
			}
		}
	})
}

func TestParseSceneFadeAndChat(t *testing.T) {
	for line, want := range map[string]Command{
		"scene Be right back":             {Kind: CmdScene, Name: "Be right back"},
		"scene Be right back fade":        {Kind: CmdScene, Name: "Be right back", Fade: DefaultFade},
		"scene Live fade 400ms":           {Kind: CmdScene, Name: "Live", Fade: 400 * time.Millisecond},
		"scene Live fade 250":             {Kind: CmdScene, Name: "Live", Fade: 250 * time.Millisecond},
		"scene Live fade 9s":              {Kind: CmdScene, Name: "Live", Fade: 500 * time.Millisecond},
		"scene Slow fade out":             {Kind: CmdScene, Name: "Slow fade out"},
		"chat Ana hello   everyone\u202e": {Kind: CmdChat, Alert: AlertEvent{Name: "Ana", Message: "hello everyone"}},
	} {
		got, err := ParseCommand(line)
		if err != nil || got != want {
			t.Errorf("%q: got %+v, %v; want %+v", line, got, err, want)
		}
	}
	for _, bad := range []string{"chat Ana", "chat"} {
		if _, err := ParseCommand(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}
