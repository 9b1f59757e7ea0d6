package grafana

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

var update = flag.Bool("update", false, "rewrite the dashboards' JSON")

const jsonDir = "dashboards/json"

// TestDashboardsUpToDate: the committed JSON is what the definitions
// generate (go test ./grafana -update rewrites it).
func TestDashboardsUpToDate(t *testing.T) {
	for name, d := range Dashboards() {
		want, err := json.MarshalIndent(d, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, '\n')
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
	if len(files) != len(Dashboards()) {
		t.Errorf("%d JSON files in %s, %d dashboards defined", len(files), jsonDir, len(Dashboards()))
	}
}

// TestDashboardConventions checks what every board must do for Grafana to
// load it and for its queries to respect the variables.
func TestDashboardConventions(t *testing.T) {
	for name, d := range Dashboards() {
		t.Run(name, func(t *testing.T) {
			b, _ := json.Marshal(d)
			queries, err := Queries(b)
			if err != nil {
				t.Fatal(err)
			}
			vars := map[string]bool{}
			for _, v := range d["templating"].(map[string]any)["list"].([]any) {
				vars[v.(map[string]any)["name"].(string)] = true
			}
			for _, v := range []string{"datasource", "target", "model", "workload"} {
				if !vars[v] {
					t.Errorf("no %s variable", v)
				}
			}
			ids := map[int]bool{}
			occupied := map[[2]int]string{}
			for _, p := range d["panels"].([]any) {
				p := p.(map[string]any)
				id, title := p["id"].(int), p["title"].(string)
				if ids[id] {
					t.Errorf("panel id %d twice", id)
				}
				ids[id] = true
				if p["datasource"].(map[string]any)["uid"] != "${datasource}" {
					t.Errorf("%s: not on the datasource variable", title)
				}
				g := p["gridPos"].(map[string]any)
				x, y, w, h := g["x"].(int), g["y"].(int), g["w"].(int), g["h"].(int)
				if x+w > 24 {
					t.Errorf("%s: wider than the grid", title)
				}
				for i := x; i < x+w; i++ {
					for j := y; j < y+h; j++ {
						if other, taken := occupied[[2]int{i, j}]; taken {
							t.Fatalf("%s overlaps %s", title, other)
						}
						occupied[[2]int{i, j}] = title
					}
				}
				if len(p["targets"].([]any)) == 0 {
					t.Errorf("%s: no queries", title)
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
