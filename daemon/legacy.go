package daemon

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"sort"
	"sync"
	"time"

	promconfig "github.com/prometheus/common/config"

	"github.com/inferno-llm/inferno/config"
	"github.com/inferno-llm/inferno/dataset"
	"github.com/inferno-llm/inferno/prober"
	"github.com/inferno-llm/inferno/report"
)

// The old tool's HTTP API, kept for people moving from it: register a test
// with its JSON body, start it, poll its status and read its report.

// legacyBody is the old tool's TestConfig.
type legacyBody struct {
	URL           string         `json:"url"`
	Model         string         `json:"model"`
	DatasetName   string         `json:"dataset_name"`
	EndpointType  string         `json:"endpoint_type"`
	Key           string         `json:"key"`
	RandomSeed    *uint64        `json:"random_seed"`
	MaxRunTime    *float64       `json:"max_run_time"`
	Legacy        bool           `json:"legacy"`
	WorkloadRange []int          `json:"workload_range"`
	TestID        string         `json:"test_id"`
	DatasetConfig legacyDataset  `json:"dataset_config"`
	Kwargs        map[string]any `json:"kwargs"`
	Nickname      string         `json:"nickname"`
}

type legacyDataset struct {
	Func             string   `json:"func"`
	PromptSource     string   `json:"prompt_source"`
	RandomSeed       *uint64  `json:"random_seed"`
	Temperature      *float64 `json:"temperature"`
	TopP             *float64 `json:"top_p"`
	MaxTokens        *int     `json:"max_tokens"`
	CompressionRatio *float64 `json:"compression_ratio"`
}

// legacyTest is a registered test: a run that may not have started yet.
type legacyTest struct {
	id       string
	nickname string
	created  time.Time
	target   *config.Target
	workload *config.Workload
}

type legacyTests struct {
	mu    sync.Mutex
	byID  map[string]*legacyTest
	names map[string]string // nicknames of started and archived tests too
	// claimed holds ids between their registration (or start) and their
	// run's entry in the run registry, which then refuses a second one.
	claimed map[string]bool
}

func newLegacyTests() *legacyTests {
	return &legacyTests{byID: map[string]*legacyTest{}, names: map[string]string{}, claimed: map[string]bool{}}
}

var errTooManyTests = errors.New("too many registered tests waiting to be started (limits.max_registered_tests); start or let some expire")

// claim registers a test unless its id is taken (by a test or a run);
// keep holds it as registered-but-unstarted, within the limits: expired
// tests are dropped first, and a full registry refuses it.
func (l *legacyTests) claim(t *legacyTest, run func(string) *Run, lim config.Limits, keep bool) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.claimed[t.id] || l.byID[t.id] != nil || run(t.id) != nil {
		return fmt.Errorf("test %s already exists", t.id)
	}
	if keep {
		for id, old := range l.byID {
			if time.Since(old.created) > lim.RegisteredTestExpiry.D() {
				delete(l.byID, id)
			}
		}
		if len(l.byID) >= lim.MaxRegisteredTests {
			return errTooManyTests
		}
		l.byID[t.id] = t
	}
	l.claimed[t.id] = true
	if t.nickname != "" {
		if len(l.names) >= maxLegacyNames {
			for id := range l.names { // any one: the oldest are as good as gone
				delete(l.names, id)
				break
			}
		}
		l.names[t.id] = t.nickname
	}
	return nil
}

// forget drops the nickname of a test that was refused after its claim.
func (l *legacyTests) forget(id string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.names, id)
}

// Caps on what the old API keeps: a nickname's length, and how many
// nicknames (one per test ever registered, archived ones included).
const (
	maxNickname    = 256
	maxLegacyNames = 10000
)

// take removes and returns a registered test, nil if there is none or it
// expired.
func (l *legacyTests) take(id string) *legacyTest {
	l.mu.Lock()
	defer l.mu.Unlock()
	t := l.byID[id]
	delete(l.byID, id)
	if t != nil {
		l.claimed[id] = true
	}
	return t
}

func (l *legacyTests) release(id string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.claimed, id)
}

func (l *legacyTests) byIDPut(t *legacyTest) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.byID[t.id] = t
}

// legacyDefaults are the old tool's: 600 s runs, 512 tokens.
const (
	legacyMaxRunTime   = 600 * time.Second
	legacyMaxTokens    = 512
	legacyPromptTokens = 128 // synthetic stand-in for the hub datasets
)

// ResolveLegacyBody is the old tool's door: its register body, resolved
// as the register routes resolve it (id names the target).
func ResolveLegacyBody(cfg *config.Config, id string, body []byte) (*config.Target, *config.Workload, error) {
	var b legacyBody
	if err := json.Unmarshal(body, &b); err != nil {
		return nil, nil, bodyError(err)
	}
	return b.toWindow(id, cfg)
}

