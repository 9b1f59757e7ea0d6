// Package reports serves what the daemon shows of finished runs: a run's
// report page, comparisons of runs, named groups of runs (kept in
// groups.json) and the recommendation among a group's runs.
package reports

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"

	"github.com/inferno-llm/inferno/archive"
	"github.com/inferno-llm/inferno/compare"
	"github.com/inferno-llm/inferno/daemon/internal/jsonapi"
	"github.com/inferno-llm/inferno/render"
	"github.com/inferno-llm/inferno/report"
)

// Runs is what the pages need of the daemon's runs.
type Runs interface {
	// Report is run id's archived report ("" while it has none) and its
	// status; ok is false when there is no such run.
	Report(id string) (path, status string, ok bool)
}

// Server serves the report pages, comparisons and groups.
type Server struct {
	runs   Runs
	pages  *archive.Pages
	groups *groups
}

// New serves the reports of runs, its pages cached in pages, and the
// groups kept in dir. A groups file that cannot be read is an error, but
// the server starts with no groups and leaves the file until one changes.
func New(dir string, runs Runs, pages *archive.Pages) (*Server, error) {
	g, err := loadGroups(dir)
	return &Server{runs: runs, pages: pages, groups: g}, err
}

// Routes adds the pages' and the groups' routes to mux.
func (srv *Server) Routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /reports/{id}", srv.handleReportPage)
	mux.HandleFunc("GET /compare", srv.handleComparePage)
	mux.HandleFunc("GET /api/v1/compare", srv.handleCompare)
	mux.HandleFunc("GET /api/v1/groups", srv.handleListGroups)
	mux.HandleFunc("POST /api/v1/groups", srv.handleCreateGroup)
	mux.HandleFunc("GET /api/v1/groups/{name}", srv.handleGetGroup)
	mux.HandleFunc("DELETE /api/v1/groups/{name}", srv.handleDeleteGroup)
	mux.HandleFunc("POST /api/v1/groups/{name}/runs", srv.handleAddToGroup)
	mux.HandleFunc("DELETE /api/v1/groups/{name}/runs/{id}", srv.handleRemoveFromGroup)
	mux.HandleFunc("GET /api/v1/groups/{name}/results", srv.handleGroupResults)
	mux.HandleFunc("POST /api/v1/groups/{name}/recommend", srv.handleRecommend)
}

// loadReport reads a finished run's archived report.
func (srv *Server) loadReport(id string) (*report.Report, error) {
	if !report.ValidRunID(id) {
		return nil, jsonapi.Errorf(http.StatusBadRequest, "invalid run id %q", id)
	}
	path, status, ok := srv.runs.Report(id)
	if !ok {
		return nil, jsonapi.Errorf(http.StatusNotFound, "no run %q", id)
	}
	if path == "" {
		return nil, jsonapi.Errorf(http.StatusConflict, "run %s has no report yet (status %s)", id, status)
	}
	rep, err := report.Read(path)
	if err != nil {
		return nil, jsonapi.Errorf(http.StatusGone, "report of run %s cannot be read: %v", id, err)
	}
	return rep, nil
}

func (srv *Server) loadReports(ids []string) ([]*report.Report, error) {
	if len(ids) == 0 {
		return nil, jsonapi.WithStatus(http.StatusBadRequest, errors.New("no runs given: ?runs=id1,id2,…"))
	}
	if len(ids) > maxCompareRuns {
		return nil, jsonapi.Errorf(http.StatusBadRequest, "%d runs: at most %d compare at once", len(ids), maxCompareRuns)
	}
	var out []*report.Report
	for _, id := range ids {
		rep, err := srv.loadReport(strings.TrimSpace(id))
		if err != nil {
			return nil, err
		}
		out = append(out, rep)
	}
	return out, nil
}

func runsParam(r *http.Request) []string {
	v := r.URL.Query().Get("runs")
	if v == "" {
		return nil
	}
	// Each run is a whole report in memory: ?runs=<id> × 50 exhausted it.
	return dedupe(strings.Split(v, ","))
}

// Caps on what compare and groups hold: runs compared at once, groups,
// and runs in one group (each create rewrites the whole file).
const (
	maxCompareRuns = 20
	maxGroups      = 1000
	maxGroupRuns   = 1000
)

// handleReportPage renders a report's page when asked for, and keeps it
// in memory for the next asker: writing one for every window cost disk
// and time for pages mostly never opened.
func (srv *Server) handleReportPage(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	page, err := srv.reportPage(id)
	if err != nil {
		jsonapi.WriteError(w, jsonapi.StatusOf(err), "%v", err)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Write(page)
}

func (srv *Server) reportPage(id string) ([]byte, error) {
	if !report.ValidRunID(id) {
		return nil, jsonapi.Errorf(http.StatusBadRequest, "invalid run id %q", id)
	}
	path, _, _ := srv.runs.Report(id)
	info, err := os.Stat(path)
	if path != "" && err == nil {
		if page, ok := srv.pages.Get(id, info.Size(), info.ModTime()); ok {
			return page, nil
		}
	}
	rep, err := srv.loadReport(id)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := render.Report(&buf, rep); err != nil {
		return nil, fmt.Errorf("render report: %w", err)
	}
	if info != nil {
		srv.pages.Put(id, info.Size(), info.ModTime(), buf.Bytes())
	}
	return buf.Bytes(), nil
}

func (srv *Server) handleCompare(w http.ResponseWriter, r *http.Request) {
	reports, err := srv.loadReports(runsParam(r))
	if err != nil {
		jsonapi.WriteError(w, jsonapi.StatusOf(err), "%v", err)
		return
	}
	jsonapi.Write(w, http.StatusOK, compare.Reports(reports))
}

func (srv *Server) handleComparePage(w http.ResponseWriter, r *http.Request) {
	reports, err := srv.loadReports(runsParam(r))
	if err != nil {
		jsonapi.WriteError(w, jsonapi.StatusOf(err), "%v", err)
		return
	}
	var buf bytes.Buffer
	if err := render.Comparison(&buf, compare.Reports(reports)); err != nil {
		jsonapi.WriteError(w, http.StatusInternalServerError, "render comparison: %v", err)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Write(buf.Bytes())
}
