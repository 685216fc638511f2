package outputs

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"onair/encoder"
)

// State is where a destination is in its life. The zero value is invalid.
type State uint8

const (
	Idle State = iota + 1
	Connecting
	Live
	Reconnecting
	Failed
	Stopped
)

func (s State) String() string {
	switch s {
	case Idle:
		return "idle"
	case Connecting:
		return "connecting"
	case Live:
		return "live"
	case Reconnecting:
		return "reconnecting"
	case Failed:
		return "failed"
	case Stopped:
		return "stopped"
	}
	return "invalid"
}

// Sink is one open connection to a destination. Write sends one packet and
// returns the bytes it put on the wire; Close ends the stream cleanly.
type Sink interface {
	Write(p *encoder.Packet) (int, error)
	Close() error
}

// LinkEstimator is a sink that knows what its link carries now, from the
// receiver's congestion feedback (WebRTC); found by type assertion.
type LinkEstimator interface {
	LinkKbps() int // 0: no estimate yet
}

// Connector opens a connection to a target for the given streams.
type Connector interface {
	Connect(ctx context.Context, t Target, streams []encoder.Stream) (Sink, error)
}

// Backoff is the reconnect schedule: First, then ×Factor with up to 5 %
// jitter, never more than Max. A zero field takes DefaultBackoff's.
type Backoff struct {
	First  time.Duration
	Factor float64
	Max    time.Duration
}

// DefaultBackoff is what OBS users expect: 2 s, ×1.5, capped at 60 s.
var DefaultBackoff = Backoff{First: 2 * time.Second, Factor: 1.5, Max: 60 * time.Second}

// Filled is b with DefaultBackoff's value in each field left zero.
func (b Backoff) Filled() Backoff { return b.filled() }

// filled is b with DefaultBackoff's value in each field left zero.
func (b Backoff) filled() Backoff {
	if b.First <= 0 {
		b.First = DefaultBackoff.First
	}
	if b.Factor < 1 {
		b.Factor = DefaultBackoff.Factor
	}
	if b.Max <= 0 {
		b.Max = DefaultBackoff.Max
	}
	return b
}

// keyRefusedWait is the least wait after a refused stream key, unless the
// cap is shorter and the performer chose it.
const keyRefusedWait = 30 * time.Second

// Delay is the wait before retry number attempt (1 for the first retry).
func (b Backoff) Delay(attempt int) time.Duration {
	d := float64(b.First)
	for i := 1; i < attempt && d < float64(b.Max); i++ {
		d *= b.Factor
	}
	d = min(d, float64(b.Max))
	return time.Duration(d * (1 + 0.05*rand.Float64()))
}

// retryWait is the wait before retry number attempt after err. Retrying does
// not fix a refused key: that waits longer (at least 30 s), but never past
// the cap unless the cap is under 30 s.
func (b Backoff) retryWait(attempt int, err error) time.Duration {
	wait := b.Delay(attempt)
	if errors.Is(err, ErrKeyRefused) {
		wait = min(max(4*wait, keyRefusedWait), max(b.Max, keyRefusedWait))
	}
	return wait
}

// Destination is one place the program goes to. It owns its queue and its
// connection; nothing it does can stall the encoder or another destination.
type Destination struct {
	Target    Target
	name      string
	connector Connector
	queue     *encoder.Queue
	streams   []encoder.Stream
	backoff   Backoff
	// Retry says whether to reconnect after a failure (false: fail once and stop).
	retry bool
	// kick cuts a reconnect wait short (ReconnectNow).
	kick chan struct{}
	// firstOnce closes firstTried once, however often Run runs.
	firstOnce sync.Once

	mu         sync.Mutex
	running    bool // Run is under way
	runs       int  // Runs started, so an ending one knows if it was followed
	state      State
	lastErr    string
	bytes      int64
	packets    int64
	attempts   int
	everLive   bool
	retryAt    time.Time
	link       LinkEstimator   // the live sink, when it estimates its link
	latencies  []time.Duration // ring of the last compose→wire latencies
	latNext    int
	firstTried chan struct{}
	onEvent    func(Event)
}

// Event is a change a user should hear about: a state change with its reason.
type Event struct {
	Name  string // the redacted destination
	State State
	Err   string // the reason, when there is one
	Retry time.Duration
}

