package device

import (
	"context"
	"errors"
	"math"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pion/mediadevices/pkg/driver"
	"github.com/pion/mediadevices/pkg/prop"
	"github.com/pion/mediadevices/pkg/wave"

	"onair/internal/testpeer"
)

// The tone testpeer.Pulse plays: 440 Hz, -9 dBFS peak.
const (
	toneHz   = 440.0
	toneDBFS = -9.0
)

func requirePulse(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("pulseaudio"); err != nil {
		t.Skip("pulseaudio is not installed: `make test` installs it (scripts/setup.sh test)")
	}
}

// recorder is a Sink that keeps everything.
type recorder struct {
	mu      sync.Mutex
	samples []float32
	pushes  int
}

func (r *recorder) Push(s []float32) {
	r.mu.Lock()
	r.samples = append(r.samples, s...)
	r.pushes++
	r.mu.Unlock()
}

func (r *recorder) len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.samples)
}

func (r *recorder) take() []float32 {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.samples
	r.samples = nil
	return s
}

// loud reports whether s holds sound above -30 dBFS.
func loud(s []float32) bool {
	for _, v := range s {
		if math.Abs(float64(v)) > 0.03 {
			return true
		}
	}
	return false
}

// toneReport is what a recorded tone measured.
type toneReport struct {
	soundMs     float64 // how long there was sound
	hz          float64
	peakDBFS    float64
	maxStep     float64 // the largest sample-to-sample step
	steps       int     // steps above the tone's own maximum slope (+25 %)
	maxResidual float64 // the largest distance from a fitted sine
	channelsDif float64 // the largest left/right difference
}

// measureTone measures channel 0 of interleaved stereo from 50 ms after the
// sound starts to 50 ms before it ends.
func measureTone(t *testing.T, s []float32, channels, rate int) toneReport {
	t.Helper()
	var rep toneReport
	n := len(s) / channels
	x := make([]float64, n)
	for i := range n {
		x[i] = float64(s[i*channels])
		for c := 1; c < channels; c++ {
			rep.channelsDif = max(rep.channelsDif, math.Abs(float64(s[i*channels+c]-s[i*channels])))
		}
	}
	first, last := -1, -1
	for i, v := range x {
		if math.Abs(v) > 0.03 {
			if first < 0 {
				first = i
			}
			last = i
		}
	}
	if first < 0 {
		t.Fatalf("no sound in %d frames", n)
	}
	rep.soundMs = float64(last-first) * 1000 / float64(rate)
	margin := rate / 20
	a, b := first+margin, last-margin
	if b-a < rate/2 {
		t.Fatalf("only %.0f ms of sound", rep.soundMs)
	}
	x = x[a:b]
	// Frequency: rising zero crossings, interpolated.
	var crossings []float64
	for i := 1; i < len(x); i++ {
		if x[i-1] < 0 && x[i] >= 0 {
			crossings = append(crossings, float64(i-1)+x[i-1]/(x[i-1]-x[i]))
		}
	}
	if len(crossings) < 2 {
		t.Fatal("no zero crossings")
	}
	rep.hz = float64(len(crossings)-1) * float64(rate) / (crossings[len(crossings)-1] - crossings[0])
	peak := 0.0
	for _, v := range x {
		peak = max(peak, math.Abs(v))
	}
	rep.peakDBFS = 20 * math.Log10(peak)
	// Continuity: a dropped, repeated or corrupted buffer breaks the
	// sine's phase, which shows as a step no sine of this level and
	// frequency makes, and as a distance from a sine fitted to the whole.
	slope := math.Pow(10, toneDBFS/20) * 2 * math.Pi * toneHz / float64(rate)
	for i := 1; i < len(x); i++ {
		d := math.Abs(x[i] - x[i-1])
		rep.maxStep = max(rep.maxStep, d)
		if d > slope*1.25 {
			rep.steps++
		}
	}
	w := 2 * math.Pi * rep.hz / float64(rate)
	var ss, sc, cc, xs, xc float64
	for i, v := range x {
		si, ci := math.Sin(w*float64(i)), math.Cos(w*float64(i))
		ss, sc, cc, xs, xc = ss+si*si, sc+si*ci, cc+ci*ci, xs+v*si, xc+v*ci
	}
	det := ss*cc - sc*sc
	p, q := (xs*cc-xc*sc)/det, (xc*ss-xs*sc)/det
	for i, v := range x {
		rep.maxResidual = max(rep.maxResidual, math.Abs(v-p*math.Sin(w*float64(i))-q*math.Cos(w*float64(i))))
	}
	return rep
}

