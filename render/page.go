package render

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/inferno-llm/inferno/compare"
	"github.com/inferno-llm/inferno/report"
	"github.com/inferno-llm/inferno/servermetrics"
)

// maxCDFPoints bounds each distribution line.
const maxCDFPoints = 300

// ReportCharts are a report's charts, in page order.
func ReportCharts(r *report.Report) []Chart {
	var started, completed, failed, inFlight, tokens, notSent [][2]float64
	anyNotSent := false
	for _, s := range r.Timeline {
		x := float64(s.Second)
		notSent = append(notSent, [2]float64{x, float64(s.NotSent)})
		anyNotSent = anyNotSent || s.NotSent > 0
		started = append(started, [2]float64{x, float64(s.Started)})
		completed = append(completed, [2]float64{x, float64(s.Completed)})
		failed = append(failed, [2]float64{x, float64(s.Failed)})
		inFlight = append(inFlight, [2]float64{x, float64(s.InFlight)})
		tokens = append(tokens, [2]float64{x, float64(s.Tokens)})
	}
	cdf := func(name string) [][2]float64 {
		points, _ := r.CDF(name, maxCDFPoints) // a report without the histogram draws an empty chart
		return points
	}
	var ok, bad [][2]float64
	for _, s := range r.Samples {
		if s.OK {
			ok = append(ok, [2]float64{s.Sent, s.TTFT})
		} else {
			bad = append(bad, [2]float64{s.Sent, 0})
		}
	}
	var bars []Bar
	for _, e := range r.Errors {
		bars = append(bars, Bar{Label: e.Outcome + ": " + e.Reason, Value: float64(e.Count)})
	}
	scatter := []Series{{Name: "succeeded", Points: ok, Dots: true}}
	if len(bad) > 0 {
		scatter = append(scatter, Series{Name: "failed (at 0)", Points: bad, Dots: true})
	}
	// A window over within its first second (a dead endpoint refuses in
	// microseconds) has one point per series, which a line cannot show:
	// draw its points, so the failed requests are seen.
	dots := len(r.Timeline) < 2
	requests := []Series{{Name: "started", Points: started, Dots: dots}, {Name: "completed", Points: completed, Dots: dots},
		{Name: "failed", Points: failed, Dots: dots}, {Name: "in flight", Points: inFlight, Dots: dots}}
	if anyNotSent {
		requests = append(requests, Series{Name: "not sent (when due)", Points: notSent, Dots: dots})
	}
	marks := windowMarks(r.Run, r.Timeline)
	charts := []Chart{
		{ID: "requests", Title: "Requests over time", XLabel: "second of the window", YLabel: "requests",
			Series: requests, Marks: marks},
		{ID: "throughput", Title: "Output-token throughput", XLabel: "second of the window", YLabel: "output tokens per second",
			Series: []Series{{Name: "tokens/s", Points: tokens}}, Marks: marks},
		{ID: "ttft-cdf", Title: "TTFT distribution (CDF)", XLabel: "time to first token (s)", YLabel: "share of requests",
			Series: []Series{{Name: "TTFT", Points: cdf("ttft_seconds"), Step: true}}, Empty: "no successful request"},
		{ID: "tpot-cdf", Title: "TPOT and ITL distribution (CDF)", XLabel: "seconds", YLabel: "share",
			Series: []Series{{Name: "TPOT per request", Points: cdf("tpot_seconds"), Step: true},
				{Name: "ITL per token gap", Points: cdf("itl_seconds"), Step: true}}, Empty: "no successful request"},
		{ID: "ttft-scatter", Title: "TTFT by arrival time", XLabel: "sent at (s into the window)", YLabel: "TTFT (s)",
			Series: scatter, Empty: "no requests"},
		{ID: "errors", Title: "Errors by reason", Bars: bars, Empty: "no failed requests"},
	}
	if r.Capacity != nil {
		charts = append(charts, capacityCharts(r.Capacity)...)
	}
	return charts
}

