package wire

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"onair/capture"
	"onair/capture/audio"
	"onair/capture/device"
	"onair/capture/media"
	"onair/encoder/libav"
	"onair/overlay"
	"onair/studio"
)

// Sources are the studio's inputs as a profile sets them up — the picture
// (test card, media file or camera), the microphones, the mixer with a strip
// for each — changeable while the studio runs (the window's pickers). It
// owns the microphones and the goroutines carrying their sound and every
// source's notices: Close after the studio has stopped.
type Sources struct {
	Studio *studio.Studio
	Mixer  *audio.Mixer

	profile studio.Profile
	ctx     context.Context
	cancel  context.CancelFunc
	wg      sync.WaitGroup

	mu          sync.Mutex
	camera      string               // the camera shown ("" when the profile's other source)
	cameraMode  string               // as asked
	cam         *device.CameraSource // the camera shown, nil when none
	sourceSound *audio.Input         // the media file's sound or the test tone
	camStop     func()               // stops forwarding the camera's notices
	mics        []*openMic           // the main one first
	closed      bool
	mutedBefore map[*audio.Input]bool // while the privacy cut is on: each sound's own mute

	// micChecking holds a token while a mic check records: an input has
	// one recorder, so a second check (Check my mic during the pre-flight)
	// waits for the first.
	micChecking chan struct{}
}

type openMic struct {
	label string
	mic   *device.Mic
	ring  *audio.Ring
	in    *audio.Input
	stop  func() // cancels its goroutines and waits for them
}

// ScanDevices registers the cameras and microphones present now (there is
// no hot-plug on Linux: call it again to look again).
func ScanDevices() {
	device.Rescan(device.Camera)
	device.Rescan(device.Microphone)
}

// NewSources builds the studio a profile describes, with its sound through
// the mixer. The microphones start at once (their sound waits in their rings
// until the studio runs); the picture starts with the studio's Run.
func NewSources(p studio.Profile) (*Sources, error) {
	c := p.Canvas
	s := &Sources{Mixer: audio.NewMixer(), profile: p, micChecking: make(chan struct{}, 1)}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	stage, err := overlay.NewStage(c.Width, c.Height, p.Scenes)
	if err != nil {
		s.cancel()
		return nil, fmt.Errorf("scenes: %w", err)
	}
	sounds, err := alertSounds(p.Scenes)
	if err != nil {
		s.cancel()
		return nil, fmt.Errorf("scenes: %w", err)
	}
	video, sound, name, notice, err := s.openVideo(p)
	if err != nil {
		s.cancel()
		return nil, err
	}
	s.Studio = studio.NewStudio(c.Width, c.Height, c.FPS, video, s.Mixer)
	s.Studio.SetStage(stage)
	stage.OnPrivacy(s.privacyMute)
	if len(sounds) > 0 {
		fx := &audio.Effects{}
		s.Mixer.Add("Alerts", fx)
		stage.OnAlert(func(_ overlay.Event, sound string) { fx.Play(sounds[sound]) })
	}
	if notice != "" {
		s.Studio.Notify(notice)
	}
	if cam, ok := video.(*device.CameraSource); ok {
		s.camera, s.cameraMode, s.cam = cameraLabel(p), p.CameraMode, cam
		s.camStop = s.forward(cam.Notices())
	}
	if sound != nil && !(name == testToneName && len(p.Mics()) > 0) {
		s.sourceSound = s.Mixer.Add(name, sound)
	}
	for _, in := range p.Mics() {
		if err := s.addMic(in); err != nil {
			s.Close() // closes the picture source too: the studio never ran
			return nil, err
		}
	}
	return s, nil
}

const testToneName = "Test tone"

// micRingLatency is how far behind its capture a microphone's sound plays:
// room for a sound server's bursts and the scheduling of a busy machine over
// the device's 10 ms period (25 ms gave audible breaks under load).
const micRingLatency = 40 * time.Millisecond

