package daemon

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"time"

	"github.com/inferno-llm/inferno/config"
	"github.com/inferno-llm/inferno/daemon/internal/jsonapi"
	"github.com/inferno-llm/inferno/report"
)

// createRunRequest is POST /api/v1/runs: a target and workload, each by
// name or inline.
type createRunRequest struct {
	Target   json.RawMessage `json:"target"`
	Workload json.RawMessage `json:"workload"`
}

func (d *Daemon) handleCreateRun(w http.ResponseWriter, r *http.Request) {
	var req createRunRequest
	cfg := d.Config()
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, int64(cfg.Limits.MaxBodyBytes)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		jsonapi.WriteError(w, http.StatusBadRequest, "request body: %v", jsonapi.BodyError(err))
		return
	}
	in, err := runInput(req)
	if err != nil {
		jsonapi.WriteError(w, http.StatusBadRequest, "%v", err)
		return
	}
	t, wl, err := cfg.Resolve(cfg.RunsAPIDoor(), in)
	if err != nil {
		jsonapi.WriteError(w, http.StatusBadRequest, "%v", err)
		return
	}
	run, err := d.TryStartRun(report.NewRunID(time.Now()), t, wl, "api")
	if err != nil {
		w.Header().Set("Retry-After", "60")
		jsonapi.WriteError(w, http.StatusTooManyRequests, "%v", err)
		return
	}
	w.Header().Set("Location", "/api/v1/runs/"+run.id)
	jsonapi.Write(w, http.StatusAccepted, run.View())
}

// runInput reads each of the body's target and workload as a JSON
// string (a configured name) or an object (a definition for the config
// to resolve: JSON is YAML).
func runInput(req createRunRequest) (config.Input, error) {
	var in config.Input
	for _, part := range []struct {
		what string
		raw  json.RawMessage
		name *string
		text *[]byte
	}{{"target", req.Target, &in.TargetName, &in.TargetText}, {"workload", req.Workload, &in.WorkloadName, &in.WorkloadText}} {
		switch {
		case len(part.raw) == 0 || string(part.raw) == "null":
			return in, fmt.Errorf("%s is missing", part.what)
		case json.Unmarshal(part.raw, part.name) == nil:
			if *part.name == "" {
				return in, fmt.Errorf("%s: an empty name", part.what)
			}
		default:
			*part.text = part.raw
		}
	}
	return in, nil
}

func (d *Daemon) handleListRuns(w http.ResponseWriter, r *http.Request) {
	q, kept, err := d.runsQuery(r.URL.Query())
	if err != nil {
		jsonapi.WriteError(w, http.StatusBadRequest, "%v", err)
		return
	}
	page, err := d.listRuns(r.Context(), q)
	if err != nil {
		jsonapi.WriteError(w, http.StatusInternalServerError, "%v", err)
		return
	}
	page.query = kept
	views := make([]RunView, 0, len(page.runs))
	for _, run := range page.runs {
		views = append(views, run.View())
	}
	if page.next != "" {
		w.Header().Set("Link", fmt.Sprintf(`<%s>; rel="next"`, page.link("/api/v1/runs")))
	}
	jsonapi.Write(w, http.StatusOK, views)
}

func (d *Daemon) lookupRun(w http.ResponseWriter, r *http.Request) *Run {
	id := r.PathValue("id")
	if !report.ValidRunID(id) {
		jsonapi.WriteError(w, http.StatusBadRequest, "invalid run id")
		return nil
	}
	run := d.run(id)
	if run == nil {
		jsonapi.WriteError(w, http.StatusNotFound, "no run %q", id)
	}
	return run
}

func (d *Daemon) handleGetRun(w http.ResponseWriter, r *http.Request) {
	if run := d.lookupRun(w, r); run != nil {
		jsonapi.Write(w, http.StatusOK, run.View())
	}
}

func (d *Daemon) handleRunReport(w http.ResponseWriter, r *http.Request) {
	run := d.lookupRun(w, r)
	if run == nil {
		return
	}
	path := run.ReportPath()
	if path == "" {
		jsonapi.WriteError(w, http.StatusConflict, "run %s has no report yet (status %s)", run.id, run.View().Status)
		return
	}
	b, err := os.ReadFile(path)
	if err != nil {
		jsonapi.WriteError(w, http.StatusGone, "report of run %s cannot be read: %v", run.id, errors.Unwrap(err))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(b)
}

func (d *Daemon) handleCancelRun(w http.ResponseWriter, r *http.Request) {
	if run := d.lookupRun(w, r); run != nil {
		run.Cancel()
		jsonapi.Write(w, http.StatusAccepted, run.View())
	}
}

func (d *Daemon) handleDeleteRun(w http.ResponseWriter, r *http.Request) {
	run := d.lookupRun(w, r)
	if run == nil {
		return
	}
	if !run.Finished() {
		jsonapi.WriteError(w, http.StatusConflict, "run %s is still %s; cancel it first", run.id, run.View().Status)
		return
	}
	// The files go first, then the entry: after a crash between the two
	// the entry has no report and the next start drops it.
	if p := run.ReportPath(); p != "" {
		for _, f := range reportFiles(p, run.id) {
			if err := os.Remove(f); err != nil && !errors.Is(err, os.ErrNotExist) {
				jsonapi.WriteError(w, http.StatusInternalServerError, "delete report: %v", errors.Unwrap(err))
				return
			}
		}
	}
	if d.index != nil {
		if err := d.index.Delete(run.id); err != nil {
			jsonapi.WriteError(w, http.StatusInternalServerError, "the report is deleted, but not its index entry (the next start drops it): %v", err)
			return
		}
	}
	d.pages.Forget(run.id)
	d.runs.remove(run.id)
	w.WriteHeader(http.StatusNoContent)
}
