package capacity

import (
	"reflect"
	"testing"
	"time"

	"github.com/inferno-llm/inferno/result"
)

// A later step's results move onto the run's timeline whole: the
// half-second series (the old tool's throughput smoothing) with the
// per-second one, or its first halves land in the run's first seconds.
func TestShiftTimelineMovesBothSeries(t *testing.T) {
	r := &result.Result{
		TokensBySecond:     []result.SecondTokens{{Second: 0, Tokens: 3}, {Second: 1, Tokens: 2}},
		TokensByHalfSecond: []result.SecondTokens{{Second: 0, Tokens: 1}, {Second: 1, Tokens: 2}, {Second: 3, Tokens: 2}},
	}
	shiftTimeline(r, 10*time.Second+300*time.Millisecond)
	if want := []result.SecondTokens{{Second: 10, Tokens: 3}, {Second: 11, Tokens: 2}}; !reflect.DeepEqual(r.TokensBySecond, want) {
		t.Errorf("per second %v, want %v", r.TokensBySecond, want)
	}
	if want := []result.SecondTokens{{Second: 20, Tokens: 1}, {Second: 21, Tokens: 2}, {Second: 23, Tokens: 2}}; !reflect.DeepEqual(r.TokensByHalfSecond, want) {
		t.Errorf("per half second %v, want %v", r.TokensByHalfSecond, want)
	}
}
