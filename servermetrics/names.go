// Package servermetrics scrapes an inference server's own Prometheus
// metrics at a window's edges (and its gauges in between) and turns them
// into the server's view of the window: TTFT, end-to-end and queue time
// from histogram deltas, queue, running requests and KV-cache usage from
// gauges, and the prefix-cache hit ratio from counter deltas. Scraping is
// best effort: a server that is down, slow, huge or speaks garbage costs
// a note in the report, never the window.
package servermetrics

import "strings"

// role is what a metric family means, whatever a server calls it.
type role int

const (
	roleTTFT role = iota
	roleE2E
	roleQueue
	roleWaiting
	roleRunning
	roleKVCache
	rolePrefixQueries
	rolePrefixHits
	roleCount
)

// family is one server's name for a role. Counters are named without
// their _total suffix: text format 0.0.4 writes it in the family name and
// OpenMetrics does not, and a lookup strips it from both.
type family struct {
	server string
	role   role
}

// Servers whose metric names are known. llm-d serves vLLM's, and so does
// the built-in simulator.
const (
	ServerVLLM   = "vllm"
	ServerSGLang = "sglang"
	ServerTGI    = "tgi"
)

// names maps each known metric family to its server and role. vLLM's
// older KV-cache gauge (gpu_cache_usage_perc, before 0.10) maps too.
var names = map[string]family{
	"vllm:time_to_first_token_seconds": {ServerVLLM, roleTTFT},
	"vllm:e2e_request_latency_seconds": {ServerVLLM, roleE2E},
	"vllm:request_queue_time_seconds":  {ServerVLLM, roleQueue},
	"vllm:num_requests_waiting":        {ServerVLLM, roleWaiting},
	"vllm:num_requests_running":        {ServerVLLM, roleRunning},
	"vllm:kv_cache_usage_perc":         {ServerVLLM, roleKVCache},
	"vllm:gpu_cache_usage_perc":        {ServerVLLM, roleKVCache},
	"vllm:prefix_cache_queries":        {ServerVLLM, rolePrefixQueries},
	"vllm:prefix_cache_hits":           {ServerVLLM, rolePrefixHits},

	"sglang:time_to_first_token_seconds": {ServerSGLang, roleTTFT},
	"sglang:e2e_request_latency_seconds": {ServerSGLang, roleE2E},
	"sglang:queue_time_seconds":          {ServerSGLang, roleQueue},
	"sglang:num_queue_reqs":              {ServerSGLang, roleWaiting},
	"sglang:num_running_reqs":            {ServerSGLang, roleRunning},
	"sglang:token_usage":                 {ServerSGLang, roleKVCache},
	// SGLang counts prompt tokens and those served from its radix cache.
	"sglang:prompt_tokens": {ServerSGLang, rolePrefixQueries},
	"sglang:cached_tokens": {ServerSGLang, rolePrefixHits},

	// TGI has no TTFT histogram and no KV-cache gauge: its section has
	// end-to-end and queue time and its queue and batch sizes.
	"tgi_request_duration":       {ServerTGI, roleE2E},
	"tgi_request_queue_duration": {ServerTGI, roleQueue},
	"tgi_queue_size":             {ServerTGI, roleWaiting},
	"tgi_batch_current_size":     {ServerTGI, roleRunning},
}

// lookup finds a family by its exposed name.
func lookup(name string) (family, bool) {
	if f, ok := names[name]; ok {
		return f, true
	}
	f, ok := names[strings.TrimSuffix(name, "_total")]
	return f, ok && (f.role == rolePrefixQueries || f.role == rolePrefixHits)
}

// modelLabels are the labels servers put the served model in.
var modelLabels = []string{"model_name", "model"}