// cameraLabel is the camera a profile shows ("" picks the first).
func cameraLabel(p studio.Profile) string {
	l, _ := p.CameraLabel()
	if l == "" {
		if cams := device.List(device.Camera); len(cams) > 0 {
			l = cams[0].Label
		}
	}
	return l
}

// openVideo opens the profile's picture source and the sound that goes with
// it (the file's, the test card's tone; none for a camera).
func (s *Sources) openVideo(p studio.Profile) (video capture.VideoSource, sound audio.Source, name, notice string, err error) {
	c := p.Canvas
	if label, ok := p.CameraLabel(); ok {
		cam, notice, err := s.openCamera(label, p.CameraMode)
		if err != nil {
			return nil, nil, "", "", err
		}
		return cam, nil, "", notice, nil
	}
	switch {
	case p.Source == "testcard" || p.Source == "testcard:clock":
		tc, err := capture.NewTestCard(c.Width, c.Height, c.FPS)
		if err != nil {
			return nil, nil, "", "", err
		}
		tc.Clock = p.Source == "testcard:clock"
		return tc, capture.Tone{}, testToneName, "", nil
	case strings.HasPrefix(p.Source, "file:"):
		var f *media.File
		var err error
		said := libav.HoldLogs(func() { f, err = media.Open(strings.TrimPrefix(p.Source, "file:"), c.Width, c.Height, c.FPS) })
		if err != nil {
			// One line: FFmpeg's own words ride with ours.
			if len(said) > 0 {
				err = fmt.Errorf("%w (FFmpeg: %s)", err, said[0])
			}
			return nil, nil, "", "", err
		}
		return f, f, "Media file", "", nil
	}
	return nil, nil, "", "", fmt.Errorf("source %q is not available (use testcard, testcard:clock, file:PATH or camera[:LABEL])", p.Source)
}

// openCamera opens camera label ("" for the first one) in mode for the canvas.
func (s *Sources) openCamera(label, mode string) (*device.CameraSource, string, error) {
	c := s.profile.Canvas
	want := device.Mode{Width: c.Width, Height: c.Height, FPS: float64(c.FPS)}
	if mode != "" {
		m, err := device.ParseMode(mode)
		if err != nil {
			return nil, "", err
		}
		want = m
	}
	if label == "" {
		cams := device.List(device.Camera)
		if len(cams) == 0 {
			return nil, "", errors.New("no camera was found (onair devices lists them; is it plugged in?)")
		}
		label = cams[0].Label
	}
	cam, notice, err := device.OpenCamera(label, want, c.Width, c.Height, media.NewConverter,
		device.WithRescan(func() { device.RegisterV4L2() }))
	if err != nil {
		if errors.Is(err, device.ErrNotFound) {
			return nil, "", fmt.Errorf("camera %q was not found (onair devices lists the cameras)", label)
		}
		return nil, "", err // it names the camera
	}
	return cam, notice, nil
}

// forward passes a source's notices on to the studio until stop is called.
func (s *Sources) forward(ch <-chan string) (stop func()) {
	ctx, cancel := context.WithCancel(s.ctx)
	done := make(chan struct{})
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer close(done)
		for {
			select {
			case <-ctx.Done():
				return
			case n := <-ch:
				s.Studio.Notify(n)
			}
		}
	}()
	return func() { cancel(); <-done }
}

