package schema

import (
	"slices"
	"strings"
)

// APINames are the accepted api values, aliases included, sorted. The
// prober serves each (its test checks that the two lists agree), so the
// schema can be validated without importing the prober.
var APINames = []string{"friendliai", "openai", "openai-chat", "openai-completions", "openai-embeddings", "rerank", "tgi", "triton", "vllm", "vllm-completions"}

// KnownAPI reports whether name is one of APINames, in any case.
func KnownAPI(name string) bool { return slices.Contains(APINames, strings.ToLower(name)) }
