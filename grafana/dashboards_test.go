package grafana

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/cog/plugins"
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/prometheus"
	"go.yaml.in/yaml/v3"
)

var update = flag.Bool("update", false, "rewrite the dashboards' JSON")

const jsonDir = "dashboards/json"

// committed are the boards as committed: the defaults (costs in USD).
func committed(t *testing.T) map[string]Board {
	t.Helper()
	boards, err := Generate(Options{})
	if err != nil {
		t.Fatal(err)
	}
	return boards
}

// TestDashboardsUpToDate: the committed JSON is what the definitions
// generate (go test ./grafana -update rewrites it).
func TestDashboardsUpToDate(t *testing.T) {
	boards := committed(t)
	for name, d := range boards {
		want, err := Encode(d)
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(jsonDir, name)
		if *update {
			if err := os.WriteFile(path, want, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (go test ./grafana -update writes it)", err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from its definition: run go test ./grafana -update", path)
		}
	}
	files, _ := filepath.Glob(filepath.Join(jsonDir, "*.json"))
	if len(files) != len(boards) {
		t.Errorf("%d JSON files in %s, %d dashboards defined", len(files), jsonDir, len(boards))
	}
}

// TestDashboardsMatchSchema: the committed JSON decodes strictly into the
// SDK's dashboard schema, panel options and Prometheus queries included,
// so a hand edit that Grafana's schema would not know fails here.
func TestDashboardsMatchSchema(t *testing.T) {
	plugins.RegisterDefaultPlugins()
	files, _ := filepath.Glob(filepath.Join(jsonDir, "*.json"))
	if len(files) == 0 {
		t.Fatal("no dashboards")
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var d Board
		err = d.UnmarshalJSONStrict(b)
		// It returns its list of errors as an error even when the list is empty.
		if errs, ok := err.(cog.BuildErrors); ok && len(errs) == 0 {
			err = nil
		}
		if err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
}

// TestDashboardConventions checks what every board must do for Grafana to
// load it and for its queries to respect the variables.
func TestDashboardConventions(t *testing.T) {
	for name, d := range committed(t) {
		t.Run(name, func(t *testing.T) {
			if d.Uid == nil || *d.Uid != strings.TrimSuffix(name, ".json") {
				t.Errorf("uid %v, want the file's name: links and bookmarks find a board by it", d.Uid)
			}
			b, err := Encode(d)
			if err != nil {
				t.Fatal(err)
			}
			queries, err := Queries(b)
			if err != nil {
				t.Fatal(err)
			}
			vars := map[string]bool{}
			for _, v := range d.Templating.List {
				vars[v.Name] = true
			}
			for _, v := range []string{"datasource", "target", "model", "workload"} {
				if !vars[v] {
					t.Errorf("no %s variable", v)
				}
			}
			// Links above the panels, as Grafana shows them when unset.
			for _, l := range d.Links {
				if l.Placement != nil {
					t.Errorf("link %q placed %q: want it above the panels (unset)", l.Title, *l.Placement)
				}
			}
			onVariable := func(ds *common.DataSourceRef) bool { return ds != nil && ds.Uid != nil && *ds.Uid == "${datasource}" }
			ids := map[uint32]bool{}
			occupied := map[[2]uint32]string{}
			for _, pr := range d.Panels {
				p := pr.Panel
				if p == nil || p.Id == nil || p.Title == nil || p.GridPos == nil {
					t.Fatalf("a row or a panel without id, title or position: %+v", pr)
				}
				id, title := *p.Id, *p.Title
				if ids[id] {
					t.Errorf("panel id %d twice", id)
				}
				ids[id] = true
				if !onVariable(p.Datasource) {
					t.Errorf("%s: not on the datasource variable", title)
				}
				g := p.GridPos
				if g.X+g.W > 24 {
					t.Errorf("%s: wider than the grid", title)
				}
				for i := g.X; i < g.X+g.W; i++ {
					for j := g.Y; j < g.Y+g.H; j++ {
						if other, taken := occupied[[2]uint32{i, j}]; taken {
							t.Fatalf("%s overlaps %s", title, other)
						}
						occupied[[2]uint32{i, j}] = title
					}
				}
				if len(p.Targets) == 0 {
					t.Errorf("%s: no queries", title)
				}
				for _, target := range p.Targets {
					q, ok := target.(prometheus.Dataquery)
					if !ok {
						t.Errorf("%s: %T is not a Prometheus query", title, target)
						continue
					}
					if !onVariable(q.Datasource) {
						t.Errorf("%s %v: not on the datasource variable", title, q.RefId)
					}
					// A stat shows a window's figure now, not a reduction over the range.
					if p.Type == "stat" && (q.Instant == nil || !*q.Instant) {
						t.Errorf("%s %v: a stat's query is not instant", title, q.RefId)
					}
				}
			}
			for _, q := range queries {
				switch {
				case strings.HasPrefix(q.Expr, "inferno:threshold:"), strings.HasPrefix(q.Where, "variable"):
				case strings.Contains(q.Expr, "vllm:"):
					if !strings.Contains(q.Expr, `model_name=~"$model"`) {
						t.Errorf("%s: vLLM query not filtered by $model: %s", q.Where, q.Expr)
					}
				case !strings.Contains(q.Expr, `target=~"$target"`):
					t.Errorf("%s: not filtered by $target: %s", q.Where, q.Expr)
				}
				if strings.Contains(q.Expr, "instance") {
					t.Errorf("%s: groups by instance, so replicas would not add up: %s", q.Where, q.Expr)
				}
			}
		})
	}
}

// TestProvisioning: the provider reads the JSON where the README mounts
// it, and the datasource's uid is the one the boards default to.
func TestProvisioning(t *testing.T) {
	var provider struct {
		Providers []struct {
			Type    string
			Options struct{ Path string }
		}
	}
	readYAML(t, "dashboards/inferno.yml", &provider)
	if len(provider.Providers) != 1 || provider.Providers[0].Options.Path != "/etc/grafana/provisioning/"+jsonDir {
		t.Errorf("dashboard provider %+v does not read %s from the mounted grafana/", provider, jsonDir)
	}
	var ds struct {
		Datasources []struct{ UID, Type string }
	}
	readYAML(t, "datasources/prometheus.yml", &ds)
	if len(ds.Datasources) != 1 || ds.Datasources[0].UID != "prometheus" || ds.Datasources[0].Type != "prometheus" {
		t.Errorf("datasource: %+v", ds)
	}
}

func readYAML(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// TestCurrency: the cost panel's unit follows the currency the boards are
// generated for, USD by default; a code that is not one is refused by name.
func TestCurrency(t *testing.T) {
	costUnit := func(boards map[string]Board) string {
		for _, p := range boards["inferno-target.json"].Panels {
			if strings.HasPrefix(*p.Panel.Title, "Cost") {
				return *p.Panel.FieldConfig.Defaults.Unit
			}
		}
		t.Fatal("no cost panel")
		return ""
	}
	for _, tc := range []struct{ currency, unit, err string }{
		{"", "currencyUSD", ""},
		{"EUR", "currencyEUR", ""},
		{"CAD", "prefix:CAD ", ""},
		{"euro", "", `currency "euro": want an ISO 4217 code`},
		{"US$", "", `currency "US$"`},
	} {
		boards, err := Generate(Options{Currency: tc.currency})
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("currency %q: error %v, want %q", tc.currency, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("currency %q: %v", tc.currency, err)
		}
		if got := costUnit(boards); got != tc.unit {
			t.Errorf("currency %q: cost unit %q, want %q", tc.currency, got, tc.unit)
		}
	}
	if got := costUnit(committed(t)); got != "currencyUSD" {
		t.Errorf("committed boards: cost unit %q, want currencyUSD", got)
	}
	// Write (the gen command's) writes boards that parse and carry the unit.
	dir := t.TempDir()
	if err := Write(dir, Options{Currency: "EUR"}); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "inferno-target.json"))
	if err != nil {
		t.Fatal(err)
	}
	var written map[string]any
	if err := json.Unmarshal(b, &written); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"unit": "currencyEUR"`) {
		t.Error("the written target board has no currencyEUR unit")
	}
}

// TestRatesSumOverReplicas: with load_share, each replica's last-window
// rate gauges hold its share of one window, so every board adds them up
// (a max would show a third with three replicas).
func TestRatesSumOverReplicas(t *testing.T) {
	rates := regexp.MustCompile(`inferno_last_window_(output_tokens_per_second|successful_requests_per_second|requests_per_second|goodput_requests_per_second)\b`)
	seen := 0
	for name, d := range committed(t) {
		b, err := Encode(d)
		if err != nil {
			t.Fatal(err)
		}
		queries, err := Queries(b)
		if err != nil {
			t.Fatal(err)
		}
		for _, q := range queries {
			if !rates.MatchString(q.Expr) {
				continue
			}
			seen++
			if !strings.HasPrefix(q.Expr, "sum(") && !strings.HasPrefix(q.Expr, "sum by (") {
				t.Errorf("%s: %s: %s does not sum over replicas", name, q.Where, q.Expr)
			}
		}
	}
	if seen < 4 {
		t.Errorf("%d rate queries found, want the overview's three and the target board's throughput", seen)
	}
}
