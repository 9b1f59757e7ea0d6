package reliability

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/inferno-llm/inferno/report"
	"github.com/inferno-llm/inferno/simulator"
)

// mountTmpfs mounts a small tmpfs at dir, or skips the test where this
// machine does not allow it (mounting needs root with CAP_SYS_ADMIN).
func mountTmpfs(t *testing.T, dir string, size string) {
	t.Helper()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size, "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs here (%v: %s); the full and read-only disk cases need one", err, bytes.TrimSpace(out))
	}
	t.Cleanup(func() { exec.Command("umount", dir).Run() })
}

// remount remounts dir; read-only is refused while a file on it is open
// for writing, as a report is for a moment in each window, so it retries.
func remount(t *testing.T, dir, mode string) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		out, err := exec.Command("mount", "-o", "remount,"+mode, dir).CombinedOutput()
		if err == nil {
			return
		}
		if !bytes.Contains(out, []byte("busy")) || time.Now().After(deadline) {
			t.Fatalf("remount %s: %v: %s", mode, err, out)
		}
	}
}

// fill writes a file until the disk is full.
func fill(t *testing.T, path string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	chunk := bytes.Repeat([]byte("f"), 4096)
	for {
		if _, err := f.Write(chunk); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatalf("filling the disk: %v", err)
			}
			return
		}
	}
}

func counter(t *testing.T, reg *prometheus.Registry, name string, labels map[string]string) float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	total := 0.0
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
	metrics:
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if v, ok := labels[l.GetName()]; ok && v != l.GetValue() {
					continue metrics
				}
			}
			switch {
			case m.GetCounter() != nil:
				total += m.GetCounter().GetValue()
			case m.GetHistogram() != nil:
				total += float64(m.GetHistogram().GetSampleCount())
			case m.GetGauge() != nil:
				total += m.GetGauge().GetValue()
			}
		}
	}
	return total
}

// TestFullAndReadOnlyDisk runs scheduled windows while the report
// directory fills up, then becomes read-only: each window's figures still
// reach /metrics, the write-error counter rises, nothing crashes, no
// report is ever half-written, and writing resumes when space returns.
func TestFullAndReadOnlyDisk(t *testing.T) {
	if testing.Short() {
		t.Skip("runs windows for about 15 seconds")
	}
	dir := t.TempDir()
	reports := filepath.Join(dir, "reports")
	os.MkdirAll(reports, 0o755)
	mountTmpfs(t, reports, "1m")
	sim := newSim(t, simulator.Config{TTFT: 2 * time.Millisecond, ITL: time.Millisecond})
	// The index lives off the small disk: a remount read-only is refused
	// while a file on it is open for writing, as the index always is.
	cfg := writeConfig(t, dir, fmt.Sprintf(`global: {report_dir: %s, report_index: %s}
targets: [{name: sim, url: '%s/v1', model: sim}]
workloads: [{name: w, dataset: {kind: synthetic, input_tokens: 4, output_tokens: 4}, arrival: {kind: concurrency, concurrency: 2}, requests: 4}]
schedules: [{name: every-second, cron: '* * * * * *', targets: [sim], workload: w}]
`, reports, filepath.Join(dir, "index.sqlite"), sim.URL))
	d := startDaemon(t, cfg)
	reg := d.registry
	windows := func() float64 {
		return counter(t, reg, "inferno_windows_total", map[string]string{"result": "success"})
	}
	writeErrors := func() float64 { return counter(t, reg, "inferno_report_write_errors_total", nil) }
	finished := func() int {
		n := 0
		for _, r := range liveArchive(t, reports) {
			if r.Run.Status == report.StatusFinished {
				n++
			}
		}
		return n
	}
	waitFor(t, 10*time.Second, "a first report", func() bool { return finished() > 0 })

	phases := []struct {
		name           string
		break_, repair func()
	}{
		{"disk full", func() { fill(t, filepath.Join(reports, "filler")) }, func() { os.Remove(filepath.Join(reports, "filler")) }},
		{"read-only", func() { remount(t, reports, "ro") }, func() { remount(t, reports, "rw") }},
	}
	for _, p := range phases {
		p.break_()
		w0, e0, ttft0 := windows(), writeErrors(), counter(t, reg, "inferno_time_to_first_token_seconds", nil)
		// Three, so that two whole windows came after ttft0: one counted
		// below may have observed its requests before it.
		waitFor(t, 10*time.Second, p.name+": three more windows", func() bool { return windows() >= w0+3 })
		if e := writeErrors(); e <= e0 {
			t.Errorf("%s: report_write_errors_total stayed at %v", p.name, e)
		}
		if ttft := counter(t, reg, "inferno_time_to_first_token_seconds", nil); ttft < ttft0+8 {
			t.Errorf("%s: the TTFT histogram gained %v observations over two windows of 4 requests", p.name, ttft-ttft0)
		}
		if code, _ := do(t, "GET", d.server.URL+"/-/healthy", "", nil); code != 200 {
			t.Errorf("%s: /-/healthy answered %d", p.name, code)
		}
		liveArchive(t, reports) // every file parses
		before := finished()
		p.repair()
		waitFor(t, 10*time.Second, p.name+": a report written again", func() bool { return finished() > before })
	}
	d.stop(t)
	archive(t, reports) // and no failed write left its temporary file
}