func checkTone(t *testing.T, rep toneReport) {
	t.Helper()
	t.Logf("tone: %.0f ms of sound, %.3f Hz, peak %.3f dBFS, largest step %.4f (%d above the sine's slope), largest distance from a fitted sine %.2g, L-R %.2g",
		rep.soundMs, rep.hz, rep.peakDBFS, rep.maxStep, rep.steps, rep.maxResidual, rep.channelsDif)
	if math.Abs(rep.hz-toneHz) > 2 {
		t.Errorf("frequency %.3f Hz, want 440 ± 2", rep.hz)
	}
	if math.Abs(rep.peakDBFS-toneDBFS) > 0.5 {
		t.Errorf("peak %.3f dBFS, want -9 ± 0.5", rep.peakDBFS)
	}
	if rep.steps > 0 {
		t.Errorf("%d discontinuities (largest step %.4f)", rep.steps, rep.maxStep)
	}
	if rep.maxResidual > 0.01 {
		t.Errorf("the sound strays %.4f from a continuous sine: a buffer was dropped, repeated or corrupted", rep.maxResidual)
	}
	if rep.channelsDif > 1e-6 {
		t.Errorf("left and right differ by %.2g", rep.channelsDif)
	}
}

// runMic runs m until the test ends and returns a channel that closes when
// Run has returned.
func runMic(t *testing.T, m *Mic) (stop func(), done <-chan struct{}) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	d := make(chan struct{})
	var runErr error
	go func() { runErr = m.Run(ctx, nil); close(d) }()
	stop = func() {
		cancel()
		<-d
		if runErr != nil {
			t.Errorf("Run: %v", runErr)
		}
		m.Close()
	}
	t.Cleanup(stop)
	return stop, d
}

