package studio

import (
	"context"
	"fmt"
	"slices"
	"time"

	"onair/capture"
	"onair/encoder"
)

// encode is the broadcast's encoding goroutine: every composed picture goes
// through each rendition's encoder, the sound through the one audio encoder,
// until the duration is reached, ctx ends or abort closes.
func (b *Broadcast) encode(ctx context.Context, abort <-chan struct{}) error {
	frames, skipped, stopVideo := b.studio.SubscribeVideo(8)
	defer stopVideo()
	chunks, _, stopAudio := b.studio.SubscribeAudio(128)
	defer stopAudio()
	b.mu.Lock()
	b.skipped = skipped
	rends := slices.Clone(b.rends) // renditions added while live join between pictures
	oenc := b.oenc                 // and the Opus encoder opened for the first WebRTC one
	b.mu.Unlock()

	fps := int64(b.cfg.Video.FPS)
	clock := b.studio.Clock
	// Start on the next frame slot; audio starts at the same instant.
	now := clock.Now()
	seq0 := (int64(now)*fps + int64(time.Second) - 1) / int64(time.Second)
	t0 := time.Duration(seq0) * time.Second / time.Duration(fps)
	s0 := int64(t0) * capture.SampleRate / int64(time.Second)
	endSeq, endSample := int64(-1), int64(-1)
	if b.cfg.Duration > 0 {
		endSeq = seq0 + int64(b.cfg.Duration)*fps/int64(time.Second)
		endSample = s0 + int64(b.cfg.Duration)*capture.SampleRate/int64(time.Second)
	}
	videoDone, audioDone := false, false
	opusFailed := false
	// Packets go out in one batch per picture: the sound encoded since the last
	// picture rides with it, so each destination wakes once a frame, not once
	// a packet (audio waits at most one frame interval). Sound is encoded once
	// for every rendition.
	var sound, opus, batch []*encoder.Packet
	publishSound := func(p *encoder.Packet) { sound = append(sound, p) }
	publishOpus := func(p *encoder.Packet) { opus = append(opus, p) }
	flush := func() {
		for _, r := range rends {
			s := sound
			if r.opus {
				s = opus
			}
			batch = append(append(batch[:0], s...), r.pending...)
			r.hub.PublishBatch(batch)
			clear(r.pending)
			r.pending = r.pending[:0]
		}
		clear(batch)
		clear(sound)
		sound = sound[:0]
		clear(opus)
		opus = opus[:0]
	}
	defer flush()
	for !(videoDone && audioDone) {
		select {
		case <-ctx.Done():
			videoDone, audioDone = true, true
		case <-abort:
			videoDone, audioDone = true, true
		case f := <-frames:
			if b.rendsChanged.Swap(false) {
				b.mu.Lock()
				rends = slices.Clone(b.rends)
				oenc = b.oenc
				b.mu.Unlock()
			}
			if f.Seq < seq0 || videoDone {
				f.Release()
				continue
			}
			if endSeq >= 0 && f.Seq >= endSeq {
				f.Release()
				videoDone = true
				continue
			}
			if len(frames) > 0 && clock.Now()-f.At > maxEncodeLag {
				// Starved of CPU: skip to a newer picture rather than let
				// the delay to every destination grow.
				f.Release()
				b.lagSkipped.Add(1)
				continue
			}
			err := b.encodePicture(rends, f, f.Seq-seq0, clock.Wall(f.At))
			f.Release()
			if err != nil {
				return err
			}
			flush()
			b.frames.Add(1)
		case c := <-chunks:
			lo, hi := c.Start, c.Start+int64(len(c.Samples[0]))
			if audioDone || hi <= s0 {
				c.Release()
				continue
			}
			if endSample >= 0 && hi >= endSample {
				// The chunk that crosses the end may have been skipped (the
				// encoder fell behind): any chunk past it ends the sound too.
				audioDone = true
				if hi = endSample; hi <= max(lo, s0) {
					c.Release()
					continue
				}
			}
			from := max(lo, s0)
			part := &capture.AudioChunk{Start: from}
			for ch := range part.Samples {
				part.Samples[ch] = c.Samples[ch][from-lo : hi-lo]
			}
			err := b.aenc.Encode(part, from-s0, clock.Wall(c.At()), publishSound)
			if err == nil && oenc != nil && !opusFailed {
				if oerr := oenc.Encode(part, from-s0, clock.Wall(c.At()), publishOpus); oerr != nil {
					// The WebRTC sound alone stops: the other
					// destinations' show goes on.
					opusFailed = true
					b.notify(fmt.Sprintf("the WebRTC sound (Opus) stopped: %v; WebRTC viewers get pictures only until the next show", oerr))
				}
			}
			c.Release() // Encode copied the samples
			if err != nil {
				return err
			}
		}
	}
	for _, r := range rends {
		if err := r.venc.Flush(r.collect); err != nil {
			return err
		}
	}
	if oenc != nil && !opusFailed {
		if err := oenc.Flush(publishOpus); err != nil {
			b.notify(fmt.Sprintf("the WebRTC sound's last packets were lost: %v", err))
		}
	}
	return b.aenc.Flush(publishSound)
}

// maxEncodeLag is how old a picture may be when the encoder takes it while a
// newer one waits: a hiccup of a few frames is caught up, a CPU shortage
// skips pictures instead of delaying the show.
const maxEncodeLag = 200 * time.Millisecond

// encodePicture hands f to every rendition's encoder that has someone to
// send to, at the rate dynamic bitrate asks for.
func (b *Broadcast) encodePicture(rends []*rendition, f *capture.Frame, pts int64, composed time.Time) error {
	for _, r := range rends {
		if r.hub.Len() == 0 {
			continue // its destinations were stopped: no work for nobody
		}
		if w := int(r.want.Load()); w != 0 && w != r.venc.Config().BitrateKbps && !r.fixed.Load() {
			if err := r.venc.(BitrateSetter).SetBitrate(w); err != nil {
				// The show goes on at the rate it has.
				r.fixed.Store(true)
				r.want.Store(0)
				b.notify(fmt.Sprintf("dynamic bitrate stopped (%v): video stays at %d kb/s", err, r.venc.Config().BitrateKbps))
			}
		}
		if err := r.venc.Encode(f, pts, composed, r.collect); err != nil {
			return err
		}
	}
	return nil
}
