package config

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Inline definitions come from API bodies: whoever can reach the daemon's
// port wrote them. They are validated as a config file's would be, under
// the config's limits, and more strictly: they may reach only URLs that
// api.allow_urls allows, and may never name a local file (the daemon would
// read it and send it, as a header or as prompts, to the caller's host).

// untrustedKeys are refused anywhere in an inline definition: files the
// daemon would read, and ways around the URL allow-list (a proxy, an OAuth
// token URL, redirects).
func untrustedKey(path, key string) bool {
	switch {
	case strings.HasSuffix(key, "_file"), key == "files", strings.HasSuffix(key, "_ref"):
		return true
	case key == "proxy_url", key == "proxy_from_environment", key == "proxy_connect_header", key == "no_proxy",
		key == "oauth2", key == "follow_redirects":
		return true
	case key == "path" && strings.HasSuffix(path, "dataset"):
		return true
	}
	return false
}

// InlineTarget decodes and validates a target from an API body.
func (c *Config) InlineTarget(b []byte) (*Target, error) {
	if err := c.checkUntrusted(b); err != nil {
		return nil, err
	}
	var t Target
	if err := decodeStrict(b, &t); err != nil {
		return nil, err
	}
	if !c.API.Allows(t.URL) {
		if len(c.API.allowed) == 0 {
			return nil, errors.New("url: this daemon's runs API reaches only the targets its config names (api.allow_urls is empty); name one, or ask its operator to allow the URL")
		}
		return nil, errors.New("url: not allowed by the daemon's api.allow_urls")
	}
	// Redirects could lead anywhere the allow-list does not.
	t.HTTP.FollowRedirects = false
	t.Untrusted = true
	cc := c.inlineConfig("target")
	cc.Targets = []*Target{&t}
	if err := cc.validate(); err != nil {
		return nil, err
	}
	return &t, nil
}

// InlineWorkload decodes and validates a workload from an API body.
func (c *Config) InlineWorkload(b []byte) (*Workload, error) {
	if err := c.checkUntrusted(b); err != nil {
		return nil, err
	}
	var w Workload
	if err := decodeStrict(b, &w); err != nil {
		return nil, err
	}
	if w.Name == "" {
		w.Name = "inline"
	}
	return &w, c.ValidateInlineWorkload(&w)
}

// ValidateInlineWorkload validates a workload built by the daemon from an
// untrusted body (the old tool's API) under the config's limits.
func (c *Config) ValidateInlineWorkload(w *Workload) error {
	if w.Dataset.Path != "" {
		return errors.New("dataset.path: an API body may not name a local file; define the workload in the config file and name it")
	}
	if w.Dataset.Tokenizer != "" {
		// A tokenizer.json path is a local file too; built-in encodings
		// and hub repositories are not.
		if _, path, _, err := w.Dataset.Tokenizer.Parse(); err == nil && path != "" {
			return errors.New("dataset.tokenizer: an API body may not name a local file; use a built-in encoding or hf:owner/name, or define the workload in the config file and name it")
		}
	}
	if err := untrustedChecks(w); err != nil {
		return err
	}
	cc := c.inlineConfig("workload")
	cc.Workloads = []*Workload{w}
	return cc.validate()
}

func (c *Config) inlineConfig(kind string) *Config {
	return &Config{Global: c.Global, Limits: c.Limits, API: c.API, file: "inline " + kind, inline: kind + "s[0]"}
}

// checkUntrusted bounds the body's size and key count and refuses keys
// that name local files; the error names the field and never the value,
// so it cannot tell whether a path exists.
func (c *Config) checkUntrusted(b []byte) error {
	if len(b) > c.Limits.MaxBodyBytes {
		return fmt.Errorf("the definition is %d bytes, over the limit of %d (limits.max_body_bytes)", len(b), c.Limits.MaxBodyBytes)
	}
	var doc yaml.Node
	if err := yaml.NewDecoder(bytes.NewReader(b)).Decode(&doc); err != nil {
		return yamlError(err)
	}
	keys := 0
	var walk func(n *yaml.Node, path string) error
	walk = func(n *yaml.Node, path string) error {
		if n.Kind == yaml.AliasNode {
			return fmt.Errorf("%s: YAML aliases are not accepted in an API body", strings.TrimPrefix(path, "."))
		}
		// However high limits.max_body_keys is set, one mapping stays
		// within what the decoder's duplicate check does in good time.
		if n.Kind == yaml.MappingNode && len(n.Content)/2 > MaxMappingKeys {
			return fmt.Errorf("%s: %d keys, over the limit of %d keys in one mapping", strings.TrimPrefix(path, "."), len(n.Content)/2, MaxMappingKeys)
		}
		for i := 0; i < len(n.Content); i++ {
			child, p := n.Content[i], path
			if n.Kind == yaml.MappingNode && i+1 < len(n.Content) {
				keys++
				if keys > c.Limits.MaxBodyKeys {
					return fmt.Errorf("more than %d keys (limits.max_body_keys)", c.Limits.MaxBodyKeys)
				}
				p = path + "." + child.Value
				if untrustedKey(path, child.Value) {
					return fmt.Errorf("%s: an API body may not name a local file or route around api.allow_urls; define it in the config file and name it", p[1:])
				}
				i++
				child = n.Content[i]
			} else if n.Kind == yaml.SequenceNode {
				p = fmt.Sprintf("%s[%d]", path, i)
			}
			if err := walk(child, p); err != nil {
				return err
			}
		}
		return nil
	}
	if len(doc.Content) == 0 {
		return errors.New("the definition is empty")
	}
	return walk(doc.Content[0], "")
}
