package testpeer

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"time"
)

//go:embed webrtcpage.html
var webrtcPage string

// Page serves the WebRTC test page to a browser (StartChromium) and carries
// its signalling and stats over plain HTTP on loopback. As an answerer the
// page fetches an offer the test gives it (Answer); as an offerer it sends
// its fake camera and microphone, and the test answers (Offer, Accept).
// Every 500 ms it posts PageStats; it long-polls for the test's commands
// (RequestKeyFrame, Close), so they act at once.
type Page struct {
	srv  *httptest.Server
	quit chan struct{} // closed when the test ends: long polls return
	cmd  chan struct{} // a command is waiting (capacity 1)

	offerIn  chan string // the test's offer, for the answering page
	answerIn chan string // the page's answer
	offerOut chan string // the offering page's offer
	answerTo chan string // the test's answer to it

	mu     sync.Mutex
	stats  []PageStats
	cmds   []string
	errors []string
}

// PageStats is one report of the page: its connection and what its
// receivers (and, offering, its video sender) counted so far.
type PageStats struct {
	Role      string      `json:"role"`
	State     string      `json:"state"` // RTCPeerConnection.connectionState
	ICE       string      `json:"ice"`
	Video     *PageVideo  `json:"video"` // inbound video, once there is one
	Audio     *PageAudio  `json:"audio"`
	SentVideo *PageSent   `json:"sentVideo"`
	KeyFrame  string      `json:"keyFrame"` // "not asked", "asked", "sent", "refused: …", "unsupported: …"
	Frames    []PageFrame `json:"frames"`   // frames presented since the last report
	NowMs     float64     `json:"nowMs"`    // the page's Date.now() at the report
	Errors    []string    `json:"errors"`
}

// PageVideo is the page's inbound-rtp video statistics.
type PageVideo struct {
	FramesDecoded    int    `json:"framesDecoded"`
	FramesReceived   int    `json:"framesReceived"`
	FramesDropped    int    `json:"framesDropped"`
	KeyFramesDecoded int    `json:"keyFramesDecoded"`
	FrameWidth       int    `json:"frameWidth"`
	FrameHeight      int    `json:"frameHeight"`
	PLICount         int    `json:"pliCount"`
	FIRCount         int    `json:"firCount"`
	NACKCount        int    `json:"nackCount"`
	PacketsLost      int    `json:"packetsLost"`
	Codec            string `json:"codec"`
}

// PageAudio is the page's inbound-rtp audio statistics.
type PageAudio struct {
	TotalAudioEnergy     float64 `json:"totalAudioEnergy"`
	AudioLevel           float64 `json:"audioLevel"`
	TotalSamplesReceived int     `json:"totalSamplesReceived"`
	ConcealedSamples     int     `json:"concealedSamples"`
	Codec                string  `json:"codec"`
}

// PageSent is the offering page's outbound-rtp video statistics.
type PageSent struct {
	FramesEncoded int    `json:"framesEncoded"`
	FramesSent    int    `json:"framesSent"`
	FrameWidth    int    `json:"frameWidth"`
	FrameHeight   int    `json:"frameHeight"`
	Codec         string `json:"codec"`
}

// PageFrame is one frame the page's video element presented
// (requestVideoFrameCallback): its RTP timestamp, the page's Date.now()
// then, and when its last packet arrived (ms since the epoch, the same
// clock as time.Now on this machine).
type PageFrame struct {
	RTP       uint32  `json:"rtp"`
	NowMs     float64 `json:"nowMs"`
	ReceiveMs float64 `json:"receiveMs"`
	Width     int     `json:"width"`
	Height    int     `json:"height"`
	Code      int     `json:"code"` // the number PageCode read, -1 without
}

// ServePage starts the page's server on loopback, closed when the test ends.
func ServePage(t T) *Page {
	t.Helper()
	p := &Page{offerIn: make(chan string, 1), answerIn: make(chan string, 1),
		offerOut: make(chan string, 1), answerTo: make(chan string, 1),
		quit: make(chan struct{}), cmd: make(chan struct{}, 1)}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, webrtcPage)
	})
	mux.HandleFunc("GET /offer", func(w http.ResponseWriter, r *http.Request) {
		p.relay(w, r, nil, p.offerIn)
	})
	mux.HandleFunc("POST /answer", func(w http.ResponseWriter, r *http.Request) {
		p.relay(w, r, p.answerIn, nil)
	})
	mux.HandleFunc("POST /offer", func(w http.ResponseWriter, r *http.Request) {
		p.relay(w, r, p.offerOut, p.answerTo)
	})
	mux.HandleFunc("POST /stats", p.report)
	mux.HandleFunc("GET /commands", p.commands)
	p.srv = httptest.NewServer(mux)
	t.Cleanup(func() { close(p.quit); p.srv.Close() })
	return p
}

