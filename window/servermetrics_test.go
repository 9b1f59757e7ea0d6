package window

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	promconfig "github.com/prometheus/common/config"

	"github.com/inferno-llm/inferno/config"
)

// TestServerMetrics: auto is the target URL's origin + /metrics (no
// path, query or user info of the target's), a URL is taken as given,
// none means no watcher, and the target's credentials never go to it.
func TestServerMetrics(t *testing.T) {
	var mu sync.Mutex
	var seen []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.URL.String()+" auth="+r.Header.Get("Authorization"))
		mu.Unlock()
		io.WriteString(w, "# TYPE vllm:num_requests_waiting gauge\nvllm:num_requests_waiting 1\n")
	}))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	client := promconfig.DefaultHTTPClientConfig
	client.Authorization = &promconfig.Authorization{Type: "Bearer", Credentials: "target-secret"}
	for _, tc := range []struct {
		name, url, metrics, want string
	}{
		{"auto", "http://user:pw@" + host + "/v1?api-version=2", config.ServerMetricsAuto, "/metrics auth="},
		{"url", "http://" + host + "/v1", srv.URL + "/engine/metrics?x=1", "/engine/metrics?x=1 auth="},
		{"none", "http://" + host + "/v1", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			target := &config.Target{Name: "t", URL: tc.url, Model: "m", HTTP: client}
			if tc.metrics != "" {
				target.ServerMetrics = &config.ServerMetrics{URL: tc.metrics}
			}
			w, err := ServerMetrics(target)
			if err != nil {
				t.Fatal(err)
			}
			if tc.want == "" {
				if w != nil {
					t.Error("a watcher without server_metrics")
				}
				return
			}
			mu.Lock()
			seen = nil
			mu.Unlock()
			w.Start()
			s := w.Stop()
			mu.Lock()
			defer mu.Unlock()
			if len(seen) == 0 || seen[len(seen)-1] != tc.want || s.Waiting == nil {
				t.Errorf("scraped %q (summary %+v), want %q", seen, s, tc.want)
			}
		})
	}
}
