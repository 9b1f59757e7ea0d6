// Package grafana generates Inferno's Grafana dashboards. The JSON under
// grafana/dashboards/json is what users import or provision; it is written
// from the definitions here (go test ./grafana -update; go run ./grafana/gen
// for another currency) so every panel
// follows the same conventions: a datasource variable, target/model/
// workload variables in every selector, and sums that leave out
// `instance`, so scaled-out replicas add up.
package grafana

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
)

// sel is the label selector every Inferno panel filters by.
const sel = `target=~"$target", model=~"$model", workload=~"$workload"`

var datasource = map[string]any{"type": "prometheus", "uid": "${datasource}"}

// query is one PromQL expression of a panel.
type query struct {
	Expr, Legend string
	// Format is "heatmap" for bucket series drawn as a heatmap.
	Format string
	// Exemplar asks Grafana for the series' exemplars: each marks a
	// request (request_id, trace_id) that fell in a bucket.
	Exemplar bool
}

// panel is one Grafana panel; Type is timeseries, stat or heatmap.
type panel struct {
	Title, Description, Type, Unit string
	W, H                           int
	Queries                        []query
	// Thresholds, when set, colour a stat panel: value → colour steps.
	Thresholds []step
	Min, Max   *float64
}

type step struct {
	Value *float64
	Color string
}

func f(v float64) *float64 { return &v }

// quantiles returns p50/p95/p99 queries over a histogram's buckets.
func quantiles(metric, by, legendPrefix string) []query {
	var qs []query
	for _, q := range []struct{ value, name string }{{"0.5", "p50"}, {"0.95", "p95"}, {"0.99", "p99"}} {
		qs = append(qs, query{
			Expr:   fmt.Sprintf(`histogram_quantile(%s, sum by (%sle) (rate(%s_bucket{%s}[$__rate_interval])))`, q.value, by, metric, sel),
			Legend: legendPrefix + q.name,
		})
	}
	return qs
}

func variables(targetMulti bool) []any {
	variable := func(name, label, query string, multi bool) map[string]any {
		v := map[string]any{
			"name": name, "label": label, "type": "query", "datasource": datasource,
			"query":      map[string]any{"query": query, "refId": "PrometheusVariableQueryEditor-VariableQuery"},
			"definition": query, "refresh": 2, "sort": 1, "multi": multi, "includeAll": multi,
		}
		if multi {
			v["allValue"] = ".*"
			v["current"] = map[string]any{"text": "All", "value": "$__all"}
		}
		return v
	}
	return []any{
		map[string]any{"name": "datasource", "label": "Data source", "type": "datasource", "query": "prometheus",
			"current": map[string]any{"text": "Prometheus", "value": "prometheus"}},
		variable("target", "Target", "label_values(inferno_requests_total, target)", targetMulti),
		variable("model", "Model", `label_values(inferno_requests_total{target=~"$target"}, model)`, true),
		variable("workload", "Workload", `label_values(inferno_requests_total{target=~"$target", model=~"$model"}, workload)`, true),
	}
}

// dashboard lays panels out left to right, wrapping at Grafana's 24 columns.
func dashboard(uid, title, description string, targetMulti bool, panels []panel) map[string]any {
	var out []any
	x, y, rowH := 0, 0, 0
	for i, p := range panels {
		if x+p.W > 24 {
			x, y, rowH = 0, y+rowH, 0
		}
		out = append(out, p.json(i+1, x, y))
		x += p.W
		rowH = max(rowH, p.H)
	}
	return map[string]any{
		"uid": uid, "title": title, "description": description,
		"tags":          []string{"inferno", "llm"},
		"schemaVersion": 39, "version": 1, "editable": true,
		"time":        map[string]any{"from": "now-6h", "to": "now"},
		"refresh":     "1m",
		"timezone":    "",
		"templating":  map[string]any{"list": variables(targetMulti)},
		"annotations": map[string]any{"list": []any{}},
		"links": []any{map[string]any{"title": "Inferno", "type": "dashboards", "tags": []string{"inferno"},
			"asDropdown": true, "includeVars": true, "keepTime": true}},
		"panels": out,
	}
}

