package cli

import (
	"fmt"
	"strings"

	"github.com/inferno-llm/inferno/config"
)

// modelList reads --models a=1,b=3 (repeatable: later flags add models).
type modelList struct{ m *[]config.ModelWeight }

func (v modelList) Set(s string) error {
	for part := range strings.SplitSeq(s, ",") {
		name, weight, hasWeight := strings.Cut(strings.TrimSpace(part), "=")
		m := config.ModelWeight{Name: strings.TrimSpace(name), Weight: 1}
		if m.Name == "" {
			return fmt.Errorf("models %q: want name=weight,name=weight", s)
		}
		if hasWeight {
			w, err := parseFinite(weight)
			if err != nil || w <= 0 {
				return fmt.Errorf("models %q: the weight of %s: want a positive number", s, m.Name)
			}
			m.Weight = w
		}
		*v.m = append(*v.m, m)
	}
	return nil
}
func (v modelList) String() string     { return fmt.Sprint(*v.m) }
func (v modelList) IsCumulative() bool { return true }
