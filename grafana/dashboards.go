// Package grafana generates Inferno's Grafana dashboards with Grafana's
// Foundation SDK. The JSON under grafana/dashboards/json is what users
// import or provision; it is written from the definitions here (go test
// ./grafana -update; go run ./grafana/gen for another currency) so every
// panel follows the same conventions: a datasource variable,
// target/model/workload variables in every selector, and sums that leave
// out `instance`, so scaled-out replicas add up.
package grafana

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/cog/variants"
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/heatmap"
	"github.com/grafana/grafana-foundation-sdk/go/prometheus"
	"github.com/grafana/grafana-foundation-sdk/go/stat"
	"github.com/grafana/grafana-foundation-sdk/go/timeseries"
)

// sel is the label selector every Inferno panel filters by.
const sel = `target=~"$target", model=~"$model", workload=~"$workload"`

// probeSel filters /probe series, which carry only the probed target.
const probeSel = `target=~"$target"`

// datasource is the board's datasource variable, which every panel,
// query and query variable reads through, so one board serves any
// Prometheus.
func datasource() common.DataSourceRef {
	return common.DataSourceRef{Type: cog.ToPtr("prometheus"), Uid: cog.ToPtr("${datasource}")}
}

// query is one PromQL expression of a panel with its legend.
func query(expr, legend string) *prometheus.DataqueryBuilder {
	return prometheus.NewDataqueryBuilder().Expr(expr).LegendFormat(legend)
}

// quantiles returns p50/p95/p99 queries over a histogram's buckets.
func quantiles(metric, by, legendPrefix string) []*prometheus.DataqueryBuilder {
	var qs []*prometheus.DataqueryBuilder
	for _, q := range []struct{ value, name string }{{"0.5", "p50"}, {"0.95", "p95"}, {"0.99", "p99"}} {
		qs = append(qs, query(
			fmt.Sprintf(`histogram_quantile(%s, sum by (%sle) (rate(%s_bucket{%s}[$__rate_interval])))`, q.value, by, metric, sel),
			legendPrefix+q.name))
	}
	return qs
}

// targets names a panel's queries A, B, C… (the refIds Grafana and the
// tests know them by) on the datasource variable.
func targets(qs []*prometheus.DataqueryBuilder) []cog.Builder[variants.Dataquery] {
	out := make([]cog.Builder[variants.Dataquery], len(qs))
	for i, q := range qs {
		out[i] = q.RefId(string(rune('A' + i))).Datasource(datasource())
	}
	return out
}

// graph is a time-series panel with a table legend of each series' last
// and highest value, and a tooltip listing every series at the cursor.
func graph(title, description string, qs ...*prometheus.DataqueryBuilder) *timeseries.PanelBuilder {
	return timeseries.NewPanelBuilder().Title(title).Description(description).Datasource(datasource()).
		Targets(targets(qs)).
		Legend(common.NewVizLegendOptionsBuilder().ShowLegend(true).
			DisplayMode(common.LegendDisplayModeTable).Placement(common.LegendPlacementBottom).
			Calcs([]string{"lastNotNull", "max"})).
		Tooltip(common.NewVizTooltipOptionsBuilder().Mode(common.TooltipDisplayModeMulti).Sort(common.SortOrderNone))
}

// figure is a stat panel of each series' latest value, from instant
// queries: a window's figures change once a window, not over the range.
func figure(title, description string, qs ...*prometheus.DataqueryBuilder) *stat.PanelBuilder {
	for _, q := range qs {
		q.Instant()
	}
	return stat.NewPanelBuilder().Title(title).Description(description).Datasource(datasource()).
		Targets(targets(qs)).
		ReduceOptions(common.NewReduceDataOptionsBuilder().Calcs([]string{"lastNotNull"})).
		ColorMode(common.BigValueColorModeValue).GraphMode(common.BigValueGraphModeNone).
		TextMode(common.BigValueTextModeValueAndName).Orientation(common.VizOrientationAuto)
}

