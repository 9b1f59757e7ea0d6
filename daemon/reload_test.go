package daemon

import (
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/inferno-llm/inferno/config"
)

// TestReloadOneAtATime: a reload asked for while another is reading is
// queued, not lost, and runs when that one ends, so the file's newest
// content is the one in force; a reload past its budget fails and frees
// the next.
func TestReloadOneAtATime(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "inferno.yml")
	write := func(windows int) {
		cfg := "global: {report_dir: " + dir + ", max_concurrent_windows: " + string(rune('0'+windows)) + "}\n"
		if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(2)
	d, err := New(path, slog.New(slog.NewTextHandler(io.Discard, nil)), prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	// A gate, when set, holds the next read after it is done: the read
	// is slow to come back. entered says a read has reached it.
	var gate atomic.Pointer[chan struct{}]
	entered := make(chan struct{}, 8)
	d.loadConfig = func(p string) (*config.Config, error) {
		cfg, err := config.LoadFile(p)
		if g := gate.Swap(nil); g != nil {
			entered <- struct{}{}
			<-*g
		}
		return cfg, err
	}
	release := make(chan struct{})
	gate.Store(&release)
	write(3)
	first := make(chan error, 1)
	go func() { first <- d.Reload() }()
	<-entered
	write(6) // the operator edits again and asks again
	if err := d.Reload(); !errors.Is(err, ErrReloadQueued) {
		t.Fatalf("a reload during another: %v, want it queued", err)
	}
	close(release)
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(time.Minute) // a guard against a hang, not a verdict
	for d.Config().Global.MaxConcurrentWindows != 6 {
		if time.Now().After(deadline) {
			t.Fatalf("max_concurrent_windows %d: the queued reload never applied the newest file", d.Config().Global.MaxConcurrentWindows)
		}
		time.Sleep(10 * time.Millisecond)
	}

	// A read that outlasts the budget fails the reload; when it comes
	// back, the next reload runs as usual.
	defer func(b time.Duration) { ReloadBudget = b }(ReloadBudget)
	ReloadBudget = time.Nanosecond
	stuck := make(chan struct{})
	gate.Store(&stuck)
	if err := d.Reload(); err == nil || errors.Is(err, ErrReloadQueued) {
		t.Fatalf("a reload past its budget: %v", err)
	}
	<-entered
	ReloadBudget = time.Minute
	close(stuck)
	for {
		err := d.Reload()
		if err == nil {
			break
		}
		if !errors.Is(err, ErrReloadQueued) || time.Now().After(deadline) {
			t.Fatalf("the reload after one past its budget: %v", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