// addMic opens a microphone and runs it into a mixer input of its own.
func (s *Sources) addMic(in studio.AudioInput) error {
	label := in.Device
	if label == "default" {
		label = device.DefaultMic
	}
	sink := &lateSink{}
	mic, err := device.OpenMic(label, sink)
	if err != nil {
		return fmt.Errorf("microphone %q: %w (onair devices lists the microphones)", in.Device, err)
	}
	ch, rate := mic.Format()
	name := "Mic"
	if in.Device != "default" {
		name = "Mic: " + in.Device
	}
	ring, input := s.micInput(name, ch, rate)
	sink.set(ring)
	input.Chain.SetGainDB(in.GainDB)
	input.Chain.SetMute(in.Muted)
	if in.NoiseGate {
		input.Chain.SetGate(&audio.DefaultGate)
	}
	s.mu.Lock()
	if s.closed {
		// Close ran while the device opened: it is not ours to start.
		s.mu.Unlock()
		s.Mixer.Remove(input)
		mic.Close()
		return errors.New("the studio is closing")
	}
	s.wg.Add(2) // under s.mu: Close waits only after it set closed
	s.privacyJoin(input)
	s.mu.Unlock()
	ctx, cancel := context.WithCancel(s.ctx)
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer s.wg.Done()
		defer wg.Done()
		if err := mic.Run(ctx, s.Studio.Clock); err != nil && ctx.Err() == nil {
			s.Studio.Notify(fmt.Sprintf("microphone %q stopped: %v", in.Device, err))
		}
	}()
	go func() {
		defer s.wg.Done()
		defer wg.Done()
		for {
			select {
			case <-ctx.Done():
				return
			case n := <-mic.Notices():
				s.Studio.Notify(n.String())
			}
		}
	}()
	om := &openMic{label: in.Device, mic: mic, ring: ring, in: input}
	om.stop = func() {
		cancel()
		wg.Wait()
		s.Mixer.Remove(input)
		mic.Close()
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		om.stop()
		return errors.New("the studio is closing")
	}
	s.mics = append(s.mics, om)
	s.mu.Unlock()
	return nil
}

// alertSounds reads the sounds the alert rules name, once: "chime" is
// onair's own, anything else a WAV file.
func alertSounds(scenes []overlay.SceneSpec) (map[string]*audio.Sound, error) {
	sounds := map[string]*audio.Sound{}
	for _, sc := range scenes {
		for _, l := range sc.Layers {
			if l.Alerts == nil {
				continue
			}
			for kind, r := range l.Alerts.Rules {
				if r.Sound == "" || sounds[r.Sound] != nil {
					continue
				}
				if r.Sound == "chime" {
					sounds[r.Sound] = audio.Chime()
					continue
				}
				snd, err := audio.LoadWAV(r.Sound)
				if err != nil {
					return nil, fmt.Errorf("scene %q, alert %s: %w", sc.Name, kind, err)
				}
				sounds[r.Sound] = snd
			}
		}
	}
	return sounds, nil
}

// privacyMute mutes every sound of the program for the privacy cut (the
// room's sound must not go out), and gives each back its own mute after.
func (s *Sources) privacyMute(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if on {
		s.mutedBefore = map[*audio.Input]bool{}
		for _, in := range s.Mixer.Inputs() {
			s.mutedBefore[in] = in.Chain.Muted()
			in.Chain.SetMute(true)
		}
		return
	}
	if s.mutedBefore == nil {
		return // not on: nothing to give back
	}
	for _, in := range s.Mixer.Inputs() {
		was, ok := s.mutedBefore[in]
		in.Chain.SetMute(ok && was)
	}
	s.mutedBefore = nil
}

// micInput is a microphone's way into the program: a ring holding its sound
// micRingLatency (its pushes are bursts), a mixer input of its own, and the
// studio composing that late so the sound lands on the pictures taken with it.
func (s *Sources) micInput(name string, channels, rate int) (*audio.Ring, *audio.Input) {
	ring := audio.NewRing(audio.RingConfig{Channels: channels, RateHz: rate, TargetLatency: micRingLatency, Now: s.Studio.Clock.Now})
	s.Studio.SetSyncDelay(micRingLatency)
	return ring, s.Mixer.Add(name, ring)
}

// lateSink lets the microphone be opened before its ring exists (the ring
// needs the format the device gives).
type lateSink struct {
	mu   sync.Mutex
	ring *audio.Ring
}

func (l *lateSink) set(r *audio.Ring) { l.mu.Lock(); l.ring = r; l.mu.Unlock() }

func (l *lateSink) Push(samples []float32) {
	l.mu.Lock()
	r := l.ring
	l.mu.Unlock()
	if r != nil {
		r.Push(samples)
	}
}

