package studio

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"onair/outputs"
)

// AddDestination starts sending to d while live, without touching the
// others. It joins the rendition whose settings its preset accepts, or gets
// a new encoder (always, with dynamic bitrate) that joins from the next
// picture; either way it starts at a keyframe with fresh headers. It returns
// the destination's index in the broadcast.
func (b *Broadcast) AddDestination(d Destination) (int, error) {
	rd, err := d.resolve(b.cfg.Video.FPS)
	if err != nil {
		return 0, err
	}
	if b.cfg.Connectors[rd.target.Protocol] == nil {
		return 0, fmt.Errorf("destination %s: %s is not supported here", d.Label(), rd.target.Protocol)
	}
	want, err := rd.preset.Constrain(b.cfg.Video)
	if err != nil {
		return 0, fmt.Errorf("destination %s: %w", d.Label(), err)
	}
	var notices []string
	if d.DynamicBitrate {
		split, n := splitAdaptive([]Rendition{{Video: want, Destinations: []int{0}}}, func(int) bool { return true }, func(int) string { return d.Label() })
		want, notices = split[0].Video, n
	}
	// Adaptive renditions are never shared: their rate follows one link.
	same := func(r *rendition) bool { return !want.Adaptive && r.ctl == nil && r.venc.Asked() == want }
	b.mu.Lock()
	live, ri := b.state == running, slices.IndexFunc(b.rends, same)
	b.mu.Unlock()
	if !live {
		return 0, fmt.Errorf("destination %s: the broadcast is not running", d.Label())
	}
	var fresh *rendition
	if ri < 0 {
		// Opening an encoder takes a moment: not while holding the lock the
		// statistics need.
		venc, n, err := b.cfg.Encoders.OpenVideo(want)
		if err != nil {
			return 0, fmt.Errorf("destination %s: %w", d.Label(), err)
		}
		fresh = b.newRendition(venc, want.Adaptive)
		if n != "" {
			notices = append(notices, n)
		}
	}
	i, err := b.addLocked(rd, fresh, same, &notices)
	if err != nil {
		return 0, err
	}
	for _, n := range notices {
		b.notify(n)
	}
	return i, nil
}

// addLocked joins d to fresh (a rendition opened for it) or to the one
// same finds, and starts it. It takes b.mu.
func (b *Broadcast) addLocked(d resolved, fresh *rendition, same func(*rendition) bool, notices *[]string) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.state != running {
		if fresh != nil {
			fresh.venc.Close()
		}
		return 0, fmt.Errorf("destination %s: the broadcast is not running", d.Label())
	}
	ri := -1
	if fresh != nil && fresh.ctl == nil {
		ri = slices.IndexFunc(b.rends, same)
		if ri >= 0 {
			fresh.venc.Close() // another caller opened the same meanwhile
		}
	}
	if ri < 0 && fresh != nil {
		b.rends = append(b.rends, fresh)
		ri = len(b.rends) - 1
		b.encoders = max(b.encoders, len(b.rends))
		b.rendsChanged.Store(true)
		for k, n := range *notices {
			(*notices)[k] = fmt.Sprintf("rendition %d: %s", ri+1, n)
		}
		b.notices = append(b.notices, *notices...)
	}
	if ri < 0 {
		ri = slices.IndexFunc(b.rends, same)
	}
	dest := b.newDestination(d, b.rends[ri])
	b.dests = append(b.dests, dest)
	b.startLocked(dest.out)
	return len(b.dests) - 1, nil
}

// RemoveDestination stops destination i while live, without touching the
// others: it sends what it has queued and closes its stream cleanly.
func (b *Broadcast) RemoveDestination(i int) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if i < 0 || i >= len(b.dests) || b.state == closed {
		return fmt.Errorf("no destination %d in this broadcast", i)
	}
	d := b.dests[i]
	d.rend.hub.Unsubscribe(d.out.Queue())
	return nil
}

// ReconnectDestination retries destination i at once while live: it cuts
// its reconnect wait short, or runs a destination whose loop ended in
// failure again. One that was stopped (RemoveDestination) is started anew
// with AddDestination.
func (b *Broadcast) ReconnectDestination(i int) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if i < 0 || i >= len(b.dests) || b.state == closed {
		return fmt.Errorf("no destination %d in this broadcast", i)
	}
	d := b.dests[i]
	if b.state != running {
		return fmt.Errorf("destination %s: the broadcast is not running", d.Label())
	}
	err := d.out.ReconnectNow()
	if !errors.Is(err, outputs.ErrNotRunning) {
		return err
	}
	select {
	case <-d.out.Queue().Done():
		return fmt.Errorf("destination %s was stopped: start it again", d.Label())
	default:
	}
	b.startLocked(d.out)
	return nil
}

// Renditions describes each encoder and the destinations it feeds, in words.
func (b *Broadcast) Renditions() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []string
	for ri, r := range b.rends {
		var names []string
		for _, d := range b.dests {
			if d.rend == r {
				names = append(names, d.Label())
			}
		}
		out = append(out, fmt.Sprintf("rendition %d: %s — for %s", ri+1, r.venc.Config().Describe(), strings.Join(names, ", ")))
	}
	return out
}