func (p panel) json(id, x, y int) map[string]any {
	var targets []any
	for i, q := range p.Queries {
		t := map[string]any{"refId": string(rune('A' + i)), "expr": q.Expr, "legendFormat": q.Legend, "datasource": datasource}
		if q.Format != "" {
			t["format"] = q.Format
		}
		if q.Exemplar {
			t["exemplar"] = true
		}
		if p.Type == "stat" {
			t["instant"] = true
		}
		targets = append(targets, t)
	}
	defaults := map[string]any{"unit": p.Unit}
	if p.Min != nil {
		defaults["min"] = *p.Min
	}
	if p.Max != nil {
		defaults["max"] = *p.Max
	}
	if len(p.Thresholds) > 0 {
		var steps []any
		for _, s := range p.Thresholds {
			var v any
			if s.Value != nil {
				v = *s.Value
			}
			steps = append(steps, map[string]any{"value": v, "color": s.Color})
		}
		defaults["thresholds"] = map[string]any{"mode": "absolute", "steps": steps}
		defaults["color"] = map[string]any{"mode": "thresholds"}
	}
	out := map[string]any{
		"id": id, "type": p.Type, "title": p.Title, "description": p.Description, "datasource": datasource,
		"gridPos":     map[string]any{"x": x, "y": y, "w": p.W, "h": p.H},
		"targets":     targets,
		"fieldConfig": map[string]any{"defaults": defaults, "overrides": []any{}},
	}
	switch p.Type {
	case "heatmap":
		out["options"] = map[string]any{
			"calculate": false, "cellGap": 1,
			"yAxis":     map[string]any{"unit": p.Unit},
			"rowsFrame": map[string]any{"layout": "le"},
			"color":     map[string]any{"mode": "scheme", "scheme": "Oranges", "exponent": 0.5},
			"tooltip":   map[string]any{"mode": "single", "yHistogram": true},
		}
	case "stat":
		out["options"] = map[string]any{"reduceOptions": map[string]any{"calcs": []string{"lastNotNull"}},
			"colorMode": "value", "graphMode": "none", "textMode": "value_and_name"}
	case "timeseries":
		out["options"] = map[string]any{"legend": map[string]any{"displayMode": "table", "placement": "bottom",
			"calcs": []string{"lastNotNull", "max"}}, "tooltip": map[string]any{"mode": "multi"}}
	}
	return out
}