// UseCamera shows camera label ("" gives back the profile's own source) in
// mode ("" for the canvas's size and rate) from the next frame on.
func (s *Sources) UseCamera(label, mode string) (notice string, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return "", errors.New("the studio is closing")
	}
	if label != "" && mode != "" {
		if _, err := device.ParseMode(mode); err != nil {
			return "", err // before anything goes off the canvas
		}
	}
	if label != "" && label == s.camera {
		// The same camera in another mode: it opens only once, so the one
		// showing is closed first (black meanwhile). Another camera opens
		// while this one still shows, and a refusal leaves it showing.
		if err := s.show(newBlack(s.profile.Canvas.Width, s.profile.Canvas.Height), nil, "", nil); err != nil {
			return "", err
		}
		s.camera, s.cameraMode, s.cam = "", "", nil
	}
	if label == "" {
		p := s.profile
		if _, ok := p.CameraLabel(); ok {
			p.Source = "testcard"
		}
		video, sound, name, _, err := s.openVideo(p)
		if err != nil {
			return "", err
		}
		if err := s.show(video, sound, name, nil); err != nil {
			return "", err
		}
		s.camera, s.cameraMode, s.cam = "", "", nil
		return "", nil
	}
	cam, notice, err := s.openCamera(label, mode)
	if err != nil {
		return "", err
	}
	if err := s.show(cam, nil, "", cam.Notices()); err != nil {
		return "", err
	}
	s.camera, s.cameraMode, s.cam = label, mode, cam
	return notice, nil
}

// show puts video on the canvas (with its sound in the mix, and its notices
// forwarded) and returns once the old source is closed. Under s.mu.
func (s *Sources) show(video capture.VideoSource, sound audio.Source, name string, notices <-chan string) error {
	// The old source's sound leaves the mix before the old source closes.
	s.dropSourceSound()
	s.stopCameraNotices()
	replaced, err := s.Studio.SetVideo(video)
	if err != nil {
		return err // the studio has ended; video is closed
	}
	<-replaced // the switch closes it once the old source is shut
	if notices != nil {
		s.camStop = s.forward(notices)
	}
	if sound != nil && !(name == testToneName && len(s.mics) > 0) {
		s.sourceSound = s.Mixer.Add(name, sound)
		s.privacyJoin(s.sourceSound)
	}
	return nil
}

// privacyJoin mutes a sound added while the privacy cut is on. Under s.mu.
func (s *Sources) privacyJoin(in *audio.Input) {
	if s.mutedBefore != nil {
		s.mutedBefore[in] = in.Chain.Muted()
		in.Chain.SetMute(true)
	}
}

func (s *Sources) dropSourceSound() {
	if s.sourceSound != nil {
		s.Mixer.Remove(s.sourceSound)
		s.sourceSound = nil
	}
}

func (s *Sources) stopCameraNotices() {
	if s.camStop != nil {
		s.camStop()
		s.camStop = nil
	}
}

// black is a still black picture, shown while a camera reopens.
type black struct {
	f    *capture.Frame
	once sync.Once
}

func newBlack(w, h int) *black {
	f := capture.NewFramePool(w, h).Get()
	for i := range f.Pic.Y {
		f.Pic.Y[i] = 16
	}
	for i := range f.Pic.Cb {
		f.Pic.Cb[i], f.Pic.Cr[i] = 128, 128
	}
	return &black{f: f}
}

func (b *black) Latest(time.Duration) (*capture.Frame, error) { return b.f.Retain(), nil }
func (b *black) Close()                                       { b.once.Do(b.f.Release) }