// capacityCharts draw a capacity search's steps in rate order: TTFT p95
// and SLO attainment against the rate, with the objective as a line, so
// the knee the search found is seen.
func capacityCharts(c *report.Capacity) []Chart {
	steps := append([]report.CapacityStep(nil), c.Steps...)
	sort.SliceStable(steps, func(i, j int) bool { return steps[i].Rate < steps[j].Rate })
	var ttft, attainment, objective, found [][2]float64
	for _, st := range steps {
		if st.TTFTP95 > 0 {
			ttft = append(ttft, [2]float64{st.Rate, st.TTFTP95})
		}
		attainment = append(attainment, [2]float64{st.Rate, st.Attainment})
	}
	if len(steps) > 0 {
		lo, hi := steps[0].Rate, steps[len(steps)-1].Rate
		objective = [][2]float64{{lo, c.Objective}, {hi, c.Objective}}
		if c.RequestsPerSecond > 0 {
			found = [][2]float64{{c.RequestsPerSecond, 0}, {c.RequestsPerSecond, 1}}
		}
	}
	attSeries := []Series{{Name: "SLO attainment", Points: attainment, Dots: true}, {Name: "objective", Points: objective}}
	if found != nil {
		attSeries = append(attSeries, Series{Name: fmt.Sprintf("capacity %.2f req/s", c.RequestsPerSecond), Points: found})
	}
	return []Chart{
		{ID: "capacity-ttft", Title: "Capacity search: TTFT p95 by rate", XLabel: "requests per second", YLabel: "TTFT p95 (s)",
			Series: []Series{{Name: "TTFT p95", Points: ttft, Dots: true}}, Empty: "no step had a success"},
		{ID: "capacity-attainment", Title: "Capacity search: SLO attainment by rate", XLabel: "requests per second", YLabel: "share of requests",
			Series: attSeries, Empty: "no steps"},
	}
}

// windowMarks mark the end of the window's duration (nothing was sent
// after it) and of the grace its requests in flight had, on the timeline.
func windowMarks(m report.Meta, timeline []report.TimelineStep) []Mark {
	if m.WindowSeconds <= 0 {
		return nil
	}
	if m.GraceSeconds <= 0 {
		return []Mark{{X: m.WindowSeconds, Label: "duration ends (no grace)"}}
	}
	marks := []Mark{{X: m.WindowSeconds, Label: fmt.Sprintf("duration ends (grace %s)", seconds(m.GraceSeconds))}}
	// The grace's end is drawn only when the window reached it: a 30 s
	// mark after a 2 s window would squeeze the window into a corner.
	if m.GraceExpired || float64(len(timeline)) > m.WindowSeconds+m.GraceSeconds {
		marks = append(marks, Mark{X: m.WindowSeconds + m.GraceSeconds, Label: "grace ends: the rest cancelled"})
	}
	return marks
}

// headline is one figure of a page's summary.
type headline struct{ Label, Value string }

func seconds(v float64) string {
	switch {
	case v == 0:
		return "–"
	case v < 1:
		return fmt.Sprintf("%.1f ms", v*1e3)
	}
	return fmt.Sprintf("%.3f s", v)
}

func headlines(r *report.Report) []headline {
	s, st := r.Summary, r.Stats
	h := []headline{
		{"Requests", fmt.Sprintf("%d (%d failed, %d of them not sent)", s.Requests, s.Failures, s.Outcomes["not_sent"])},
		{"Success rate", fmt.Sprintf("%.1f%%", s.SuccessRate*100)},
		{"TTFT p50 / p95 / p99", seconds(st.TTFT.P50) + " / " + seconds(st.TTFT.P95) + " / " + seconds(st.TTFT.P99)},
		{"TPOT p50 / p95 / p99", seconds(st.TPOT.P50) + " / " + seconds(st.TPOT.P95) + " / " + seconds(st.TPOT.P99)},
		{"ITL p50 / p99", seconds(st.ITL.P50) + " / " + seconds(st.ITL.P99)},
		{"E2E latency p50 / p95 / p99", seconds(st.Latency.P50) + " / " + seconds(st.Latency.P95) + " / " + seconds(st.Latency.P99)},
		{"Output throughput", fmt.Sprintf("%.1f tokens/s", s.OutputThroughput)},
		{"Requests per second", fmt.Sprintf("%.2f", s.RPS)},
		{"Goodput", fmt.Sprintf("%.2f req/s", s.GoodputRPS)},
		{"SLO attainment", fmt.Sprintf("%.1f%% (%.1f%% judged from the actual send)", s.SLO.Attainment*100, s.SLO.AttainmentFromSend*100)},
		{"Schedule lag p99", seconds(st.ScheduleLag.P99)},
		{"Duration", fmt.Sprintf("%.1f s", s.DurationSeconds)},
	}
	if s.ReasoningTokens > 0 {
		h = append(h, headline{"Time to first answer p50 / p95", seconds(st.TimeToFirstAnswer.P50) + " / " + seconds(st.TimeToFirstAnswer.P95)},
			headline{"Reasoning tokens", fmt.Sprintf("%d of %d output tokens", s.ReasoningTokens, s.OutputTokens)})
	}
	if c := r.Capacity; c != nil {
		found := fmt.Sprintf("%.2f req/s", c.RequestsPerSecond)
		if !c.Bracketed && c.RequestsPerSecond > 0 {
			// No step failed above it: only a lower bound.
			found = "at least " + found
		}
		h = append(h, headline{"Capacity", fmt.Sprintf("%s at %.0f%% SLO attainment, sustained (%d steps)", found, 100*c.Objective, len(c.Steps))})
	}
	if s.CostPerMillionOutputTokens > 0 {
		h = append(h, headline{"Cost per million output tokens", fmt.Sprintf("%.4g", s.CostPerMillionOutputTokens)})
	}
	h = append(h, workloadHeadlines(r)...)
	return append(h, serverHeadlines(r.Server)...)
}