// DestinationOptions tune a destination.
type DestinationOptions struct {
	// Name is what events and stats call it (default: the target, masked).
	Name          string
	QueueCapacity int
	DropThreshold time.Duration
	Backoff       Backoff
	NoRetry       bool
	OnEvent       func(Event)
}

// NewDestination prepares a destination; Run starts it.
func NewDestination(t Target, c Connector, streams []encoder.Stream, o DestinationOptions) *Destination {
	if o.QueueCapacity == 0 {
		o.QueueCapacity = 1024
	}
	o.Backoff = o.Backoff.filled()
	if o.OnEvent == nil {
		o.OnEvent = func(Event) {}
	}
	if o.Name == "" {
		o.Name = t.String()
	}
	q := encoder.NewQueue(o.QueueCapacity, o.DropThreshold)
	q.Park()
	return &Destination{
		Target: t, name: o.Name, connector: c, queue: q, streams: streams, backoff: o.Backoff, retry: !o.NoRetry,
		state: Idle, latencies: make([]time.Duration, 0, 1024), firstTried: make(chan struct{}),
		onEvent: o.OnEvent, kick: make(chan struct{}, 1),
	}
}

// Queue is the destination's queue, to subscribe to a hub.
func (d *Destination) Queue() *encoder.Queue { return d.queue }

// FirstAttempt is closed once the first connection attempt has succeeded or failed.
func (d *Destination) FirstAttempt() <-chan struct{} { return d.firstTried }

// ErrRunning is Run called while the destination already runs.
var ErrRunning = errors.New("the destination is already running")

// ErrNotRunning is ReconnectNow on a destination whose loop has ended (it
// failed without retrying, or was stopped): Run it again to retry.
var ErrNotRunning = errors.New("the destination is not running")

// ErrAlreadyLive is ReconnectNow on a destination that is live.
var ErrAlreadyLive = errors.New("the destination is already live")

// Run connects and sends until the queue is closed and drained (a clean end),
// or ctx is cancelled. It returns the last error when it gave up: at once on
// an error marked ErrPermanent (state Failed), as without retries. Once it has
// returned it may run again (to retry a failed destination) as long as the
// queue is open; never twice at once.
func (d *Destination) Run(ctx context.Context) error {
	d.mu.Lock()
	if d.running {
		d.mu.Unlock()
		return fmt.Errorf("%s: %w", d.name, ErrRunning)
	}
	d.running = true
	d.runs++
	run := d.runs
	d.mu.Unlock()
	defer func() {
		d.mu.Lock()
		if d.runs == run { // not already handed on to a new Run (after Failed)
			d.running = false
		}
		d.mu.Unlock()
	}()
	tried := func() { d.firstOnce.Do(func() { close(d.firstTried) }) }
	defer tried()
	for attempt := 0; ; attempt++ {
		if attempt == 0 {
			d.setState(Connecting, nil, 0)
		}
		d.mu.Lock()
		d.attempts++
		d.mu.Unlock()
		sink, err := d.connector.Connect(ctx, d.Target, d.streams)
		if err == nil {
			d.queue.Unpark()
			d.setState(Live, nil, 0)
			tried()
			attempt = 0
			le, _ := sink.(LinkEstimator)
			d.mu.Lock()
			d.link = le
			d.mu.Unlock()
			err = d.pump(ctx, sink)
			d.mu.Lock()
			d.link = nil
			d.mu.Unlock()
			cerr := sink.Close()
			if errors.Is(err, encoder.ErrQueueClosed) {
				if cerr != nil {
					cerr = fmt.Errorf("%s: closing: %w", d.name, cerr)
					d.setState(Stopped, cerr, 0)
					return cerr
				}
				d.setState(Stopped, nil, 0)
				return nil
			}
			d.queue.Park()
		}
		tried()
		if ctx.Err() != nil {
			d.setState(Stopped, nil, 0)
			return nil
		}
		err = fmt.Errorf("%s: %w", d.name, err)
		if !d.retry || errors.Is(err, ErrPermanent) {
			d.setState(Failed, err, 0)
			return err
		}
		wait := d.backoff.retryWait(attempt+1, err)
		// A ReconnectNow from before this wait (while connecting) is stale.
		select {
		case <-d.kick:
		default:
		}
		d.setState(Reconnecting, err, wait)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			d.setState(Stopped, nil, 0)
			return nil
		case <-d.queue.Done():
			// The broadcast ended while we were waiting to retry.
			t.Stop()
			d.setState(Failed, err, 0)
			return err
		case <-d.kick:
			t.Stop()
			d.clearRetry()
		case <-t.C:
		}
	}
}

