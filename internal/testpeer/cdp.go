package testpeer

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
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
