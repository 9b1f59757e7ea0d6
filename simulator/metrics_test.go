package simulator

import (
	"slices"
	"testing"

	"github.com/inferno-llm/inferno/collector"
)

// The simulator's server-side buckets are vLLM's, and so are collector's
// client-side ones: a change to either must be made to both, or the
// dashboards set histograms of different boundaries side by side.
func TestBucketsMatchCollector(t *testing.T) {
	for _, tc := range []struct {
		name              string
		simulator, client []float64
	}{
		{"ttft", vllmTTFTBuckets, collector.TTFTBuckets},
		{"token", vllmTokenBuckets, collector.TokenBuckets},
		{"latency", vllmLatencyBuckets, collector.LatencyBuckets},
	} {
		if !slices.Equal(tc.simulator, tc.client) {
			t.Errorf("%s buckets: simulator %v, collector %v", tc.name, tc.simulator, tc.client)
		}
	}
}
