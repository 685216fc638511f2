package main

import (
	"bytes"
	"image/png"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// The plot is a PNG of the expected size that shows each panel's data.
func TestWritePlot(t *testing.T) {
	n := 19
	s := samples(repeat(110.0, n), repeat(15, n), repeat("live", n))
	for i := range s {
		s[i].Threads = 14
		s[i].Dests[2].QueuedMs = float64(i * 300 % 2000)
		s[i].Dests[2].DroppedVideo = int64(i * 80)
	}
	live := 55.4
	r := &report{
		Date: "2026-11-30", Pass: true,
		Config:       config{Duration: 3 * time.Minute, Window: 2 * time.Minute, KillEvery: 40 * time.Second, Size: "1280x720", FPS: 30, BitrateKbps: 3000, ThinKbps: 1500},
		Destinations: []dest{{ID: "A", Role: "healthy"}, {ID: "B", Role: "killed"}, {ID: "C", Role: "thin"}},
		Samples:      s,
		Reconnects:   []reconnect{{KillS: 40, RestartS: 50, LiveS: &live}, {KillS: 80, RestartS: 90}},
	}
	path := filepath.Join(t.TempDir(), "soak.png")
	if err := writePlot(path, r); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if w, h := img.Bounds().Dx(), img.Bounds().Dy(); w != plotW || h != headerH+5*(panelH+panelGap)+footerH {
		t.Errorf("plot %dx%d", w, h)
	}
	// Each series drawn: its colour appears.
	want := map[[3]uint32]string{}
	for _, c := range []struct {
		name string
		r    [3]uint8
	}{{"goroutines", [3]uint8{colMain.R, colMain.G, colMain.B}}, {"threads", [3]uint8{colSecond.R, colSecond.G, colSecond.B}}, {"C", [3]uint8{destColors["C"].R, destColors["C"].G, destColors["C"].B}}, {"outage", [3]uint8{colOutage.R, colOutage.G, colOutage.B}}} {
		want[[3]uint32{uint32(c.r[0]), uint32(c.r[1]), uint32(c.r[2])}] = c.name
	}
	bnd := img.Bounds()
	for y := bnd.Min.Y; y < bnd.Max.Y; y++ {
		for x := bnd.Min.X; x < bnd.Max.X; x++ {
			r, g, b, _ := img.At(x, y).RGBA()
			delete(want, [3]uint32{r >> 8, g >> 8, b >> 8})
		}
	}
	for _, name := range want {
		t.Errorf("nothing drawn in the colour of %s", name)
	}
}