// UseMic makes label ("none" for none, "default") the main microphone.
func (s *Sources) UseMic(label string) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return errors.New("the studio is closing")
	}
	var old *openMic
	if len(s.mics) > 0 {
		old = s.mics[0]
		s.mics = s.mics[1:]
	}
	s.mu.Unlock()
	if old != nil {
		old.stop()
	}
	if label == "" || label == "none" {
		return nil
	}
	if err := s.addMic(studio.AudioInput{Device: label}); err != nil {
		return err
	}
	// The new one is the main microphone: first.
	s.mu.Lock()
	if n := len(s.mics); n > 1 {
		s.mics = append([]*openMic{s.mics[n-1]}, s.mics[:n-1]...)
	}
	// A microphone silences the test tone.
	if s.sourceSound != nil && s.sourceSound.Name == testToneName {
		s.Mixer.Remove(s.sourceSound)
		s.sourceSound = nil
	}
	s.mu.Unlock()
	return nil
}

// MainMic is the main microphone's mixer input, nil without one.
func (s *Sources) MainMic() *audio.Input {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.mics) == 0 {
		return nil
	}
	return s.mics[0].in
}

// Choices are the camera, mode and main microphone in use.
func (s *Sources) Choices() (camera, mode, mic string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	mic = "none"
	if len(s.mics) > 0 {
		mic = s.mics[0].label
	}
	return s.camera, s.cameraMode, mic
}

// CameraState is the camera showing, as the pre-flight judges it.
type CameraState struct {
	Label     string
	Asked     device.Mode // the profile's mode, or the canvas's size and rate
	Mode      device.Mode // the one it opened in (the nearest it has)
	Delivered int64       // pictures it has sent so far
}

// Camera reports the camera showing; false when the picture is not a
// camera (the test card, a media file).
func (s *Sources) Camera() (CameraState, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cam == nil {
		return CameraState{}, false
	}
	return CameraState{Label: s.camera, Asked: s.cam.Asked(), Mode: s.cam.Mode(), Delivered: s.cam.Delivered()}, true
}

// MicCheck records the main microphone for d and judges it. Checks run one
// at a time: a second one waits for the first (or its ctx).
func (s *Sources) MicCheck(ctx context.Context, d time.Duration) (audio.MicReport, error) {
	select {
	case s.micChecking <- struct{}{}:
		defer func() { <-s.micChecking }()
	case <-ctx.Done():
		return audio.MicReport{}, ctx.Err()
	}
	s.mu.Lock()
	var m *openMic
	if len(s.mics) > 0 {
		m = s.mics[0]
	}
	s.mu.Unlock()
	if m == nil {
		return audio.MicReport{}, errors.New("no microphone is chosen")
	}
	// A device just opened can take a couple of seconds to deliver (a sound
	// server starting the stream): judge its sound, not that wait.
	wait := time.NewTicker(20 * time.Millisecond)
	defer wait.Stop()
	for deadline := time.Now().Add(5 * time.Second); ; {
		if _, ok := m.ring.LastPush(); ok {
			break
		}
		if time.Now().After(deadline) {
			return audio.MicReport{}, fmt.Errorf("microphone %q sends no sound: check it is plugged in and not muted in the system's sound settings", m.label)
		}
		select {
		case <-wait.C:
		case <-ctx.Done():
			return audio.MicReport{}, ctx.Err()
		}
	}
	in := m.in
	rec := audio.NewRecorder(d)
	in.Record(rec)
	defer in.Record(nil)
	limit := time.NewTimer(d + 3*time.Second)
	defer limit.Stop()
	select {
	case <-rec.Done():
	case <-ctx.Done():
		return audio.MicReport{}, ctx.Err()
	case <-limit.C:
		// Its input left the mix (another microphone chosen meanwhile).
		return audio.MicReport{}, fmt.Errorf("the check of %q did not finish: was the microphone changed meanwhile?", m.label)
	}
	l, r := rec.Samples()
	return audio.MicCheck(l, r), nil
}

// Close stops the microphones and the notice forwarding, once; call it after
// the studio's Run has returned (the studio closes the picture source).
func (s *Sources) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	mics := s.mics
	s.mics = nil
	s.mu.Unlock()
	for _, m := range mics {
		m.stop()
	}
	s.cancel()
	s.wg.Wait()
	// A studio that never ran has not closed its picture source (a camera
	// claimed, its converter's C memory); after Run this does nothing.
	s.Studio.CloseSources()
}
