package reliability

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/inferno-llm/inferno/report"
	"github.com/inferno-llm/inferno/simulator"
)

// TestKill9DuringWindow kills the daemon mid-window, with windows
// finishing around it (reports and index entries being written), without
// a chance to clean up. On restart the archive is consistent (every file
// parses, no temporary files), the interrupted run is listed as aborted,
// and once the index is in step it lists exactly the reports on disk,
// each with its file's status: the files win, also over the states a
// kill leaves between a file and its entry.
func TestKill9DuringWindow(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the binary")
	}
	sim := newSim(t, simulator.Config{TTFT: 50 * time.Millisecond, ITL: 5 * time.Millisecond})
	dir := t.TempDir()
	reports := filepath.Join(dir, "reports")
	cfg := writeConfig(t, dir, fmt.Sprintf(`global: {report_dir: %s}
targets: [{name: sim, url: '%s/v1', model: sim}]
workloads:
  - {name: long, dataset: {kind: synthetic, input_tokens: 8, output_tokens: 32}, arrival: {kind: concurrency, concurrency: 1}, requests: 500}
  - {name: short, dataset: {kind: synthetic, input_tokens: 8, output_tokens: 4}, arrival: {kind: concurrency, concurrency: 1}, requests: 2}
schedules: []
`, reports, sim.URL))
	addr := freePort(t)
	p := startBinary(t, "--config.file", cfg, "--web.listen-address", addr)
	base := "http://" + addr
	waitFor(t, 20*time.Second, "the daemon", func() bool {
		resp, err := http.Get(base + "/-/ready")
		if err == nil {
			resp.Body.Close()
		}
		return err == nil && resp.StatusCode == 200
	})
	// One finished run, then one that is killed halfway.
	finished := startRun(t, base, "short")
	waitFor(t, 20*time.Second, "the short run", func() bool { return runStatus(t, base, finished) == report.StatusFinished })
	doomed := startRun(t, base, "short")
	waitFor(t, 20*time.Second, "the second short run", func() bool { return runStatus(t, base, doomed) == report.StatusFinished })
	killed := startRun(t, base, "long")
	waitFor(t, 20*time.Second, "the long run to be running", func() bool { return runStatus(t, base, killed) == "running" })
	// Short windows start and end while the kill comes: some are killed
	// before, some after, some between their report and its entry.
	for range 12 {
		do(t, "POST", base+"/api/v1/runs", "application/json", strings.NewReader(`{"target":"sim","workload":"short"}`))
	}
	time.Sleep(300 * time.Millisecond)
	p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.exited
	// A write cut short leaves a temporary file; plant one as it would be.
	os.WriteFile(filepath.Join(reports, ".report_x.json.tmp-123"), []byte(`{"Total_request_n`), 0o644)
	// Killed between retention's deletion of a report and of its entry:
	// the entry is left without a file.
	os.Remove(filepath.Join(reports, report.FileName(doomed)))
	// Killed between a report's write and its entry's: a file the index
	// has never seen.
	unindexed := report.Report{Run: report.Meta{ID: "20260101T000000.000Z-0000aa", Status: report.StatusFinished,
		Target: report.Target{Name: "sim"}, Workload: "short", StartedAt: time.Now(), EndedAt: time.Now()}}
	if _, err := report.Write(reports, &unindexed); err != nil {
		t.Fatal(err)
	}

	startBinary(t, "--config.file", cfg, "--web.listen-address", addr)
	waitFor(t, 20*time.Second, "the restarted daemon", func() bool { return runStatus(t, base, killed) != "" })
	code, body := do(t, "GET", base+"/api/v1/runs/"+killed, "", nil)
	var view struct{ Status, Error string }
	json.Unmarshal([]byte(body), &view)
	if code != 200 || view.Status != report.StatusAborted || !strings.Contains(view.Error, "interrupted") {
		t.Errorf("killed run after restart: %d %s", code, body)
	}
	if s := runStatus(t, base, finished); s != report.StatusFinished {
		t.Errorf("the run finished before the kill is now %q", s)
	}
	byID := map[string]*report.Report{}
	for _, r := range archive(t, reports) {
		byID[r.Run.ID] = r
	}
	if r := byID[killed]; r == nil || r.Run.Status != report.StatusAborted {
		t.Errorf("the killed run's report: %+v", r)
	}
	if r := byID[finished]; r == nil || r.Summary.Requests != 2 {
		t.Errorf("the finished run's report: %+v", r)
	}
	waitFor(t, 20*time.Second, "the archive index to be in step", func() bool {
		_, page := do(t, "GET", base+"/", "", nil)
		return !strings.Contains(page, "being brought in step")
	})
	// Windows accepted before the kill may still run in the new process:
	// compare once they have all ended.
	var listed map[string]string
	waitFor(t, 60*time.Second, "the windows to end", func() bool {
		code, body := do(t, "GET", base+"/api/v1/runs?limit=1000", "", nil)
		var views []struct{ ID, Status string }
		if code != 200 || json.Unmarshal([]byte(body), &views) != nil {
			t.Fatalf("runs list: %d %s", code, body)
		}
		listed = map[string]string{}
		for _, v := range views {
			if v.Status == "running" || v.Status == "pending" {
				return false
			}
			listed[v.ID] = v.Status
		}
		return true
	})
	onDisk := map[string]string{}
	for _, r := range archive(t, reports) {
		onDisk[r.Run.ID] = r.Run.Status
	}
	for id, status := range onDisk {
		if listed[id] != status {
			t.Errorf("run %s: listed %q, its report says %q", id, listed[id], status)
		}
	}
	for id := range listed {
		if _, ok := onDisk[id]; !ok {
			t.Errorf("run %s is listed but has no report", id)
		}
	}
	if _, ok := listed[doomed]; ok {
		t.Errorf("run %s is listed though its report was deleted", doomed)
	}
	if listed[unindexed.Run.ID] != report.StatusFinished {
		t.Errorf("the report written before its entry is not listed")
	}
	if _, err := os.Stat(filepath.Join(reports, "index.sqlite")); err != nil {
		t.Errorf("no index file beside the reports: %v", err)
	}
}

