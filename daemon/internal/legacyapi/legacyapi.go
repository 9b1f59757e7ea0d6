// Package legacyapi is the old tool's HTTP API, kept for people moving
// from it: register a test with its JSON body, start it, poll its status,
// list tests, and ask a group of runs for a recommendation, all in the old
// routes and words. It runs its tests as the daemon's windows.
package legacyapi

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"sort"
	"time"

	"github.com/inferno-llm/inferno/config"
	"github.com/inferno-llm/inferno/daemon/internal/jsonapi"
	"github.com/inferno-llm/inferno/recommend"
	"github.com/inferno-llm/inferno/report"
)

// Daemon is what the old API needs of the daemon.
type Daemon interface {
	// Config is the config in force.
	Config() *config.Config
	// TryStartRun starts a window as run id, or refuses when too many
	// runs wait for a slot.
	TryStartRun(id string, t *config.Target, w *config.Workload, trigger string) error
	// Run is run id's status (the runs API's: pending, running, or its
	// report's) and error; ok is false when there is no such run.
	Run(id string) (status, errText string, ok bool)
	// Runs lists every run, in this process and archived.
	Runs(ctx context.Context) ([]Started, error)
}

// Started is a run as the test list shows it.
type Started struct {
	ID      string
	Created time.Time
}

// Recommender ranks the runs of a group (reports.Server).
type Recommender interface {
	Recommend(group string, o recommend.Objective) (recommend.Recommendation, []*report.Report, error)
}

// API serves the old routes.
type API struct {
	d     Daemon
	rec   Recommender
	tests *registry
}

// New is the old API of d, its recommendations from rec.
func New(d Daemon, rec Recommender) *API { return &API{d: d, rec: rec, tests: newRegistry()} }

func (a *API) exists(id string) bool {
	_, _, ok := a.d.Run(id)
	return ok
}

// Routes adds the old routes to mux; the old report route,
// /tests/report/json/{id}, is the runs API's and is the daemon's.
func (a *API) Routes(mux *http.ServeMux) {
	mux.HandleFunc("POST /register_test", a.handleRegister(false))
	mux.HandleFunc("POST /tests/register", a.handleRegister(false))
	mux.HandleFunc("POST /tests/register_and_start", a.handleRegister(true))
	mux.HandleFunc("GET /start_test/{id}", a.handleStart)
	mux.HandleFunc("GET /tests/start/{id}", a.handleStart)
	mux.HandleFunc("GET /tests/status/{id}", a.handleStatus)
	mux.HandleFunc("GET /tests/error_info/{id}", a.handleErrorInfo)
	mux.HandleFunc("GET /tests/id_list", a.handleIDList)
	mux.HandleFunc("POST /recommend", a.handleRecommend(false))
	mux.HandleFunc("POST /detailed_recommend", a.handleRecommend(true))
}

func (a *API) handleRegister(start bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var body testConfig
		cfg := a.d.Config()
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, int64(cfg.Limits.MaxBodyBytes))).Decode(&body); err != nil {
			jsonapi.WriteError(w, http.StatusBadRequest, "request body: %v", jsonapi.BodyError(err))
			return
		}
		id := body.TestID
		if id == "" {
			id = report.NewRunID(time.Now())
		} else if !report.ValidRunID(id) {
			jsonapi.WriteError(w, http.StatusBadRequest, "test_id %q: use letters, digits, '.', '_' and '-'", id)
			return
		}
		if len(body.Nickname) > maxNickname {
			// Refused before anything is kept: a 1 MB nickname was kept even
			// when the answer was 429.
			jsonapi.WriteError(w, http.StatusBadRequest, "nickname: %d bytes, over the limit of %d", len(body.Nickname), maxNickname)
			return
		}
		t, wl, err := body.toWindow(id, cfg)
		if err != nil {
			jsonapi.WriteError(w, http.StatusBadRequest, "%v", err)
			return
		}
		test := &registeredTest{id: id, nickname: body.Nickname, created: time.Now(), target: t, workload: wl}
		// One claim per id under one lock: concurrent registrations of a
		// test_id start it once, and the rest are told it exists.
		if err := a.tests.claim(test, a.exists, cfg.Limits, !start); err != nil {
			status := http.StatusConflict
			if errors.Is(err, errTooManyTests) {
				status = http.StatusTooManyRequests
			}
			jsonapi.WriteError(w, status, "%v", err)
			return
		}
		defer a.tests.release(id)
		if start {
			if err := a.d.TryStartRun(test.id, test.target, test.workload, "legacy-api"); err != nil {
				a.tests.forget(id)
				jsonapi.WriteError(w, http.StatusTooManyRequests, "%v", err)
				return
			}
		}
		jsonapi.Write(w, http.StatusOK, id)
	}
}

