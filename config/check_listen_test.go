package config

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// --config.check never binds a port: a running daemon holds its
// simulator's address, and checking its valid config must still pass. An
// address no interface of the machine has is still refused.
func TestCheckDoesNotBind(t *testing.T) {
	held, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	b, err := os.ReadFile(filepath.Join("testdata", "bad", "simulator-unbindable.yml"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "inferno.yml")
	os.WriteFile(path, []byte(strings.Replace(string(b), "192.0.2.1:8001", held.Addr().String(), 1)), 0o644)
	if _, err := Check(path); err != nil {
		t.Errorf("a valid config whose simulator address is in use (by the daemon): %v", err)
	}
}
