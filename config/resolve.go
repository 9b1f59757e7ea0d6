package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"

	promconfig "github.com/prometheus/common/config"
	"go.yaml.in/yaml/v3"

	"github.com/inferno-llm/inferno/internal/addrcheck"
)

// One road in: every front door (a config file, a workload file, inferno
// run's flags, the runs API, the old tool's API, a /probe URL) hands what
// it was given to Resolve with its Door, and gets back a target and a
// workload with every default applied, validated under the limits, and,
// for an untrusted door, checked against its allow-list. Doors differ only
// in their Door.

// Door is a way into a window and how far it is trusted.
type Door struct {
	// Name names the source in errors: a file's path, "command line",
	// "runs API".
	Name string
	// Untrusted doors are reached over the network: their definitions may
	// not name local files or route around the allow-list, never follow
	// redirects, and their URLs must match allow.
	Untrusted bool
	allow     []*regexp.Regexp
	// refused says why a URL the allow-list does not match is refused.
	refused string
	// allowHub are the hub repositories an untrusted workload may name.
	allowHub []*regexp.Regexp
}

// CommandLine is inferno run's flags: the operator's own machine.
var CommandLine = Door{Name: "command line"}

// FileDoor is a file the operator gave (a workload file).
func FileDoor(path string) Door { return Door{Name: path} }

// RunsAPIDoor is POST /api/v1/runs.
func (c *Config) RunsAPIDoor() Door {
	return c.apiDoor("inline", "this daemon's runs API reaches only the targets its config names (api.allow_urls is empty); name one, or ask its operator to allow the URL")
}

// OldAPIDoor is the old tool's register routes.
func (c *Config) OldAPIDoor() Door {
	return c.apiDoor("old API", "the old API is off: this daemon's api.allow_urls is empty; ask its operator to allow the URL")
}

func (c *Config) apiDoor(name, off string) Door {
	if len(c.API.allowed) == 0 {
		return Door{Name: name, Untrusted: true, refused: off, allowHub: c.API.allowedHub}
	}
	return Door{Name: name, Untrusted: true, allow: c.API.allowed, refused: "not allowed by the daemon's api.allow_urls", allowHub: c.API.allowedHub}
}

// ProbeDoor is /probe?target=URL under module m.
func (m *Module) ProbeDoor(name string) Door {
	return Door{Name: "probe", Untrusted: true, allow: m.allowed,
		refused: "neither a configured target nor a URL module " + name + " allows (modules." + name + ".allow_urls)"}
}

// allows matches the parsed URL, so the pattern sees what a request
// would reach.
func (d Door) allows(raw string) bool { return addrcheck.MatchURL(d.allow, raw) }

// Input is what a door hands in. Each of the target and the workload is
// given one way: by the name of one the config defines, as text (YAML or
// JSON), or built by the door.
type Input struct {
	// TextName names the source of WorkloadText in errors (a workload
	// file's path); by default errors name the door and the part.
	TextName                 string
	TargetName, WorkloadName string
	TargetText, WorkloadText []byte
	Target                   *Target
	Workload                 *Workload
}

// NewTarget is a target with the defaults a door that builds one must
// start from (prometheus/common's http_client defaults: HTTP/2 allowed,
// redirects followed), as a decoded one gets them.
func NewTarget() *Target {
	t := &Target{}
	t.setDefaults()
	return t
}

func (t *Target) setDefaults() { t.HTTP = promconfig.DefaultHTTPClientConfig }

// Resolve turns a door's input into a validated target and workload. A
// definition given by name is the config's own, resolved when it was
// loaded; a definition given by the door is completed and validated here
// under the config's limits and the door's trust.
func (c *Config) Resolve(door Door, in Input) (*Target, *Workload, error) {
	t, tdoc, err := pick(c, door, door.Name+" target", "target", in.TargetName, in.TargetText, in.Target, c.Target, c.TargetNames)
	if err != nil {
		return nil, nil, err
	}
	wfile := door.Name + " workload"
	if in.TextName != "" {
		wfile = in.TextName
	}
	w, wdoc, err := pick(c, door, wfile, "workload", in.WorkloadName, in.WorkloadText, in.Workload, c.Workload, c.WorkloadNames)
	if err != nil {
		return nil, nil, err
	}
	if in.TargetName == "" {
		if err := c.part(door.Name+" target", "targets[0]", tdoc).resolveTarget(door, t); err != nil {
			return nil, nil, err
		}
	}
	if in.WorkloadName == "" {
		if err := c.part(wfile, "workloads[0]", wdoc).resolveWorkload(door, w); err != nil {
			return nil, nil, err
		}
	}
	return t, w, nil
}

