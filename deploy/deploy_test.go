package deploy

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/inferno-llm/inferno/config"
)

func promtool(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("promtool")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("promtool not found; .ci/run installs the prometheus package")
		}
		t.Skip("promtool not installed")
	}
	return path
}

// TestRules runs `promtool check rules`, the alert unit tests and
// `promtool check config` on the shipped Prometheus configuration.
func TestRules(t *testing.T) {
	bin := promtool(t)
	for _, args := range [][]string{
		{"check", "rules", "prometheus/rules.yml"},
		{"test", "rules", "prometheus/rules_test.yml"},
		{"check", "config", "prometheus/prometheus.yml"},
	} {
		out, err := exec.Command(bin, args...).CombinedOutput()
		if err != nil {
			t.Errorf("promtool %v: %v\n%s", args, err, out)
		}
	}
}

// TestDockerfileBuild runs the Dockerfile's build command (no Docker engine
// runs on CI machines, but the command it runs can).
func TestDockerfileBuild(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles the binary")
	}
	b, err := os.ReadFile("../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	var cmd string
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "RUN CGO_ENABLED=0 go build") {
			cmd = strings.TrimPrefix(line, "RUN ")
		}
	}
	if cmd == "" {
		t.Fatal("no build command in the Dockerfile")
	}
	out := filepath.Join(t.TempDir(), "inferno")
	cmd = strings.ReplaceAll(cmd, "/out/inferno", out)
	run := exec.Command("sh", "-c", cmd)
	run.Dir = ".."
	run.Env = append(os.Environ(), "VERSION=test-1.2.3", "REVISION=abc")
	if msg, err := run.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", cmd, err, msg)
	}
	version, err := exec.Command(out, "--version").CombinedOutput()
	if err != nil || !strings.Contains(string(version), "test-1.2.3") || !strings.Contains(string(version), "abc") {
		t.Errorf("--version of the built binary: %v\n%s", err, version)
	}
}

type object = map[string]any

func dig(o any, path ...string) any {
	for _, p := range path {
		m, ok := o.(object)
		if !ok {
			return nil
		}
		o = m[p]
	}
	return o
}

func asString(v any) string { s, _ := v.(string); return s }

// TestKubernetesManifests validates the manifests without kubectl: they
// parse, the shipped configuration loads, and every reference between the
// objects resolves.
func TestKubernetesManifests(t *testing.T) {
	f, err := os.Open("kubernetes/inferno.yaml")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	objects := map[string]object{} // "Kind/name"
	dec := yaml.NewDecoder(f)
	for {
		var o object
		if err := dec.Decode(&o); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		if o == nil {
			continue
		}
		if dig(o, "apiVersion") == nil || asString(dig(o, "metadata", "namespace")) != "monitoring" {
			t.Errorf("%v %v: needs apiVersion and the monitoring namespace", o["kind"], dig(o, "metadata", "name"))
		}
		objects[asString(o["kind"])+"/"+asString(dig(o, "metadata", "name"))] = o
	}
	need := func(key string) object {
		o, ok := objects[key]
		if !ok {
			t.Fatalf("no %s in the manifests", key)
		}
		return o
	}
	cm, deploy, svc := need("ConfigMap/inferno-config"), need("Deployment/inferno"), need("Service/inferno")
	sm, probe := need("ServiceMonitor/inferno"), need("Probe/inferno-llm-probe")

	cfg, err := config.Load([]byte(asString(dig(cm, "data", "inferno.yml"))), "ConfigMap inferno-config")
	if err != nil {
		t.Fatalf("the ConfigMap's configuration: %v", err)
	}

	pod := dig(deploy, "spec", "template")
	podLabels := dig(pod, "metadata", "labels").(object)
	for k, v := range dig(deploy, "spec", "selector", "matchLabels").(object) {
		if podLabels[k] != v {
			t.Errorf("Deployment selector %s=%v does not match its pod labels", k, v)
		}
	}
	container := dig(pod, "spec", "containers").([]any)[0].(object)
	ports := map[string]int{}
	for _, p := range container["ports"].([]any) {
		ports[asString(p.(object)["name"])] = p.(object)["containerPort"].(int)
	}
	mounts := map[string]string{}
	for _, m := range container["volumeMounts"].([]any) {
		mounts[asString(m.(object)["name"])] = asString(m.(object)["mountPath"])
	}
	for _, v := range dig(pod, "spec", "volumes").([]any) {
		vol := v.(object)
		if mounts[asString(vol["name"])] == "" {
			t.Errorf("volume %v is not mounted", vol["name"])
		}
		if name := asString(dig(vol, "configMap", "name")); name != "" {
			need("ConfigMap/" + name)
		}
		if claim := asString(dig(vol, "persistentVolumeClaim", "claimName")); claim != "" {
			need("PersistentVolumeClaim/" + claim)
		}
	}
	args := strings.Join(toStrings(container["args"]), " ")
	if !strings.Contains(args, "--config.file="+mounts["config"]+"/inferno.yml") {
		t.Errorf("args %q do not read the ConfigMap's inferno.yml at %s", args, mounts["config"])
	}
	if !strings.HasPrefix(cfg.Global.ReportDir, mounts["reports"]) {
		t.Errorf("report_dir %s is not on the reports volume (%s)", cfg.Global.ReportDir, mounts["reports"])
	}
	for probeName, path := range map[string]string{"readinessProbe": "/-/ready", "livenessProbe": "/-/healthy"} {
		if asString(dig(container, probeName, "httpGet", "path")) != path || ports[asString(dig(container, probeName, "httpGet", "port"))] == 0 {
			t.Errorf("%s: want %s on a named container port", probeName, path)
		}
	}
	if dig(container, "resources", "requests") == nil || dig(container, "resources", "limits") == nil {
		t.Error("the container sets no resources")
	}

	for k, v := range dig(svc, "spec", "selector").(object) {
		if podLabels[k] != v {
			t.Errorf("Service selector %s=%v matches no pod", k, v)
		}
	}
	svcPort := dig(svc, "spec", "ports").([]any)[0].(object)
	if ports[asString(svcPort["targetPort"])] == 0 {
		t.Errorf("Service targetPort %v is no container port", svcPort["targetPort"])
	}
	svcLabels := dig(svc, "metadata", "labels").(object)
	for k, v := range dig(sm, "spec", "selector", "matchLabels").(object) {
		if svcLabels[k] != v {
			t.Errorf("ServiceMonitor selector %s=%v matches no Service", k, v)
		}
	}
	if ep := dig(sm, "spec", "endpoints").([]any)[0].(object); ep["port"] != svcPort["name"] || ep["path"] != "/metrics" {
		t.Errorf("ServiceMonitor endpoint %v: want port %v and /metrics", ep, svcPort["name"])
	}

	wantURL := fmt.Sprintf("%s.%s.svc:%d", dig(svc, "metadata", "name"), dig(svc, "metadata", "namespace"), svcPort["port"])
	if got := asString(dig(probe, "spec", "prober", "url")); got != wantURL || dig(probe, "spec", "prober", "path") != "/probe" {
		t.Errorf("Probe prober %s, want %s with path /probe", got, wantURL)
	}
	if _, ok := cfg.Modules[asString(dig(probe, "spec", "module"))]; !ok {
		t.Errorf("Probe module %v is not in the configuration", dig(probe, "spec", "module"))
	}
	for _, target := range toStrings(dig(probe, "spec", "targets", "staticConfig", "static")) {
		if cfg.Target(target) == nil {
			t.Errorf("Probe target %q is not a configured target", target)
		}
	}
}

