//go:build unix

package main

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// TestSIGTERMDuringReload: a reload stuck on its file (here a FIFO that
// the reload opens and nobody writes) runs off the signal loop, so SIGTERM
// still ends the daemon within its shutdown budget.
func TestSIGTERMDuringReload(t *testing.T) {
	dir, bin := buildBinary(t)
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
	// A writer can open a FIFO without blocking only once a reader has:
	// then the reload is under way, and stays stuck on a read.
	var writer *os.File
	waitUntil(t, time.Minute, "the reload to open its file", func() bool {
		f, err := os.OpenFile(cfgPath, os.O_WRONLY|syscall.O_NONBLOCK, 0)
		if errors.Is(err, syscall.ENXIO) {
			return false
		}
		if err != nil {
			t.Fatal(err)
		}
		writer = f
		return true
	})
	defer writer.Close()
	daemon.terminate(t, shutdownGrace+10*time.Second)
}