// part is the config a door's definition is validated in: the global
// settings and limits of c, errors named by file and located in the
// definition's own text (doc, nil for one built by the door).
func (c *Config) part(file, inline string, lines map[string]int) *Config {
	return &Config{Global: c.Global, Limits: c.Limits, API: c.API, file: file, inline: inline, lines: lines}
}

// pick finds or decodes one definition.
func pick[T any](c *Config, door Door, file, what, name string, text []byte, built *T, byName func(string) *T, names func() string) (*T, map[string]int, error) {
	switch {
	case name != "":
		if v := byName(name); v != nil {
			return v, nil, nil
		}
		return nil, nil, fmt.Errorf("no %s named %q (defined: %s)", what, name, names())
	case text != nil:
		// Decoded over what the door built, if anything: its defaults
		// (a workload file's name) yield to the text.
		v := built
		if v == nil {
			v = new(T)
			applyDefaults(v)
		}
		lines, err := c.decodeText(door, file, text, v)
		if err != nil {
			return nil, nil, err
		}
		return v, lines, nil
	case built != nil:
		return built, nil, nil
	}
	return nil, nil, fmt.Errorf("%s is missing", what)
}

// decodeText decodes a definition from an API body or a workload file.
func (c *Config) decodeText(door Door, file string, b []byte, v any) (map[string]int, error) {
	src := decoder(file, map[string]int{})
	if door.Untrusted {
		if len(b) > c.Limits.MaxBodyBytes {
			return nil, fmt.Errorf("the definition is %d bytes, over the limit of %d (limits.max_body_bytes)", len(b), c.Limits.MaxBodyBytes)
		}
		src.Untrusted, src.MaxKeys = true, c.Limits.MaxBodyKeys
	}
	// A JSON body is read as JSON: not every JSON escape is a YAML one
	// (see strictyaml.ParseJSON). What valid JSON the reader refuses is
	// refused in its words, not YAML's.
	root, err := src.ParseJSON(b)
	if err != nil && !json.Valid(b) {
		// YAML, or YAML's flow style that is not JSON: {kind: stages}.
		root, err = parseDocumentWith(src, b)
	}
	if err == nil {
		err = src.Decode(root, v)
	}
	if !bytes.ContainsRune(b, '\n') {
		// One line (a JSON body): the field says where, a line would not.
		src.Lines = nil
		if e := (*Error)(nil); errors.As(err, &e) {
			e.Line = 0
		}
	}
	return src.Lines, err
}

// resolveTarget completes and validates a target given by a door.
func (c *Config) resolveTarget(door Door, t *Target) error {
	if t == nil {
		return errors.New("target: empty definition")
	}
	if door.Untrusted {
		if err := addrcheck.URL(t.URL); err != nil {
			return c.fail(0, "targets[0].url", "%v", err)
		}
		if u, _ := url.Parse(t.URL); u.User != nil {
			// A token written as userinfo would be shown and logged as
			// part of the URL, and userinfo is how a URL hides its host.
			return c.fail(0, "targets[0].url", "user information (user:password@) is refused in a URL from outside; send credentials in http_client instead")
		}
		if !door.allows(t.URL) {
			return c.fail(0, "targets[0].url", "%s", door.refused)
		}
		// The server's metrics are fetched too: the same allow-list
		// applies to a URL of their own (auto stays on the target's origin).
		if m := t.ServerMetrics; m != nil && m.URL != ServerMetricsAuto && !door.allows(m.URL) {
			return c.fail(0, "targets[0].server_metrics.url", "%s (auto uses the target's own origin)", door.refused)
		}
		// Redirects could lead anywhere the allow-list does not.
		t.HTTP.FollowRedirects = false
		if m := t.ServerMetrics; m != nil && m.HTTP != nil {
			m.HTTP.FollowRedirects = false
		}
		t.Untrusted = true
	}
	if t.Name == "" {
		// Named after its host, as reports show it.
		if u, err := url.Parse(t.URL); err == nil {
			t.Name = u.Host
		}
	} else if !namePattern.MatchString(t.Name) {
		return c.fail(t.line, "targets[0].name", "want 1 to 63 letters, digits, '.', '_' or '-', starting with a letter or digit")
	}
	if err := c.checkTarget(t, "targets[0]"); err != nil {
		return err
	}
	if !door.Untrusted {
		return c.checkTargetFiles(t, "targets[0]")
	}
	return nil
}

