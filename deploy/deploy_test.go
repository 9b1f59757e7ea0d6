package deploy

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
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

// TestKubernetesSurvivesRollout checks what a rollout and daily operation
// need of both manifests: Recreate where a ReadWriteOnce claim would block
// a rolling update, a writable dataset cache beside the read-only root
// filesystem with dataset_cache_dir on it, a release's image tag, a
// commented release label for kube-prometheus-stack on the ServiceMonitor
// and Probe, a sidecar that POSTs /-/reload when the ConfigMap changes,
// and the probe's target label the dashboards filter by.
func TestKubernetesSurvivesRollout(t *testing.T) {
	main, mainText := readManifests(t, "kubernetes/inferno.yaml")
	scaled, _ := readManifests(t, "kubernetes/inferno-statefulset.yaml")
	cm := main["ConfigMap/inferno-config"]
	cfg, err := config.Load([]byte(asString(dig(cm, "data", "inferno.yml"))), "ConfigMap inferno-config")
	if err != nil {
		t.Fatal(err)
	}
	claims := map[string]object{}
	for key, o := range main {
		if name, ok := strings.CutPrefix(key, "PersistentVolumeClaim/"); ok {
			claims[name] = o
		}
	}
	images := map[string]bool{}
	for _, w := range []struct {
		name string
		o    object
	}{{"Deployment/inferno", main["Deployment/inferno"]}, {"StatefulSet/inferno", scaled["StatefulSet/inferno"]}} {
		if w.o == nil {
			t.Fatalf("no %s", w.name)
		}
		pod := dig(w.o, "spec", "template", "spec")
		volumes := map[string]object{}
		for _, v := range dig(pod, "volumes").([]any) {
			volumes[asString(v.(object)["name"])] = v.(object)
		}
		rwoClaim := false
		for _, v := range volumes {
			if c := claims[asString(dig(v, "persistentVolumeClaim", "claimName"))]; c != nil {
				for _, m := range toStrings(dig(c, "spec", "accessModes")) {
					rwoClaim = rwoClaim || m == "ReadWriteOnce"
				}
			}
		}
		if strategy := asString(dig(w.o, "spec", "strategy", "type")); rwoClaim && strategy != "Recreate" {
			t.Errorf("%s mounts a ReadWriteOnce claim with strategy %q: a rolling update waits for the volume; want Recreate", w.name, strategy)
		}

		var inferno, reloader object
		for _, c := range dig(pod, "containers").([]any) {
			c := c.(object)
			if c["name"] == "inferno" {
				inferno = c
			} else if strings.Contains(strings.Join(toStrings(c["args"]), " "), "/-/reload") {
				reloader = c
			}
		}
		if inferno == nil {
			t.Fatalf("%s: no inferno container", w.name)
		}
		image := asString(inferno["image"])
		images[image] = true
		if _, tag, _ := strings.Cut(image, ":"); !regexp.MustCompile(`^v?\d+\.\d+\.\d+`).MatchString(tag) {
			t.Errorf("%s: image %q is not tagged with a version", w.name, image)
		}

		// Where each mount is, and whether it can be written.
		mountOf := func(c object, path string) (name string, writable bool) {
			best := ""
			for _, m := range c["volumeMounts"].([]any) {
				m := m.(object)
				mp := asString(m["mountPath"])
				if (path == mp || strings.HasPrefix(path, strings.TrimSuffix(mp, "/")+"/")) && len(mp) > len(best) {
					best, name = mp, asString(m["name"])
					ro, _ := m["readOnly"].(bool)
					writable = !ro
				}
			}
			if v := volumes[name]; v != nil && v["configMap"] != nil {
				writable = false
			}
			if name != "" && volumes[name] == nil && !claimTemplates(w.o)[name] {
				t.Errorf("%s: mount %s has no volume", w.name, name)
			}
			return name, writable
		}
		if ro, _ := dig(inferno, "securityContext", "readOnlyRootFilesystem").(bool); !ro {
			t.Errorf("%s: the root filesystem is writable; want readOnlyRootFilesystem", w.name)
		}
		for what, dir := range map[string]string{"global.dataset_cache_dir": cfg.Global.DatasetCacheDir, "global.report_dir": cfg.Global.ReportDir} {
			if name, writable := mountOf(inferno, dir); name == "" || !writable {
				t.Errorf("%s: %s %s is not on a writable volume (mount %q)", w.name, what, dir, name)
			}
		}

		if reloader == nil {
			t.Errorf("%s: no config reloader sidecar", w.name)
			continue
		}
		configMount := ""
		for _, m := range inferno["volumeMounts"].([]any) {
			if asString(m.(object)["name"]) == "config" {
				configMount = asString(m.(object)["mountPath"])
			}
		}
		args := toStrings(reloader["args"])
		port := dig(inferno, "ports").([]any)[0].(object)["containerPort"]
		if want := fmt.Sprintf("--webhook-url=http://127.0.0.1:%v/-/reload", port); !slices.Contains(args, want) || !slices.Contains(args, "--volume-dir="+configMount) {
			t.Errorf("%s: reloader args %q: want it to watch %s and call %s", w.name, args, configMount, want)
		}
		if name, _ := mountOf(reloader, configMount); name != "config" {
			t.Errorf("%s: the reloader does not mount the config volume at %s", w.name, configMount)
		}
	}
	if len(images) != 1 {
		t.Errorf("the Deployment and the StatefulSet run different images: %v", images)
	}

	// The release label: in a comment, on the objects kube-prometheus-stack
	// selects.
	for _, kind := range []string{"ServiceMonitor", "Probe"} {
		re := regexp.MustCompile(`kind: ` + kind + `\nmetadata:\n(?:[^\n]*\n)*?\s+# release: \S+\n(?:[^\n]*\n)*?spec:`)
		if doc := mainText[kind]; !re.MatchString(doc) {
			t.Errorf("%s: no commented `# release: …` label in its metadata", kind)
		}
	}
	relabel := dig(main["Probe/inferno-llm-probe"], "spec", "targets", "staticConfig", "relabelingConfigs")
	found := false
	if list, ok := relabel.([]any); ok {
		for _, r := range list {
			r := r.(object)
			found = found || (r["targetLabel"] == "target" && strings.Join(toStrings(r["sourceLabels"]), ",") == "__param_target")
		}
	}
	if !found {
		t.Error("the Probe does not label its series with target (from __param_target)")
	}
}

// claimTemplates returns the names of a workload's volumeClaimTemplates.
func claimTemplates(o object) map[string]bool {
	out := map[string]bool{}
	if list, ok := dig(o, "spec", "volumeClaimTemplates").([]any); ok {
		for _, c := range list {
			out[asString(dig(c.(object), "metadata", "name"))] = true
		}
	}
	return out
}

// readManifests parses a multi-document manifest into its objects by
// "Kind/name", and keeps each kind's document text for what only comments
// say.
func readManifests(t *testing.T, path string) (map[string]object, map[string]string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	objects, texts := map[string]object{}, map[string]string{}
	for _, doc := range strings.Split(string(b), "\n---\n") {
		var o object
		if err := yaml.Unmarshal([]byte(doc), &o); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if o == nil {
			continue
		}
		objects[asString(o["kind"])+"/"+asString(dig(o, "metadata", "name"))] = o
		texts[asString(o["kind"])] = doc
	}
	return objects, texts
}
