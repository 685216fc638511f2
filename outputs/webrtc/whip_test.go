package webrtc

import (
	"context"
	"errors"
	"math"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"onair/capture"
	"onair/encoder"
	"onair/encoder/libav"
	"onair/outputs"
)

// program is a few seconds of real encoder output: the test card in H.264
// and a tone in Opus, in the order of their times.
type program struct {
	streams []encoder.Stream
	packets []*encoder.Packet
	frames  int // video packets (pictures)
	audio   int
}

func encodeProgram(t *testing.T, seconds int) program {
	t.Helper()
	const w, h, fps = 320, 180, 30
	ve, err := libav.NewVideoEncoder(encoder.VideoConfig{Width: w, Height: h, FPS: fps, BitrateKbps: 500, KeyframeSec: 1, Preset: "ultrafast", Profile: "baseline"})
	if err != nil {
		t.Fatal(err)
	}
	defer ve.Close()
	ae, err := libav.NewOpusEncoder(64)
	if err != nil {
		t.Fatal(err)
	}
	defer ae.Close()
	var pr program
	emit := func(p *encoder.Packet) { pr.packets = append(pr.packets, p) }
	card, err := capture.NewTestCard(w, h, fps)
	if err != nil {
		t.Fatal(err)
	}
	for i := int64(0); i < int64(seconds*fps); i++ {
		f, _ := card.Latest(time.Duration(i) * time.Second / fps)
		err := ve.Encode(f, i, time.Now(), emit)
		f.Release()
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := ve.Flush(emit); err != nil {
		t.Fatal(err)
	}
	for start := int64(0); start < int64(seconds*capture.SampleRate); start += 960 {
		c := &capture.AudioChunk{Start: start}
		for ch := range c.Samples {
			c.Samples[ch] = make([]float32, 960)
			for i := range c.Samples[ch] {
				c.Samples[ch][i] = float32(0.3 * math.Sin(2*math.Pi*440*float64(start+int64(i))/capture.SampleRate))
			}
		}
		if err := ae.Encode(c, start, time.Now(), emit); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range pr.packets {
		if p.Kind == encoder.Video {
			pr.frames++
		} else {
			pr.audio++
		}
	}
	slices.SortStableFunc(pr.packets, func(a, b *encoder.Packet) int { return int(a.PTSTime() - b.PTSTime()) })
	pr.streams = []encoder.Stream{ve.Stream(), ae.Stream()}
	return pr
}

// send writes the program in real time (the receiver sees a live stream).
func send(t *testing.T, s outputs.Sink, pr program) {
	t.Helper()
	start := time.Now()
	for _, p := range pr.packets {
		if d := time.Until(start.Add(p.PTSTime())); d > 0 {
			time.Sleep(d) // pacing a live stream, not waiting for a condition
		}
		q := *p
		q.Composed = time.Now() // encoded ahead, sent as if live
		if _, err := s.Write(&q); err != nil {
			t.Fatal(err)
		}
	}
}

// A session skips what was composed before it connected (the queue's
// backlog), pictures up to the first keyframe composed after: no burst of
// stale pictures reaches the receiver.
func TestWHIPSkipsTheBacklog(t *testing.T) {
	ep := newEndpoint(t, "tok-b")
	pr := encodeProgram(t, 2) // keyframes every second: 0 and 30
	s, err := connect(t, Connector{}, ep.url("tok-b"), pr.streams)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	live := false
	for _, p := range pr.packets {
		// Up to the second keyframe: the backlog kept while connecting.
		// From it: the keyframe asked for on connecting, and what follows.
		if p.Kind == encoder.Video && p.Key && p.PTS > 0 {
			live = true
		}
		q := *p
		q.Composed = time.Now().Add(-time.Minute)
		if live {
			q.Composed = time.Now()
		}
		if _, err := s.Write(&q); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, 3*time.Second, "the pictures from the second keyframe on", func() bool { return ep.frames.Load() >= int64(pr.frames/2)-1 })
	time.Sleep(200 * time.Millisecond)
	if n := ep.frames.Load(); n > int64(pr.frames/2) {
		t.Errorf("%d pictures arrived, want the %d from the fresh keyframe on (the backlog skipped)", n, pr.frames/2)
	}
}

func connect(t *testing.T, c Connector, raw string, streams []encoder.Stream) (outputs.Sink, error) {
	t.Helper()
	tg, err := outputs.ParseTarget(raw)
	if err != nil {
		t.Fatal(err)
	}
	return c.Connect(context.Background(), tg, streams)
}

// Real H.264 and Opus packets reach a real WebRTC peer: at least 90 % of
// the pictures sent arrive whole (their last RTP packet, marked), with the
// parameter sets a decoder needs, and the sound arrives too. Then a PLI
// from the peer reaches the keyframe callback within a second, once however
// often it is repeated (after the one asked on connecting), and Close
// DELETEs the session.
func TestWHIPSendsToARealPeer(t *testing.T) {
	const token = "s3cret-bearer-token"
	ep := newEndpoint(t, token)
	pr := encodeProgram(t, 3)
	var keyframes atomic.Int64
	s, err := connect(t, Connector{OnKeyframeRequest: func() { keyframes.Add(1) }}, ep.url(token), pr.streams)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	// What was encoded while connecting is skipped up to a keyframe: the
	// connection asks for one at once.
	if n := keyframes.Load(); n != 1 {
		t.Errorf("%d keyframe requests on connecting, want 1", n)
	}
	if got := ep.auth[0]; got != "Bearer "+token {
		t.Errorf("Authorization %q, want the bearer token", got)
	}
	send(t, s, pr)
	eventually(t, 5*time.Second, "90 % of the pictures arrive and decode, and some sound arrives", func() bool {
		return ep.frames.Load()*10 >= int64(pr.frames)*9 && ep.decoded.Load()*10 >= int64(pr.frames)*9 && ep.audioPackets.Load() > 0
	})
	if w, h := ep.width.Load(), ep.height.Load(); w != 320 || h != 180 {
		t.Errorf("decoded pictures are %dx%d, want 320x180", w, h)
	}
	eventually(t, time.Second, "90 % of the Opus packets arrive", func() bool { return ep.audioPackets.Load() >= int64(pr.audio)*9/10 })
	t.Logf("sent %d pictures and %d Opus packets; received %d pictures (%d RTP packets, %d with SPS), %d decoded at %dx%d, and %d Opus packets",
		pr.frames, pr.audio, ep.frames.Load(), ep.videoPackets.Load(), ep.paramSets.Load(), ep.decoded.Load(), ep.width.Load(), ep.height.Load(), ep.audioPackets.Load())
	// The receiver's transport-wide feedback reaches the estimator: it
	// holds a figure the studio's dynamic bitrate follows.
	if k := s.(outputs.LinkEstimator).LinkKbps(); k < 100 || k > (500+64)*5/4 {
		t.Errorf("link estimate %d kb/s, want 100 to the rendition's rate and a quarter", k)
	} else {
		t.Logf("link estimate %d kb/s", k)
	}
	if ep.paramSets.Load() < 3 {
		t.Errorf("%d RTP packets carried an SPS, want one per keyframe (3)", ep.paramSets.Load())
	}

	asked := time.Now()
	if err := ep.pli(); err != nil {
		t.Fatal(err)
	}
	eventually(t, time.Second, "a PLI reaches the keyframe callback", func() bool { return keyframes.Load() == 2 })
	t.Logf("PLI → keyframe callback in %v", time.Since(asked).Round(time.Millisecond))
	for range 5 {
		if err := ep.pli(); err != nil {
			t.Fatal(err)
		}
	}
	// The repeats land inside the second: no new request may come out.
	// Another PLI after the second passes does.
	time.Sleep(200 * time.Millisecond)
	if n := keyframes.Load(); n != 2 {
		t.Errorf("%d keyframe requests from 6 PLIs within a second (and the connection's), want 2", n)
	}

	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if got := ep.deletes(); len(got) != 1 || got[0] != "/whip/session/1" {
		t.Errorf("DELETEs %q, want one on the session's Location", got)
	}
	if _, err := s.Write(pr.packets[0]); !errors.Is(err, ErrClosed) {
		t.Errorf("Write after Close: %v, want ErrClosed", err)
	}
}

// A token the server refuses says so in words, is retried as patiently as a
// refused stream key, and never shows the token.
func TestWHIPRefusedToken(t *testing.T) {
	ep := newEndpoint(t, "the-right-one")
	pr := program{streams: []encoder.Stream{{Kind: encoder.Audio, Codec: encoder.Opus, TimeBase: encoder.Rational{Num: 1, Den: 48000}}}}
	const wrong = "wrong-token-4711"
	_, err := connect(t, Connector{}, ep.url(wrong), pr.streams)
	if err == nil {
		t.Fatal("connected with a wrong token")
	}
	if want := "the WHIP server refused the token (401) — check it in Destinations"; err.Error() != want {
		t.Errorf("error %q, want %q", err, want)
	}
	if !errors.Is(err, outputs.ErrKeyRefused) {
		t.Error("a refused token is not ErrKeyRefused: it would be retried every 2 s")
	}
	if strings.Contains(err.Error(), wrong) {
		t.Errorf("error shows the token: %v", err)
	}
}

// An answer that is not SDP, or SDP that does not answer our offer, is a
// clear error (not a panic), and the half-made session is DELETEd.
func TestWHIPMalformedAnswer(t *testing.T) {
	for name, answer := range map[string]string{
		"not SDP":         "<html>502 Bad Gateway</html>",
		"SDP, no answer":  "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n",
		"SDP, cut short":  "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=video 9 UDP/TLS/RTP/SAVPF 102\r\na=mid:0\r\n",
		"not even a line": "v=0",
	} {
		t.Run(name, func(t *testing.T) {
			ep := newEndpoint(t, "tok-abc")
			ep.answer = answer
			pr := program{streams: []encoder.Stream{{Kind: encoder.Audio, Codec: encoder.Opus, TimeBase: encoder.Rational{Num: 1, Den: 48000}}}}
			_, err := connect(t, Connector{Timeout: 2 * time.Second}, ep.url("tok-abc"), pr.streams)
			if err == nil {
				t.Fatal("connected on a broken answer")
			}
			t.Log(err)
			if !strings.Contains(err.Error(), "the WHIP server's answer is not") || strings.Contains(err.Error(), "tok-abc") {
				t.Errorf("error %q does not say the answer is unusable (or shows the token)", err)
			}
			if got := ep.deletes(); len(got) != 1 {
				t.Errorf("DELETEs %q, want the half-made session ended", got)
			}
		})
	}
}

// A server whose answer refuses the video line (a codec it does not take)
// is an error that says so, not a destination live with no picture.
func TestWHIPRefusedVideo(t *testing.T) {
	ep := newEndpoint(t, "tok-v")
	ep.rewrite = func(answer string) string {
		return regexp.MustCompile(`(?m)^m=video \d+`).ReplaceAllString(answer, "m=video 0")
	}
	pr := encodeProgram(t, 1)
	_, err := connect(t, Connector{Timeout: 3 * time.Second}, ep.url("tok-v"), pr.streams)
	if err == nil || !strings.Contains(err.Error(), "the WHIP server refused our pictures (H.264)") {
		t.Fatalf("a refused video line: %v", err)
	}
	if got := ep.deletes(); len(got) != 1 {
		t.Errorf("DELETEs %q, want the session ended", got)
	}
}

// A server that takes the offer and never answers is given up on after the
// timeout, in words; one that fails and echoes the request (token and all)
// has its words quoted with the token masked.
func TestWHIPServerTroubles(t *testing.T) {
	const token = "echo-me-9f8e7d"
	streams := []encoder.Stream{{Kind: encoder.Audio, Codec: encoder.Opus, TimeBase: encoder.Rational{Num: 1, Den: 48000}}}
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/echo" {
			http.Error(w, "no room for "+r.Header.Get("Authorization"), http.StatusServiceUnavailable)
			return
		}
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer srv.Close()
	defer close(release)
	host := strings.TrimPrefix(srv.URL, "http://")

	_, err := connect(t, Connector{Timeout: 300 * time.Millisecond}, "whip+"+srv.URL+"/slow?token="+token, streams)
	if want := "no answer from the WHIP server " + host + " in 0.3 s"; err == nil || err.Error() != want {
		t.Errorf("error %v, want %q", err, want)
	}

	_, err = connect(t, Connector{}, "whip+"+srv.URL+"/echo?token="+token, streams)
	if want := `the WHIP server answered 503 Service Unavailable instead of a session ("no room for Bearer ****")`; err == nil || err.Error() != want {
		t.Errorf("error %v, want %q", err, want)
	}
}
