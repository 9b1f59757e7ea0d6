package daemon

import (
	"bytes"
	"context"
	"fmt"
	"html/template"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/inferno-llm/inferno/redact"
)

// targetHealth is one target's row on the status page: how its last
// window went, and when the next one runs.
type targetHealth struct {
	Name, API, Model, URL string
	Last                  *RunView // nil before its first window ends
	Age                   string
	TTFTP50, TTFTP95      string
	Failures              string
	SLO                   string
	Next                  string
}

// health is each target's latest ended window and its next scheduled run.
func (d *Daemon) health(ctx context.Context, now time.Time) ([]targetHealth, error) {
	cfg := d.Config()
	var out []targetHealth
	var failed error
	for _, t := range cfg.Targets {
		h := targetHealth{Name: t.Name, API: t.API, Model: t.Model, URL: redact.URL(t.URL), Next: "not scheduled here"}
		// A target whose last window cannot be looked up still shows,
		// with its next run.
		run, err := d.latestEnded(ctx, t.Name)
		if err != nil && failed == nil {
			failed = err
		}
		if run != nil {
			v := run.View()
			h.Last = &v
			run.mu.Lock()
			ended, p50, p95 := run.ended, run.ttftP50, run.ttftP95
			run.mu.Unlock()
			if !ended.IsZero() {
				h.Age = now.Sub(ended).Round(time.Second).String() + " ago"
			}
			if p50 > 0 {
				h.TTFTP50, h.TTFTP95 = fmt.Sprintf("%.1f ms", 1e3*p50), fmt.Sprintf("%.1f ms", 1e3*p95)
			}
			if s := v.Summary; s != nil {
				h.Failures = fmt.Sprintf("%d of %d", s.Failures, s.Requests)
				if s.Requests > 0 {
					h.SLO = fmt.Sprintf("%.1f%%", 100*s.SLO.Attainment)
				}
			}
		}
		var next time.Time
		for _, s := range cfg.Schedules {
			if !slices.Contains(s.Targets, t.Name) || !d.Owns(s, t.Name) {
				continue
			}
			if n := s.CronSchedule().Next(now); next.IsZero() || n.Before(next) {
				next = n
			}
		}
		if !next.IsZero() {
			h.Next = fmt.Sprintf("%s (in %s)", next.Format(time.RFC3339), next.Sub(now).Round(time.Second))
		}
		out = append(out, h)
	}
	return out, failed
}

var statusPage = template.Must(template.New("status").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>Inferno</title>
<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}
.finished{color:#080}.failed,.aborted{color:#b00;font-weight:bold}</style>
</head><body>
<h1>Inferno</h1>
<p><a href="/metrics">Metrics</a> · <a href="/config">Configuration</a> · <a href="/api/v1/runs">Runs (JSON)</a> · <a href="/api/v1/groups">Groups (JSON)</a></p>
<h2>Targets</h2>
<table><tr><th>target</th><th>last window</th><th>ended</th><th>TTFT p50</th><th>TTFT p95</th><th>failed requests</th><th>SLO attainment</th><th>next run</th><th>api</th><th>model</th><th>url</th></tr>
{{range .Targets}}<tr><td>{{.Name}}</td>
<td>{{with .Last}}<a href="/reports/{{.ID}}" class="{{.Status}}">{{.Status}}</a>{{if .Error}} ({{.Error}}){{end}}{{else}}none yet{{end}}</td>
<td>{{.Age}}</td><td>{{.TTFTP50}}</td><td>{{.TTFTP95}}</td><td>{{.Failures}}</td><td>{{.SLO}}</td><td>{{.Next}}</td>
<td>{{.API}}</td><td>{{.Model}}</td><td>{{.URL}}</td></tr>{{end}}</table>
<h2>Schedules</h2>
<table><tr><th>name</th><th>cron</th><th>workload</th><th>targets</th><th>next run</th></tr>
{{range .Schedules}}<tr><td>{{.Name}}</td><td>{{.Cron}}</td><td>{{.Workload}}</td><td>{{.Targets}}</td><td>{{.Next}}</td></tr>{{end}}</table>
{{with .ArchiveError}}<p class="failed">Archive: {{.}}</p>{{end}}
<h2>Windows</h2>
<table><tr><th>run</th><th>trigger</th><th>target</th><th>workload</th><th>status</th><th>requests</th><th>failed</th><th>TTFT p50</th><th>output tok/s</th></tr>
{{range .Runs}}<tr><td><a href="/reports/{{.ID}}">{{.ID}}</a> (<a href="/api/v1/runs/{{.ID}}/report">JSON</a>)</td><td>{{.Trigger}}</td><td>{{.Target}}</td><td>{{.Workload}}</td><td class="{{.Status}}">{{.Status}}</td>
<td>{{if .Summary}}{{.Summary.Requests}}{{else if .Progress}}{{.Progress.Done}} (in flight {{.Progress.InFlight}}){{end}}</td>
<td>{{if .Summary}}{{.Summary.Failures}}{{else if .Progress}}{{.Progress.Failed}}{{end}}</td>
<td>{{.TTFT}}</td><td>{{if .Summary}}{{printf "%.1f" .Summary.OutputThroughput}}{{end}}</td></tr>{{end}}</table>
{{if .Older}}<p><a href="{{.Older}}" rel="next">Older windows →</a></p>{{end}}
{{with .Archive}}<p class="meta">{{.}}</p>{{end}}
</body></html>`))

func (d *Daemon) handleStatus(w http.ResponseWriter, r *http.Request) {
	q, kept, err := d.runsQuery(r.URL.Query())
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	cfg := d.Config()
	now := time.Now()
	type scheduleRow struct {
		Name, Cron, Workload string
		Targets              string // names, comma-separated
		Next                 string
	}
	type runRow struct {
		RunView
		TTFT string
	}
	var data struct {
		Targets      []targetHealth
		Schedules    []scheduleRow
		Runs         []runRow
		Older        string
		Archive      string
		ArchiveError string
	}
	// An index that fails costs its tables, never the page: the
	// schedules and the error still show.
	var failed []string
	if data.Targets, err = d.health(r.Context(), now); err != nil {
		failed = append(failed, err.Error())
	}
	page, err := d.listRuns(r.Context(), q)
	if err != nil {
		failed = append(failed, err.Error())
	}
	page.query = kept
	data.ArchiveError = strings.Join(failed, "; ")
	if !d.synced.Load() {
		data.Archive = "The archive index is being brought in step with the report files: older windows may be missing for now."
	}
	for _, s := range cfg.Schedules {
		data.Schedules = append(data.Schedules, scheduleRow{Name: s.Name, Cron: s.Cron, Workload: s.Workload,
			Targets: strings.Join(s.Targets, ", "), Next: s.CronSchedule().Next(now).Format(time.RFC3339)})
	}
	for _, run := range page.runs {
		row := runRow{RunView: run.View()}
		if p50, ok := run.TTFTP50(); ok {
			row.TTFT = fmt.Sprintf("%.1f ms", 1e3*p50)
		}
		data.Runs = append(data.Runs, row)
	}
	if page.next != "" {
		data.Older = page.link("/")
	}
	var buf bytes.Buffer
	if err := statusPage.Execute(&buf, data); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Write(buf.Bytes())
}