func toStrings(v any) []string {
	var out []string
	for _, x := range v.([]any) {
		out = append(out, asString(x))
	}
	return out
}

// TestStatefulSetManifest checks the scale-out variant against the main
// manifests: the same pod labels (so the Service and monitors select its
// pods), the ConfigMap it mounts, a volume for every mount, and
// --shard.count equal to replicas with the index left to the ordinal.
func TestStatefulSetManifest(t *testing.T) {
	read := func(path string) map[string]object {
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		out := map[string]object{}
		for dec := yaml.NewDecoder(f); ; {
			var o object
			if err := dec.Decode(&o); err == io.EOF {
				return out
			} else if err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			if o != nil {
				out[asString(o["kind"])+"/"+asString(dig(o, "metadata", "name"))] = o
			}
		}
	}
	main, scaled := read("kubernetes/inferno.yaml"), read("kubernetes/inferno-statefulset.yaml")
	sts, ok := scaled["StatefulSet/inferno"]
	if !ok {
		t.Fatal("no StatefulSet/inferno")
	}
	svc := main["Service/inferno"]
	if asString(dig(sts, "spec", "serviceName")) != asString(dig(svc, "metadata", "name")) {
		t.Errorf("serviceName %v is not the Service", dig(sts, "spec", "serviceName"))
	}
	podLabels := dig(sts, "spec", "template", "metadata", "labels").(object)
	for k, v := range dig(svc, "spec", "selector").(object) {
		if podLabels[k] != v {
			t.Errorf("the Service selector %s=%v does not select the StatefulSet's pods", k, v)
		}
	}
	container := dig(sts, "spec", "template", "spec", "containers").([]any)[0].(object)
	volumes := map[string]bool{}
	for _, v := range dig(sts, "spec", "template", "spec", "volumes").([]any) {
		vol := v.(object)
		volumes[asString(vol["name"])] = true
		if name := asString(dig(vol, "configMap", "name")); name != "" && main["ConfigMap/"+name] == nil {
			t.Errorf("ConfigMap %s is not in inferno.yaml", name)
		}
	}
	for _, c := range dig(sts, "spec", "volumeClaimTemplates").([]any) {
		volumes[asString(dig(c.(object), "metadata", "name"))] = true
	}
	for _, m := range container["volumeMounts"].([]any) {
		if !volumes[asString(m.(object)["name"])] {
			t.Errorf("mount %v has no volume", m.(object)["name"])
		}
	}
	args := strings.Join(toStrings(container["args"]), " ")
	if want := fmt.Sprintf("--shard.count=%d", dig(sts, "spec", "replicas")); !strings.Contains(args, want) || strings.Contains(args, "--shard.index") {
		t.Errorf("args %q: want %s and the index from the pod's ordinal", args, want)
	}
}