// heat is a heatmap of histogram buckets as Prometheus returns them
// (format heatmap, one row per le), not buckets Grafana calculates.
func heat(title, unit, description string, qs ...*prometheus.DataqueryBuilder) *heatmap.PanelBuilder {
	for _, q := range qs {
		q.Format(prometheus.PromQueryFormatHeatmap)
	}
	return heatmap.NewPanelBuilder().Title(title).Description(description).Datasource(datasource()).
		Targets(targets(qs)).Unit(unit).
		Calculate(false).CellGap(1).
		YAxis(heatmap.NewYAxisConfigBuilder().Unit(unit)).
		RowsFrame(heatmap.NewRowsHeatmapOptionsBuilder().Layout(common.HeatmapCellLayoutLe)).
		Color(heatmap.NewHeatmapColorOptionsBuilder().Mode(heatmap.HeatmapColorModeScheme).Scheme("Oranges").
			Fill("dark-orange").Scale(heatmap.HeatmapColorScaleExponential).Exponent(0.5).Steps(64)).
		Tooltip(heatmap.NewHeatmapTooltipBuilder().Mode(common.TooltipDisplayModeSingle).YHistogram(true))
}

// colours colours a stat panel by its value: base below the first step,
// then each step's colour from its value up.
func colours(base string, steps ...dashboard.Threshold) *dashboard.ThresholdsConfigBuilder {
	return dashboard.NewThresholdsConfigBuilder().Mode(dashboard.ThresholdsModeAbsolute).
		Steps(append([]dashboard.Threshold{{Color: base}}, steps...))
}

func from(value float64, color string) dashboard.Threshold {
	return dashboard.Threshold{Value: &value, Color: color}
}

func byThresholds() *dashboard.FieldColorBuilder {
	return dashboard.NewFieldColorBuilder().Mode(dashboard.FieldColorModeIdThresholds)
}

func variables(targetMulti bool) []cog.Builder[dashboard.VariableModel] {
	variable := func(name, label, q string, multi bool) *dashboard.QueryVariableBuilder {
		v := dashboard.NewQueryVariableBuilder(name).Label(label).Datasource(datasource()).
			Query(dashboard.StringOrMap{Map: map[string]any{"query": q, "refId": "PrometheusVariableQueryEditor-VariableQuery"}}).
			Definition(q).Refresh(dashboard.VariableRefreshOnTimeRangeChanged).Sort(dashboard.VariableSortAlphabeticalAsc).
			Multi(multi).IncludeAll(multi)
		if multi {
			v.AllValue(".*").Current(option("All", "$__all"))
		}
		return v
	}
	return []cog.Builder[dashboard.VariableModel]{
		dashboard.NewDatasourceVariableBuilder("datasource").Label("Data source").Type("prometheus").
			Current(option("Prometheus", "prometheus")),
		variable("target", "Target", "label_values(inferno_requests_total, target)", targetMulti),
		variable("model", "Model", `label_values(inferno_requests_total{target=~"$target"}, model)`, true),
		variable("workload", "Workload", `label_values(inferno_requests_total{target=~"$target", model=~"$model"}, workload)`, true),
	}
}

func option(text, value string) dashboard.VariableOption {
	return dashboard.VariableOption{
		Text:  dashboard.StringOrArrayOfString{String: &text},
		Value: dashboard.StringOrArrayOfString{String: &value},
	}
}

// Board is a dashboard in Grafana's classic JSON model, the one that
// dashboard import and file provisioning read in every Grafana. The SDK
// marks it deprecated in favour of its v2 schema, which Grafana 12 loads
// only behind feature toggles and not from provisioned files.
type Board = dashboard.Dashboard //nolint:staticcheck // v1 on purpose, see above

