package ui

import (
	"errors"
	"image"
	"image/color"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"onair/studio"
)

// fakeViewers is the phone monitor and private show as the test sets them.
type fakeViewers struct {
	mu       sync.Mutex
	s        studio.ViewersState
	calls    []string
	onChange func()
	pic      image.Image
	failOn   string
}

func (f *fakeViewers) change(do func(*studio.ViewersState)) {
	f.mu.Lock()
	do(&f.s)
	fn := f.onChange
	f.mu.Unlock()
	if fn != nil {
		fn()
	}
}

func (f *fakeViewers) record(c string) error {
	f.mu.Lock()
	f.calls = append(f.calls, c)
	fail := f.failOn == c
	f.mu.Unlock()
	if fail {
		return errors.New("port 8443 is taken by another program: choose another in the settings")
	}
	return nil
}

func (f *fakeViewers) SetMonitor(on bool) error {
	if on {
		if err := f.record("monitor on"); err != nil {
			return err
		}
		f.change(func(s *studio.ViewersState) {
			s.Monitor, s.Link, s.Fingerprint = true, "https://192.168.1.20:8443/watch/tok1", "AB:CD:EF:01:23:45:67:89:AB:CD"
		})
		return nil
	}
	f.record("monitor off")
	f.change(func(s *studio.ViewersState) { s.Monitor, s.Link, s.Watching = false, "", 0 })
	return nil
}

func (f *fakeViewers) RotateMonitor() error {
	f.record("rotate")
	f.change(func(s *studio.ViewersState) { s.Link, s.Watching = "https://192.168.1.20:8443/watch/tok2", 0 })
	return nil
}

func (f *fakeViewers) OpenPrivate() error {
	f.record("open private")
	f.change(func(s *studio.ViewersState) {
		s.Private, s.PrivateLink, s.Call = true, "https://192.168.1.20:8443/show/ptok", "Waiting for your viewer."
	})
	return nil
}
func (f *fakeViewers) HangUp() {
	f.record("hang up")
	f.change(func(s *studio.ViewersState) { s.InCall, s.Call = false, "You hung up." })
}
func (f *fakeViewers) ClosePrivate() {
	f.record("close private")
	f.change(func(s *studio.ViewersState) { s.Private, s.PrivateLink, s.InCall = false, "", false })
}
func (f *fakeViewers) State() studio.ViewersState {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.s
}
func (f *fakeViewers) ViewerPicture() image.Image {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.pic
}
func (f *fakeViewers) OnChange(fn func()) { f.mu.Lock(); f.onChange = fn; f.mu.Unlock() }

func (f *fakeViewers) called() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

// The phone monitor: off by default; the switch turns it on (off the UI
// goroutine) and the panel says how many watch; the link and its QR code
// are on screen only when asked, and a new link hides the old code; a
// failure is shown in words. The private show: a link, its state, the
// viewer's camera in a tile during the call, hang-up.
func TestViewersPanel(t *testing.T) {
	v := &fakeViewers{failOn: "monitor on"}
	w, loop := newTestWindow(t, Config{Viewers: v})
	p := w.viewers
	p.item.Open(0)
	if p.monitor.Checked || !strings.Contains(shownText(w), "Off: nothing is served") {
		t.Fatalf("the monitor is not off at first: %q", shownText(w))
	}
	test.Tap(p.monitor)
	loop.until(t, 3*time.Second, "the failure is shown", func() bool { return p.errLine.Visible() })
	if p.monitor.Checked || !strings.Contains(p.errLine.Text, "port 8443 is taken") {
		t.Errorf("after a failed start: checked %v, error %q", p.monitor.Checked, p.errLine.Text)
	}
	v.mu.Lock()
	v.failOn = ""
	v.mu.Unlock()
	test.Tap(p.monitor)
	loop.until(t, 3*time.Second, "the monitor is on", func() bool { return p.monitor.Checked && p.monShow.Visible() })
	if p.errLine.Visible() {
		t.Errorf("the old error stays: %q", p.errLine.Text)
	}
	if p.monQR.Visible() || strings.Contains(shownText(w), "tok1") {
		t.Errorf("the link is on screen before the performer asked")
	}
	if !strings.Contains(shownText(w), "AB:CD:EF:01:23:45:67:89…") {
		t.Errorf("no fingerprint shown: %q", shownText(w))
	}
	v.change(func(s *studio.ViewersState) { s.Watching = 2 })
	loop.until(t, 3*time.Second, "the viewer count", func() bool { return strings.Contains(shownText(w), "2 phones watching") })
	test.Tap(p.monShow)
	loop.until(t, 3*time.Second, "the code is shown", func() bool { return p.monQR.Visible() && p.monQR.Image != nil })
	if !strings.Contains(shownText(w), "/watch/tok1") {
		t.Errorf("the link is not shown with its code: %q", shownText(w))
	}
	if b := p.monQR.Image.Bounds(); b.Dx() < 100 {
		t.Errorf("QR code %v", b)
	}
	test.Tap(p.monRotate)
	loop.until(t, 3*time.Second, "a new link hides the code", func() bool { return !p.monQR.Visible() })
	if strings.Contains(shownText(w), "tok") {
		t.Errorf("a link is still on screen: %q", shownText(w))
	}

	test.Tap(p.privOpen)
	loop.until(t, 3*time.Second, "the private link", func() bool { return strings.Contains(shownText(w), "Waiting for your viewer") })
	if p.privHang.Visible() || p.tile.Visible() {
		t.Errorf("hang-up or tile shown before a call")
	}
	pic := image.NewRGBA(image.Rect(0, 0, 64, 48))
	pic.Set(1, 1, color.White)
	v.mu.Lock()
	v.pic = pic
	v.mu.Unlock()
	v.change(func(s *studio.ViewersState) { s.InCall, s.Call = true, "In a call: the viewer sees you at 30 fps." })
	loop.until(t, 3*time.Second, "the viewer's camera in its tile", func() bool { return p.tile.Visible() && p.tile.Image == image.Image(pic) })
	test.Tap(p.privHang)
	loop.until(t, 3*time.Second, "the call ends", func() bool { return !p.tile.Visible() && strings.Contains(shownText(w), "You hung up") })
	test.Tap(p.privClose)
	loop.until(t, 3*time.Second, "the link ends", func() bool { return !p.privClose.Visible() })
	want := []string{"monitor on", "monitor on", "rotate", "open private", "hang up", "close private"}
	if got := v.called(); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("calls %q, want %q", got, want)
	}
}
