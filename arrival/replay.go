package arrival

import "time"

// Paired is implemented by arrivals whose i-th time belongs to the i-th
// conversation of their source: nothing else may take from that source.
type Paired interface {
	Paired()
}

// Replay returns the arrival of a replayed data set or trace: one request
// at each of offsets, which must not decrease. It is Paired: the i-th
// offset is the i-th conversation's of the source built beside it.
func Replay(offsets []time.Duration) Arrival {
	return &replayArrival{offsets: offsets}
}

// Finite marks a replay as ending with its trace.
func (a *replayArrival) Finite() {}

// Paired marks a replay's times as its conversations' own.
func (a *replayArrival) Paired() {}

type replayArrival struct {
	offsets []time.Duration
	i       int
}

func (a *replayArrival) Next() (time.Duration, bool) {
	if a.i >= len(a.offsets) {
		return 0, false
	}
	a.i++
	return a.offsets[a.i-1], true
}
