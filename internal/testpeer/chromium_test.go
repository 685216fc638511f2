package testpeer_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/rtcp"
	"github.com/pion/rtp/codecs"
	"github.com/pion/webrtc/v4"
	"github.com/pion/webrtc/v4/pkg/media"
	"github.com/pion/webrtc/v4/pkg/media/h264reader"
	"github.com/pion/webrtc/v4/pkg/media/oggreader"
	"github.com/pion/webrtc/v4/pkg/media/samplebuilder"

	"onair/internal/testpeer"
)

const (
	clipW, clipH, clipFPS = 640, 360, 30
	clipSeconds           = 3
)

// TestChromiumAnswersPion: a Go offerer sends 3 s of H.264 (ffmpeg's x264,
// Annex-B) and Opus (ffmpeg's libopus, Ogg) to Chromium as the answerer.
// The page decodes at least 90 % of the frames at their size, hears the
// tone at its level, its keyframe request reaches the sender as a PLI or
// FIR, and its hang-up ends the Go peer's connection. The frames carry
// their number in bars the page reads: which frame it presented when, the
// sender-to-screen latency of a glass-to-glass test.
func TestChromiumAnswersPion(t *testing.T) {
	testpeer.Require(t, "chromium", "ffmpeg")
	dir := t.TempDir()
	h264 := filepath.Join(dir, "clip.h264")
	ogg := filepath.Join(dir, "clip.ogg")
	ffmpeg(t, "-f", "lavfi", "-i", "testsrc2=size=640x360:rate=30", "-t", "3", "-vf", frameNumberBars(),
		"-c:v", "libx264", "-preset", "ultrafast", "-profile:v", "baseline", "-pix_fmt", "yuv420p",
		"-g", "30", "-bf", "0", "-x264-params", "sliced-threads=0:threads=1", "-bsf:v", "h264_mp4toannexb", "-f", "h264", h264)
	ffmpeg(t, "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000", "-t", "3", "-ac", "2",
		"-c:a", "libopus", "-b:a", "64k", "-page_duration", "20000", ogg)
	units := accessUnits(t, h264)
	if len(units) != clipFPS*clipSeconds {
		t.Fatalf("ffmpeg made %d frames, want %d", len(units), clipFPS*clipSeconds)
	}

	pc := newPeer(t)
	video, err := webrtc.NewTrackLocalStaticSample(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeH264,
		ClockRate: 90000, SDPFmtpLine: "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f"}, "video", "onair")
	if err != nil {
		t.Fatal(err)
	}
	audio, err := webrtc.NewTrackLocalStaticSample(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus,
		ClockRate: 48000, Channels: 2}, "audio", "onair")
	if err != nil {
		t.Fatal(err)
	}
	vs, err := pc.AddTrack(video)
	if err != nil {
		t.Fatal(err)
	}
	as, err := pc.AddTrack(audio)
	if err != nil {
		t.Fatal(err)
	}
	var keyRequests atomic.Int32
	var wg sync.WaitGroup
	defer func() { pc.Close(); wg.Wait() }() // the readers end with pc
	wg.Add(2)
	go func() { // the video sender's RTCP: count PLIs and FIRs; ends when pc closes
		defer wg.Done()
		for {
			pkts, _, err := vs.ReadRTCP()
			if err != nil {
				return
			}
			for _, p := range pkts {
				switch p.(type) {
				case *rtcp.PictureLossIndication, *rtcp.FullIntraRequest:
					keyRequests.Add(1)
				}
			}
		}
	}()
	go func() { // the audio sender's RTCP must be read for interceptors to run
		defer wg.Done()
		for {
			if _, _, err := as.ReadRTCP(); err != nil {
				return
			}
		}
	}()

	page := testpeer.ServePage(t)
	chrome := testpeer.StartChromium(t, page.AnswererURL(testpeer.PageCode(frameBits)))
	offer := localOffer(t, pc)
	answer := page.Answer(t, offer)
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: answer}); err != nil {
		t.Fatalf("the page's answer: %v\n%s", err, answer)
	}
	waitConnected(t, pc, page, chrome)
	page.WaitStats(t, 10*time.Second, "the page connected", func(s testpeer.PageStats) bool { return s.State == "connected" })

	start := time.Now()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sendErr := make(chan error, 2)
	sent := make([]time.Time, len(units)) // written by sendVideo, read once it has returned
	wg.Add(2)
	go func() { defer wg.Done(); sendErr <- sendVideo(ctx, video, units, sent) }()
	go func() { defer wg.Done(); sendErr <- sendOgg(ctx, audio, ogg) }()
	for range 2 {
		if err := <-sendErr; err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("sent %d frames and %s of Opus in %v", len(units), time.Duration(clipSeconds)*time.Second, time.Since(start).Round(time.Millisecond))

	// ffmpeg's sine is 1/8 full scale: RMS 0.125/√2 = 0.088, so 3 s of it
	// carry an energy (the sum of level² × seconds) of 0.0234.
	const tone = 0.125 / math.Sqrt2
	const energy = tone * tone * clipSeconds
	want := len(units) * 9 / 10
	s := page.WaitStats(t, 5*time.Second, "the page decoded 90 % of the frames, heard 80 % of the tone's energy", func(s testpeer.PageStats) bool {
		return s.Video != nil && s.Video.FramesDecoded >= want && s.Audio != nil && s.Audio.TotalAudioEnergy >= 0.8*energy
	})
	// The figure to report: the count once the last frames are in (it
	// passed the bar above already).
	for settle := time.Now().Add(1500 * time.Millisecond); s.Video.FramesDecoded < len(units) && time.Now().Before(settle); {
		time.Sleep(100 * time.Millisecond)
		s = page.Stats()
	}
	// The tone's level, not noise: its RMS while it played. (The energy
	// runs over when the page conceals late packets by stretching the tone:
	// no upper bound there.)
	var level float64
	for _, r := range page.Reports() {
		if r.Audio != nil {
			level = max(level, r.Audio.AudioLevel)
		}
	}
	if level < 0.8*tone || level > 1.25*tone {
		t.Errorf("the page's audio level reached %.3f, want the tone's %.3f", level, tone)
	}
	if s.Video.FrameWidth != clipW || s.Video.FrameHeight != clipH {
		t.Errorf("the page decoded %dx%d, want %dx%d", s.Video.FrameWidth, s.Video.FrameHeight, clipW, clipH)
	}
	if s.Video.Codec != "video/H264" || s.Audio.Codec != "audio/opus" {
		t.Errorf("codecs %q and %q, want video/H264 and audio/opus", s.Video.Codec, s.Audio.Codec)
	}
	// Which frame the page presented when: the frame number it read from
	// the bars against the moment the sender wrote that frame.
	var lat []time.Duration
	last := -1
	frames := page.Frames()
	for _, f := range frames {
		if f.Code < 0 || f.Code >= len(units) || f.Code < last {
			t.Fatalf("the page read frame number %d after %d (of %d): %+v", f.Code, last, len(units), f)
		}
		last = f.Code
		lat = append(lat, time.Duration((f.NowMs-float64(sent[f.Code].UnixNano())/1e6)*float64(time.Millisecond)))
	}
	// A frame decoded within the same screen refresh as the next is not
	// presented: fewer than those decoded.
	if len(lat) < len(units)/2 {
		t.Fatalf("the page presented %d frames with their number, want at least %d", len(lat), len(units)/2)
	}
	slices.Sort(lat)
	median, worst := lat[len(lat)/2], lat[len(lat)-1]
	if lat[0] <= 0 || median > 300*time.Millisecond {
		t.Errorf("sent to presented: %v to %v, median %v; want above 0 and a median of at most 300 ms on loopback", lat[0], worst, median)
	}
	t.Logf("the page: %d of %d frames decoded (%d received, %d keyframes, %d packets lost, %d NACKs) at %dx%d; audio energy %.4f (the tone's: %.4f), level up to %.3f (the tone's: %.3f); %d frames presented with their number, sent to presented %v median, %v to %v",
		s.Video.FramesDecoded, len(units), s.Video.FramesReceived, s.Video.KeyFramesDecoded, s.Video.PacketsLost, s.Video.NACKCount, s.Video.FrameWidth, s.Video.FrameHeight,
		s.Audio.TotalAudioEnergy, energy, level, tone, len(frames), median.Round(time.Millisecond),
		lat[0].Round(time.Millisecond), worst.Round(time.Millisecond))

	// The page asks for a keyframe: the sender hears a PLI (or FIR).
	before := keyRequests.Load()
	asked := time.Now()
	page.RequestKeyFrame()
	s = page.WaitStats(t, 3*time.Second, "the page answered the keyframe request", func(s testpeer.PageStats) bool {
		return s.KeyFrame != "not asked" && s.KeyFrame != "asked"
	})
	if s.KeyFrame != "sent" {
		t.Fatalf("the page could not ask for a keyframe: %s", s.KeyFrame)
	}
	testpeer.Eventually(t, 3*time.Second, "a PLI or FIR from the page", func() bool { return keyRequests.Load() > before })
	t.Logf("keyframe request: the page's PLI/FIR reached the sender %v after the test asked (%d before)", time.Since(asked).Round(time.Millisecond), before)

	// The page hangs up: the Go peer sees the connection end.
	hungUp := time.Now()
	page.Close()
	testpeer.Eventually(t, 3*time.Second, "the Go peer saw the page hang up", func() bool {
		return pc.ConnectionState() != webrtc.PeerConnectionStateConnected
	})
	t.Logf("the page hung up: the Go peer is %s %v later", pc.ConnectionState(), time.Since(hungUp).Round(time.Millisecond))
}