// toWindow maps the old body onto a target and workload.
func (b *legacyBody) toWindow(id string, cfg *config.Config) (*config.Target, *config.Workload, error) {
	if b.URL == "" || b.Model == "" {
		return nil, nil, fmt.Errorf("url and model are required")
	}
	endpoint := b.EndpointType
	if endpoint == "" {
		endpoint = "openai"
	}
	api, err := prober.LegacyAPI(endpoint, b.Legacy)
	if err != nil {
		return nil, nil, fmt.Errorf("endpoint_type: %w", err)
	}
	t := config.NewTarget()
	t.Name, t.URL, t.API, t.Model = "legacy-"+id, b.URL, api.Name(), b.Model
	if b.Key != "" && b.Key != "EMPTY" {
		t.HTTP.Authorization = &promconfig.Authorization{Type: "Bearer", Credentials: promconfig.Secret(b.Key)}
	}
	if b.DatasetName != "synthesizer" {
		return nil, nil, fmt.Errorf("dataset_name %q: this API runs only synthesizer, since its body cannot name a data file; replay %s through POST /api/v1/runs with a workload that names the file or the hub repository (README: Workloads)", b.DatasetName, b.DatasetName)
	}
	seed := uint64(0)
	for _, s := range []*uint64{b.RandomSeed, b.DatasetConfig.RandomSeed} {
		if s != nil {
			seed = *s
		}
	}
	runTime := legacyMaxRunTime
	if b.MaxRunTime != nil && *b.MaxRunTime > 0 {
		// Compared in seconds first: a huge float overflows a Duration.
		if limit := cfg.Limits.MaxDuration.D(); *b.MaxRunTime > limit.Seconds() {
			return nil, nil, fmt.Errorf("max_run_time: %v s is over the limit of %v (limits.max_duration)", *b.MaxRunTime, cfg.Limits.MaxDuration)
		}
		runTime = time.Duration(*b.MaxRunTime * float64(time.Second))
	}
	w := &config.Workload{
		Name:     "legacy-synthesizer",
		Dataset:  config.Dataset{Kind: "synthetic"},
		Arrival:  dataset.ArrivalSpec{Kind: "synthesizer", Func: b.DatasetConfig.Func},
		Deadline: config.Duration(runTime),
		Duration: config.Duration(runTime),
		Seed:     seed,
	}
	w.Dataset.InputTokens = legacyPromptTokens
	w.Dataset.OutputTokens = legacyMaxTokens
	extra := map[string]any{}
	for k, v := range b.Kwargs {
		switch k {
		case "hf_auth_key": // a tokenizer credential; never sent to the endpoint
		case "request_timeout":
			if f, ok := v.(float64); ok && f > 0 {
				if f > cfg.Limits.MaxDuration.D().Seconds() {
					return nil, nil, fmt.Errorf("kwargs.request_timeout: %v s is over the limit of %v (limits.max_duration)", f, cfg.Limits.MaxDuration)
				}
				w.RequestTimeout = config.Duration(time.Duration(f * float64(time.Second)))
			}
		case "max_tokens":
			if f, ok := v.(float64); ok && f > 0 {
				w.Dataset.OutputTokens = int(min(f, float64(math.MaxInt32)))
			}
		case "temperature":
			if f, ok := v.(float64); ok {
				w.Params.Temperature = &f
			}
		case "top_p":
			if f, ok := v.(float64); ok {
				w.Params.TopP = &f
			}
		default:
			extra[k] = v
		}
	}
	dc := b.DatasetConfig
	if dc.Temperature != nil {
		w.Params.Temperature = dc.Temperature
	}
	if dc.TopP != nil {
		w.Params.TopP = dc.TopP
	}
	if dc.MaxTokens != nil && *dc.MaxTokens > 0 {
		w.Dataset.OutputTokens = *dc.MaxTokens
	}
	if len(extra) > 0 {
		w.Params.ExtraBody = extra
	}
	// Resolved as an API body's definitions are, under the config's limits.
	return cfg.Resolve(cfg.OldAPIDoor(), config.Input{Target: t, Workload: w})
}

func (d *Daemon) legacyRoutes(mux *http.ServeMux) {
	mux.HandleFunc("POST /register_test", d.handleLegacyRegister(false))
	mux.HandleFunc("POST /tests/register", d.handleLegacyRegister(false))
	mux.HandleFunc("POST /tests/register_and_start", d.handleLegacyRegister(true))
	mux.HandleFunc("GET /start_test/{id}", d.handleLegacyStart)
	mux.HandleFunc("GET /tests/start/{id}", d.handleLegacyStart)
	mux.HandleFunc("GET /tests/status/{id}", d.handleLegacyStatus)
	mux.HandleFunc("GET /tests/error_info/{id}", d.handleLegacyErrorInfo)
	mux.HandleFunc("GET /tests/report/json/{id}", d.handleRunReport)
	mux.HandleFunc("GET /tests/id_list", d.handleLegacyIDList)
}

