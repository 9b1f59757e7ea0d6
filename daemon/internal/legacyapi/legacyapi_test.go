package legacyapi

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/inferno-llm/inferno/config"
)

// fakeDaemon has no runs and starts nothing.
type fakeDaemon struct{ cfg *config.Config }

func (f fakeDaemon) Config() *config.Config { return f.cfg }
func (fakeDaemon) TryStartRun(string, *config.Target, *config.Workload, string) error {
	return nil
}
func (fakeDaemon) Run(string) (string, string, bool)       { return "", "", false }
func (fakeDaemon) Runs(context.Context) ([]Started, error) { return nil, nil }

// A nickname over the cap is refused before anything is kept: a 1 MB
// nickname was kept even when the answer was 429.
func TestRefusedNicknameNotKept(t *testing.T) {
	a := New(fakeDaemon{config.DefaultConfig()}, nil)
	mux := http.NewServeMux()
	a.Routes(mux)
	body := `{"url":"http://127.0.0.1:1/v1","model":"m","dataset_name":"synthesizer","nickname":"` + strings.Repeat("n", maxNickname+1) + `"}`
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest("POST", "/tests/register_and_start", strings.NewReader(body)))
	if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), "nickname") {
		t.Errorf("answered %d %.200s, want 400 naming the nickname", rec.Code, rec.Body)
	}
	a.tests.mu.Lock()
	defer a.tests.mu.Unlock()
	if len(a.tests.names) != 0 || len(a.tests.byID) != 0 {
		t.Errorf("%d nicknames and %d tests kept after a refusal", len(a.tests.names), len(a.tests.byID))
	}
}
