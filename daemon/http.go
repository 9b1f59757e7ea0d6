package daemon

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.yaml.in/yaml/v3"

	"github.com/inferno-llm/inferno/daemon/internal/jsonapi"
	"github.com/inferno-llm/inferno/daemon/internal/probe"
)

// Handler returns the daemon's HTTP routes.
func (d *Daemon) Handler() http.Handler {
	mux := http.NewServeMux()
	gatherers := prometheus.Gatherers{d.registry}
	mux.Handle("GET /metrics", promhttp.HandlerFor(gatherers, promhttp.HandlerOpts{EnableOpenMetrics: true}))
	mux.Handle("GET /probe", probe.Handler(probeWindows{d}))
	mux.HandleFunc("POST /-/reload", d.handleReload)
	mux.HandleFunc("GET /-/healthy", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "Healthy") })
	mux.HandleFunc("GET /-/ready", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "Ready") })
	mux.HandleFunc("GET /config", d.handleConfig)
	mux.HandleFunc("GET /api/v1/runs", d.handleListRuns)
	mux.HandleFunc("POST /api/v1/runs", d.handleCreateRun)
	mux.HandleFunc("GET /api/v1/runs/{id}", d.handleGetRun)
	mux.HandleFunc("DELETE /api/v1/runs/{id}", d.handleDeleteRun)
	mux.HandleFunc("GET /api/v1/runs/{id}/report", d.handleRunReport)
	mux.HandleFunc("POST /api/v1/runs/{id}/cancel", d.handleCancelRun)
	mux.HandleFunc("GET /{$}", d.handleStatus)
	// The old tool's report route is the runs API's.
	mux.HandleFunc("GET /tests/report/json/{id}", d.handleRunReport)
	d.legacy.Routes(mux)
	d.reports.Routes(mux)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Every route's body is bounded, those that take none included;
		// definitions are held to limits.max_body_bytes on top.
		r.Body = http.MaxBytesReader(w, r.Body, jsonapi.MaxBody)
		mux.ServeHTTP(w, r)
	})
}

func (d *Daemon) handleReload(w http.ResponseWriter, r *http.Request) {
	err := d.Reload()
	if errors.Is(err, ErrReloadQueued) {
		w.WriteHeader(http.StatusAccepted)
		fmt.Fprintln(w, err)
		return
	}
	if err != nil {
		jsonapi.WriteError(w, http.StatusInternalServerError, "reload failed, previous config kept: %v", err)
		return
	}
	fmt.Fprintln(w, "config reloaded")
}

func (d *Daemon) handleConfig(w http.ResponseWriter, r *http.Request) {
	// prometheus/common's Secret marshals as <secret>, so credentials in
	// http_client never leave the process.
	b, err := yaml.Marshal(redactedConfig(d.Config()))
	if err != nil {
		jsonapi.WriteError(w, http.StatusInternalServerError, "encode config: %v", err)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Write(b)
}
