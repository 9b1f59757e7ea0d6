package daemon

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/inferno-llm/inferno/compare"
	"github.com/inferno-llm/inferno/recommend"
	"github.com/inferno-llm/inferno/render"
	"github.com/inferno-llm/inferno/report"
)

func (d *Daemon) compareRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /reports/{id}", d.handleReportPage)
	mux.HandleFunc("GET /compare", d.handleComparePage)
	mux.HandleFunc("GET /api/v1/compare", d.handleCompare)
	mux.HandleFunc("GET /api/v1/groups", d.handleListGroups)
	mux.HandleFunc("POST /api/v1/groups", d.handleCreateGroup)
	mux.HandleFunc("GET /api/v1/groups/{name}", d.handleGetGroup)
	mux.HandleFunc("DELETE /api/v1/groups/{name}", d.handleDeleteGroup)
	mux.HandleFunc("POST /api/v1/groups/{name}/runs", d.handleAddToGroup)
	mux.HandleFunc("DELETE /api/v1/groups/{name}/runs/{id}", d.handleRemoveFromGroup)
	mux.HandleFunc("GET /api/v1/groups/{name}/results", d.handleGroupResults)
	mux.HandleFunc("POST /api/v1/groups/{name}/recommend", d.handleRecommend)
	// The old tool's routes and body.
	mux.HandleFunc("POST /recommend", d.handleLegacyRecommend(false))
	mux.HandleFunc("POST /detailed_recommend", d.handleLegacyRecommend(true))
}

// errStatus carries the HTTP status an error should answer with.
type errStatus struct {
	status int
	err    error
}

func (e errStatus) Error() string { return e.err.Error() }

func statusOf(err error) int {
	var es errStatus
	if errors.As(err, &es) {
		return es.status
	}
	return http.StatusInternalServerError
}

// loadReport reads a finished run's archived report.
func (d *Daemon) loadReport(id string) (*report.Report, error) {
	if !report.ValidRunID(id) {
		return nil, errStatus{http.StatusBadRequest, fmt.Errorf("invalid run id %q", id)}
	}
	run := d.run(id)
	if run == nil {
		return nil, errStatus{http.StatusNotFound, fmt.Errorf("no run %q", id)}
	}
	path := run.ReportPath()
	if path == "" {
		return nil, errStatus{http.StatusConflict, fmt.Errorf("run %s has no report yet (status %s)", id, run.View().Status)}
	}
	rep, err := report.Read(path)
	if err != nil {
		return nil, errStatus{http.StatusGone, fmt.Errorf("report of run %s cannot be read: %v", id, err)}
	}
	return rep, nil
}