// TestChromiumOffersPion: Chromium offers its fake camera (H.264 first) and
// microphone; a Go answerer receives the video, puts its frames back
// together in order and writes them to an Annex-B file, which ffprobe
// decodes: frames of the size asked for.
func TestChromiumOffersPion(t *testing.T) {
	testpeer.Require(t, "chromium", "ffprobe")
	const w, h, fps = 640, 480, 30
	pc := newPeer(t)
	out := filepath.Join(t.TempDir(), "camera.h264")
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	// Frames are put back together in order (a retransmission arrives late)
	// from the first with its SPS, and written in Annex-B for ffprobe.
	var mu sync.Mutex // guards writing, packets, written and closing between OnTrack and the test
	writing := true
	sb := samplebuilder.New(256, &codecs.H264Packet{}, 90000)
	packets, written, audioPackets := 0, 0, atomic.Int32{}
	var codec atomic.Value
	// pion runs OnTrack on a goroutine of its own: the test waits for each
	// before it ends, and none starts once the test is closing.
	var wg sync.WaitGroup
	closing := false
	defer func() {
		mu.Lock()
		closing = true
		mu.Unlock()
		pc.Close()
		wg.Wait()
	}()
	pc.OnTrack(func(tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		mu.Lock()
		if closing {
			mu.Unlock()
			return
		}
		wg.Add(1)
		mu.Unlock()
		defer wg.Done()
		if tr.Kind() == webrtc.RTPCodecTypeVideo {
			codec.Store(tr.Codec().MimeType)
		}
		for {
			p, _, err := tr.ReadRTP()
			if err != nil {
				return
			}
			if tr.Kind() == webrtc.RTPCodecTypeAudio {
				audioPackets.Add(1)
				continue
			}
			mu.Lock()
			if writing {
				packets++
				sb.Push(p)
				for s := sb.Pop(); s != nil; s = sb.Pop() {
					if written == 0 && !hasSPS(s.Data) {
						continue
					}
					if _, err := f.Write(s.Data); err == nil {
						written++
					}
				}
			}
			mu.Unlock()
		}
	})

	page := testpeer.ServePage(t)
	chrome := testpeer.StartChromium(t, page.OffererURL(w, h, fps, "H264"))
	offer := page.Offer(t)
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: offer}); err != nil {
		t.Fatalf("the page's offer: %v\n%s", err, offer)
	}
	ans, err := pc.CreateAnswer(nil)
	if err != nil {
		t.Fatal(err)
	}
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(ans); err != nil {
		t.Fatal(err)
	}
	<-gathered
	page.Accept(pc.LocalDescription().SDP)
	waitConnected(t, pc, page, chrome)

	// 3 s of the camera from the first keyframe.
	s := page.WaitStats(t, 10*time.Second, "the page sent 3 s of its camera", func(s testpeer.PageStats) bool {
		return s.SentVideo != nil && s.SentVideo.FramesSent >= 3*fps
	})
	mu.Lock()
	writing = false
	n, frames := packets, written
	mu.Unlock()
	if c, _ := codec.Load().(string); c != webrtc.MimeTypeH264 {
		t.Fatalf("the page sent %q, want H.264", c)
	}
	if audioPackets.Load() == 0 {
		t.Errorf("no audio packet from the page's microphone")
	}
	if err := f.Sync(); err != nil {
		t.Fatal(err)
	}
	probe := testpeer.FFprobe(t, out)
	v, ok := probe.Stream("video")
	if !ok {
		t.Fatalf("no video in what arrived (%d packets)", n)
	}
	if v.Width != w || v.Height != h {
		t.Errorf("the camera arrived at %dx%d, want %dx%d", v.Width, v.Height, w, h)
	}
	// Every frame the page had sent when the test stopped writing, but for
	// one in ten (the page's count is up to 0.5 s old; a frame in flight).
	if v.Frames() < s.SentVideo.FramesSent*9/10 || v.Frames() > frames {
		t.Errorf("ffprobe decoded %d frames of the camera, want at least 90 %% of the %d the page sent, and at most the %d written",
			v.Frames(), s.SentVideo.FramesSent, frames)
	}
	t.Logf("the page sent %d frames (%dx%d, %s); %d RTP packets arrived, %d whole frames from the first SPS on, ffprobe decodes %d frames of %s %dx%d; %d audio packets",
		s.SentVideo.FramesSent, s.SentVideo.FrameWidth, s.SentVideo.FrameHeight, s.SentVideo.Codec, n, frames, v.Frames(), v.CodecName, v.Width, v.Height, audioPackets.Load())
}