// resolveWorkload completes and validates a workload given by a door.
func (c *Config) resolveWorkload(door Door, w *Workload) error {
	if w == nil {
		return errors.New("workload: empty definition")
	}
	if w.Name == "" {
		w.Name = "inline"
	}
	if door.Untrusted {
		if w.Dataset.Path != "" {
			return c.fail(0, "workloads[0].dataset.path", "an API body may not name a local file; define the workload in the config file and name it")
		}
		_, path, hub, err := w.Dataset.Tokenizer.Parse()
		if w.Dataset.Tokenizer != "" && err == nil && path != "" {
			return c.fail(0, "workloads[0].dataset.tokenizer", "an API body may not name a local file; use a built-in encoding or hf:owner/name, or define the workload in the config file and name it")
		}
		if err := untrustedChecks(w); err != nil {
			return c.fail(0, "workloads[0]", "%v", err)
		}
		// A hub file is remote content the daemon downloads, parses and
		// keeps: a 31 KB Parquet file of 20 million rows once took it down.
		const hubRefused = "not allowed by the daemon's api.allow_hub_repos (with none, an API body may not download from the hub); define the workload in the config file and name it"
		if w.Dataset.Tokenizer != "" && err == nil && hub != nil && !addrcheck.MatchAny(door.allowHub, hub.Repo) {
			return c.fail(0, "workloads[0].dataset.tokenizer", hubRefused)
		}
		if h := w.Dataset.Hub; h != nil && !addrcheck.MatchAny(door.allowHub, h.Repo) {
			return c.fail(0, "workloads[0].dataset.hub.repo", hubRefused)
		}
	}
	if err := c.validateWorkload(w, "workloads[0]"); err != nil {
		return err
	}
	if !door.Untrusted {
		return c.checkWorkloadFiles(w, "workloads[0]")
	}
	return nil
}

// untrustedKey says why a key is refused anywhere in an untrusted
// definition, or "": files the daemon would read, and ways around the URL
// allow-list (a proxy, an OAuth token URL, redirects).
func untrustedKey(path, key string) string {
	switch {
	case strings.HasSuffix(key, "_file"), key == "files", strings.HasSuffix(key, "_ref"),
		key == "path" && strings.HasSuffix(path, "dataset"):
		return "an API body may not name a local file; define it in the config file and name it"
	case key == "proxy_url", key == "proxy_from_environment", key == "proxy_connect_header", key == "no_proxy",
		key == "oauth2", key == "follow_redirects":
		return "an API body may not route around api.allow_urls; define the target in the config file and name it"
	}
	return ""
}

// DefaultConfig is a config with every default and no definitions: the
// global settings and limits of a window defined by flags.
func DefaultConfig() *Config {
	c := defaults()
	c.file = "command line"
	return &c
}

// LoadWorkloadFile reads a file given to `inferno run --workload-file`:
// either a whole config file (it has targets, workloads or any other
// top-level key of one; whole is true) or a single workload, written as
// one item of a config's workloads list. A single workload is returned
// as text for Resolve, with its name defaulted to the file's.
func LoadWorkloadFile(path string) (cfg *Config, workload []byte, err error) {
	b, err := readFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("read workload file: %w", err)
	}
	root, err := parseDocument(path, b)
	if err != nil {
		return nil, nil, err
	}
	if isWholeConfig(root) {
		cfg, err := load(root, path)
		return cfg, nil, err
	}
	return nil, b, nil
}

// WorkloadFileName is the name a workload file that gives none takes:
// its file's, with what a name may not hold replaced.
func WorkloadFileName(path string) string {
	base := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	name := strings.Trim(notNameChar.ReplaceAllString(base, "_"), "._-")
	if len(name) > 63 {
		name = name[:63]
	}
	if !namePattern.MatchString(name) {
		return "workload-file"
	}
	return name
}

var notNameChar = regexp.MustCompile(`[^A-Za-z0-9._-]`)

// configKeys are the top-level keys of a config file; a workload has none
// of them.
var configKeys = map[string]bool{"global": true, "simulator": true, "targets": true, "workloads": true,
	"schedules": true, "modules": true, "api": true, "limits": true}

func isWholeConfig(root *yaml.Node) bool {
	if root.Kind != yaml.MappingNode {
		return false
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		if configKeys[root.Content[i].Value] {
			return true
		}
	}
	return false
}