func (d *Daemon) handleLegacyRegister(start bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var body legacyBody
		cfg := d.Config()
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, int64(cfg.Limits.MaxBodyBytes))).Decode(&body); err != nil {
			writeError(w, http.StatusBadRequest, "request body: %v", bodyError(err))
			return
		}
		id := body.TestID
		if id == "" {
			id = report.NewRunID(time.Now())
		} else if !report.ValidRunID(id) {
			writeError(w, http.StatusBadRequest, "test_id %q: use letters, digits, '.', '_' and '-'", id)
			return
		}
		if len(body.Nickname) > maxNickname {
			// Refused before anything is kept: a 1 MB nickname was kept even
			// when the answer was 429.
			writeError(w, http.StatusBadRequest, "nickname: %d bytes, over the limit of %d", len(body.Nickname), maxNickname)
			return
		}
		t, wl, err := body.toWindow(id, cfg)
		if err != nil {
			writeError(w, http.StatusBadRequest, "%v", err)
			return
		}
		test := &legacyTest{id: id, nickname: body.Nickname, created: time.Now(), target: t, workload: wl}
		// One claim per id under one lock: concurrent registrations of a
		// test_id start it once, and the rest are told it exists.
		if err := d.legacy.claim(test, d.run, cfg.Limits, !start); err != nil {
			status := http.StatusConflict
			if errors.Is(err, errTooManyTests) {
				status = http.StatusTooManyRequests
			}
			writeError(w, status, "%v", err)
			return
		}
		defer d.legacy.release(id)
		if start {
			if _, err := d.TryStartRun(test.id, test.target, test.workload, "legacy-api"); err != nil {
				d.legacy.forget(id)
				writeError(w, http.StatusTooManyRequests, "%v", err)
				return
			}
		}
		writeJSON(w, http.StatusOK, id)
	}
}

func (d *Daemon) handleLegacyStart(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	// take removes it: of two concurrent starts, one gets the test.
	test := d.legacy.take(id)
	if test != nil {
		defer d.legacy.release(id)
	} else {
		if d.run(id) != nil {
			writeError(w, http.StatusConflict, "test %s has already been started", id)
			return
		}
		writeError(w, http.StatusNotFound, "no test %q", id)
		return
	}
	if _, err := d.TryStartRun(test.id, test.target, test.workload, "legacy-api"); err != nil {
		d.legacy.byIDPut(test) // still registered; it may be started later
		writeError(w, http.StatusTooManyRequests, "%v", err)
		return
	}
	writeJSON(w, http.StatusOK, "OK")
}

// legacyStatus maps a run's status onto the old tool's words.
func legacyStatus(status string) string {
	switch status {
	case StatusPending:
		return "pending"
	case StatusRunning:
		return "running"
	case report.StatusFinished:
		return "finish"
	default:
		return "error"
	}
}

func (d *Daemon) handleLegacyStatus(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if d.legacy.get(id) != nil {
		writeJSON(w, http.StatusOK, "init")
		return
	}
	run := d.run(id)
	if run == nil {
		writeError(w, http.StatusNotFound, "no test %q", id)
		return
	}
	writeJSON(w, http.StatusOK, legacyStatus(run.View().Status))
}

func (d *Daemon) handleLegacyErrorInfo(w http.ResponseWriter, r *http.Request) {
	run := d.run(r.PathValue("id"))
	if run == nil {
		writeError(w, http.StatusNotFound, "no test %q", r.PathValue("id"))
		return
	}
	writeJSON(w, http.StatusOK, run.View().Error)
}

// handleLegacyIDList answers [[id, nickname, "YYYY-mm-dd HH:MM:SS"], ...],
// newest first, registered tests included.
func (d *Daemon) handleLegacyIDList(w http.ResponseWriter, r *http.Request) {
	type row struct {
		id, nickname string
		created      time.Time
	}
	var rows []row
	for _, t := range d.legacy.list() {
		rows = append(rows, row{t.id, t.nickname, t.created})
	}
	seen := map[string]bool{}
	for _, run := range d.runs.list() {
		v := run.View()
		seen[v.ID] = true
		rows = append(rows, row{v.ID, d.legacy.nickname(v.ID), v.Created})
	}
	if d.index != nil {
		briefs, err := d.index.Briefs(r.Context(), -1)
		if err != nil {
			writeError(w, http.StatusInternalServerError, "%v", err)
			return
		}
		for _, b := range briefs {
			if !seen[b.ID] {
				rows = append(rows, row{b.ID, d.legacy.nickname(b.ID), b.StartedAt})
			}
		}
	}
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].created.After(rows[j].created) })
	out := make([][3]string, 0, len(rows))
	for _, r := range rows {
		out = append(out, [3]string{r.id, r.nickname, r.created.Local().Format("2006-01-02 15:04:05")})
	}
	writeJSON(w, http.StatusOK, out)
}

func (l *legacyTests) get(id string) *legacyTest {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.byID[id]
}

func (l *legacyTests) nickname(id string) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.names[id]
}

func (l *legacyTests) list() []*legacyTest {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]*legacyTest, 0, len(l.byID))
	for _, t := range l.byID {
		out = append(out, t)
	}
	return out
}
