package servermetrics

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"slices"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
)

// histogram is a classic histogram summed over a family's series:
// cumulative counts per upper bound, the last bound +Inf.
type histogram struct {
	bounds []float64
	cum    []float64
	count  float64
	sum    float64
}

// snapshot is what one scrape found, reduced to the known roles.
type snapshot struct {
	at      time.Time
	server  string
	hists   [roleCount]*histogram
	values  [roleCount]float64 // gauges and counters, summed over series
	present [roleCount]bool
}

// acceptHeader asks for the classic text format, which every server
// speaks; an OpenMetrics answer is decoded as well.
const acceptHeader = `text/plain;version=0.0.4;q=1,application/openmetrics-text;version=1.0.0;q=0.5,*/*;q=0.1`

// errTooLarge is a body over the size cap.
var errTooLarge = errors.New("metrics over the size limit")

// scrape fetches and parses url within ctx, reading at most maxBytes.
func scrape(ctx context.Context, client *http.Client, url, model string, maxBytes int64) (*snapshot, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", acceptHeader)
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	if resp.ContentLength > maxBytes {
		return nil, fmt.Errorf("%w of %d bytes (Content-Length %d)", errTooLarge, maxBytes, resp.ContentLength)
	}
	body := &capped{r: resp.Body, left: maxBytes}
	snap, err := parse(body, expfmt.ResponseFormat(resp.Header), model)
	if body.over {
		return nil, fmt.Errorf("%w of %d bytes", errTooLarge, maxBytes)
	}
	if err != nil {
		return nil, err
	}
	snap.at = time.Now()
	return snap, nil
}

// capped reads at most left bytes and then fails, so a body of any size
// costs no more than the cap in memory and reading.
type capped struct {
	r    io.Reader
	left int64
	over bool
}

func (c *capped) Read(p []byte) (int, error) {
	if c.left <= 0 {
		// One byte more tells a body of exactly the cap from a larger one.
		var one [1]byte
		if n, _ := c.r.Read(one[:]); n > 0 {
			c.over = true
			return 0, errTooLarge
		}
		return 0, io.EOF
	}
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.r.Read(p)
	c.left -= int64(n)
	return n, err
}

// parse decodes an exposition with prometheus/common's expfmt and keeps
// the known families. Where a family's series carry the target's model in
// a model label, only those count: a server may serve several models.
func parse(r io.Reader, format expfmt.Format, model string) (*snapshot, error) {
	if format.FormatType() == expfmt.TypeUnknown || format.FormatType() == expfmt.TypeProtoDelim {
		format = expfmt.NewFormat(expfmt.TypeTextPlain)
	}
	dec := expfmt.NewDecoder(r, format)
	snap := &snapshot{}
	votes := map[string]int{}
	var fams []*dto.MetricFamily
	for {
		var mf dto.MetricFamily
		err := dec.Decode(&mf)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("parse: %w", err)
		}
		if f, ok := lookup(mf.GetName()); ok {
			votes[f.server]++
			fams = append(fams, &mf)
		}
	}
	for server, n := range votes {
		if n > votes[snap.server] || (n == votes[snap.server] && server < snap.server) {
			snap.server = server
		}
	}
	for _, mf := range fams {
		f, _ := lookup(mf.GetName())
		if f.server != snap.server {
			continue
		}
		metrics := ofModel(mf.GetMetric(), model)
		if f.role == roleTTFT || f.role == roleE2E || f.role == roleQueue {
			if h := sumHistograms(metrics); h != nil && snap.hists[f.role] == nil {
				snap.hists[f.role] = h
				snap.present[f.role] = true
			}
			continue
		}
		if snap.present[f.role] {
			continue // an older alias of a family already read
		}
		v, ok := sumValues(metrics)
		if ok {
			snap.values[f.role], snap.present[f.role] = v, true
		}
	}
	return snap, nil
}

// ofModel keeps the series of the model where any series names it.
func ofModel(metrics []*dto.Metric, model string) []*dto.Metric {
	if model == "" {
		return metrics
	}
	var mine []*dto.Metric
	for _, m := range metrics {
		for _, l := range m.GetLabel() {
			if slices.Contains(modelLabels, l.GetName()) && l.GetValue() == model {
				mine = append(mine, m)
				break
			}
		}
	}
	if len(mine) == 0 {
		return metrics
	}
	return mine
}

func sumValues(metrics []*dto.Metric) (float64, bool) {
	var sum float64
	ok := false
	for _, m := range metrics {
		var v float64
		switch {
		case m.Gauge != nil:
			v = m.Gauge.GetValue()
		case m.Counter != nil:
			v = m.Counter.GetValue()
		case m.Untyped != nil:
			v = m.Untyped.GetValue()
		default:
			continue
		}
		if math.IsNaN(v) || math.IsInf(v, 0) {
			continue
		}
		sum, ok = sum+v, true
	}
	return sum, ok
}

// sumHistograms adds up series with the same bounds; a series with other
// bounds is left out (servers use one set per family).
func sumHistograms(metrics []*dto.Metric) *histogram {
	var h *histogram
	for _, m := range metrics {
		mh := m.GetHistogram()
		if mh == nil || len(mh.GetBucket()) == 0 {
			continue
		}
		bounds := make([]float64, 0, len(mh.GetBucket())+1)
		cum := make([]float64, 0, cap(bounds))
		for _, b := range mh.GetBucket() {
			bounds = append(bounds, b.GetUpperBound())
			cum = append(cum, float64(b.GetCumulativeCount()))
		}
		if !math.IsInf(bounds[len(bounds)-1], 1) {
			bounds = append(bounds, math.Inf(1))
			cum = append(cum, float64(mh.GetSampleCount()))
		}
		if h == nil {
			h = &histogram{bounds: bounds, cum: cum}
		} else if slices.Equal(h.bounds, bounds) {
			for i := range cum {
				h.cum[i] += cum[i]
			}
		} else {
			continue
		}
		h.count += float64(mh.GetSampleCount())
		h.sum += mh.GetSampleSum()
	}
	return h
}

// minus is the histogram's change since prev. A count that went down is
// a server restart: the change is then everything since it (h itself),
// and reset says so.
func (h *histogram) minus(prev *histogram) (d *histogram, reset bool) {
	if prev == nil || !slices.Equal(h.bounds, prev.bounds) || h.count < prev.count {
		return h, prev != nil
	}
	d = &histogram{bounds: h.bounds, cum: make([]float64, len(h.cum)), count: h.count - prev.count, sum: h.sum - prev.sum}
	for i := range h.cum {
		d.cum[i] = h.cum[i] - prev.cum[i]
		if d.cum[i] < 0 {
			return h, true
		}
	}
	return d, false
}
