package config

import (
	"fmt"
	"math"
)

// maxModels bounds a model mix: each model is a value of the metrics'
// model label.
const maxModels = 64

func (c *Config) validateModels(w *Workload, field string) error {
	if len(w.Models) > maxModels {
		return c.fail(w.line, field+".models", "%d models is over the limit of %d", len(w.Models), maxModels)
	}
	seen := map[string]bool{}
	for i := range w.Models {
		m := &w.Models[i]
		f := fmt.Sprintf("%s.models[%d]", field, i)
		switch {
		case m.Name == "" || len(m.Name) > 256:
			return c.fail(w.line, f+".name", "want a model name of 1 to 256 characters")
		case seen[m.Name]:
			return c.fail(w.line, f+".name", "model %q is listed twice", m.Name)
		case m.Weight < 0 || math.IsNaN(m.Weight) || math.IsInf(m.Weight, 0):
			return c.fail(w.line, f+".weight", "want a positive weight, got %v", m.Weight)
		}
		seen[m.Name] = true
		if m.Weight == 0 {
			m.Weight = 1
		}
	}
	return nil
}