// serverHeadlines are the server's view of the window, where the target
// names its metrics: only the figures the server gave, and its notes.
func serverHeadlines(sv *servermetrics.Summary) []headline {
	if sv == nil {
		return nil
	}
	var h []headline
	if l := sv.TTFT; l != nil {
		h = append(h, headline{"Server TTFT p50 / p95", seconds(l.P50) + " / " + seconds(l.P95)})
	}
	if o := sv.ClientOverhead; o != nil {
		h = append(h, headline{"Client overhead p50 / p95", seconds(o.P50) + " / " + seconds(o.P95)})
	}
	if l := sv.Queue; l != nil {
		h = append(h, headline{"Server queue p50 / p95", seconds(l.P50) + " / " + seconds(l.P95)})
	}
	if g := sv.Waiting; g != nil {
		h = append(h, headline{"Server waiting requests (max)", fmt.Sprintf("%.0f", g.Max)})
	}
	if g := sv.KVCache; g != nil {
		h = append(h, headline{"Server KV cache (max)", fmt.Sprintf("%.1f%%", 100*g.Max)})
	}
	if p := sv.PrefixCacheHitRatio; p != nil {
		h = append(h, headline{"Prefix cache hit ratio", fmt.Sprintf("%.1f%%", 100**p)})
	}
	if sv.Requests != nil && sv.OtherRequests != nil {
		h = append(h, headline{"Server's requests", fmt.Sprintf("%.0f (%.0f not Inferno's)", *sv.Requests, *sv.OtherRequests)})
	}
	if len(sv.Notes) > 0 {
		h = append(h, headline{"Server metrics", strings.Join(sv.Notes, "; ")})
	}
	return h
}

// Report writes r's page.
func Report(w io.Writer, r *report.Report) error {
	config, err := json.MarshalIndent(r.Run, "", "  ")
	if err != nil {
		return err
	}
	var charts []template.HTML
	var ids, titles []string
	for _, c := range ReportCharts(r) {
		charts = append(charts, c.SVG())
		ids, titles = append(ids, c.ID), append(titles, c.Title)
	}
	return reportPage.Execute(w, map[string]any{
		"R": r, "Headlines": headlines(r), "Config": string(config), "Charts": figures(ids, titles, charts), "Checks": checkRows(r),
		"Started": r.Run.StartedAt.UTC().Format(time.RFC3339),
	})
}

// checkRow is one check in the page's table, with its first failing
// answer (html/template escapes what the endpoint wrote).
type checkRow struct {
	Name           string
	Passed, Failed int
	Example        *report.CheckExample
}

func checkRows(r *report.Report) []checkRow {
	var rows []checkRow
	for _, name := range r.CheckNames() {
		c := r.Checks[name]
		row := checkRow{Name: name, Passed: c.Passed, Failed: c.Failed}
		if len(c.Examples) > 0 {
			row.Example = &c.Examples[0]
		}
		rows = append(rows, row)
	}
	return rows
}

type figure struct {
	ID, Title string
	SVG       template.HTML
}

func figures(ids, titles []string, svgs []template.HTML) []figure {
	out := make([]figure, len(ids))
	for i := range ids {
		out[i] = figure{ids[i], titles[i], svgs[i]}
	}
	return out
}

