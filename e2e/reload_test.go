//go:build unix

package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestReloadOfAFIFO: a config file replaced by a FIFO (or a device) would
// block a reload that opened it for good; it is refused at once as not a
// regular file, the daemon keeps its config and serving, and SIGTERM ends
// it within its shutdown budget. (Reloads run off the signal loop within a
// budget besides: daemon's TestReloadOneAtATime.)
func TestReloadOfAFIFO(t *testing.T) {
	dir, bin := buildBinary(t)
	cfgPath := filepath.Join(dir, "inferno.yml")
	os.WriteFile(cfgPath, []byte("global: {report_dir: "+filepath.Join(dir, "reports")+"}\n"), 0o644)
	webAddr := freePort(t)
	daemon := startProcess(t, bin, "--config.file", cfgPath, "--web.listen-address", webAddr)
	base := "http://" + webAddr
	waitUntil(t, time.Minute, "the daemon to serve", func() bool { return fetch(base+"/-/healthy") != "" })

	fifo := filepath.Join(dir, "fifo.yml")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skipf("no FIFO here: %v", err)
	}
	if err := os.Rename(fifo, cfgPath); err != nil {
		t.Fatal(err)
	}
	daemon.cmd.Process.Signal(syscall.SIGHUP)
	// The gauge is set before the line is logged, and the line comes
	// through a pipe: wait for both.
	waitUntil(t, time.Minute, "the reload to fail and the log to say why (not a regular file)", func() bool {
		return strings.Contains(fetch(base+"/metrics"), "inferno_config_last_reload_successful 0") &&
			strings.Contains(daemon.logs.String(), "not a regular file")
	})
	if fetch(base+"/-/healthy") == "" {
		t.Error("the daemon stopped serving after the failed reload")
	}
	daemon.terminate(t, 25*time.Second) // the daemon's 15 s shutdown grace and a margin
}
