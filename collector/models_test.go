package collector

import (
	"bytes"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"
)

// TestObserveModelMix: a model mix's results carry their drawn model in
// the model label; a result without one keeps the target's.
func TestObserveModelMix(t *testing.T) {
	reg := prometheus.NewRegistry()
	c := New(reg)
	l := Labels{Target: "t", Model: "base", Workload: "w"}
	for i, r := range simulatedWindow()[:6] {
		r.Model = []string{"lora-a", "lora-b", ""}[i%3]
		c.Observe(l, r)
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	for _, mf := range mfs {
		if _, err := expfmt.MetricFamilyToText(&b, mf); err != nil {
			t.Fatal(err)
		}
	}
	text := b.String()
	for _, want := range []string{
		`inferno_requests_total{model="lora-a",outcome="success",target="t",workload="w"} 2`,
		`inferno_requests_total{model="lora-b",outcome="success",target="t",workload="w"} 2`,
		`inferno_requests_total{model="base",outcome="success",target="t",workload="w"} 2`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("missing %s", want)
		}
	}
}