// board assembles a dashboard. The SDK lays the panels out left to right
// in Grafana's 24 columns, starting a new row when one is full; the panels
// are numbered in that order.
func board(uid, title, description string, targetMulti bool, panels ...cog.Builder[dashboard.Panel]) (Board, error) {
	b := dashboard.NewDashboardBuilder(title) //nolint:staticcheck // the classic model, as Board
	b.Uid(uid).Description(description).
		Tags([]string{"inferno", "llm"}).Editable().Version(1).
		Time("now-6h", "now").Refresh("1m").Timezone("").
		Variables(variables(targetMulti)).
		// Grafana's own annotations and alerts, as it adds to a board
		// that has none: written out, the annotation list is never empty.
		Annotation(dashboard.NewAnnotationQueryBuilder().Name("Annotations & Alerts").BuiltIn(1).Type("dashboard").
			Datasource(common.DataSourceRef{Type: cog.ToPtr("grafana"), Uid: cog.ToPtr("-- Grafana --")}).
			Enable(true).Hide(true).IconColor("rgba(0, 211, 255, 1)")).
		Link(dashboard.NewDashboardLinkBuilder("Inferno").Type(dashboard.DashboardLinkTypeDashboards).
			Tags([]string{"inferno"}).AsDropdown(true).IncludeVars(true).KeepTime(true))
	for _, p := range panels {
		b.WithPanel(p)
	}
	d, err := b.Build()
	if err != nil {
		return d, fmt.Errorf("%s: %w", uid, err)
	}
	for i, p := range d.Panels {
		p.Panel.Id = cog.ToPtr(uint32(i + 1))
	}
	// The SDK places links and annotations in the controls menu by
	// default; unset, Grafana shows them above the panels, where the
	// hand-written boards had them.
	for i := range d.Links {
		d.Links[i].Placement = nil
	}
	for i := range d.Annotations.List {
		d.Annotations.List[i].Placement = nil
	}
	return d, nil
}

