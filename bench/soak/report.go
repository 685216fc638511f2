package main

import (
	"encoding/json"
	"time"
)

// config is one soak's settings, as flags and in the JSON.
type config struct {
	Duration     time.Duration
	Every        time.Duration // sampling interval
	KillEvery    time.Duration // B's server is killed this often
	Down         time.Duration // and restarted this long after
	Window       time.Duration // the criteria look at this last part of the run (the rest is warm-up)
	ReconnectMax time.Duration // onair's --reconnect-max
	Size         string
	FPS          int
	BitrateKbps  int
	ThinKbps     int     // C's link
	RSSLimitMB   float64 // RSS growth over the window must stay under this
	FramesTolPct float64 // A's frame count within this of duration × fps
	Out          string
	Onair        string
	Keep         bool
}

func (c config) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Duration     string  `json:"duration"`
		Every        string  `json:"sample_every"`
		KillEvery    string  `json:"b_killed_every"`
		Down         string  `json:"b_down_for"`
		Window       string  `json:"window"`
		ReconnectMax string  `json:"reconnect_max"`
		Size         string  `json:"size"`
		FPS          int     `json:"fps"`
		BitrateKbps  int     `json:"bitrate_kbps"`
		ThinKbps     int     `json:"c_link_kbps"`
		RSSLimitMB   float64 `json:"rss_growth_limit_mb"`
		FramesTolPct float64 `json:"frames_tolerance_pct"`
	}{c.Duration.String(), c.Every.String(), c.KillEvery.String(), c.Down.String(), c.Window.String(), c.ReconnectMax.String(),
		c.Size, c.FPS, c.BitrateKbps, c.ThinKbps, c.RSSLimitMB, c.FramesTolPct})
}

// settle is the least time left after B's server comes back: a kill later
// than that would end the run before onair could reconnect.
const settle = 20 * time.Second

// report is soak.json.
type report struct {
	Date         string          `json:"date"`
	Machine      string          `json:"machine"`
	Config       config          `json:"config"`
	Destinations []dest          `json:"destinations"`
	Pass         bool            `json:"pass"`
	Reason       string          `json:"reason,omitempty"`
	Criteria     []criterion     `json:"criteria"`
	Summary      summary         `json:"summary"`
	Reconnects   []reconnect     `json:"b_reconnects"`
	Events       []destEvent     `json:"events"`
	Samples      []sample        `json:"samples"`
	FinalStats   json.RawMessage `json:"onair_final_stats,omitempty"`
}

type summary struct {
	RSS                rssGrowth          `json:"rss"`
	PeakRSSMB          float64            `json:"peak_rss_mb"`
	Goroutines         countTrend         `json:"goroutines"`
	FDs                countTrend         `json:"fds"`
	Threads            countTrend         `json:"os_threads"` // for reading, not a criterion
	ReconnectsOK       int                `json:"reconnects_ok"`
	Kills              int                `json:"b_kills"`
	SlowestReconnectS  float64            `json:"slowest_reconnect_after_restart_s"`
	LiveEvents         map[string]int     `json:"live_events"` // A and C: 1 (never lost)
	RecordingFrames    int                `json:"a_recording_frames"`
	ExpectedFrames     float64            `json:"a_expected_frames"`
	FramesDeviationPct float64            `json:"a_frames_deviation_pct"`
	DroppedVideo       map[string]int64   `json:"dropped_video"`
	MaxQueuedMs        map[string]float64 `json:"max_queued_ms"`
	CPUPerSecond       float64            `json:"onair_cpu_s_per_s"`
	MaxLoadAvg         float64            `json:"max_loadavg_1m"`
	OnairExit          int                `json:"onair_exit_code"`
	DebugFailures      int                `json:"debug_endpoint_failures"`
}
