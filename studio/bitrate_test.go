package studio

import "testing"

func TestBitrateControl(t *testing.T) {
	c := newBitrateControl(3000, 160)
	// One congested second is a hiccup, not a trend.
	if k := c.second(0.8, false, 1000, true); k != 3000 {
		t.Fatalf("stepped down after one second: %d", k)
	}
	// Sustained: down towards what the link carried (1000 kb/s sent, less
	// sound, with a margin), not just a fixed step.
	if k := c.second(0.8, false, 1000, true); k != 690 {
		t.Fatalf("after two congested seconds at 1000 kb/s carried: %d, want 690", k)
	}
	// Never below the floor, however bad.
	for range 10 {
		c.second(1, false, 0, true)
	}
	if c.cur != 600 {
		t.Fatalf("floor: %d, want 600 (a fifth of 3000)", c.cur)
	}
	// Reconnecting says nothing of the link: no change, counters reset.
	c.second(1, false, 0, true)
	if k := c.second(1, false, 0, false); k != 600 || c.hot != 0 {
		t.Fatalf("while reconnecting: %d (hot %d)", k, c.hot)
	}
	// Back up slowly: 300 kb/s per 10 clear seconds, up to the target.
	up := 0
	for s := 1; s <= 200 && c.cur < 3000; s++ {
		before := c.cur
		c.second(0, false, 700, true)
		if c.cur != before {
			up++
			if s%10 != 0 || c.cur-before != 300 {
				t.Fatalf("second %d: %d → %d, want +300 every 10 clear seconds", s, before, c.cur)
			}
		}
	}
	if c.cur != 3000 || up != 8 {
		t.Fatalf("recovered to %d in %d steps, want 3000 in 8", c.cur, up)
	}
	// A queue that drops (and so reads low again) is congested all the same:
	// drop, refill, drop must step down.
	c.second(0.6, false, 900, true)
	if k := c.second(0.2, true, 900, true); k != 605 {
		t.Fatalf("a second with drops after a congested one: %d, want 605 (900 kb/s carried, less sound, with a margin)", k)
	}
	c.cur = 3000
	// Middling congestion holds the rate where it is.
	c.second(0.3, false, 2000, true)
	c.second(0.3, false, 2000, true)
	if c.cur != 3000 {
		t.Fatalf("middling congestion changed the rate: %d", c.cur)
	}
}

// A WebRTC destination's rate follows its receiver's estimate: down at
// once under it (less sound and a 10 % margin), never under the floor, up
// again only after ten seconds with room, and never above the estimate or
// the target.
func TestBitrateControlFollowsTheLinkEstimate(t *testing.T) {
	c := newBitrateControl(2500, 128)
	if k := c.follow(4000, true); k != 2500 {
		t.Fatalf("room above the target: %d, want 2500", k)
	}
	if k := c.follow(1500, true); k != 1500*9/10-128 {
		t.Fatalf("estimate 1500: %d, want %d", k, 1500*9/10-128)
	}
	if k := c.follow(200, true); k != 500 {
		t.Fatalf("estimate 200: %d, want the floor 500", k)
	}
	if k := c.follow(100, false); k != 500 {
		t.Fatalf("not live: %d, want unchanged", k)
	}
	for s := 1; s < calmSeconds; s++ {
		if k := c.follow(1000, true); k != 500 {
			t.Fatalf("second %d with room: %d, want 500 until %d s", s, k, calmSeconds)
		}
	}
	if k := c.follow(1000, true); k != 500+250 {
		t.Fatalf("after %d s of room: %d, want one step of 250", calmSeconds, k)
	}
	for range 10 * calmSeconds {
		c.follow(1000, true)
	}
	if c.cur != 1000*9/10-128 {
		t.Fatalf("climbed to %d, want no more than the room 772", c.cur)
	}
}