// relay passes the request's body to in (if any), and answers with what
// comes from out (if any) within 20 s.
func (p *Page) relay(w http.ResponseWriter, r *http.Request, in chan<- string, out <-chan string) {
	if in != nil {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		select {
		case in <- string(b):
		default:
			http.Error(w, "one offer and one answer a page", http.StatusConflict)
			return
		}
	}
	if out == nil {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	select {
	case s := <-out:
		io.WriteString(w, s)
	case <-r.Context().Done():
	case <-p.quit:
	case <-time.After(20 * time.Second):
		http.Error(w, "the test gave nothing within 20 s", http.StatusGatewayTimeout)
	}
}

func (p *Page) report(w http.ResponseWriter, r *http.Request) {
	var s PageStats
	if err := json.NewDecoder(r.Body).Decode(&s); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	p.mu.Lock()
	p.stats = append(p.stats, s)
	p.errors = append(p.errors, s.Errors...)
	p.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

// commands answers the page's long poll with the commands waiting, or
// none after 10 s.
func (p *Page) commands(w http.ResponseWriter, r *http.Request) {
	select {
	case <-p.cmd:
	case <-r.Context().Done():
		return
	case <-p.quit:
	case <-time.After(10 * time.Second):
	}
	p.mu.Lock()
	cmds := p.cmds
	p.cmds = nil
	p.mu.Unlock()
	if cmds == nil {
		cmds = []string{}
	}
	json.NewEncoder(w).Encode(cmds)
}

// PageOption adds to what the page does.
type PageOption string

// PageCode makes the page read, from every frame it presents, a number of
// bits (≤ 31) drawn in the frame's top 16 rows: bit k a cell of width/bits
// from the left, light for 1, dark for 0 (PageFrame.Code). A sender that
// draws its frame number there learns which frame was presented when:
// glass-to-glass latency.
func PageCode(bits int) PageOption { return PageOption(fmt.Sprintf("&code=%d", bits)) }

func (p *Page) url(query string, opts []PageOption) string {
	u := p.srv.URL + "/?" + query
	for _, o := range opts {
		u += string(o)
	}
	return u
}

// AnswererURL is the page as an answerer: it waits for Answer's offer.
func (p *Page) AnswererURL(opts ...PageOption) string { return p.url("role=answer", opts) }

// OffererURL is the page as an offerer of its fake camera (w×h at fps)
// and microphone; vcodec ("H264", "VP8", or "" for the browser's order) is
// offered first.
func (p *Page) OffererURL(w, h, fps int, vcodec string, opts ...PageOption) string {
	return p.url(fmt.Sprintf("role=offer&width=%d&height=%d&fps=%d&vcodec=%s", w, h, fps, vcodec), opts)
}

// Answer gives the answering page an offer and returns its answer (ICE
// gathered, no trickle).
func (p *Page) Answer(t T, offer string) string {
	t.Helper()
	p.offerIn <- offer
	return p.wait(t, p.answerIn, "the page's answer")
}

// Offer returns the offering page's offer (ICE gathered, no trickle).
func (p *Page) Offer(t T) string {
	t.Helper()
	return p.wait(t, p.offerOut, "the page's offer")
}

// Accept gives the offering page the test's answer.
func (p *Page) Accept(answer string) { p.answerTo <- answer }

func (p *Page) wait(t T, c <-chan string, what string) string {
	t.Helper()
	select {
	case s := <-c:
		return s
	case <-time.After(20 * time.Second):
		t.Fatalf("no %s within 20 s; the page's errors: %s", what, p.Errors())
	}
	return ""
}

// RequestKeyFrame asks the page to send a keyframe request (a PLI) on its
// video receiver; PageStats.KeyFrame says what became of it.
func (p *Page) RequestKeyFrame() { p.command("keyframe") }

// Close asks the page to close its peer connection (hang up).
func (p *Page) Close() { p.command("close") }

func (p *Page) command(c string) {
	p.mu.Lock()
	p.cmds = append(p.cmds, c)
	p.mu.Unlock()
	select {
	case p.cmd <- struct{}{}:
	default: // the page will find it with the one waiting
	}
}

// Stats is the latest report (the zero value before the first).
func (p *Page) Stats() PageStats {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.stats) == 0 {
		return PageStats{}
	}
	return p.stats[len(p.stats)-1]
}

// Reports lists every report of the page, in order.
func (p *Page) Reports() []PageStats {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.stats)
}

// Frames lists every frame the page reported presenting, in order.
func (p *Page) Frames() []PageFrame {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []PageFrame
	for _, s := range p.stats {
		out = append(out, s.Frames...)
	}
	return out
}

// Errors is what went wrong in the page so far, joined.
func (p *Page) Errors() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.errors) == 0 {
		return "none"
	}
	return strings.Join(p.errors, "; ")
}

// WaitStats polls the page's reports until cond holds for the latest one,
// and returns it; after timeout the test fails, saying what and showing
// the latest report and the page's errors.
func (p *Page) WaitStats(t T, timeout time.Duration, what string, cond func(PageStats) bool) PageStats {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		s := p.Stats()
		if cond(s) {
			return s
		}
		if time.Now().After(deadline) {
			b, _ := json.Marshal(s)
			t.Fatalf("after %s: %s; the page's last report: %s; its errors: %s", timeout, what, b, p.Errors())
		}
		time.Sleep(50 * time.Millisecond)
	}
}