// frameBits is how many bits of the frame number the clip carries.
const frameBits = 8

// frameNumberBars is ffmpeg's filter drawing each frame's number in its top
// 16 rows as testpeer.PageCode reads it: bit k white or black, 80 px wide.
func frameNumberBars() string {
	f := fmt.Sprintf("drawbox=x=0:y=0:w=%d:h=16:color=black:t=fill", clipW)
	for k := range frameBits {
		f += fmt.Sprintf(",drawbox=x=%d:y=0:w=%d:h=16:color=white:t=fill:enable='eq(mod(floor(n/%d),2),1)'",
			k*clipW/frameBits, clipW/frameBits, 1<<k)
	}
	return f
}

func ffmpeg(t *testing.T, args ...string) {
	t.Helper()
	cmd := exec.Command("ffmpeg", append([]string{"-hide_banner", "-loglevel", "error", "-y"}, args...)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg %v: %v\n%s", args, err, out)
	}
}

// newPeer is a Go peer on loopback UDP only, closed when the test ends.
func newPeer(t *testing.T) *webrtc.PeerConnection {
	t.Helper()
	var se webrtc.SettingEngine
	se.SetIncludeLoopbackCandidate(true)
	se.SetInterfaceFilter(func(name string) bool { return name == "lo" })
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	m := &webrtc.MediaEngine{}
	if err := m.RegisterDefaultCodecs(); err != nil {
		t.Fatal(err)
	}
	// NACKs answered, sender and receiver reports, as a browser does.
	ir := &interceptor.Registry{}
	if err := webrtc.RegisterDefaultInterceptors(m, ir); err != nil {
		t.Fatal(err)
	}
	pc, err := webrtc.NewAPI(webrtc.WithSettingEngine(se), webrtc.WithMediaEngine(m), webrtc.WithInterceptorRegistry(ir)).NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	return pc
}

