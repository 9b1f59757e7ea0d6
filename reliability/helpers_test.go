package reliability

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/inferno-llm/inferno/daemon"
	"github.com/inferno-llm/inferno/internal/testutil"
	"github.com/inferno-llm/inferno/report"
	"github.com/inferno-llm/inferno/simulator"
)

type lockedBuffer = testutil.LockedBuffer

// testDaemon is an in-process daemon with its HTTP server.
type testDaemon struct {
	*daemon.Daemon
	registry *prometheus.Registry
	server   *httptest.Server
	logs     *lockedBuffer
}

func writeConfig(t *testing.T, dir, cfg string) string {
	t.Helper()
	path := filepath.Join(dir, "inferno.yml")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func startDaemon(t *testing.T, configPath string) *testDaemon {
	t.Helper()
	logs := &lockedBuffer{}
	reg := prometheus.NewRegistry()
	d, err := daemon.New(configPath, slog.New(slog.NewTextHandler(logs, nil)), reg)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Start(); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(d.Handler())
	td := &testDaemon{Daemon: d, registry: reg, server: srv, logs: logs}
	t.Cleanup(func() { td.stop(t) })
	return td
}

// stop shuts the daemon down (idempotent).
func (td *testDaemon) stop(t *testing.T) {
	td.server.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := td.Shutdown(ctx); err != nil {
		t.Errorf("shutdown: %v", err)
	}
}

func newSim(t *testing.T, cfg simulator.Config) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(simulator.New(cfg))
	t.Cleanup(srv.Close)
	return srv
}

func do(t *testing.T, method, url, contentType string, body io.Reader) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func waitFor(t *testing.T, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(limit); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out after %v waiting for %s", limit, what)
}

// archive reads every report in dir, failing on any file that does not
// parse or any temporary file left behind: the archive is consistent.
// Only once the daemon has stopped: a running one writes through them.
func archive(t *testing.T, dir string) []*report.Report {
	t.Helper()
	return readArchive(t, dir, true)
}

// liveArchive is archive while the daemon runs: a temporary file may be a
// write in progress.
func liveArchive(t *testing.T, dir string) []*report.Report {
	t.Helper()
	return readArchive(t, dir, false)
}

func readArchive(t *testing.T, dir string, stopped bool) []*report.Report {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []*report.Report
	for _, e := range entries {
		name := e.Name()
		switch {
		case strings.HasPrefix(name, "."):
			if stopped {
				t.Errorf("temporary file left in the archive: %s", name)
			}
		case strings.HasPrefix(name, "report_") && strings.HasSuffix(name, ".json"):
			r, err := report.Read(filepath.Join(dir, name))
			if err != nil {
				t.Errorf("%s: %v", name, err)
				continue
			}
			out = append(out, r)
		}
	}
	return out
}

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// inferno builds the binary once per test run.
func inferno(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "inferno-bin-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "inferno")
		if out, err := exec.Command("go", "build", "-o", binPath, "..").CombinedOutput(); err != nil {
			buildErr = err
			t.Logf("%s", out)
		}
	})
	if buildErr != nil {
		t.Fatalf("build: %v", buildErr)
	}
	return binPath
}

func freePort(t *testing.T) string { return testutil.FreePort(t) }

// process is the binary, started by a test.
type process struct {
	cmd    *exec.Cmd
	logs   *lockedBuffer
	exited chan struct{}
}

func startBinary(t *testing.T, args ...string) *process {
	t.Helper()
	p := &process{cmd: exec.Command(inferno(t), args...), logs: &lockedBuffer{}, exited: make(chan struct{})}
	p.cmd.Stdout, p.cmd.Stderr = p.logs, p.logs
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.cmd.Wait(); close(p.exited) }()
	t.Cleanup(func() {
		p.cmd.Process.Kill()
		<-p.exited
		if t.Failed() {
			t.Logf("inferno output:\n%s", p.logs.String())
		}
	})
	return p
}