func (a *API) handleStart(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	// take removes it: of two concurrent starts, one gets the test.
	test := a.tests.take(id)
	if test != nil {
		defer a.tests.release(id)
	} else {
		if a.exists(id) {
			jsonapi.WriteError(w, http.StatusConflict, "test %s has already been started", id)
			return
		}
		jsonapi.WriteError(w, http.StatusNotFound, "no test %q", id)
		return
	}
	if err := a.d.TryStartRun(test.id, test.target, test.workload, "legacy-api"); err != nil {
		a.tests.byIDPut(test) // still registered; it may be started later
		jsonapi.WriteError(w, http.StatusTooManyRequests, "%v", err)
		return
	}
	jsonapi.Write(w, http.StatusOK, "OK")
}

// oldStatus maps a run's status onto the old tool's words.
func oldStatus(status string) string {
	switch status {
	case "pending", "running":
		return status
	case report.StatusFinished:
		return "finish"
	default:
		return "error"
	}
}

func (a *API) handleStatus(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if a.tests.get(id) != nil {
		jsonapi.Write(w, http.StatusOK, "init")
		return
	}
	status, _, ok := a.d.Run(id)
	if !ok {
		jsonapi.WriteError(w, http.StatusNotFound, "no test %q", id)
		return
	}
	jsonapi.Write(w, http.StatusOK, oldStatus(status))
}

func (a *API) handleErrorInfo(w http.ResponseWriter, r *http.Request) {
	_, errText, ok := a.d.Run(r.PathValue("id"))
	if !ok {
		jsonapi.WriteError(w, http.StatusNotFound, "no test %q", r.PathValue("id"))
		return
	}
	jsonapi.Write(w, http.StatusOK, errText)
}

// handleIDList answers [[id, nickname, "YYYY-mm-dd HH:MM:SS"], ...],
// newest first, registered tests included.
func (a *API) handleIDList(w http.ResponseWriter, r *http.Request) {
	type row struct {
		id, nickname string
		created      time.Time
	}
	var rows []row
	for _, t := range a.tests.list() {
		rows = append(rows, row{t.id, t.nickname, t.created})
	}
	runs, err := a.d.Runs(r.Context())
	if err != nil {
		jsonapi.WriteError(w, http.StatusInternalServerError, "%v", err)
		return
	}
	for _, run := range runs {
		rows = append(rows, row{run.ID, a.tests.nickname(run.ID), run.Created})
	}
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].created.After(rows[j].created) })
	out := make([][3]string, 0, len(rows))
	for _, r := range rows {
		out = append(out, [3]string{r.id, r.nickname, r.created.Local().Format("2006-01-02 15:04:05")})
	}
	jsonapi.Write(w, http.StatusOK, out)
}

// handleRecommend answers the old /recommend (run ids) and
// /detailed_recommend (whole reports) with the old keys.
func (a *API) handleRecommend(detailed bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			GroupID           string              `json:"group_id"`
			PerformanceMetric recommend.Objective `json:"performance_metric"`
		}
		err := jsonapi.Decode(w, r, &body)
		var rec recommend.Recommendation
		var reports []*report.Report
		if err == nil {
			rec, reports, err = a.rec.Recommend(body.GroupID, body.PerformanceMetric)
		}
		if err != nil {
			jsonapi.WriteError(w, jsonapi.StatusOf(err), "%v", err)
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
		jsonapi.Write(w, http.StatusOK, map[string]any{
			"most_recommended":     pick(rec.MostRecommended),
			"performance_priority": pick(rec.BestPerformance),
			"resource_efficient":   pick(rec.ResourceEfficient),
			"cost_efficient":       pick(rec.CostEfficient),
		})
	}
}
