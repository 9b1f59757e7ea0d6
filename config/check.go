package config

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"

	"github.com/inferno-llm/inferno/internal/addrcheck"
	"github.com/inferno-llm/inferno/tokenizer"
)

// checkFiles opens every file the config names (data sets, credentials,
// CA and client certificates, the HF token), so a missing or unreadable
// one fails the check instead of every window. Only trusted doors name
// files; untrusted ones cannot.
func (c *Config) checkFiles() error {
	if err := c.readable("global.hf_token_file", c.Global.HFTokenFile); err != nil {
		return err
	}
	for i, t := range c.Targets {
		if err := c.checkTargetFiles(t, fmt.Sprintf("targets[%d]", i)); err != nil {
			return err
		}
	}
	for i, w := range c.Workloads {
		if err := c.checkWorkloadFiles(w, fmt.Sprintf("workloads[%d]", i)); err != nil {
			return err
		}
	}
	return nil
}

func (c *Config) checkTargetFiles(t *Target, field string) error {
	h := t.HTTP
	files := map[string]string{"bearer_token_file": h.BearerTokenFile, "tls_config.ca_file": h.TLSConfig.CAFile,
		"tls_config.cert_file": h.TLSConfig.CertFile, "tls_config.key_file": h.TLSConfig.KeyFile}
	if a := h.Authorization; a != nil {
		files["authorization.credentials_file"] = a.CredentialsFile
	}
	if b := h.BasicAuth; b != nil {
		files["basic_auth.password_file"] = b.PasswordFile
		files["basic_auth.username_file"] = b.UsernameFile
	}
	if o := h.OAuth2; o != nil {
		files["oauth2.client_secret_file"] = o.ClientSecretFile
	}
	for _, sub := range slices.Sorted(maps.Keys(files)) {
		if err := c.readable(field+".http_client."+sub, files[sub]); err != nil {
			return err
		}
	}
	return nil
}

func (c *Config) checkWorkloadFiles(w *Workload, field string) error {
	if err := c.readable(field+".dataset.path", w.Dataset.Path); err != nil {
		return err
	}
	if _, path, _, err := w.Dataset.Tokenizer.Parse(); err == nil {
		return c.readable(field+".dataset.tokenizer", path)
	}
	return nil
}

// MaxSecretFileBytes bounds a credentials, password, token, CA or
// certificate file: each is read whole, at every request for some.
const MaxSecretFileBytes = 1 << 20

func (c *Config) readable(field, path string) error {
	if path == "" {
		return nil
	}
	// Data files are read only up to their readers' caps, tokenizers up
	// to theirs; every other named file is a small secret or certificate.
	limit := int64(MaxSecretFileBytes)
	switch {
	case strings.HasSuffix(field, ".dataset.path"):
		limit = 0
	case strings.HasSuffix(field, ".dataset.tokenizer"):
		limit = tokenizer.MaxFileBytes
	}
	f, err := openRegular(path, limit)
	var pathErr *os.PathError
	if errors.As(err, &pathErr) {
		return c.fail(0, field, "cannot read %s: %v", path, pathErr.Err)
	}
	if err != nil {
		return c.fail(0, field, "%v", err)
	}
	f.Close()
	return nil
}

// Check is what --config.check runs: LoadFile, and the checks that need
// the machine as the daemon will find it. It never binds a port: the
// daemon whose config is being checked may hold the simulator's address
// itself, so the address is only checked to be one of this machine's.
func Check(path string) (*Config, error) {
	cfg, err := LoadFile(path)
	if err != nil {
		return nil, err
	}
	if s := cfg.Simulator; s != nil {
		if err := addrcheck.Local(s.Listen); err != nil {
			return nil, cfg.fail(0, "simulator.listen", "cannot listen there: %v", err)
		}
	}
	return cfg, nil
}
