package audio

import "time"

// Recorder captures a fixed length of one input's sound, after its chain
// (what the program gets), for the mic check: the ring has one reader, the
// mixer, so the check listens here instead of pulling a second time.
type Recorder struct {
	l, r []float32
	n    int
	done chan struct{}
}

// NewRecorder makes a recorder for d of sound (allocated now, not while
// recording).
func NewRecorder(d time.Duration) *Recorder {
	n := max(1, int(d.Seconds()*StudioRate))
	return &Recorder{l: make([]float32, n), r: make([]float32, n), done: make(chan struct{})}
}

// Done is closed once the recording is full.
func (rec *Recorder) Done() <-chan struct{} { return rec.done }

// Samples is the recording; read it only after Done is closed.
func (rec *Recorder) Samples() (l, r []float32) { return rec.l, rec.r }

// write appends a chunk and reports whether the recording is now full.
func (rec *Recorder) write(l, r []float32) bool {
	k := copy(rec.l[rec.n:], l)
	copy(rec.r[rec.n:], r[:k])
	rec.n += k
	if rec.n == len(rec.l) {
		close(rec.done)
		return true
	}
	return false
}

// Record starts recording this input into rec from the next chunk the
// mixer pulls, replacing a recording in progress (which then never
// completes). A Recorder records once.
func (in *Input) Record(rec *Recorder) { in.rec.Store(rec) }