// Overview is the board of every target at once.
func Overview() map[string]any {
	good, warn, bad := "green", "orange", "red"
	return dashboard("inferno-overview", "Inferno / Overview",
		"How fast every LLM endpoint Inferno probes really is: client-side latency from Inferno's histograms, each window's throughput and SLO figures, failures and the prober's own health.",
		true, []panel{
			{Title: "TTFT p50 / p95 / p99", Type: "timeseries", Unit: "s", W: 12, H: 8,
				Description: "Time to first generated token, as the client sees it, from Inferno's histogram (vLLM's buckets).",
				Queries:     quantiles("inferno_time_to_first_token_seconds", "target, ", "{{target}} ")},
			{Title: "TPOT p50 / p95 / p99", Type: "timeseries", Unit: "s", W: 12, H: 8,
				Description: "Decode time per output token after the first, per request.",
				Queries:     quantiles("inferno_time_per_output_token_seconds", "target, ", "{{target}} ")},
			{Title: "Output throughput", Type: "timeseries", Unit: "tokens/s", W: 8, H: 8,
				Description: "Output tokens per second over each target's last window, summed over the replicas that share it (load_share), as the target board sums them.",
				Queries:     []query{{Expr: `sum by (target, workload) (inferno_last_window_output_tokens_per_second{` + sel + `})`, Legend: "{{target}} {{workload}}"}}},
			{Title: "Requests per second", Type: "timeseries", Unit: "reqps", W: 8, H: 8,
				Description: "Successful requests per second over each target's last window (as vLLM's request_throughput counts), summed over the replicas that share it. Failed responses are in the failure ratio.",
				Queries:     []query{{Expr: `sum by (target, workload) (inferno_last_window_successful_requests_per_second{` + sel + `})`, Legend: "{{target}} {{workload}}"}}},
			{Title: "Goodput", Type: "timeseries", Unit: "reqps", W: 8, H: 8,
				Description: "Requests per second that met the workload's SLO, over each target's last window, summed over the replicas that share it.",
				Queries:     []query{{Expr: `sum by (target, workload) (inferno_last_window_goodput_requests_per_second{` + sel + `})`, Legend: "{{target}} {{workload}}"}}},
			{Title: "SLO attainment", Type: "timeseries", Unit: "percentunit", W: 8, H: 8, Min: f(0), Max: f(1),
				Description: "Share of the last window's requests that met the SLO, against the objective the alert uses.",
				Queries: []query{
					{Expr: `min by (target) (inferno_last_window_slo_attainment_ratio{` + sel + `})`, Legend: "{{target}}"},
					{Expr: `inferno:threshold:slo_attainment_objective`, Legend: "objective"},
				}},
			{Title: "Failure ratio by reason", Type: "timeseries", Unit: "percentunit", W: 8, H: 8, Min: f(0),
				Description: "Share of requests that failed, by outcome class (http_4xx, http_5xx, timeout, connection_error, stream_error, cancelled, not_sent).",
				Queries: []query{{Expr: `sum by (target, outcome) (rate(inferno_requests_total{` + sel + `, outcome!="success"}[$__rate_interval]))
  / ignoring (outcome) group_left () sum by (target) (rate(inferno_requests_total{` + sel + `}[$__rate_interval]))`, Legend: "{{target}} {{outcome}}"}}},
			{Title: "Schedule lag p99", Type: "timeseries", Unit: "s", W: 8, H: 8,
				Description: "How late requests left against their schedule. Above a few milliseconds the prober is overloaded and understates the load it was asked to send.",
				Queries: []query{{Expr: `histogram_quantile(0.99, sum by (target, le) (rate(inferno_schedule_lag_seconds_bucket{` + sel + `}[$__rate_interval])))`,
					Legend: "{{target}}"}}},
			{Title: "Windows by result", Type: "timeseries", Unit: "short", W: 12, H: 8,
				Description: "Benchmark windows that succeeded, failed (no request succeeded), were aborted or were skipped because the previous one still ran.",
				Queries: []query{{Expr: `sum by (target, result) (increase(inferno_windows_total{target=~"$target", workload=~"$workload"}[$__rate_interval]))`,
					Legend: "{{target}} {{result}}"}}},
			{Title: "Last window age", Type: "stat", Unit: "s", W: 12, H: 8,
				Description: "Time since each target's last window ended. It should stay below the schedule's period.",
				Thresholds:  []step{{nil, good}, {f(3600), warn}, {f(7200), bad}},
				Queries: []query{{Expr: `time() - max by (target, workload) (inferno_last_window_end_timestamp_seconds{` + sel + `})`,
					Legend: "{{target}} {{workload}}"}}},
			{Title: "Arrivals not sent", Type: "timeseries", Unit: "percentunit", W: 12, H: 8, Min: f(0),
				Description: "Share of scheduled arrivals that were due inside a window but never sent: no free slot under max_concurrency before the window's duration ended, or the window was cancelled. They count as failures and miss the SLO.",
				Queries: []query{{Expr: `sum by (target) (rate(inferno_requests_total{` + sel + `, outcome="not_sent"}[$__rate_interval]))
  / sum by (target) (rate(inferno_requests_total{` + sel + `}[$__rate_interval]))`, Legend: "{{target}}"}}},
			{Title: "Connection setup p50 / p95 / p99", Type: "timeseries", Unit: "s", W: 12, H: 8,
				Description: "DNS, connect and TLS time of each connection the prober opened (warm connections before each window included). A burst of slow dials shows here, not as TTFT.",
				Queries:     quantiles("inferno_connection_setup_seconds", "target, ", "{{target}} ")},
			{Title: "Check pass ratio (canaries)", Type: "timeseries", Unit: "percentunit", W: 12, H: 8, Min: f(0), Max: f(1),
				Description: "Share of the last window's answers that passed each of the workload's checks (json, regex, tool_call, canary/…), the worst replica's where several share a window. A fast endpoint that answers wrong shows here, not as a failure: InfernoCheckFailing alerts on it.",
				Queries:     []query{{Expr: `min by (target, check) (inferno_last_window_check_pass_ratio{` + sel + `})`, Legend: "{{target}} {{check}}"}}},
			{Title: "Time to first answer p50 / p95 / p99", Type: "timeseries", Unit: "s", W: 12, H: 8,
				Description: "Time to the first answer token: TTFT without the reasoning a reasoning model sends first. Without reasoning it is TTFT.",
				Queries:     quantiles("inferno_time_to_first_answer_seconds", "target, ", "{{target}} ")},
			// /probe answers come from Prometheus' probe job, in
			// blackbox_exporter's manner: the series carry the probed
			// target (relabelled from __param_target), not the model or
			// workload, so these panels filter by target alone.
			{Title: "Probe success", Type: "stat", Unit: "short", W: 6, H: 8, Min: f(0), Max: f(1),
				Description: "The latest /probe answer per target: 1 when the probe's window had a successful request, no setup error and no failed check (probe_success).",
				Thresholds:  []step{{nil, bad}, {f(1), good}},
				Queries:     []query{{Expr: `min by (target) (probe_success{` + probeSel + `})`, Legend: "{{target}}"}}},
			{Title: "Probe TTFT p50 / p95 and duration", Type: "timeseries", Unit: "s", W: 9, H: 8,
				Description: "Each /probe window's TTFT percentiles (probe_ttft_seconds) and how long the probe took (probe_duration_seconds).",
				Queries: []query{
					{Expr: `max by (target, quantile) (probe_ttft_seconds{` + probeSel + `, quantile=~"0.5|0.95"})`, Legend: "{{target}} TTFT q{{quantile}}"},
					{Expr: `max by (target) (probe_duration_seconds{` + probeSel + `})`, Legend: "{{target}} duration"},
				}},
			{Title: "Probe failure ratio", Type: "timeseries", Unit: "percentunit", W: 9, H: 8, Min: f(0), Max: f(1),
				Description: "Share of each /probe window's requests that failed (probe_failed_requests / probe_requests).",
				Queries: []query{{Expr: `sum by (target) (probe_failed_requests{` + probeSel + `}) / sum by (target) (probe_requests{` + probeSel + `})`,
					Legend: "{{target}}"}}},
		})
}