// latencySettle is how long after going live pictures start counting towards
// the latency figures.
const latencySettle = time.Second

func (d *Destination) pump(ctx context.Context, sink Sink) error {
	// Latency counts pictures composed from a second after the connection was
	// up: what waited for the connection is the connect time, reported apart,
	// and a destination live within the encoder's first moments would count
	// its warm-up (x264's first pictures take ~100 ms at 1080p) as the tail.
	liveSince := time.Now().Add(latencySettle)
	for {
		p, err := d.queue.Pop(ctx)
		if err != nil {
			return err
		}
		n, err := sink.Write(p)
		if err != nil {
			return err
		}
		lat := time.Since(p.Composed)
		d.mu.Lock()
		d.bytes += int64(n)
		d.packets++
		if p.Kind == encoder.Video && p.Composed.After(liveSince) {
			if len(d.latencies) < cap(d.latencies) {
				d.latencies = append(d.latencies, lat)
			} else {
				d.latencies[d.latNext] = lat
				d.latNext = (d.latNext + 1) % len(d.latencies)
			}
		}
		d.mu.Unlock()
	}
}

// ReconnectNow cuts a reconnect wait short: the next attempt starts at once.
// It is nil while an attempt is under way (or about to be), ErrAlreadyLive
// when live, and ErrNotRunning when the loop has ended: the owner of Run runs
// it again to retry a failed destination.
func (d *Destination) ReconnectNow() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	switch {
	case !d.running:
		return fmt.Errorf("%s: %w", d.name, ErrNotRunning)
	case d.state == Live:
		return fmt.Errorf("%s: %w", d.name, ErrAlreadyLive)
	case d.state == Reconnecting:
		select {
		case d.kick <- struct{}{}:
		default: // one is pending already
		}
	}
	return nil
}

// clearRetry forgets the retry time once the wait was cut short.
func (d *Destination) clearRetry() {
	d.mu.Lock()
	d.retryAt = time.Time{}
	d.mu.Unlock()
}

func (d *Destination) setState(s State, err error, retry time.Duration) {
	d.mu.Lock()
	changed := d.state != s
	d.state = s
	if s == Failed {
		// Run returns next: from here a ReconnectNow must see it ended (and
		// its owner run it again), not a retry under way that never comes.
		d.running = false
	}
	msg := ""
	if err != nil {
		msg = err.Error()
		changed = changed || msg != d.lastErr
		d.lastErr = msg
	}
	if s == Live {
		d.everLive = true
		d.lastErr = ""
	}
	d.retryAt = time.Time{}
	if retry > 0 {
		d.retryAt = time.Now().Add(retry)
	}
	d.mu.Unlock()
	if changed {
		d.onEvent(Event{Name: d.name, State: s, Err: msg, Retry: retry})
	}
}

// DestinationStats is a snapshot of one destination's health.
type DestinationStats struct {
	Name      string
	State     State
	LastError string
	BytesSent int64
	Packets   int64
	Attempts  int
	EverLive  bool
	RetryIn   time.Duration
	Queue     encoder.QueueStats
	// Latency from compose to the last byte on the wire, over recent video
	// packets composed from a second after the destination went live.
	LatencyP50, LatencyP99, LatencyMax time.Duration
	// LinkKbps is what the receiver's congestion feedback says the link
	// carries (WebRTC), 0 when unknown.
	LinkKbps int
}

// Stats returns a snapshot.
func (d *Destination) Stats() DestinationStats {
	d.mu.Lock()
	s := DestinationStats{
		Name: d.name, State: d.state, LastError: d.lastErr, BytesSent: d.bytes,
		Packets: d.packets, Attempts: d.attempts, EverLive: d.everLive,
	}
	if !d.retryAt.IsZero() {
		s.RetryIn = max(0, time.Until(d.retryAt))
	}
	lat := slices.Clone(d.latencies)
	link := d.link
	d.mu.Unlock()
	if link != nil {
		s.LinkKbps = link.LinkKbps()
	}
	s.Queue = d.queue.Stats()
	if len(lat) > 0 {
		slices.Sort(lat)
		s.LatencyP50 = lat[len(lat)/2]
		s.LatencyP99 = lat[min(len(lat)-1, len(lat)*99/100)]
		s.LatencyMax = lat[len(lat)-1]
	}
	return s
}