// TestIndexOnFullDisk: the reports and their index share a disk that
// fills up. Windows still run and reach /metrics, the runs list still
// answers, the logs say what was not written; once space returns the
// index catches up, and a restart finds it in step with the files.
func TestIndexOnFullDisk(t *testing.T) {
	if testing.Short() {
		t.Skip("runs windows for about 10 seconds")
	}
	dir := t.TempDir()
	reports := filepath.Join(dir, "reports")
	os.MkdirAll(reports, 0o755)
	mountTmpfs(t, reports, "2m")
	sim := newSim(t, simulator.Config{TTFT: 2 * time.Millisecond, ITL: time.Millisecond})
	cfg := writeConfig(t, dir, fmt.Sprintf(`global: {report_dir: %s}
targets: [{name: sim, url: '%s/v1', model: sim}]
workloads: [{name: w, dataset: {kind: synthetic, input_tokens: 4, output_tokens: 4}, arrival: {kind: concurrency, concurrency: 2}, requests: 4}]
schedules: [{name: every-second, cron: '* * * * * *', targets: [sim], workload: w}]
`, reports, sim.URL))
	d := startDaemon(t, cfg)
	windows := func() float64 {
		return counter(t, d.registry, "inferno_windows_total", map[string]string{"result": "success"})
	}
	listed := func(base string) map[string]string {
		code, body := do(t, "GET", base+"/api/v1/runs?limit=1000", "", nil)
		var views []struct{ ID, Status string }
		if code != 200 || json.Unmarshal([]byte(body), &views) != nil {
			t.Fatalf("runs list: %d %.300s", code, body)
		}
		out := map[string]string{}
		for _, v := range views {
			out[v.ID] = v.Status
		}
		return out
	}
	waitFor(t, 10*time.Second, "a first window", func() bool { return windows() > 0 })
	fill(t, filepath.Join(reports, "filler"))
	w0 := windows()
	// The log line follows the window's count: wait for both.
	waitFor(t, 10*time.Second, "two windows on the full disk, and a log line of what it cost", func() bool {
		logs := d.logs.String()
		return windows() >= w0+2 && (strings.Contains(logs, "report not written") || strings.Contains(logs, "not indexed"))
	})
	listed(d.server.URL) // answers 200 on a full disk
	before := listed(d.server.URL)
	os.Remove(filepath.Join(reports, "filler"))
	waitFor(t, 10*time.Second, "a window archived again", func() bool {
		for id, status := range listed(d.server.URL) {
			if _, seen := before[id]; !seen && status == report.StatusFinished {
				if _, err := os.Stat(filepath.Join(reports, report.FileName(id))); err == nil {
					return true
				}
			}
		}
		return false
	})
	d.stop(t)

	onDisk := map[string]string{}
	for _, r := range archive(t, reports) {
		onDisk[r.Run.ID] = r.Run.Status
	}
	again := startDaemon(t, cfg)
	waitFor(t, 20*time.Second, "the index in step", func() bool {
		_, page := do(t, "GET", again.server.URL+"/", "", nil)
		return !strings.Contains(page, "being brought in step")
	})
	now := listed(again.server.URL)
	for id, status := range onDisk {
		if status == report.StatusRunning {
			status = report.StatusAborted // a placeholder of the stopped daemon
		}
		if now[id] != status {
			t.Errorf("run %s: listed %q after the restart, its report says %q", id, now[id], status)
		}
	}
	for id, status := range now {
		if _, ok := onDisk[id]; !ok && status != "running" && status != "pending" {
			if _, err := os.Stat(filepath.Join(reports, report.FileName(id))); err != nil {
				t.Errorf("run %s is listed without a report", id)
			}
		}
	}
}