// overview is the board of every target at once.
func overview() (Board, error) {
	good, warn, bad := "green", "orange", "red"
	return board("inferno-overview", "Inferno / Overview",
		"How fast every LLM endpoint Inferno probes really is: client-side latency from Inferno's histograms, each window's throughput and SLO figures, failures and the prober's own health.",
		true,
		graph("TTFT p50 / p95 / p99",
			"Time to first generated token, as the client sees it, from Inferno's histogram (vLLM's buckets).",
			quantiles("inferno_time_to_first_token_seconds", "target, ", "{{target}} ")...).
			Unit("s").Span(12).Height(8),
		graph("TPOT p50 / p95 / p99",
			"Decode time per output token after the first, per request.",
			quantiles("inferno_time_per_output_token_seconds", "target, ", "{{target}} ")...).
			Unit("s").Span(12).Height(8),
		graph("Output throughput",
			"Output tokens per second over each target's last window, summed over the replicas that share it (load_share), as the target board sums them.",
			query(`sum by (target, workload) (inferno_last_window_output_tokens_per_second{`+sel+`})`, "{{target}} {{workload}}")).
			Unit("tokens/s").Span(8).Height(8),
		graph("Requests per second",
			"Successful requests per second over each target's last window (as vLLM's request_throughput counts), summed over the replicas that share it. Failed responses are in the failure ratio.",
			query(`sum by (target, workload) (inferno_last_window_successful_requests_per_second{`+sel+`})`, "{{target}} {{workload}}")).
			Unit("reqps").Span(8).Height(8),
		graph("Goodput",
			"Requests per second that met the workload's SLO, over each target's last window, summed over the replicas that share it.",
			query(`sum by (target, workload) (inferno_last_window_goodput_requests_per_second{`+sel+`})`, "{{target}} {{workload}}")).
			Unit("reqps").Span(8).Height(8),
		graph("SLO attainment",
			"Share of the last window's requests that met the SLO, against the objective the alert uses.",
			query(`min by (target) (inferno_last_window_slo_attainment_ratio{`+sel+`})`, "{{target}}"),
			query(`inferno:threshold:slo_attainment_objective`, "objective")).
			Unit("percentunit").Min(0).Max(1).Span(8).Height(8),
		graph("Failure ratio by reason",
			"Share of requests that failed, by outcome class (http_4xx, http_5xx, timeout, connection_error, stream_error, cancelled, not_sent).",
			query(`sum by (target, outcome) (rate(inferno_requests_total{`+sel+`, outcome!="success"}[$__rate_interval]))
  / ignoring (outcome) group_left () sum by (target) (rate(inferno_requests_total{`+sel+`}[$__rate_interval]))`, "{{target}} {{outcome}}")).
			Unit("percentunit").Min(0).Span(8).Height(8),
		graph("Schedule lag p99",
			"How late requests left against their schedule. Above a few milliseconds the prober is overloaded and understates the load it was asked to send.",
			query(`histogram_quantile(0.99, sum by (target, le) (rate(inferno_schedule_lag_seconds_bucket{`+sel+`}[$__rate_interval])))`, "{{target}}")).
			Unit("s").Span(8).Height(8),
		graph("Windows by result",
			"Benchmark windows that succeeded, failed (no request succeeded), were aborted or were skipped because the previous one still ran.",
			query(`sum by (target, result) (increase(inferno_windows_total{target=~"$target", workload=~"$workload"}[$__rate_interval]))`, "{{target}} {{result}}")).
			Unit("short").Span(12).Height(8),
		figure("Last window age",
			"Time since each target's last window ended. It should stay below the schedule's period.",
			query(`time() - max by (target, workload) (inferno_last_window_end_timestamp_seconds{`+sel+`})`, "{{target}} {{workload}}")).
			Unit("s").Span(12).Height(8).
			Thresholds(colours(good, from(3600, warn), from(7200, bad))).ColorScheme(byThresholds()),
		graph("Arrivals not sent",
			"Share of scheduled arrivals that were due inside a window but never sent: no free slot under max_concurrency before the window's duration ended, or the window was cancelled. They count as failures and miss the SLO.",
			query(`sum by (target) (rate(inferno_requests_total{`+sel+`, outcome="not_sent"}[$__rate_interval]))
  / sum by (target) (rate(inferno_requests_total{`+sel+`}[$__rate_interval]))`, "{{target}}")).
			Unit("percentunit").Min(0).Span(12).Height(8),
		graph("Connection setup p50 / p95 / p99",
			"DNS, connect and TLS time of each connection the prober opened (warm connections before each window included). A burst of slow dials shows here, not as TTFT.",
			quantiles("inferno_connection_setup_seconds", "target, ", "{{target}} ")...).
			Unit("s").Span(12).Height(8),
		graph("Check pass ratio (canaries)",
			"Share of the last window's answers that passed each of the workload's checks (json, regex, tool_call, canary/…), the worst replica's where several share a window. A fast endpoint that answers wrong shows here, not as a failure: InfernoCheckFailing alerts on it.",
			query(`min by (target, check) (inferno_last_window_check_pass_ratio{`+sel+`})`, "{{target}} {{check}}")).
			Unit("percentunit").Min(0).Max(1).Span(12).Height(8),
		graph("Time to first answer p50 / p95 / p99",
			"Time to the first answer token: TTFT without the reasoning a reasoning model sends first. Without reasoning it is TTFT.",
			quantiles("inferno_time_to_first_answer_seconds", "target, ", "{{target}} ")...).
			Unit("s").Span(12).Height(8),
		// /probe answers come from Prometheus' probe job, in
		// blackbox_exporter's manner: the series carry the probed
		// target (relabelled from __param_target), not the model or
		// workload, so these panels filter by target alone.
		figure("Probe success",
			"The latest /probe answer per target: 1 when the probe's window had a successful request, no setup error and no failed check (probe_success).",
			query(`min by (target) (probe_success{`+probeSel+`})`, "{{target}}")).
			Unit("short").Min(0).Max(1).Span(6).Height(8).
			Thresholds(colours(bad, from(1, good))).ColorScheme(byThresholds()),
		graph("Probe TTFT p50 / p95 and duration",
			"Each /probe window's TTFT percentiles (probe_ttft_seconds) and how long the probe took (probe_duration_seconds).",
			query(`max by (target, quantile) (probe_ttft_seconds{`+probeSel+`, quantile=~"0.5|0.95"})`, "{{target}} TTFT q{{quantile}}"),
			query(`max by (target) (probe_duration_seconds{`+probeSel+`})`, "{{target}} duration")).
			Unit("s").Span(9).Height(8),
		graph("Probe failure ratio",
			"Share of each /probe window's requests that failed (probe_failed_requests / probe_requests).",
			query(`sum by (target) (probe_failed_requests{`+probeSel+`}) / sum by (target) (probe_requests{`+probeSel+`})`, "{{target}}")).
			Unit("percentunit").Min(0).Max(1).Span(9).Height(8),
	)
}

