//go:build unix

package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestSIGTERMDuringReload: a reload of a config file that would block (a
// FIFO nobody writes) once stuck on its read, and reloads run off the
// signal loop so SIGTERM still ended the daemon. Config files are now
// opened without blocking and must be regular files: the reload fails at
// once (the old config stays), the daemon keeps serving, and SIGTERM still
// ends it within its shutdown budget.
func TestSIGTERMDuringReload(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "inferno")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	cfgPath := filepath.Join(dir, "inferno.yml")
	os.WriteFile(cfgPath, []byte("global: {report_dir: "+filepath.Join(dir, "reports")+"}\n"), 0o644)
	webAddr := freePort(t)
	daemon := startProcess(t, bin, "--config.file", cfgPath, "--web.listen-address", webAddr)
	waitUntil(t, time.Minute, "the daemon to serve", func() bool { return fetch("http://"+webAddr+"/-/healthy") != "" })

	fifo := filepath.Join(dir, "fifo.yml")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skipf("no FIFO here: %v", err)
	}
	if err := os.Rename(fifo, cfgPath); err != nil {
		t.Fatal(err)
	}
	daemon.cmd.Process.Signal(syscall.SIGHUP)
	waitUntil(t, time.Minute, "the reload to fail", func() bool {
		return strings.Contains(fetch("http://"+webAddr+"/metrics"), "inferno_config_last_reload_successful 0")
	})
	if fetch("http://"+webAddr+"/-/healthy") == "" {
		t.Fatal("/-/healthy does not answer after the failed reload")
	}
	daemon.terminate(t, shutdownGrace+10*time.Second)
}
