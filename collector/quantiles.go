package collector

import (
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/inferno-llm/inferno/stats"
)

// windowSummary exports a window's percentiles as a summary: quantile
// labels, as Prometheus users query quantiles everywhere else, with the
// _sum and _count the exposition format asks of a metric that carries
// them (promtool refuses a quantile label on a gauge). The figures are the
// report's, computed once per window, so the summary is a constant one
// replaced at each window's end.
type windowSummary struct {
	desc *prometheus.Desc
	// only, when set, limits the quantiles to those labels (a server's
	// histogram gives p50 and p95 alone).
	only   []string
	mu     sync.Mutex
	series map[string]summarySeries
}

type summarySeries struct {
	labels []string
	stats  stats.Stats
}

func newWindowSummary(name, help string, labels []string) *windowSummary {
	return &windowSummary{desc: prometheus.NewDesc(name, help, labels, nil), series: map[string]summarySeries{}}
}

func (w *windowSummary) Describe(ch chan<- *prometheus.Desc) { ch <- w.desc }

func (w *windowSummary) Collect(ch chan<- prometheus.Metric) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, s := range w.series {
		q := make(map[float64]float64, len(quantiles))
		for _, qq := range quantiles {
			if w.only != nil && !slices.Contains(w.only, qq.label) {
				continue
			}
			v, _ := strconv.ParseFloat(qq.label, 64)
			q[v] = qq.pick(s.stats)
		}
		ch <- prometheus.MustNewConstSummary(w.desc, uint64(s.stats.Count), s.stats.Mean*float64(s.stats.Count), q, s.labels...)
	}
}

// set replaces the series of the label values with st.
func (w *windowSummary) set(lv []string, st stats.Stats) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.series[strings.Join(lv, "\xff")] = summarySeries{labels: append([]string{}, lv...), stats: st}
}

// remove drops the series of the label values.
func (w *windowSummary) remove(lv []string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	delete(w.series, strings.Join(lv, "\xff"))
}

// DeletePartialMatch drops every series whose labels match, as a vector's.
func (w *windowSummary) DeletePartialMatch(match prometheus.Labels) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := 0
	for k, s := range w.series {
		ok := true
		for i, name := range windowLabels {
			if v, set := match[name]; set && i < len(s.labels) && s.labels[i] != v {
				ok = false
			}
		}
		if ok {
			delete(w.series, k)
			n++
		}
	}
	return n
}
