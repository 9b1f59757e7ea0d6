package deploy

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// The manifests run an image the Dockerfile's and the README's build
// command tag: nothing publishes an image to a registry, so a tag only
// the manifests name would never pull.
func TestManifestImageIsBuilt(t *testing.T) {
	built := map[string]bool{}
	tag := regexp.MustCompile(`docker build [^\n` + "`" + `]*-t (\S+) \.`)
	for _, f := range []string{"../Dockerfile", "../README.md"} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range tag.FindAllStringSubmatch(string(b), -1) {
			built[m[1]] = true
		}
	}
	image := regexp.MustCompile(`image: (\S*inferno\S*)`)
	for _, f := range []string{"kubernetes/inferno.yaml", "kubernetes/inferno-statefulset.yaml"} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range image.FindAllStringSubmatch(string(b), -1) {
			if strings.Contains(m[1], "configmap-reload") {
				continue
			}
			if !built[m[1]] {
				t.Errorf("%s runs %s, which no docker build in the Dockerfile or README tags (they tag %v)", f, m[1], built)
			}
		}
	}
}