func localOffer(t *testing.T, pc *webrtc.PeerConnection) string {
	t.Helper()
	offer, err := pc.CreateOffer(nil)
	if err != nil {
		t.Fatal(err)
	}
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(offer); err != nil {
		t.Fatal(err)
	}
	<-gathered
	return pc.LocalDescription().SDP
}

func waitConnected(t *testing.T, pc *webrtc.PeerConnection, page *testpeer.Page, chrome *testpeer.Chromium) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for pc.ConnectionState() != webrtc.PeerConnectionStateConnected {
		if time.Now().After(deadline) || pc.ConnectionState() == webrtc.PeerConnectionStateFailed {
			t.Fatalf("the Go peer is %s after 10 s; the page's errors: %s; chromium:\n%s", pc.ConnectionState(), page.Errors(), chrome.Stderr())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// accessUnits splits an Annex-B stream into frames: each the NALs up to
// and including one slice (one slice a frame), joined with start codes.
func accessUnits(t *testing.T, path string) [][]byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := h264reader.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	var units [][]byte
	var cur bytes.Buffer
	for {
		nal, err := r.NextNAL()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		cur.Write([]byte{0, 0, 0, 1})
		cur.Write(nal.Data)
		if nal.UnitType == h264reader.NalUnitTypeCodedSliceNonIdr || nal.UnitType == h264reader.NalUnitTypeCodedSliceIdr {
			units = append(units, bytes.Clone(cur.Bytes()))
			cur.Reset()
		}
	}
	return units
}

// hasSPS reports whether an Annex-B frame carries a sequence parameter set.
func hasSPS(b []byte) bool {
	for i := 0; i+3 < len(b); i++ {
		if b[i] == 0 && b[i+1] == 0 && b[i+2] == 1 && b[i+3]&0x1f == 7 {
			return true
		}
	}
	return false
}

// sendVideo writes one frame every 1/30 s, noting when in sent.
func sendVideo(ctx context.Context, track *webrtc.TrackLocalStaticSample, units [][]byte, sent []time.Time) error {
	tick := time.NewTicker(time.Second / clipFPS)
	defer tick.Stop()
	for i, u := range units {
		sent[i] = time.Now()
		if err := track.WriteSample(media.Sample{Data: u, Duration: time.Second / clipFPS}); err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
	return nil
}

// sendOgg writes the Ogg's Opus packets (one a page) in real time.
func sendOgg(ctx context.Context, track *webrtc.TrackLocalStaticSample, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	r, _, err := oggreader.NewWith(f)
	if err != nil {
		return err
	}
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	var last uint64
	for {
		data, hdr, err := r.ParseNextPage()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if hdr.GranulePosition <= last { // the comment header page
			continue
		}
		samples := hdr.GranulePosition - last
		last = hdr.GranulePosition
		if err := track.WriteSample(media.Sample{Data: data, Duration: time.Duration(samples) * time.Second / 48000}); err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
}
