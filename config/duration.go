package config

import "github.com/inferno-llm/inferno/config/schema"

// Duration is the schema's one duration (see schema.Duration).
type Duration = schema.Duration