func TestMicListedByLabel(t *testing.T) {
	requirePulse(t)
	pa := testpeer.StartPulse(t)
	if err := Rescan(Microphone); err != nil {
		t.Fatal(err)
	}
	mics := List(Microphone)
	t.Logf("microphones: %+v", mics)
	i := slices.IndexFunc(mics, func(in Info) bool { return in.Label == testpeer.PulseMic })
	if i < 0 {
		t.Fatalf("%q is not listed: %+v", testpeer.PulseMic, mics)
	}
	want := Info{Kind: Microphone, Label: testpeer.PulseMic, Name: testpeer.PulseMic, Channels: 2, SampleRate: 48000, Default: true}
	if got := mics[i]; !equalInfo(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
	if _, err := Find(Microphone, testpeer.PulseMic); err != nil {
		t.Error(err)
	}
	// A second scan keeps the same drivers (an open one is not disturbed).
	before := driverIDs()
	if err := Rescan(Microphone); err != nil {
		t.Fatal(err)
	}
	if after := driverIDs(); !slices.Equal(before, after) {
		t.Errorf("a re-scan with nothing changed replaced the drivers: %v then %v", before, after)
	}
	// The sound server gone, a re-scan removes its microphones.
	pa.Stop()
	if err := Rescan(Microphone); err != nil {
		t.Fatal(err)
	}
	if mics := List(Microphone); len(mics) != 0 {
		t.Errorf("after the server stopped, still listed: %+v", mics)
	}
}

func equalInfo(a, b Info) bool {
	return a.Kind == b.Kind && a.Label == b.Label && a.Name == b.Name && a.Channels == b.Channels &&
		a.SampleRate == b.SampleRate && a.Default == b.Default && len(a.Modes) == 0 && len(b.Modes) == 0
}

func driverIDs() []string {
	var ids []string
	for _, d := range driver.GetManager().Query(driver.FilterDeviceType(driver.Microphone)) {
		ids = append(ids, d.ID())
	}
	slices.Sort(ids)
	return ids
}

func TestMicCapturesTone(t *testing.T) {
	requirePulse(t)
	pa := testpeer.StartPulse(t)
	rec := &recorder{}
	m, err := OpenMic(testpeer.PulseMic, rec)
	if err != nil {
		t.Fatal(err)
	}
	if ch, rate := m.Format(); ch != 2 || rate != 48000 {
		t.Fatalf("Format() = %d channels at %d Hz, want 2 at 48000", ch, rate)
	}
	stop, _ := runMic(t, m)
	started := time.Now()
	testpeer.Eventually(t, 5*time.Second, "the first samples from the microphone", func() bool { return rec.len() > 0 })
	t.Logf("first samples after %v", time.Since(started).Round(time.Millisecond))
	player := pa.PlayTone(3)
	testpeer.Eventually(t, 10*time.Second, "paplay finishing the 3 s tone", player.Exited)
	// Let the end of the tone come through, then some silence.
	at := rec.len()
	testpeer.Eventually(t, 2*time.Second, "300 ms more", func() bool { return rec.len() > at+2*48000*3/10 })
	stop()
	got := rec.take()
	rep := measureTone(t, got, 2, 48000)
	checkTone(t, rep)
	if rep.soundMs < 2900 || rep.soundMs > 3100 {
		t.Errorf("%.0f ms of tone captured, 3000 played", rep.soundMs)
	}
	if d := m.DroppedSamples(); d != 0 {
		t.Errorf("%d samples dropped between the device and the sink", d)
	}
	elapsed := time.Since(started).Seconds()
	t.Logf("%d frames in %.2f s of Run (%d pushes)", len(got)/2, elapsed, rec.pushes)
}

func TestMicThroughMediadevices(t *testing.T) {
	requirePulse(t)
	pa := testpeer.StartPulse(t)
	if err := Rescan(Microphone); err != nil {
		t.Fatal(err)
	}
	d, err := Find(Microphone, testpeer.PulseMic)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Open(); err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	props := d.Properties()
	if len(props) != 1 || props[0].ChannelCount != 2 || props[0].SampleRate != 48000 || !props[0].IsFloat {
		t.Fatalf("Properties() = %+v", props)
	}
	r, err := d.(driver.AudioRecorder).AudioRecord(prop.Media{Audio: props[0].Audio})
	if err != nil {
		t.Fatal(err)
	}
	var got []float32
	read := func() {
		c, release, err := r.Read()
		if err != nil {
			t.Fatal(err)
		}
		f := c.(*wave.Float32Interleaved)
		if f.Size.Channels != 2 || f.Size.SamplingRate != 48000 {
			t.Fatalf("chunk %+v", f.Size)
		}
		got = append(got, f.Data...)
		release()
	}
	read() // the first samples can take ~2 s: Read waits for them
	player := pa.PlayTone(2)
	for !player.Exited() {
		read()
	}
	for target := len(got) + 48000; len(got) < target; { // 0.5 s more
		read()
	}
	checkTone(t, measureTone(t, got, 2, 48000))
}

func TestMicLostAndBack(t *testing.T) {
	requirePulse(t)
	pa := testpeer.StartPulse(t)
	rec := &recorder{}
	m, err := OpenMic(DefaultMic, rec)
	if err != nil {
		t.Fatal(err)
	}
	_, done := runMic(t, m)
	testpeer.Eventually(t, 5*time.Second, "the first samples from the microphone", func() bool { return rec.len() > 0 })

	exited := time.Now()
	pa.Exit()
	var lostAfter time.Duration
	select {
	case n := <-m.Notices():
		lostAfter = time.Since(exited)
		if n.Kind != MicLost || !strings.HasPrefix(n.String(), "microphone lost") {
			t.Fatalf("first notice %v (%d), want microphone lost", n, n.Kind)
		}
		t.Logf("%q %v after pactl exit", n, lostAfter.Round(time.Millisecond))
	case <-time.After(3 * time.Second):
		t.Fatal("no \"microphone lost\" notice 3 s after pactl exit")
	}
	if lostAfter > 1200*time.Millisecond {
		t.Errorf("microphone lost noticed %v after the server went; want about 500 ms", lostAfter)
	}
	// Run goes on through the loss, the sink gets nothing.
	time.Sleep(time.Second)
	select {
	case <-done:
		t.Fatal("Run returned when the microphone was lost")
	default:
	}
	rec.take()
	if n := rec.len(); n != 0 {
		t.Errorf("%d samples while the server was down", n)
	}

	restarted := time.Now()
	pa.Restart()
	select {
	case n := <-m.Notices():
		if n.Kind != MicBack {
			t.Fatalf("notice %v, want microphone back", n)
		}
		t.Logf("%q %v after the server restarted", n, time.Since(restarted).Round(time.Millisecond))
	case <-time.After(10 * time.Second):
		t.Fatal("no \"microphone back\" notice 10 s after the server restarted")
	}
	rec.take()
	player := pa.PlayTone(2)
	testpeer.Eventually(t, 10*time.Second, "paplay finishing the 2 s tone", player.Exited)
	at := rec.len()
	testpeer.Eventually(t, 2*time.Second, "300 ms more", func() bool { return rec.len() > at+2*48000*3/10 })
	checkTone(t, measureTone(t, rec.take(), 2, 48000))
	if d := m.DroppedNotices(); d != 0 {
		t.Errorf("%d notices dropped", d)
	}
}

func TestNoMicrophone(t *testing.T) {
	t.Setenv("PULSE_SERVER", "unix:/nonexistent/onair-test")
	if err := Rescan(Microphone); err != nil {
		t.Fatal(err)
	}
	if mics := List(Microphone); len(mics) != 0 {
		t.Fatalf("with no sound server, listed: %+v", mics)
	}
	_, err := OpenMic(DefaultMic, &recorder{})
	if !errors.Is(err, ErrNoMicrophone) || !errors.Is(err, ErrNotFound) {
		t.Fatalf("OpenMic(default) = %v, want ErrNoMicrophone", err)
	}
	t.Logf("OpenMic(default): %v", err)
	if _, err := OpenMic("USB mic", &recorder{}); !errors.Is(err, ErrNoMicrophone) {
		t.Fatalf("OpenMic(\"USB mic\") = %v, want ErrNoMicrophone", err)
	}
}

func TestMicWrongLabel(t *testing.T) {
	requirePulse(t)
	testpeer.StartPulse(t)
	_, err := OpenMic("USB mic", &recorder{})
	want := `microphone "USB mic" is not connected (found: "Monitor of onair-test-sink", "onair-test-mic"): no such device`
	if err == nil || err.Error() != want {
		t.Fatalf("OpenMic = %v, want %s", err, want)
	}
}

func TestSampleRing(t *testing.T) {
	q := newSampleRing(8)
	out := make([]float32, 8)
	if !q.write([]float32{1, 2, 3, 4, 5, 6}) {
		t.Fatal("write into an empty ring failed")
	}
	if n := q.read(out[:4], 2); n != 4 || !slices.Equal(out[:4], []float32{1, 2, 3, 4}) {
		t.Fatalf("read %d %v", n, out[:n])
	}
	if !q.write([]float32{7, 8, 9, 10, 11, 12}) { // wraps
		t.Fatal("write that wraps failed")
	}
	if q.write([]float32{13, 14}) {
		t.Fatal("write into a full ring succeeded")
	}
	if d := q.dropped.Load(); d != 2 {
		t.Fatalf("dropped %d, want 2", d)
	}
	if n := q.read(out[:7], 2); n != 6 || !slices.Equal(out[:6], []float32{5, 6, 7, 8, 9, 10}) {
		t.Fatalf("read %d %v (whole frames only)", n, out[:n])
	}
	if n := q.read(out, 2); n != 2 || !slices.Equal(out[:2], []float32{11, 12}) {
		t.Fatalf("read %d %v", n, out[:n])
	}
}
