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
// an encoder of its own (always, with dynamic bitrate: a free one left by a
// destination stopped earlier, or a new one) that joins from the next
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
	var notices []string // about the destination, whatever rendition it joins
	if n := rd.clearTokenNotice(); n != "" {
		notices = append(notices, n)
	}
	if rd.webrtc() {
		want = splitWebRTC([]Rendition{{Video: want, Destinations: []int{0}}}, func(int) bool { return true })[0].Video
		if err := b.openOpusLive(); err != nil {
			return 0, fmt.Errorf("destination %s: %w", d.Label(), err)
		}
	}
	if rd.adaptive() {
		split, n := splitAdaptive([]Rendition{{Video: want, Destinations: []int{0}}}, func(int) bool { return true }, func(int) string { return d.Label() })
		want, notices = split[0].Video, n
	}
	// A fixed rendition is shared; an adaptive one follows one link, so only
	// one nobody uses any more is taken over.
	same := func(r *rendition) bool {
		if r.opus != rd.webrtc() {
			return false
		}
		if rd.webrtc() {
			// Its own: keyframe requests and sound are not shared.
			return r.hub.Len() == 0 && r.venc.Asked() == want && (r.ctl != nil) == want.Adaptive
		}
		if want.Adaptive {
			return r.ctl != nil && r.hub.Len() == 0 && r.venc.Asked() == want
		}
		return r.ctl == nil && r.venc.Asked() == want
	}
	for {
		b.mu.Lock()
		live, ri := b.state == running, slices.IndexFunc(b.rends, same)
		if live && ri >= 0 {
			i := b.joinLocked(rd, b.rends[ri], &notices)
			b.mu.Unlock()
			b.notifyAll(notices)
			return i, nil
		}
		b.mu.Unlock()
		if !live {
			return 0, fmt.Errorf("destination %s: the broadcast is not running", d.Label())
		}
		// Opening an encoder takes a moment: not while holding the lock the
		// statistics need.
		venc, n, err := b.cfg.Encoders.OpenVideo(want)
		if err != nil {
			return 0, fmt.Errorf("destination %s: %w", d.Label(), err)
		}
		fresh, n2 := b.newRendition(venc, want.Adaptive, d.Label())
		fresh.opus = rd.webrtc()
		b.mu.Lock()
		if b.state != running {
			b.mu.Unlock()
			venc.Close()
			return 0, fmt.Errorf("destination %s: the broadcast is not running", d.Label())
		}
		if ri := slices.IndexFunc(b.rends, same); ri >= 0 {
			// Another caller opened the same meanwhile (or a destination
			// freed one): use that, and close ours.
			b.mu.Unlock()
			venc.Close()
			continue
		}
		b.rends = append(b.rends, fresh)
		b.encoders = max(b.encoders, len(b.rends))
		b.rendsChanged.Store(true)
		for _, x := range []string{n, n2} {
			if x != "" {
				notices = append(notices, fmt.Sprintf("rendition %d: %s", len(b.rends), x))
			}
		}
		i := b.joinLocked(rd, fresh, &notices)
		b.mu.Unlock()
		b.notifyAll(notices)
		return i, nil
	}
}

// openOpusLive opens the Opus encoder for the first WebRTC destination added
// while live; the encoding goroutine takes it with the next rendition change
// (the destination's rendition is added after it), so its sound starts at
// the next picture.
func (b *Broadcast) openOpusLive() error {
	b.mu.Lock()
	have := b.oenc != nil
	b.mu.Unlock()
	if have {
		return nil
	}
	o, ok := b.cfg.Encoders.(OpusOpener)
	if !ok {
		return errors.New("WebRTC needs the Opus encoder, which this build lacks")
	}
	enc, err := o.OpenOpus(opusKbps) // not under the lock: opening takes a moment
	if err != nil {
		return err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.oenc != nil || b.state != running {
		enc.Close() // another caller was first, or the show ended meanwhile
		return nil
	}
	b.oenc = enc
	b.rendsChanged.Store(true)
	return nil
}

// joinLocked makes d's loop on r and starts it; what the performer should
// know about it is recorded. Called with b.mu held.
func (b *Broadcast) joinLocked(d resolved, r *rendition, notices *[]string) int {
	if r.ctl != nil {
		r.takeOver()
	}
	b.notices = append(b.notices, *notices...)
	dest := b.newDestination(d, r)
	b.dests = append(b.dests, dest)
	b.startLocked(dest.out)
	return len(b.dests) - 1
}

func (b *Broadcast) notifyAll(ns []string) {
	for _, n := range ns {
		b.notify(n)
	}
}

// RemoveDestination stops destination i while live, without touching the
// others: it sends what it has queued and closes its stream cleanly. A
// rendition nobody receives any more stops encoding.
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
		out = append(out, fmt.Sprintf("rendition %d: %s — for %s", ri+1, r.settings().Describe(), strings.Join(names, ", ")))
	}
	return out
}
