package reports

import (
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
	"github.com/inferno-llm/inferno/daemon/internal/jsonapi"
	"github.com/inferno-llm/inferno/report"
)

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
		return jsonapi.Errorf(http.StatusInsufficientStorage, "groups not saved: %w", err)
	}
	return nil
}

func (srv *Server) checkRuns(ids []string) error {
	for _, id := range ids {
		if !report.ValidRunID(id) {
			return jsonapi.Errorf(http.StatusBadRequest, "invalid run id %q", id)
		}
		if _, _, ok := srv.runs.Report(id); !ok {
			return jsonapi.Errorf(http.StatusNotFound, "no run %q", id)
		}
	}
	return nil
}

func (srv *Server) handleListGroups(w http.ResponseWriter, r *http.Request) {
	jsonapi.Write(w, http.StatusOK, srv.groups.list())
}

func (srv *Server) handleCreateGroup(w http.ResponseWriter, r *http.Request) {
	var body Group
	err := jsonapi.Decode(w, r, &body)
	if err == nil && !report.ValidRunID(body.Name) {
		err = jsonapi.Errorf(http.StatusBadRequest, "invalid group name %q: letters, digits, '.', '_' and '-'", body.Name)
	}
	if err == nil {
		err = srv.checkRuns(body.Runs)
	}
	if err == nil {
		err = srv.groups.update(func(m map[string][]string) error {
			if _, exists := m[body.Name]; exists {
				return jsonapi.Errorf(http.StatusConflict, "group %q exists", body.Name)
			}
			if len(m) >= maxGroups {
				return jsonapi.Errorf(http.StatusTooManyRequests, "%d groups already, the most this daemon keeps; delete some", len(m))
			}
			if len(body.Runs) > maxGroupRuns {
				return jsonapi.Errorf(http.StatusBadRequest, "%d runs, over the limit of %d in one group", len(body.Runs), maxGroupRuns)
			}
			m[body.Name] = dedupe(body.Runs)
			return nil
		})
	}
	if err != nil {
		jsonapi.WriteError(w, jsonapi.StatusOf(err), "%v", err)
		return
	}
	g, _ := srv.groups.get(body.Name)
	jsonapi.Write(w, http.StatusCreated, g)
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

func (srv *Server) lookupGroup(w http.ResponseWriter, r *http.Request) (Group, bool) {
	g, ok := srv.groups.get(r.PathValue("name"))
	if !ok {
		jsonapi.WriteError(w, http.StatusNotFound, "no group %q", r.PathValue("name"))
	}
	return g, ok
}

func (srv *Server) handleGetGroup(w http.ResponseWriter, r *http.Request) {
	if g, ok := srv.lookupGroup(w, r); ok {
		jsonapi.Write(w, http.StatusOK, g)
	}
}

func (srv *Server) handleDeleteGroup(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	err := srv.groups.update(func(m map[string][]string) error {
		if _, ok := m[name]; !ok {
			return jsonapi.Errorf(http.StatusNotFound, "no group %q", name)
		}
		delete(m, name)
		return nil
	})
	if err != nil {
		jsonapi.WriteError(w, jsonapi.StatusOf(err), "%v", err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (srv *Server) handleAddToGroup(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Runs []string `json:"runs"`
	}
	err := jsonapi.Decode(w, r, &body)
	if err == nil {
		err = srv.checkRuns(body.Runs)
	}
	if err != nil {
		jsonapi.WriteError(w, jsonapi.StatusOf(err), "%v", err)
		return
	}
	srv.changeGroup(w, r.PathValue("name"), func(runs []string) ([]string, error) {
		return dedupe(append(runs, body.Runs...)), nil
	})
}

func (srv *Server) handleRemoveFromGroup(w http.ResponseWriter, r *http.Request) {
	name, id := r.PathValue("name"), r.PathValue("id")
	srv.changeGroup(w, name, func(runs []string) ([]string, error) {
		i := slices.Index(runs, id)
		if i < 0 {
			return nil, jsonapi.Errorf(http.StatusNotFound, "run %q is not in group %q", id, name)
		}
		return slices.Delete(runs, i, i+1), nil
	})
}

// changeGroup applies change to an existing group's runs, saves, and
// answers with the group or the error.
func (srv *Server) changeGroup(w http.ResponseWriter, name string, change func([]string) ([]string, error)) {
	err := srv.groups.update(func(m map[string][]string) error {
		runs, ok := m[name]
		if !ok {
			return jsonapi.Errorf(http.StatusNotFound, "no group %q", name)
		}
		runs, err := change(runs)
		if err == nil && len(runs) > maxGroupRuns {
			err = jsonapi.Errorf(http.StatusBadRequest, "%d runs, over the limit of %d in one group", len(runs), maxGroupRuns)
		}
		if err == nil {
			m[name] = runs
		}
		return err
	})
	if err != nil {
		jsonapi.WriteError(w, jsonapi.StatusOf(err), "%v", err)
		return
	}
	g, _ := srv.groups.get(name)
	jsonapi.Write(w, http.StatusOK, g)
}

func (srv *Server) handleGroupResults(w http.ResponseWriter, r *http.Request) {
	g, ok := srv.lookupGroup(w, r)
	if !ok {
		return
	}
	reports, err := srv.loadReports(g.Runs)
	if err != nil {
		jsonapi.WriteError(w, jsonapi.StatusOf(err), "group %s: %v", g.Name, err)
		return
	}
	jsonapi.Write(w, http.StatusOK, compare.Reports(reports))
}
