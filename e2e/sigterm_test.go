package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/inferno-llm/inferno/report"
)

// silentServer accepts TCP connections and never answers on them: an
// endpoint that hangs every request forever. It counts what it accepted.
type silentServer struct {
	ln    net.Listener
	mu    sync.Mutex
	conns []net.Conn
}

func newSilentServer(t *testing.T) *silentServer {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &silentServer{ln: ln}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.mu.Lock()
			s.conns = append(s.conns, c)
			s.mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		s.mu.Lock()
		for _, c := range s.conns {
			c.Close()
		}
		s.mu.Unlock()
	})
	return s
}

func (s *silentServer) accepted() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}

// TestDaemonUnderHostileLoad runs the binary: a window of 1e9 concurrency
// is refused, a window of 10,000 requests in flight against a server that
// never answers ends within 15 s of SIGTERM with its report aborted, and
// a daemon that cannot bind its address exits 1 before any window.
func TestDaemonUnderHostileLoad(t *testing.T) {
	dir, bin := buildBinary(t)
	silent := newSilentServer(t)
	const inFlight = 10000
	writeConfig := func(reports string) string {
		cfg := fmt.Sprintf(`global: {report_dir: %s, run_on_start: true}
targets:
  - {name: silent, url: "http://%s/v1", model: m}
workloads:
  - name: flood
    dataset: {kind: synthetic, input_tokens: 8, output_tokens: 4}
    arrival: {kind: concurrency, concurrency: %d}
    duration: 1h
    request_timeout: 1h
schedules:
  - {name: yearly, cron: "0 0 1 1 *", targets: [silent], workload: flood}
`, reports, silent.ln.Addr(), inFlight)
		path := filepath.Join(dir, "inferno.yml")
		os.WriteFile(path, []byte(cfg), 0o644)
		return path
	}

	t.Run("unbindable address", func(t *testing.T) {
		busy, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer busy.Close()
		reports := filepath.Join(dir, "reports-unbound")
		cmd := exec.Command(bin, "--config.file", writeConfig(reports), "--web.listen-address", busy.Addr().String())
		out, err := cmd.CombinedOutput()
		if cmd.ProcessState == nil || cmd.ProcessState.ExitCode() != 1 {
			t.Fatalf("exit %v, want 1\n%s", err, out)
		}
		if !strings.Contains(string(out), "cannot listen") {
			t.Errorf("no word about the address:\n%s", out)
		}
		if files, _ := filepath.Glob(filepath.Join(reports, "report_*")); len(files) > 0 {
			t.Errorf("windows ran before the bind failed: %v", files)
		}
	})

	t.Run("SIGTERM with 10,000 requests in flight", func(t *testing.T) {
		reports := filepath.Join(dir, "reports")
		cfgPath := writeConfig(reports)
		// run_on_start is for the case above; here the API starts the window.
		os.WriteFile(cfgPath, []byte(strings.Replace(mustRead(t, cfgPath), "run_on_start: true", "run_on_start: false", 1)), 0o644)
		webAddr := freePort(t)
		daemon := startProcess(t, bin, "--config.file", cfgPath, "--web.listen-address", webAddr, "--log.level", "warn")
		base := "http://" + webAddr
		waitUntil(t, time.Minute, "the daemon", func() bool { return fetch(base+"/-/ready") != "" })

		refused := post(t, base+"/api/v1/runs", `{"target":"silent","workload":{"dataset":{"kind":"synthetic","input_tokens":8,"output_tokens":4},"arrival":{"kind":"concurrency","concurrency":1000000000},"duration":"1h"}}`)
		if refused.code != 400 || !strings.Contains(refused.body, "limits.max_concurrency") {
			t.Errorf("a window of 1e9 concurrency: %d %s", refused.code, refused.body)
		}
		accepted := post(t, base+"/api/v1/runs", `{"target":"silent","workload":"flood"}`)
		if accepted.code != 202 {
			t.Fatalf("flood: %d %s", accepted.code, accepted.body)
		}
		var run struct{ ID string }
		json.Unmarshal([]byte(accepted.body), &run)
		waitUntil(t, 2*time.Minute, "10,000 requests in flight", func() bool {
			var v struct {
				Progress struct {
					InFlight int `json:"in_flight"`
				}
			}
			json.Unmarshal([]byte(fetch(base+"/api/v1/runs/"+run.ID)), &v)
			return v.Progress.InFlight == inFlight && silent.accepted() >= inFlight
		})
		if fetch(base+"/-/healthy") == "" {
			t.Error("/-/healthy does not answer under the flood")
		}

		took := daemon.terminate(t, 30*time.Second) // the daemon's 15 s shutdown grace and a margin
		t.Logf("exited %v after SIGTERM", took.Round(time.Millisecond))
		rep, err := report.Read(filepath.Join(reports, report.FileName(run.ID)))
		if err != nil {
			t.Fatal(err)
		}
		if rep.Run.Status != report.StatusAborted || rep.Summary.Requests < inFlight {
			t.Errorf("report after SIGTERM: status %s, %d requests; want aborted with at least %d", rep.Run.Status, rep.Summary.Requests, inFlight)
		}
	})
}

type answer struct {
	code int
	body string
}

func post(t *testing.T, url, body string) answer {
	t.Helper()
	resp, err := httpPost(url, body)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

func mustRead(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func httpPost(url, body string) (answer, error) {
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		return answer{}, err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return answer{resp.StatusCode, string(b)}, nil
}