// target is the board of one target in detail, with costs in o's currency.
func target(o Options) (Board, error) {
	last := func(title, metric, quantile string) *stat.PanelBuilder {
		return figure(title, "From the latest window's report.",
			query(fmt.Sprintf(`max(%s{%s, quantile=%q})`, metric, sel, quantile), "q"+quantile)).
			Unit("s").Span(4).Height(4)
	}
	return board("inferno-target", "Inferno / Target",
		"One endpoint in detail: latency distributions as heatmaps, the latest window's figures, cost, and the client's TTFT beside vLLM's own.",
		false,
		last("TTFT p50 (last window)", "inferno_last_window_ttft_seconds", "0.5"),
		last("TTFT p99 (last window)", "inferno_last_window_ttft_seconds", "0.99"),
		last("TPOT p50 (last window)", "inferno_last_window_tpot_seconds", "0.5"),
		last("ITL p99 (last window)", "inferno_last_window_itl_seconds", "0.99"),
		figure("Output tokens/s (last window)", "From the latest window's report.",
			query(`sum(inferno_last_window_output_tokens_per_second{`+sel+`})`, "")).
			Unit("tokens/s").Span(4).Height(4),
		figure("Cost per million output tokens",
			"The target's cost_per_hour over its measured output tokens per hour; shown where the config sets a cost. In the currency the boards were generated for (USD unless go run ./grafana/gen -currency says otherwise).",
			query(`max(inferno_cost_per_million_output_tokens{`+sel+`})`, "")).
			Unit(currencyUnit(o.Currency)).Span(4).Height(4),
		heat("TTFT heatmap", "s",
			"Where the first tokens fell, per interval, from the TTFT histogram's buckets.",
			query(`sum by (le) (increase(inferno_time_to_first_token_seconds_bucket{`+sel+`}[$__rate_interval]))`, "{{le}}").Exemplar(true)).
			Span(12).Height(9),
		heat("ITL heatmap", "s",
			"Gaps between consecutive generated tokens, per interval.",
			query(`sum by (le) (increase(inferno_inter_token_latency_seconds_bucket{`+sel+`}[$__rate_interval]))`, "{{le}}")).
			Span(12).Height(9),
		graph("Client TTFT against vLLM's server TTFT",
			"Where vLLM's own /metrics are scraped too: vllm:time_to_first_token_seconds has the same buckets, so the two quantiles compare bucket for bucket. The gap is what the server cannot see: network, proxies, queueing before the engine.",
			query(`histogram_quantile(0.5, sum by (le) (rate(inferno_time_to_first_token_seconds_bucket{`+sel+`}[$__rate_interval])))`, "client p50").Exemplar(true),
			query(`histogram_quantile(0.95, sum by (le) (rate(inferno_time_to_first_token_seconds_bucket{`+sel+`}[$__rate_interval])))`, "client p95"),
			query(`histogram_quantile(0.5, sum by (le) (rate(vllm:time_to_first_token_seconds_bucket{model_name=~"$model"}[$__rate_interval])))`, "vLLM p50"),
			query(`histogram_quantile(0.95, sum by (le) (rate(vllm:time_to_first_token_seconds_bucket{model_name=~"$model"}[$__rate_interval])))`, "vLLM p95")).
			Unit("s").Span(12).Height(9),
		graph("Client and server TTFT (last window)",
			"Each window's client TTFT beside the server's own over the same window (the target's server_metrics: the change of the server's TTFT histogram between the window's edges). A client line that rises while the server's holds is time spent in front of the engine.",
			query(`max(inferno_last_window_ttft_seconds{`+sel+`, quantile="0.5"})`, "client p50"),
			query(`max(inferno_last_window_ttft_seconds{`+sel+`, quantile="0.95"})`, "client p95"),
			query(`max(inferno_last_window_server_ttft_seconds{`+sel+`, quantile="0.5"})`, "server p50"),
			query(`max(inferno_last_window_server_ttft_seconds{`+sel+`, quantile="0.95"})`, "server p95")).
			Unit("s").Min(0).Span(12).Height(9),
		graph("Client overhead (last window)",
			"Client TTFT less the server's at each percentile: gateway, network, load balancer and anything else before the engine's clock starts. InfernoClientOverheadGrowing fires when it grows while the server's TTFT holds.",
			query(`max by (quantile) (inferno_last_window_client_overhead_seconds{`+sel+`})`, "{{quantile}}")).
			Unit("s").Span(8).Height(8),
		graph("Server queue (last window)",
			"Time requests waited in the server's own queue before it ran them, from its queue-time histogram over each window.",
			query(`max by (quantile) (inferno_last_window_server_queue_seconds{`+sel+`})`, "{{quantile}}")).
			Unit("s").Min(0).Span(8).Height(8),
		graph("Server waiting requests (last window, max)",
			"Most requests the server reported waiting in its queue during each window, sampled every few seconds.",
			query(`max(inferno_last_window_server_waiting_requests{`+sel+`})`, "waiting")).
			Unit("short").Min(0).Span(8).Height(8),
		graph("Server KV cache and prefix cache",
			"The highest KV-cache usage the server reported during each window (a full cache queues or preempts requests), and the share of prompt tokens its prefix cache served.",
			query(`max(inferno_last_window_server_kv_cache_usage_ratio{`+sel+`})`, "KV cache usage (max)"),
			query(`max(inferno_last_window_prefix_cache_hit_ratio{`+sel+`})`, "prefix cache hit ratio")).
			Unit("percentunit").Min(0).Max(1).Span(12).Height(9),
		graph("End-to-end latency p50 / p95 / p99",
			"From sending a request to its last byte.",
			quantiles("inferno_request_duration_seconds", "", "")...).
			Unit("s").Span(12).Height(9),
		graph("Requests by outcome",
			"Requests per second by outcome class.",
			query(`sum by (outcome) (rate(inferno_requests_total{`+sel+`}[$__rate_interval]))`, "{{outcome}}")).
			Unit("reqps").Span(12).Height(8),
		graph("SLO attainment and failures (last window)",
			"Share of the last window's requests that met the SLO, and that failed.",
			query(`min(inferno_last_window_slo_attainment_ratio{`+sel+`})`, "SLO attainment"),
			query(`max(inferno_last_window_failure_ratio{`+sel+`})`, "failure ratio")).
			Unit("percentunit").Min(0).Max(1).Span(12).Height(8),
		graph("Arrivals not sent",
			"Arrivals per second that were due inside a window but never sent (no free slot under max_concurrency, or the window was cancelled).",
			query(`sum(rate(inferno_requests_total{`+sel+`, outcome="not_sent"}[$__rate_interval]))`, "not sent")).
			Unit("reqps").Min(0).Span(12).Height(8),
		graph("Check failures by check",
			"Answers per second that failed each of the workload's checks; the requests themselves succeeded. The report's checks section keeps up to three failing answers of each window.",
			query(`sum by (check) (rate(inferno_check_results_total{`+sel+`, result="fail"}[$__rate_interval]))`, "{{check}}")).
			Unit("reqps").Min(0).Span(12).Height(8),
		graph("TTFT and time to first answer",
			"TTFT counts the first token of any kind; a reasoning model's first answer token comes after its reasoning. The gap between the two is the wait a user sees before reading anything.",
			query(`histogram_quantile(0.5, sum by (le) (rate(inferno_time_to_first_token_seconds_bucket{`+sel+`}[$__rate_interval])))`, "TTFT p50"),
			query(`histogram_quantile(0.5, sum by (le) (rate(inferno_time_to_first_answer_seconds_bucket{`+sel+`}[$__rate_interval])))`, "first answer p50"),
			query(`histogram_quantile(0.95, sum by (le) (rate(inferno_time_to_first_answer_seconds_bucket{`+sel+`}[$__rate_interval])))`, "first answer p95")).
			Unit("s").Span(12).Height(8),
		heat("Connection setup heatmap", "s",
			"DNS, connect and TLS time of each connection the prober opened, warm connections included.",
			query(`sum by (le) (increase(inferno_connection_setup_seconds_bucket{`+sel+`}[$__rate_interval]))`, "{{le}}")).
			Span(12).Height(8),
		graph("SLO capacity (capacity searches)",
			"The highest request rate whose SLO attainment met the objective in the last capacity search (a workload with arrival kind capacity), against the planned capacity that InfernoCapacityLow alerts below.",
			query(`max by (workload) (inferno_capacity_requests_per_second{`+sel+`})`, "{{workload}}"),
			query(`inferno:threshold:capacity_requests_per_second`, "planned")).
			Unit("reqps").Min(0).Span(12).Height(8),
	)
}