// Comparison writes the comparison page: the table of figures with each
// run's difference from the first, and overlaid charts.
func Comparison(w io.Writer, c compare.Comparison) error {
	type cell struct {
		Value, Delta string
		Better       bool
		Worse        bool
	}
	type row struct {
		Label string
		Cells []cell
	}
	var rows []row
	for _, f := range c.Figures {
		rw := row{Label: f.Label}
		for i, run := range c.Runs {
			v, known := run.Values[f.Key]
			cl := cell{Value: formatFigure(v, f.Unit)}
			if !known {
				cl.Value = "–"
			}
			if d, ok := run.Relative[f.Key]; ok && i > 0 && !math.IsNaN(d) && !math.IsInf(d, 0) {
				cl.Delta = fmt.Sprintf("%+.1f%%", d*100)
				improved := (d < 0) == f.LowerIsBetter
				cl.Better, cl.Worse = d != 0 && improved, d != 0 && !improved
			}
			rw.Cells = append(rw.Cells, cl)
		}
		rows = append(rows, rw)
	}
	var ttft, tpot, tput []Series
	ids, targets := make([]string, len(c.Runs)), make([]string, len(c.Runs))
	for i, run := range c.Runs {
		ids[i], targets[i] = run.ID, run.Target
	}
	names := legendNames(ids, targets)
	for i, r := range c.Reports {
		name := names[i]
		p, _ := r.CDF("ttft_seconds", maxCDFPoints)
		ttft = append(ttft, Series{Name: name, Points: p, Step: true})
		p, _ = r.CDF("tpot_seconds", maxCDFPoints)
		tpot = append(tpot, Series{Name: name, Points: p, Step: true})
		var tokens [][2]float64
		for _, s := range r.Timeline {
			tokens = append(tokens, [2]float64{float64(s.Second), float64(s.Tokens)})
		}
		tput = append(tput, Series{Name: name, Points: tokens})
	}
	charts := []Chart{
		{ID: "ttft-cdf", Title: "TTFT distribution (CDF)", XLabel: "time to first token (s)", YLabel: "share of requests", Series: ttft},
		{ID: "tpot-cdf", Title: "TPOT distribution (CDF)", XLabel: "time per output token (s)", YLabel: "share of requests", Series: tpot},
		{ID: "throughput", Title: "Output-token throughput", XLabel: "second of the window", YLabel: "output tokens per second", Series: tput},
	}
	var figs []figure
	for _, ch := range charts {
		figs = append(figs, figure{ch.ID, ch.Title, ch.SVG()})
	}
	return comparePage.Execute(w, map[string]any{"C": c, "Rows": rows, "Charts": figs})
}

func formatFigure(v float64, unit string) string {
	switch unit {
	case "s":
		return seconds(v)
	case "ratio":
		return fmt.Sprintf("%.1f%%", v*100)
	case "currency":
		if v == 0 {
			return "–"
		}
		return fmt.Sprintf("%.4g", v)
	}
	return fmt.Sprintf("%.2f %s", v, unit)
}

const style = `<style>
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:24px auto;max-width:1340px;color:#222;background:#f6f7f9}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 10px}
.meta{color:#555}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(250px,1fr));gap:8px}
.card{background:#fff;border:1px solid #dde1e6;border-radius:6px;padding:8px 12px}
.card b{display:block;font-size:12px;color:#555;font-weight:500}.card span{font-size:17px}
.charts{display:grid;grid-template-columns:repeat(2,642px);gap:16px}
figure{margin:0;background:#fff;border:1px solid #dde1e6;border-radius:6px}
figcaption{display:none}
svg .title{font-size:15px;font-weight:600;fill:#222}svg .tick{font-size:11px;fill:#444}svg .label{font-size:12px;fill:#333}
svg .legend{font-size:11px;fill:#222}svg .empty{font-size:14px;fill:#777}
svg .grid{stroke:#e4e7eb;stroke-width:1}svg .plot{fill:none;stroke:#9aa1a9}
pre{background:#fff;border:1px solid #dde1e6;border-radius:6px;padding:12px;overflow:auto;font-size:12px}
table{border-collapse:collapse;background:#fff}td,th{border:1px solid #dde1e6;padding:5px 10px;text-align:right}
th:first-child,td:first-child{text-align:left}.better{color:#17803d}.worse{color:#b42318}.delta{font-size:12px;margin-left:6px}
</style>`

