package studio

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"onair/assets"
	"onair/encoder"
)

// Preset is one platform's ingest and encoder limits (assets/presets.json).
type Preset struct {
	ID             string   `json:"id"`
	Name           string   `json:"name"`
	Ingest         string   `json:"ingest"`
	Codecs         []string `json:"codecs"`
	MaxBitrateKbps int      `json:"max_bitrate_kbps"`
	KeyframeSec    int      `json:"keyframe_sec"`
	MaxFPS         int      `json:"max_fps"`
	NoBFrames      bool     `json:"no_bframes"`
	ZeroLatency    bool     `json:"zerolatency"`
	Profile        string   `json:"profile"`
	Notes          string   `json:"notes"`
}

// Presets parses the presets shipped in assets.
func Presets() ([]Preset, error) {
	var ps []Preset
	if err := json.Unmarshal(assets.PresetsJSON, &ps); err != nil {
		return nil, fmt.Errorf("the built-in platform presets are broken: %w", err)
	}
	return ps, nil
}

// FindPreset returns the preset with id (case-insensitive).
func FindPreset(id string) (*Preset, error) {
	ps, err := Presets()
	if err != nil {
		return nil, err
	}
	for i := range ps {
		if strings.EqualFold(ps[i].ID, id) {
			return &ps[i], nil
		}
	}
	ids := make([]string, len(ps))
	for i, p := range ps {
		ids[i] = p.ID
	}
	return nil, fmt.Errorf("unknown platform preset %q (known: %s)", id, strings.Join(ids, ", "))
}

// Constrain returns base as this platform accepts it: the codec asked for
// if the platform takes it (H.264 otherwise), bitrate capped, keyframe
// interval and profile as it requires. Every onair rendition is zerolatency
// without B-frames, which every preset accepts.
func (p *Preset) Constrain(base encoder.VideoConfig) (encoder.VideoConfig, error) {
	base = base.Filled()
	if p == nil {
		return base, nil
	}
	if !slices.Contains(p.Codecs, base.Codec.String()) {
		if !slices.Contains(p.Codecs, encoder.H264.String()) {
			return base, fmt.Errorf("%s takes neither %s nor H.264", p.Name, base.Codec)
		}
		base.Codec, base.Profile = encoder.H264, ""
		base = base.Filled()
	}
	if p.MaxFPS > 0 && base.FPS > p.MaxFPS {
		return base, fmt.Errorf("%s takes at most %d fps; the canvas runs at %d", p.Name, p.MaxFPS, base.FPS)
	}
	c := base
	if p.MaxBitrateKbps > 0 && c.BitrateKbps > p.MaxBitrateKbps {
		c.BitrateKbps = p.MaxBitrateKbps
	}
	if p.KeyframeSec > 0 {
		c.KeyframeSec = p.KeyframeSec
	}
	if p.Profile != "" && c.Codec == encoder.H264 {
		c.Profile = p.Profile
	}
	return c, nil
}

// Rendition is one encoder's settings and the destinations (by index) it feeds.
type Rendition struct {
	Video        encoder.VideoConfig
	Destinations []int
}

// PlanRenditions groups destinations whose platforms accept the same settings
// onto one encoder: encode once for all who can share it, once more for each
// distinct set of limits. presets[i] is destination i's (nil: none).
func PlanRenditions(base encoder.VideoConfig, presets []*Preset) ([]Rendition, error) {
	base = base.Filled()
	var rs []Rendition
	for i, p := range presets {
		c, err := p.Constrain(base)
		if err != nil {
			return nil, err
		}
		j := slices.IndexFunc(rs, func(r Rendition) bool { return r.Video == c })
		if j < 0 {
			rs = append(rs, Rendition{Video: c})
			j = len(rs) - 1
		}
		rs[j].Destinations = append(rs[j].Destinations, i)
	}
	return rs, nil
}