func (d *Daemon) loadReports(ids []string) ([]*report.Report, error) {
	if len(ids) == 0 {
		return nil, errStatus{http.StatusBadRequest, errors.New("no runs given: ?runs=id1,id2,…")}
	}
	if len(ids) > maxCompareRuns {
		return nil, errStatus{http.StatusBadRequest, fmt.Errorf("%d runs: at most %d compare at once", len(ids), maxCompareRuns)}
	}
	var out []*report.Report
	for _, id := range ids {
		rep, err := d.loadReport(strings.TrimSpace(id))
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
func (d *Daemon) handleReportPage(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	page, err := d.reportPage(id)
	if err != nil {
		writeError(w, statusOf(err), "%v", err)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Write(page)
}

func (d *Daemon) reportPage(id string) ([]byte, error) {
	if !report.ValidRunID(id) {
		return nil, errStatus{http.StatusBadRequest, fmt.Errorf("invalid run id %q", id)}
	}
	var path string
	if run := d.run(id); run != nil {
		path = run.ReportPath()
	}
	info, err := os.Stat(path)
	if path != "" && err == nil {
		if page, ok := d.pages.Get(id, info.Size(), info.ModTime()); ok {
			return page, nil
		}
	}
	rep, err := d.loadReport(id)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := render.Report(&buf, rep); err != nil {
		return nil, fmt.Errorf("render report: %w", err)
	}
	if info != nil {
		d.pages.Put(id, info.Size(), info.ModTime(), buf.Bytes())
	}
	return buf.Bytes(), nil
}

func (d *Daemon) handleCompare(w http.ResponseWriter, r *http.Request) {
	reports, err := d.loadReports(runsParam(r))
	if err != nil {
		writeError(w, statusOf(err), "%v", err)
		return
	}
	writeJSON(w, http.StatusOK, compare.Reports(reports))
}

func (d *Daemon) handleComparePage(w http.ResponseWriter, r *http.Request) {
	reports, err := d.loadReports(runsParam(r))
	if err != nil {
		writeError(w, statusOf(err), "%v", err)
		return
	}
	var buf bytes.Buffer
	if err := render.Comparison(&buf, compare.Reports(reports)); err != nil {
		writeError(w, http.StatusInternalServerError, "render comparison: %v", err)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Write(buf.Bytes())
}

// groups are named sets of runs, as the old tool had them, persisted as
// groups.json in the report directory.
type groups struct {
	mu sync.Mutex
	// path is groups.json; by name → run ids, in the order added.
	path   string
	byName map[string][]string
}

// Group is one named set of runs.
type Group struct {
	Name string   `json:"name"`
	Runs []string `json:"runs"`
}

const groupsFile = "groups.json"

func loadGroups(dir string) (*groups, error) {
	g := &groups{path: filepath.Join(dir, groupsFile), byName: map[string][]string{}}
	b, err := os.ReadFile(g.path)
	if errors.Is(err, os.ErrNotExist) {
		return g, nil
	}
	if err != nil {
		return g, err
	}
	if err := json.Unmarshal(b, &g.byName); err != nil {
		return g, fmt.Errorf("%s: %w (starting with no groups; the file is left as it is until a group changes)", g.path, err)
	}
	return g, nil
}

// save writes the groups atomically. g.mu held.
func (g *groups) save() error {
	b, err := json.MarshalIndent(g.byName, "", "  ")
	if err != nil {
		return err
	}
	return report.WriteFileAtomic(g.path, append(b, '\n'))
}

func (g *groups) list() []Group {
	g.mu.Lock()
	defer g.mu.Unlock()
	out := []Group{}
	for name, runs := range g.byName {
		out = append(out, Group{Name: name, Runs: slices.Clone(runs)})
	}
	slices.SortFunc(out, func(a, b Group) int { return strings.Compare(a.Name, b.Name) })
	return out
}

func (g *groups) get(name string) (Group, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	runs, ok := g.byName[name]
	return Group{Name: name, Runs: slices.Clone(runs)}, ok
}

// update changes one group under the lock and saves; a failed save
// undoes the change, so memory and disk agree.
func (g *groups) update(change func(map[string][]string) error) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	before := map[string][]string{}
	for k, v := range g.byName {
		before[k] = slices.Clone(v)
	}
	if err := change(g.byName); err != nil {
		return err
	}
	if err := g.save(); err != nil {
		g.byName = before
		return errStatus{http.StatusInsufficientStorage, fmt.Errorf("groups not saved: %w", err)}
	}
	return nil
}

func (d *Daemon) checkRuns(ids []string) error {
	for _, id := range ids {
		if !report.ValidRunID(id) {
			return errStatus{http.StatusBadRequest, fmt.Errorf("invalid run id %q", id)}
		}
		if d.run(id) == nil {
			return errStatus{http.StatusNotFound, fmt.Errorf("no run %q", id)}
		}
	}
	return nil
}

func decodeBody(w http.ResponseWriter, r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return errStatus{http.StatusBadRequest, fmt.Errorf("request body: %v", bodyError(err))}
	}
	return nil
}

func (d *Daemon) handleListGroups(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, d.groups.list())
}

func (d *Daemon) handleCreateGroup(w http.ResponseWriter, r *http.Request) {
	var body Group
	err := decodeBody(w, r, &body)
	if err == nil && !report.ValidRunID(body.Name) {
		err = errStatus{http.StatusBadRequest, fmt.Errorf("invalid group name %q: letters, digits, '.', '_' and '-'", body.Name)}
	}
	if err == nil {
		err = d.checkRuns(body.Runs)
	}
	if err == nil {
		err = d.groups.update(func(m map[string][]string) error {
			if _, exists := m[body.Name]; exists {
				return errStatus{http.StatusConflict, fmt.Errorf("group %q exists", body.Name)}
			}
			if len(m) >= maxGroups {
				return errStatus{http.StatusTooManyRequests, fmt.Errorf("%d groups already, the most this daemon keeps; delete some", len(m))}
			}
			if len(body.Runs) > maxGroupRuns {
				return errStatus{http.StatusBadRequest, fmt.Errorf("%d runs, over the limit of %d in one group", len(body.Runs), maxGroupRuns)}
			}
			m[body.Name] = dedupe(body.Runs)
			return nil
		})
	}
	if err != nil {
		writeError(w, statusOf(err), "%v", err)
		return
	}
	g, _ := d.groups.get(body.Name)
	writeJSON(w, http.StatusCreated, g)
}

func dedupe(ids []string) []string {
	out := []string{}
	seen := make(map[string]bool, len(ids))
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

func (d *Daemon) lookupGroup(w http.ResponseWriter, r *http.Request) (Group, bool) {
	g, ok := d.groups.get(r.PathValue("name"))
	if !ok {
		writeError(w, http.StatusNotFound, "no group %q", r.PathValue("name"))
	}
	return g, ok
}

func (d *Daemon) handleGetGroup(w http.ResponseWriter, r *http.Request) {
	if g, ok := d.lookupGroup(w, r); ok {
		writeJSON(w, http.StatusOK, g)
	}
}

func (d *Daemon) handleDeleteGroup(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	err := d.groups.update(func(m map[string][]string) error {
		if _, ok := m[name]; !ok {
			return errStatus{http.StatusNotFound, fmt.Errorf("no group %q", name)}
		}
		delete(m, name)
		return nil
	})
	if err != nil {
		writeError(w, statusOf(err), "%v", err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (d *Daemon) handleAddToGroup(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Runs []string `json:"runs"`
	}
	err := decodeBody(w, r, &body)
	if err == nil {
		err = d.checkRuns(body.Runs)
	}
	if err != nil {
		writeError(w, statusOf(err), "%v", err)
		return
	}
	d.changeGroup(w, r.PathValue("name"), func(runs []string) ([]string, error) {
		return dedupe(append(runs, body.Runs...)), nil
	})
}

func (d *Daemon) handleRemoveFromGroup(w http.ResponseWriter, r *http.Request) {
	name, id := r.PathValue("name"), r.PathValue("id")
	d.changeGroup(w, name, func(runs []string) ([]string, error) {
		i := slices.Index(runs, id)
		if i < 0 {
			return nil, errStatus{http.StatusNotFound, fmt.Errorf("run %q is not in group %q", id, name)}
		}
		return slices.Delete(runs, i, i+1), nil
	})
}

// changeGroup applies change to an existing group's runs, saves, and
// answers with the group or the error.
func (d *Daemon) changeGroup(w http.ResponseWriter, name string, change func([]string) ([]string, error)) {
	err := d.groups.update(func(m map[string][]string) error {
		runs, ok := m[name]
		if !ok {
			return errStatus{http.StatusNotFound, fmt.Errorf("no group %q", name)}
		}
		runs, err := change(runs)
		if err == nil && len(runs) > maxGroupRuns {
			err = errStatus{http.StatusBadRequest, fmt.Errorf("%d runs, over the limit of %d in one group", len(runs), maxGroupRuns)}
		}
		if err == nil {
			m[name] = runs
		}
		return err
	})
	if err != nil {
		writeError(w, statusOf(err), "%v", err)
		return
	}
	g, _ := d.groups.get(name)
	writeJSON(w, http.StatusOK, g)
}

func (d *Daemon) handleGroupResults(w http.ResponseWriter, r *http.Request) {
	g, ok := d.lookupGroup(w, r)
	if !ok {
		return
	}
	reports, err := d.loadReports(g.Runs)
	if err != nil {
		writeError(w, statusOf(err), "group %s: %v", g.Name, err)
		return
	}
	writeJSON(w, http.StatusOK, compare.Reports(reports))
}

func (d *Daemon) recommendGroup(name string, o recommend.Objective) (recommend.Recommendation, []*report.Report, error) {
	g, ok := d.groups.get(name)
	if !ok {
		return recommend.Recommendation{}, nil, errStatus{http.StatusNotFound, fmt.Errorf("no group %q", name)}
	}
	if err := o.Validate(); err != nil {
		return recommend.Recommendation{}, nil, errStatus{http.StatusBadRequest, err}
	}
	reports, err := d.loadReports(g.Runs)
	if err != nil {
		return recommend.Recommendation{}, nil, err
	}
	rec, err := recommend.Rank(reports, o)
	if err != nil {
		return rec, nil, errStatus{http.StatusBadRequest, err}
	}
	return rec, reports, nil
}

func (d *Daemon) handleRecommend(w http.ResponseWriter, r *http.Request) {
	var o recommend.Objective
	err := decodeBody(w, r, &o)
	var rec recommend.Recommendation
	if err == nil {
		rec, _, err = d.recommendGroup(r.PathValue("name"), o)
	}
	if err != nil {
		writeError(w, statusOf(err), "%v", err)
		return
	}
	writeJSON(w, http.StatusOK, rec)
}

// handleLegacyRecommend answers the old /recommend (run ids) and
// /detailed_recommend (whole reports) with the old keys.
func (d *Daemon) handleLegacyRecommend(detailed bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			GroupID           string              `json:"group_id"`
			PerformanceMetric recommend.Objective `json:"performance_metric"`
		}
		err := decodeBody(w, r, &body)
		var rec recommend.Recommendation
		var reports []*report.Report
		if err == nil {
			rec, reports, err = d.recommendGroup(body.GroupID, body.PerformanceMetric)
		}
		if err != nil {
			writeError(w, statusOf(err), "%v", err)
			return
		}
		byID := map[string]*report.Report{}
		for _, rep := range reports {
			byID[rep.Run.ID] = rep
		}
		pick := func(ranked []recommend.Run) any {
			if detailed {
				return byID[ranked[0].ID]
			}
			return ranked[0].ID
		}
		writeJSON(w, http.StatusOK, map[string]any{
			"most_recommended":     pick(rec.MostRecommended),
			"performance_priority": pick(rec.BestPerformance),
			"resource_efficient":   pick(rec.ResourceEfficient),
			"cost_efficient":       pick(rec.CostEfficient),
		})
	}
}