var reportPage = template.Must(template.New("report").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Inferno report {{.R.Run.ID}}</title>` + style + `</head><body>
<h1>Inferno report: {{.R.Run.Target.Name}} · {{.R.Run.Workload}}</h1>
<p class="meta">Run <code>{{.R.Run.ID}}</code>, {{.R.Run.Status}}{{with .R.Run.Error}} ({{.}}){{end}}; started {{.Started}};
{{.R.Run.Target.API}} {{.R.Run.Target.Model}} at {{.R.Run.Target.URL}}{{with .R.Run.Hardware}}; {{.Count}}× {{.GPU}}{{end}}{{with .R.Run.Shard}}; shard {{.Index}} of {{.Count}}{{end}}</p>
<h2>Headline figures</h2>
<div class="cards">{{range .Headlines}}<div class="card"><b>{{.Label}}</b><span>{{.Value}}</span></div>{{end}}</div>
{{with .Checks}}<h2>Checks</h2>
<table id="checks"><thead><tr><th>Check</th><th>Passed</th><th>Failed</th><th>First failing answer</th></tr></thead>
<tbody>{{range .}}<tr><td><code>{{.Name}}</code></td><td>{{.Passed}}</td><td>{{.Failed}}</td><td>{{with .Example}}{{.Reason}}: <code>{{.Answer}}</code>{{end}}</td></tr>{{end}}</tbody></table>{{end}}
<h2>Charts</h2>
<div class="charts">{{range .Charts}}<figure id="chart-{{.ID}}" data-chart="{{.ID}}"><figcaption>{{.Title}}</figcaption>{{.SVG}}</figure>{{end}}</div>
<h2>Configuration</h2>
<pre>{{.Config}}</pre>
</body></html>
`))

var comparePage = template.Must(template.New("compare").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Inferno comparison</title>` + style + `</head><body>
<h1>Inferno comparison of {{len .C.Runs}} runs</h1>
<p class="meta">Differences are relative to the first run; green is better, red worse.</p>
{{range .C.Warnings}}<p class="warning"><b>Warning:</b> {{.}}</p>{{end}}
<table><thead><tr><th>Figure</th>{{range .C.Runs}}<th>{{.Target}} · {{.Workload}}<br><code>{{.ID}}</code>{{with .Hardware}}<br>{{.Count}}× {{.GPU}}{{end}}{{if .CostPerHour}}<br>{{.CostPerHour}}/h{{end}}</th>{{end}}</tr></thead>
<tbody>{{range .Rows}}<tr><td>{{.Label}}</td>{{range .Cells}}<td>{{.Value}}{{if .Delta}}<span class="delta {{if .Better}}better{{else if .Worse}}worse{{end}}">{{.Delta}}</span>{{end}}</td>{{end}}</tr>{{end}}</tbody></table>
<h2>Charts</h2>
<div class="charts">{{range .Charts}}<figure id="chart-{{.ID}}" data-chart="{{.ID}}"><figcaption>{{.Title}}</figcaption>{{.SVG}}</figure>{{end}}</div>
</body></html>
`))

// WriteReport writes r's page to path, atomically.
func WriteReport(path string, r *report.Report) error {
	return writePage(path, func(w io.Writer) error { return Report(w, r) })
}

// WriteComparison writes the comparison page to path, atomically.
func WriteComparison(path string, c compare.Comparison) error {
	return writePage(path, func(w io.Writer) error { return Comparison(w, c) })
}

// writePage renders in memory first, so a failed render writes nothing.
func writePage(path string, render func(io.Writer) error) error {
	var buf bytes.Buffer
	if err := render(&buf); err != nil {
		return err
	}
	return report.WriteFileAtomic(path, buf.Bytes())
}

// maxLegend is how many characters a legend box shows.
const maxLegend = 24

// legendNames labels each run in a chart's legend by what tells it from
// the others. Run ids of one day share their first twenty characters
// (date and hour), all a legend box shows, so the label keeps the time
// and the id's random suffix, the date only where dates differ, and the
// target only where targets differ; any other id keeps its end.
func legendNames(ids, targets []string) []string {
	sameTarget, sameDate := true, true
	for i := range ids {
		sameTarget = sameTarget && targets[i] == targets[0]
		sameDate = sameDate && len(ids[i]) >= 8 && len(ids[0]) >= 8 && ids[i][:8] == ids[0][:8]
	}
	out := make([]string, len(ids))
	seen := map[string]int{}
	for i, id := range ids {
		label := id
		if t, err := time.Parse("20060102T150405.000Z", strings.SplitN(id, "-", 2)[0]); err == nil && strings.Contains(id, "-") {
			label = t.Format("15:04:05") + " " + strings.SplitN(id, "-", 2)[1]
			if !sameDate {
				label = t.Format("01-02 ") + label
			}
		}
		if !sameTarget && targets[i] != "" {
			label = targets[i] + " " + label
		}
		if r := []rune(label); len(r) > maxLegend {
			// The end differs where a prefix is shared.
			label = "…" + string(r[len(r)-maxLegend+1:])
		}
		if n := seen[label]; n > 0 {
			suffix := fmt.Sprintf(" #%d", n+1)
			r := []rune(label)
			label = string(r[:min(len(r), maxLegend-len(suffix))]) + suffix
		}
		seen[label]++
		out[i] = label
	}
	return out
}
