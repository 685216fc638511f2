package testpeer

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/gorilla/websocket"
)

// ChromiumDevTools starts Chromium with its DevTools endpoint on a free
// loopback port, for Eval: a test can then drive and read a page it does not
// own (onair's own monitor and show pages).
func ChromiumDevTools() ChromiumOption {
	return ChromiumFlags("--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0")
}

// devToolsPort reads the port Chromium chose (it writes it into the
// profile's DevToolsActivePort file once listening).
func (c *Chromium) devToolsPort(ctx context.Context) (string, error) {
	for {
		b, err := os.ReadFile(filepath.Join(c.Profile, "DevToolsActivePort"))
		if err == nil {
			if port, _, ok := strings.Cut(string(b), "\n"); ok && port != "" {
				return port, nil
			}
		}
		select {
		case <-ctx.Done():
			return "", fmt.Errorf("chromium wrote no DevToolsActivePort (started with ChromiumDevTools?): %w", ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// Eval evaluates a JavaScript expression in Chromium's first page (a
// promise is awaited) and decodes its JSON value into out (nil: ignored).
// A thrown exception is an error with its text.
func (c *Chromium) Eval(ctx context.Context, expr string, out any) error {
	port, err := c.devToolsPort(ctx)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://127.0.0.1:"+port+"/json/list", nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("devtools: %w", err)
	}
	var targets []struct {
		Type, URL, WebSocketDebuggerURL string
	}
	err = json.NewDecoder(resp.Body).Decode(&targets)
	resp.Body.Close()
	if err != nil {
		return fmt.Errorf("devtools targets: %w", err)
	}
	ws := ""
	for _, t := range targets {
		if t.Type == "page" {
			ws = t.WebSocketDebuggerURL
			break
		}
	}
	if ws == "" {
		return fmt.Errorf("devtools: no page among %d targets", len(targets))
	}
	conn, _, err := websocket.DefaultDialer.DialContext(ctx, ws, nil)
	if err != nil {
		return fmt.Errorf("devtools: %w", err)
	}
	defer conn.Close()
	if d, ok := ctx.Deadline(); ok {
		conn.SetReadDeadline(d)
	}
	call := map[string]any{"id": 1, "method": "Runtime.evaluate", "params": map[string]any{
		"expression": expr, "awaitPromise": true, "returnByValue": true}}
	if err := conn.WriteJSON(call); err != nil {
		return fmt.Errorf("devtools: %w", err)
	}
	for {
		var m struct {
			ID     int `json:"id"`
			Result struct {
				Result struct {
					Value json.RawMessage `json:"value"`
				} `json:"result"`
				Exception *struct {
					Text      string `json:"text"`
					Exception struct {
						Description string `json:"description"`
					} `json:"exception"`
				} `json:"exceptionDetails"`
			} `json:"result"`
			Error *struct{ Message string } `json:"error"`
		}
		if err := conn.ReadJSON(&m); err != nil {
			return fmt.Errorf("devtools: %w", err)
		}
		if m.ID != 1 {
			continue // an event
		}
		if m.Error != nil {
			return fmt.Errorf("devtools: %s", m.Error.Message)
		}
		if e := m.Result.Exception; e != nil {
			return fmt.Errorf("page: %s %s", e.Text, e.Exception.Description)
		}
		if out == nil || len(m.Result.Result.Value) == 0 {
			return nil
		}
		return json.Unmarshal(m.Result.Result.Value, out)
	}
}

// ClockLatency is what MeasureClock read: for each frame the page decoded,
// the age of the clock burned into it (capture.TestCard's clock strip)
// when its last packet arrived and when it was to be shown, in ms.
type ClockLatency struct {
	Receive []float64 `json:"receive"`
	Display []float64 `json:"display"`
	Unread  int       `json:"unread"` // frames without a receive time
}

// MeasureClock watches the page's video element (a CSS selector) for d:
// each frame it presents is drawn to a canvas, its top 16 rows read as a
// clock strip of bits cells (the wall clock in ms modulo 2^24, bit k light
// in the k-th cell), and its age taken against the frame's receive and
// display times (Chromium's requestVideoFrameCallback metadata).
func (c *Chromium) MeasureClock(ctx context.Context, selector string, bits int, d time.Duration) (ClockLatency, error) {
	sel, _ := json.Marshal(selector)
	probe := fmt.Sprintf(`(() => {
		const v = document.querySelector(%s), bits = %d;
		const c = document.createElement('canvas'), g = c.getContext('2d', {willReadFrequently: true});
		window.clockLatency = {receive: [], display: [], unread: 0};
		// Signed: the page's time origin may be a few ms off the test's clock.
		const age = (t, code) => { const d = ((Math.round(t) & 0xffffff) - code + 0x1000000) %% 0x1000000; return d >= 0x800000 ? d - 0x1000000 : d; };
		const step = (now, md) => {
			const w = md.width; c.width = w; c.height = 16;
			g.drawImage(v, 0, 0, w, 16, 0, 0, w, 16);
			const px = g.getImageData(0, 0, w, 16).data, cell = (w / bits) & ~1;
			let code = 0;
			for (let k = 0; k < bits; k++) if (px[(8 * w + k * cell + (cell >> 1)) * 4] > 128) code |= 1 << k;
			if (md.receiveTime) window.clockLatency.receive.push(age(performance.timeOrigin + md.receiveTime, code));
			else window.clockLatency.unread++;
			window.clockLatency.display.push(age(performance.timeOrigin + md.expectedDisplayTime, code));
			v.requestVideoFrameCallback(step);
		};
		v.requestVideoFrameCallback(step);
		return true;
	})()`, sel, bits)
	if err := c.Eval(ctx, probe, nil); err != nil {
		return ClockLatency{}, err
	}
	select {
	case <-ctx.Done():
		return ClockLatency{}, ctx.Err()
	case <-time.After(d):
	}
	var l ClockLatency
	err := c.Eval(ctx, "window.clockLatency", &l)
	return l, err
}

// Summary is the min, median and max of v (zeros when empty).
func Summary(v []float64) [3]float64 {
	if len(v) == 0 {
		return [3]float64{}
	}
	v = slices.Clone(v)
	slices.Sort(v)
	return [3]float64{v[0], v[len(v)/2], v[len(v)-1]}
}

// Plausible is the share of ages that read as a real one (-50 ms to 2 s):
// a strip read wrong gives any number in 4.6 hours.
func (l ClockLatency) Plausible() float64 {
	if len(l.Receive) == 0 {
		return 0
	}
	n := 0
	for _, d := range l.Receive {
		if d > -50 && d < 2000 {
			n++
		}
	}
	return float64(n) / float64(len(l.Receive))
}
