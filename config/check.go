package config

import (
	"errors"
	"fmt"
	"maps"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"

	"time"

	"github.com/robfig/cron/v3"

	"github.com/inferno-llm/inferno/tokenizer"
)

// parseCron parses a schedule's spec, refusing what robfig/cron accepts
// silently: @every under a second (it rounds 0s, -1s and 1ms up to 1s),
// steps beyond a field's range (*/61) and specs that never fire (Feb 31).
// Errors do not quote the spec back: a misplaced secret stays unechoed.
func parseCron(spec string) (cron.Schedule, error) {
	if rest, ok := strings.CutPrefix(strings.TrimSpace(spec), "@every"); ok {
		d, err := time.ParseDuration(strings.TrimSpace(rest))
		if err != nil {
			return nil, errors.New("@every needs a duration such as 30s or 5m")
		}
		if d < time.Second || d%time.Second != 0 {
			return nil, fmt.Errorf("@every %v: want a whole number of seconds, at least 1s", d)
		}
	} else if !strings.HasPrefix(strings.TrimSpace(spec), "@") {
		if err := checkCronSteps(spec); err != nil {
			return nil, err
		}
	}
	sched, err := CronParser.Parse(spec)
	if err != nil {
		msg := err.Error()
		// robfig quotes the fields after a colon; keep only its reason.
		if i := strings.Index(msg, ": "); i > 0 {
			msg = msg[:i]
		}
		return nil, fmt.Errorf("not a cron spec: %s (want e.g. \"*/15 * * * * *\", \"0 3 * * *\" or \"@every 1m\")", msg)
	}
	if sched.Next(time.Now()).IsZero() {
		return nil, errors.New("never fires (no such date, e.g. the 31st of February)")
	}
	return sched, nil
}

// cronFields are the ranges of a spec with seconds; a five-field spec
// starts at minutes.
var cronFields = []struct {
	name     string
	min, max int
}{{"seconds", 0, 59}, {"minutes", 0, 59}, {"hours", 0, 23}, {"day of month", 1, 31}, {"month", 1, 12}, {"day of week", 0, 6}}

func checkCronSteps(spec string) error {
	fields := strings.Fields(spec)
	if len(fields) > 0 && strings.HasPrefix(fields[0], "CRON_TZ=") || len(fields) > 0 && strings.HasPrefix(fields[0], "TZ=") {
		fields = fields[1:]
	}
	ranges := cronFields
	if len(fields) == 5 {
		ranges = cronFields[1:]
	}
	if len(fields) != len(ranges) {
		return nil // the parser says what is wrong
	}
	for i, f := range fields {
		for part := range strings.SplitSeq(f, ",") {
			_, step, ok := strings.Cut(part, "/")
			if !ok {
				continue
			}
			n, err := strconv.Atoi(step)
			r := ranges[i]
			if err != nil || n < 1 || n > r.max-r.min+1 {
				return fmt.Errorf("%s: step /%s is outside 1 to %d", r.name, step, r.max-r.min+1)
			}
		}
	}
	return nil
}

// shortestPeriod is the shortest gap between firings over the next ones,
// from a fixed time so the check does not depend on when it runs.
func shortestPeriod(s cron.Schedule) time.Duration {
	if c, ok := s.(cron.ConstantDelaySchedule); ok {
		return c.Delay
	}
	t := s.Next(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	shortest := time.Duration(1<<63 - 1)
	for range 200 {
		next := s.Next(t)
		if next.IsZero() {
			break
		}
		shortest = min(shortest, next.Sub(t))
		t = next
	}
	return shortest
}

func validListen(addr string) error {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("want host:port, e.g. 127.0.0.1:8001: %v", err)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return fmt.Errorf("port %s: want 0 to 65535", port)
	}
	return nil
}

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
		if err := localAddress(s.Listen); err != nil {
			return nil, cfg.fail(0, "simulator.listen", "cannot listen there: %v", err)
		}
	}
	return cfg, nil
}

// localAddress reports whether addr's host is one this machine can listen
// on: empty or unspecified (every interface), a name that resolves to
// one of its addresses, or one of them.
func localAddress(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil || host == "" {
		return err
	}
	ips := []net.IP{net.ParseIP(host)}
	if ips[0] == nil {
		if ips, err = net.LookupIP(host); err != nil {
			return err
		}
	}
	own, err := net.InterfaceAddrs()
	if err != nil {
		return err
	}
	for _, ip := range ips {
		if ip.IsUnspecified() || ip.IsLoopback() {
			return nil
		}
		for _, a := range own {
			if n, ok := a.(*net.IPNet); ok && n.IP.Equal(ip) {
				return nil
			}
		}
	}
	return fmt.Errorf("%s is not an address of this machine", host)
}
