package ui

import (
	"context"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
)

// Check runs the pre-flight off the UI goroutine and shows its lines with
// the verdict, the keys masked; the button comes back when it is done.
func TestPreflightPanel(t *testing.T) {
	release := make(chan struct{})
	w, loop := newTestWindow(t, Config{ProfilePath: profile, Redact: func(s string) string { return strings.ReplaceAll(s, "sk_live_SECRET123", "****") },
		Preflight: func(ctx context.Context) []CheckLine {
			select {
			case <-release:
			case <-ctx.Done():
			}
			return []CheckLine{
				{Name: "Twitch: RTMP", Reason: "the server took the handshake for rtmp://live.example.com/app/sk_live_SECRET123", Level: 0},
				{Name: "Twitch: upload", Reason: "your upload holds 1 of these 2 destinations", Detail: "2100 kb/s", Level: 1},
				{Name: "SRT: handshake", Reason: "the SRT passphrase was refused", Level: 2},
			}
		}})
	if w.checkButton == nil {
		t.Fatal("no Check button with a pre-flight")
	}
	test.Tap(w.checkButton)
	if !w.checkButton.Disabled() || w.checkButton.Text != "Checking…" {
		t.Errorf("while checking: %q disabled=%v", w.checkButton.Text, w.checkButton.Disabled())
	}
	test.Tap(w.checkButton) // a second tap while it runs does nothing
	w.tapGoLive()           // nor does Go Live: the check would take from the show
	if w.state != offAir || !strings.Contains(w.message.Text, "still running") {
		t.Errorf("Go Live during the check: state %v, message %q", w.state, w.message.Text)
	}
	close(release)
	loop.until(t, 5*time.Second, "the results", func() bool { return !w.checking })
	texts := allLabels(w.win.Canvas().Overlays().Top())
	joined := strings.Join(texts, "\n")
	for _, want := range []string{"Not ready: fix the red lines", "Twitch: upload", "your upload holds 1 of these 2 destinations (2100 kb/s)", "the SRT passphrase was refused"} {
		if !strings.Contains(joined, want) {
			t.Errorf("the panel lacks %q:\n%s", want, joined)
		}
	}
	if strings.Contains(joined, "sk_live_SECRET123") {
		t.Error("the key shows in the pre-flight panel")
	}
	if w.checkButton.Disabled() || w.checkButton.Text != "Check" {
		t.Errorf("after: %q disabled=%v", w.checkButton.Text, w.checkButton.Disabled())
	}
}

// allLabels is the text of every label under o.
func allLabels(o fyne.CanvasObject) []string {
	var out []string
	var walk func(o fyne.CanvasObject)
	walk = func(o fyne.CanvasObject) {
		switch v := o.(type) {
		case *widget.Label:
			out = append(out, v.Text)
		case *fyne.Container:
			for _, c := range v.Objects {
				walk(c)
			}
		case fyne.Widget:
			r := test.WidgetRenderer(v)
			for _, c := range r.Objects() {
				walk(c)
			}
		}
	}
	if o != nil {
		walk(o)
	}
	return out
}
