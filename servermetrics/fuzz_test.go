package servermetrics

import (
	"bytes"
	"math"
	"testing"

	"github.com/prometheus/common/expfmt"
)

// FuzzParse: whatever a metrics endpoint serves, parsing it returns a
// snapshot or an error, never a panic, and every quantile of what it
// kept is a number or NaN inside the histogram's bounds.
func FuzzParse(f *testing.F) {
	f.Add([]byte(fill([7]float64{1, 2, 0.3, 0, 0.1, 5, 1})), false)
	f.Add([]byte("# TYPE tgi_request_duration histogram\ntgi_request_duration_bucket{le=\"1\"} 3\ntgi_request_duration_bucket{le=\"+Inf\"} 2\ntgi_request_duration_sum -1\ntgi_request_duration_count 2\n"), false)
	f.Add([]byte("# TYPE vllm:num_requests_waiting gauge\nvllm:num_requests_waiting NaN\n# EOF\n"), true)
	f.Fuzz(func(t *testing.T, body []byte, openMetrics bool) {
		format := expfmt.NewFormat(expfmt.TypeTextPlain)
		if openMetrics {
			format = expfmt.NewFormat(expfmt.TypeOpenMetrics)
		}
		snap, err := parse(bytes.NewReader(body), format, "m")
		if err != nil {
			return
		}
		for _, h := range snap.hists {
			if h == nil {
				continue
			}
			d, _ := h.minus(&histogram{bounds: h.bounds, cum: make([]float64, len(h.cum))})
			for _, q := range []float64{0, 0.5, 0.95, 1} {
				v, _ := quantile(q, d)
				if !math.IsNaN(v) && (math.IsInf(v, 0) || v > d.bounds[len(d.bounds)-1]) {
					t.Errorf("quantile %v = %v outside the bounds %v", q, v, d.bounds)
				}
			}
		}
	})
}