// probeSel filters /probe series, which carry only the probed target.
const probeSel = `target=~"$target"`

// Target is the board of one target in detail, with costs in USD.
func Target() map[string]any { return target(Options{}) }

func target(o Options) map[string]any {
	last := func(title, metric, quantile string) panel {
		return panel{Title: title, Type: "stat", Unit: "s", W: 4, H: 4,
			Description: "From the latest window's report.",
			Queries:     []query{{Expr: fmt.Sprintf(`max(%s{%s, quantile=%q})`, metric, sel, quantile), Legend: "q" + quantile}}}
	}
	return dashboard("inferno-target", "Inferno / Target",
		"One endpoint in detail: latency distributions as heatmaps, the latest window's figures, cost, and the client's TTFT beside vLLM's own.",
		false, []panel{
			last("TTFT p50 (last window)", "inferno_last_window_ttft_seconds", "0.5"),
			last("TTFT p99 (last window)", "inferno_last_window_ttft_seconds", "0.99"),
			last("TPOT p50 (last window)", "inferno_last_window_tpot_seconds", "0.5"),
			last("ITL p99 (last window)", "inferno_last_window_itl_seconds", "0.99"),
			{Title: "Output tokens/s (last window)", Type: "stat", Unit: "tokens/s", W: 4, H: 4, Description: "From the latest window's report.",
				Queries: []query{{Expr: `sum(inferno_last_window_output_tokens_per_second{` + sel + `})`}}},
			{Title: "Cost per million output tokens", Type: "stat", Unit: currencyUnit(o.Currency), W: 4, H: 4,
				Description: "The target's cost_per_hour over its measured output tokens per hour; shown where the config sets a cost. In the currency the boards were generated for (USD unless go run ./grafana/gen -currency says otherwise).",
				Queries:     []query{{Expr: `max(inferno_cost_per_million_output_tokens{` + sel + `})`}}},
			{Title: "TTFT heatmap", Type: "heatmap", Unit: "s", W: 12, H: 9,
				Description: "Where the first tokens fell, per interval, from the TTFT histogram's buckets.",
				Queries: []query{{Expr: `sum by (le) (increase(inferno_time_to_first_token_seconds_bucket{` + sel + `}[$__rate_interval]))`,
					Legend: "{{le}}", Format: "heatmap", Exemplar: true}}},
			{Title: "ITL heatmap", Type: "heatmap", Unit: "s", W: 12, H: 9,
				Description: "Gaps between consecutive generated tokens, per interval.",
				Queries: []query{{Expr: `sum by (le) (increase(inferno_inter_token_latency_seconds_bucket{` + sel + `}[$__rate_interval]))`,
					Legend: "{{le}}", Format: "heatmap"}}},
			{Title: "Client TTFT against vLLM's server TTFT", Type: "timeseries", Unit: "s", W: 12, H: 9,
				Description: "Where vLLM's own /metrics are scraped too: vllm:time_to_first_token_seconds has the same buckets, so the two quantiles compare bucket for bucket. The gap is what the server cannot see: network, proxies, queueing before the engine.",
				Queries: []query{
					{Expr: `histogram_quantile(0.5, sum by (le) (rate(inferno_time_to_first_token_seconds_bucket{` + sel + `}[$__rate_interval])))`, Legend: "client p50", Exemplar: true},
					{Expr: `histogram_quantile(0.95, sum by (le) (rate(inferno_time_to_first_token_seconds_bucket{` + sel + `}[$__rate_interval])))`, Legend: "client p95"},
					{Expr: `histogram_quantile(0.5, sum by (le) (rate(vllm:time_to_first_token_seconds_bucket{model_name=~"$model"}[$__rate_interval])))`, Legend: "vLLM p50"},
					{Expr: `histogram_quantile(0.95, sum by (le) (rate(vllm:time_to_first_token_seconds_bucket{model_name=~"$model"}[$__rate_interval])))`, Legend: "vLLM p95"},
				}},
			{Title: "Client and server TTFT (last window)", Type: "timeseries", Unit: "s", W: 12, H: 9, Min: f(0),
				Description: "Each window's client TTFT beside the server's own over the same window (the target's server_metrics: the change of the server's TTFT histogram between the window's edges). A client line that rises while the server's holds is time spent in front of the engine.",
				Queries: []query{
					{Expr: `max(inferno_last_window_ttft_seconds{` + sel + `, quantile="0.5"})`, Legend: "client p50"},
					{Expr: `max(inferno_last_window_ttft_seconds{` + sel + `, quantile="0.95"})`, Legend: "client p95"},
					{Expr: `max(inferno_last_window_server_ttft_seconds{` + sel + `, quantile="0.5"})`, Legend: "server p50"},
					{Expr: `max(inferno_last_window_server_ttft_seconds{` + sel + `, quantile="0.95"})`, Legend: "server p95"},
				}},
			{Title: "Client overhead (last window)", Type: "timeseries", Unit: "s", W: 8, H: 8,
				Description: "Client TTFT less the server's at each percentile: gateway, network, load balancer and anything else before the engine's clock starts. InfernoClientOverheadGrowing fires when it grows while the server's TTFT holds.",
				Queries:     []query{{Expr: `max by (quantile) (inferno_last_window_client_overhead_seconds{` + sel + `})`, Legend: "{{quantile}}"}}},
			{Title: "Server queue (last window)", Type: "timeseries", Unit: "s", W: 8, H: 8, Min: f(0),
				Description: "Time requests waited in the server's own queue before it ran them, from its queue-time histogram over each window.",
				Queries:     []query{{Expr: `max by (quantile) (inferno_last_window_server_queue_seconds{` + sel + `})`, Legend: "{{quantile}}"}}},
			{Title: "Server waiting requests (last window, max)", Type: "timeseries", Unit: "short", W: 8, H: 8, Min: f(0),
				Description: "Most requests the server reported waiting in its queue during each window, sampled every few seconds.",
				Queries:     []query{{Expr: `max(inferno_last_window_server_waiting_requests{` + sel + `})`, Legend: "waiting"}}},
			{Title: "Server KV cache and prefix cache", Type: "timeseries", Unit: "percentunit", W: 12, H: 9, Min: f(0), Max: f(1),
				Description: "The highest KV-cache usage the server reported during each window (a full cache queues or preempts requests), and the share of prompt tokens its prefix cache served.",
				Queries: []query{
					{Expr: `max(inferno_last_window_server_kv_cache_usage_ratio{` + sel + `})`, Legend: "KV cache usage (max)"},
					{Expr: `max(inferno_last_window_prefix_cache_hit_ratio{` + sel + `})`, Legend: "prefix cache hit ratio"},
				}},
			{Title: "End-to-end latency p50 / p95 / p99", Type: "timeseries", Unit: "s", W: 12, H: 9,
				Description: "From sending a request to its last byte.",
				Queries:     quantiles("inferno_request_duration_seconds", "", "")},
			{Title: "Requests by outcome", Type: "timeseries", Unit: "reqps", W: 12, H: 8,
				Description: "Requests per second by outcome class.",
				Queries: []query{{Expr: `sum by (outcome) (rate(inferno_requests_total{` + sel + `}[$__rate_interval]))`,
					Legend: "{{outcome}}"}}},
			{Title: "SLO attainment and failures (last window)", Type: "timeseries", Unit: "percentunit", W: 12, H: 8, Min: f(0), Max: f(1),
				Description: "Share of the last window's requests that met the SLO, and that failed.",
				Queries: []query{
					{Expr: `min(inferno_last_window_slo_attainment_ratio{` + sel + `})`, Legend: "SLO attainment"},
					{Expr: `max(inferno_last_window_failure_ratio{` + sel + `})`, Legend: "failure ratio"},
				}},
			{Title: "Arrivals not sent", Type: "timeseries", Unit: "reqps", W: 12, H: 8, Min: f(0),
				Description: "Arrivals per second that were due inside a window but never sent (no free slot under max_concurrency, or the window was cancelled).",
				Queries:     []query{{Expr: `sum(rate(inferno_requests_total{` + sel + `, outcome="not_sent"}[$__rate_interval]))`, Legend: "not sent"}}},
			{Title: "Check failures by check", Type: "timeseries", Unit: "reqps", W: 12, H: 8, Min: f(0),
				Description: "Answers per second that failed each of the workload's checks; the requests themselves succeeded. The report's checks section keeps up to three failing answers of each window.",
				Queries:     []query{{Expr: `sum by (check) (rate(inferno_check_results_total{` + sel + `, result="fail"}[$__rate_interval]))`, Legend: "{{check}}"}}},
			{Title: "TTFT and time to first answer", Type: "timeseries", Unit: "s", W: 12, H: 8,
				Description: "TTFT counts the first token of any kind; a reasoning model's first answer token comes after its reasoning. The gap between the two is the wait a user sees before reading anything.",
				Queries: []query{
					{Expr: `histogram_quantile(0.5, sum by (le) (rate(inferno_time_to_first_token_seconds_bucket{` + sel + `}[$__rate_interval])))`, Legend: "TTFT p50"},
					{Expr: `histogram_quantile(0.5, sum by (le) (rate(inferno_time_to_first_answer_seconds_bucket{` + sel + `}[$__rate_interval])))`, Legend: "first answer p50"},
					{Expr: `histogram_quantile(0.95, sum by (le) (rate(inferno_time_to_first_answer_seconds_bucket{` + sel + `}[$__rate_interval])))`, Legend: "first answer p95"},
				}},
			{Title: "Connection setup heatmap", Type: "heatmap", Unit: "s", W: 12, H: 8,
				Description: "DNS, connect and TLS time of each connection the prober opened, warm connections included.",
				Queries: []query{{Expr: `sum by (le) (increase(inferno_connection_setup_seconds_bucket{` + sel + `}[$__rate_interval]))`,
					Legend: "{{le}}", Format: "heatmap"}}},
			{Title: "SLO capacity (capacity searches)", Type: "timeseries", Unit: "reqps", W: 12, H: 8, Min: f(0),
				Description: "The highest request rate whose SLO attainment met the objective in the last capacity search (a workload with arrival kind capacity), against the planned capacity that InfernoCapacityLow alerts below.",
				Queries: []query{
					{Expr: `max by (workload) (inferno_capacity_requests_per_second{` + sel + `})`, Legend: "{{workload}}"},
					{Expr: `inferno:threshold:capacity_requests_per_second`, Legend: "planned"},
				}},
		})
}

// Dashboards are the generated boards by file name, as committed (costs
// in USD).
func Dashboards() map[string]map[string]any {
	d, _ := Generate(Options{})
	return d
}

// Options are the settings a user may generate the boards with.
type Options struct {
	// Currency is the ISO 4217 code that the targets' cost_per_hour is
	// in; the cost panel shows it. Default USD.
	Currency string
}

// Generate returns the boards by file name for o.
func Generate(o Options) (map[string]map[string]any, error) {
	if o.Currency == "" {
		o.Currency = "USD"
	}
	if !currencyCode.MatchString(o.Currency) {
		return nil, fmt.Errorf("currency %q: want an ISO 4217 code of three capital letters, such as USD or EUR", o.Currency)
	}
	return map[string]map[string]any{
		"inferno-overview.json": Overview(),
		"inferno-target.json":   target(o),
	}, nil
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
func Encode(d map[string]any) ([]byte, error) {
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
