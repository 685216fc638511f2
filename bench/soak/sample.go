package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"
)

// sample is one look at the onair process.
type sample struct {
	T       float64 `json:"t_s"` // since onair started
	RSSKB   int     `json:"rss_kb"`
	Threads int     `json:"threads"`
	FDs     int     `json:"fds"`
	// Goroutines is -1 when the debug endpoint did not answer.
	Goroutines int          `json:"goroutines"`
	BServerUp  bool         `json:"b_server_up"`
	Dests      []destSample `json:"destinations"`
	// CPUSeconds is onair's user+sys time so far; LoadAvg the machine's
	// 1-minute load average (2 cores are busy at 2): a noisy machine makes
	// the compositor miss ticks.
	CPUSeconds float64 `json:"cpu_s"`
	LoadAvg    float64 `json:"loadavg_1m"`
}

// destSample is one destination's queue at a sample.
type destSample struct {
	ID           string  `json:"id"`
	State        string  `json:"state"`
	QueuedMs     float64 `json:"queued_ms"`
	Congestion   float64 `json:"congestion"`
	DroppedVideo int64   `json:"dropped_video"`
	DroppedAudio int64   `json:"dropped_audio"`
	BytesSent    int64   `json:"bytes_sent"`
	Attempts     int     `json:"connect_attempts"`
}

// states is what the destinations were doing, e.g. "A=live B=reconnecting
// C=live": samples are compared at the same states.
func (s sample) states() string {
	var b strings.Builder
	for i, d := range s.Dests {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(d.ID + "=" + d.State)
	}
	return b.String()
}

// debugStats is what onair's /debug/stats answers (the part the soak reads).
type debugStats struct {
	Goroutines   int `json:"goroutines"`
	Destinations []struct {
		Name         string  `json:"name"`
		State        string  `json:"state"`
		BytesSent    int64   `json:"bytes_sent"`
		DroppedVideo int64   `json:"dropped_video"`
		DroppedAudio int64   `json:"dropped_audio"`
		Attempts     int     `json:"connect_attempts"`
		QueuedMs     float64 `json:"queued_ms"`
		Congestion   float64 `json:"congestion"`
	} `json:"destinations"`
}

// prober samples one onair process: /proc for memory, threads and file
// descriptors, its debug endpoint for goroutines and queues.
type prober struct {
	pid    int
	url    string // http://127.0.0.1:PORT/debug/stats
	client *http.Client
	dests  []dest
	// raw keeps every answer of the endpoint, to check for stream keys.
	raw func(body []byte)
}

func (p *prober) sample(ctx context.Context, t float64) (sample, error) {
	s := sample{T: t, Goroutines: -1}
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.pid))
	if err != nil {
		return s, err
	}
	s.RSSKB = statusField(status, "VmRSS")
	s.Threads = statusField(status, "Threads")
	fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", p.pid))
	if err != nil {
		return s, err
	}
	s.FDs = len(fds)
	s.CPUSeconds = cpuSeconds(p.pid)
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		if f := strings.Fields(string(b)); len(f) > 0 {
			s.LoadAvg, _ = strconv.ParseFloat(f[0], 64)
		}
	}
	st, err := p.stats(ctx)
	if err != nil {
		return s, err
	}
	s.Goroutines = st.Goroutines
	for i, d := range p.dests {
		ds := destSample{ID: d.ID, State: "?"}
		if i < len(st.Destinations) {
			o := st.Destinations[i]
			if o.Name != d.Name {
				return s, fmt.Errorf("destination %d is %s, want %s", i+1, o.Name, d.Name)
			}
			ds = destSample{ID: d.ID, State: o.State, QueuedMs: o.QueuedMs, Congestion: o.Congestion,
				DroppedVideo: o.DroppedVideo, DroppedAudio: o.DroppedAudio, BytesSent: o.BytesSent, Attempts: o.Attempts}
		}
		s.Dests = append(s.Dests, ds)
	}
	return s, nil
}

func (p *prober) stats(ctx context.Context) (debugStats, error) {
	var st debugStats
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, p.url, nil)
	resp, err := p.client.Do(req)
	if err != nil {
		return st, fmt.Errorf("debug endpoint: %w", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return st, fmt.Errorf("debug endpoint: %w", err)
	}
	p.raw(b)
	if resp.StatusCode != http.StatusOK {
		return st, fmt.Errorf("debug endpoint: %s", resp.Status)
	}
	return st, json.Unmarshal(b, &st)
}

// statusField reads a number from /proc/PID/status ("VmRSS:  1234 kB").
func statusField(status []byte, key string) int {
	for _, line := range strings.Split(string(status), "\n") {
		if v, ok := strings.CutPrefix(line, key+":"); ok {
			f := strings.Fields(v)
			if len(f) > 0 {
				n, _ := strconv.Atoi(f[0])
				return n
			}
		}
	}
	return 0
}

// clockTicks is USER_HZ, 100 on Linux everywhere Go runs.
const clockTicks = 100

// cpuSeconds reads utime+stime from /proc/PID/stat.
func cpuSeconds(pid int) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// The command name may hold spaces: the fields start after its ')'.
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseFloat(f[11], 64)
	st, _ := strconv.ParseFloat(f[12], 64)
	return (ut + st) / clockTicks
}