func startRun(t *testing.T, base, workload string) string {
	t.Helper()
	code, body := do(t, "POST", base+"/api/v1/runs", "application/json", strings.NewReader(fmt.Sprintf(`{"target":"sim","workload":%q}`, workload)))
	var v struct{ ID string }
	if code != http.StatusAccepted || json.Unmarshal([]byte(body), &v) != nil {
		t.Fatalf("start run: %d %s", code, body)
	}
	return v.ID
}

func runStatus(t *testing.T, base, id string) string {
	t.Helper()
	resp, err := http.Get(base + "/api/v1/runs/" + id)
	if err != nil {
		return ""
	}
	defer resp.Body.Close()
	var v struct{ Status string }
	json.NewDecoder(resp.Body).Decode(&v)
	return v.Status
}

// TestWebConfigTLSAndBasicAuth serves the daemon through exporter-toolkit's
// web config: TLS and basic auth on every route, /probe included.
func TestWebConfigTLSAndBasicAuth(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the binary")
	}
	dir := t.TempDir()
	certPEM, keyPEM := selfSigned(t)
	os.WriteFile(filepath.Join(dir, "tls.crt"), certPEM, 0o600)
	os.WriteFile(filepath.Join(dir, "tls.key"), keyPEM, 0o600)
	hash, _ := bcrypt.GenerateFromPassword([]byte("s3cret"), bcrypt.MinCost)
	webCfg := filepath.Join(dir, "web.yml")
	os.WriteFile(webCfg, []byte(fmt.Sprintf(`tls_server_config: {cert_file: %s, key_file: %s}
basic_auth_users: {prometheus: %q}
`, filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key"), hash)), 0o600)
	cfg := writeConfig(t, dir, fmt.Sprintf("global: {report_dir: %s}\ntargets: []\nworkloads: []\nschedules: []\n", filepath.Join(dir, "reports")))
	addr := freePort(t)
	startBinary(t, "--config.file", cfg, "--web.listen-address", addr, "--web.config.file", webCfg)

	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(certPEM)
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}, Timeout: 5 * time.Second}
	defer client.CloseIdleConnections()
	get := func(url, user, pass string) (int, error) {
		req, _ := http.NewRequest("GET", url, nil)
		if user != "" {
			req.SetBasicAuth(user, pass)
		}
		resp, err := client.Do(req)
		if err != nil {
			return 0, err
		}
		resp.Body.Close()
		return resp.StatusCode, nil
	}
	waitFor(t, 20*time.Second, "the TLS listener", func() bool {
		code, err := get("https://"+addr+"/-/healthy", "prometheus", "s3cret")
		return err == nil && code == 200
	})
	for _, c := range []struct {
		path, user, pass string
		want             int
	}{
		{"/metrics", "prometheus", "s3cret", 200},
		{"/metrics", "", "", 401},
		{"/metrics", "prometheus", "wrong", 401},
		{"/probe?module=x&target=y", "", "", 401},
		{"/api/v1/runs", "intruder", "s3cret", 401},
	} {
		if code, err := get("https://"+addr+c.path, c.user, c.pass); err != nil || code != c.want {
			t.Errorf("GET %s as %q: %d %v, want %d", c.path, c.user, code, err, c.want)
		}
	}
	// Plain HTTP on the TLS port gets no metrics.
	if resp, err := http.Get("http://" + addr + "/metrics"); err == nil {
		resp.Body.Close()
		if resp.StatusCode == 200 {
			t.Error("plain HTTP served /metrics")
		}
	}
}

func selfSigned(t *testing.T) (certPEM, keyPEM []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, _ := x509.MarshalECPrivateKey(key)
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb})
}