// Options are the settings a user may generate the boards with.
type Options struct {
	// Currency is the ISO 4217 code that the targets' cost_per_hour is
	// in; the cost panel shows it. Default USD.
	Currency string
}

// Generate returns the boards by file name for o.
func Generate(o Options) (map[string]Board, error) {
	if o.Currency == "" {
		o.Currency = "USD"
	}
	if !currencyCode.MatchString(o.Currency) {
		return nil, fmt.Errorf("currency %q: want an ISO 4217 code of three capital letters, such as USD or EUR", o.Currency)
	}
	ov, err := overview()
	if err != nil {
		return nil, err
	}
	tg, err := target(o)
	if err != nil {
		return nil, err
	}
	return map[string]Board{"inferno-overview.json": ov, "inferno-target.json": tg}, nil
}

// Write writes the boards generated for o into dir, as go test ./grafana
// -update writes the committed ones.
func Write(dir string, o Options) error {
	boards, err := Generate(o)
	if err != nil {
		return err
	}
	for name, d := range boards {
		b, err := Encode(d)
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// Encode is a board's JSON as committed: indented, with a final newline.
func Encode(d Board) ([]byte, error) {
	b, err := json.MarshalIndent(d, "", "  ")
	return append(b, '\n'), err
}

var currencyCode = regexp.MustCompile(`^[A-Z]{3}$`)

// grafanaCurrencies have a unit of their own in Grafana (currencyUSD …),
// which places the symbol as the currency's users expect. Grafana does not
// expand variables in units, so the currency is fixed when the boards are
// generated rather than chosen on the board.
var grafanaCurrencies = map[string]bool{"USD": true, "GBP": true, "EUR": true, "JPY": true, "RUB": true, "UAH": true,
	"BRL": true, "DKK": true, "ISK": true, "NOK": true, "SEK": true, "CZK": true, "CHF": true, "PLN": true, "ZAR": true,
	"INR": true, "KRW": true, "IDR": true, "PHP": true, "VND": true}

// currencyUnit is Grafana's unit for an amount in code; codes without a
// unit of their own get the code as a prefix ("CAD 1.20").
func currencyUnit(code string) string {
	if grafanaCurrencies[code] {
		return "currency" + code
	}
	return "prefix:" + code + " "
}

// Query is one PromQL expression found in a dashboard.
type Query struct {
	Where string // panel title and refId, or variable name
	Expr  string
}

// Queries lists every PromQL expression in a dashboard's JSON: each panel
// target's expr and each query variable's query. Tests run them against a
// real Prometheus.
func Queries(dashboardJSON []byte) ([]Query, error) {
	var d struct {
		Panels []struct {
			Title   string
			Targets []struct{ RefID, Expr string }
		}
		Templating struct {
			List []struct {
				Name, Type string
				Query      any
			}
		}
	}
	if err := json.Unmarshal(dashboardJSON, &d); err != nil {
		return nil, err
	}
	var out []Query
	for _, v := range d.Templating.List {
		if v.Type != "query" {
			continue
		}
		q, _ := v.Query.(map[string]any)
		expr, _ := q["query"].(string)
		out = append(out, Query{Where: "variable " + v.Name, Expr: expr})
	}
	for _, p := range d.Panels {
		for _, t := range p.Targets {
			out = append(out, Query{Where: p.Title + " " + t.RefID, Expr: t.Expr})
		}
	}
	return out, nil
}
