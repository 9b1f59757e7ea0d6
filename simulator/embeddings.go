package simulator

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"strings"
	"time"
)

// DefaultEmbedPerToken is an embedding's cost per input token when the
// config sets none: about what a small encoder on one GPU spends.
const DefaultEmbedPerToken = 20 * time.Microsecond

// embedDimensions is the length of each returned vector: small, since no
// test reads the numbers, only that one vector comes back per input.
const embedDimensions = 8

// embeddings serves OpenAI's POST /v1/embeddings (and the rerank API's
// POST /v1/rerank, one score per document): one vector per input,
// answered after EmbedPerToken × the batch's input tokens (words), so a
// longer batch takes proportionally longer, as an encoder's prefill does.
func (s *Server) embeddings(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(w, `{"error":"method not allowed"}`, http.StatusMethodNotAllowed)
		return
	}
	var body map[string]any
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<20)).Decode(&body); err != nil {
		writeError(w, http.StatusBadRequest, "invalid JSON body: "+err.Error())
		return
	}
	arrived := received(r)
	if s.cfg.OnRequest != nil {
		s.cfg.OnRequest(r.URL.Path, body)
	}
	rerank := strings.HasSuffix(r.URL.Path, "/rerank")
	field := "input"
	if rerank {
		field = "documents"
	}
	var inputs []string
	switch in := body[field].(type) {
	case string:
		inputs = []string{in}
	case []any:
		for _, v := range in {
			str, ok := v.(string)
			if !ok {
				writeError(w, http.StatusBadRequest, field+": want a string or a list of strings")
				return
			}
			inputs = append(inputs, str)
		}
	}
	if len(inputs) == 0 {
		writeError(w, http.StatusBadRequest, field+": want a string or a non-empty list of strings")
		return
	}
	tokens := 0
	query, _ := body["query"].(string)
	if rerank {
		if query == "" {
			writeError(w, http.StatusBadRequest, "query: want a string")
			return
		}
		// A cross-encoder reads the query beside every document.
		tokens += len(strings.Fields(query)) * len(inputs)
	}
	for _, in := range inputs {
		tokens += len(strings.Fields(in))
	}
	per := s.cfg.EmbedPerToken
	if per == 0 {
		per = DefaultEmbedPerToken
	}
	s.metrics.running.Inc()
	defer s.metrics.running.Dec()
	select {
	case <-time.After(time.Until(arrived.Add(time.Duration(tokens) * per))):
	case <-r.Context().Done():
		return
	}
	type datum struct {
		Object    string    `json:"object"`
		Index     int       `json:"index"`
		Embedding []float64 `json:"embedding"`
	}
	data := make([]datum, len(inputs))
	for i, in := range inputs {
		// A unit vector that depends on the text only: the same input
		// always embeds the same.
		v := make([]float64, embedDimensions)
		norm := 0.0
		for j := range v {
			v[j] = float64(len(in)%(j+3)+1) / float64(j+1)
			norm += v[j] * v[j]
		}
		for j := range v {
			v[j] /= math.Sqrt(norm)
		}
		data[i] = datum{Object: "embedding", Index: i, Embedding: v}
	}
	model, _ := body["model"].(string)
	if model == "" {
		model = s.cfg.Model
	}
	answer := map[string]any{"object": "list", "data": data, "model": model,
		"usage": map[string]int{"prompt_tokens": tokens, "total_tokens": tokens}}
	if rerank {
		results := make([]map[string]any, len(inputs))
		for i := range inputs {
			results[i] = map[string]any{"index": i, "relevance_score": data[i].Embedding[0]}
		}
		answer = map[string]any{"id": fmt.Sprintf("rerank-sim-%d", s.seq.Add(1)), "model": model, "results": results,
			"usage": map[string]int{"total_tokens": tokens}}
	}
	w.Header().Set("Content-Type", "application/json")
	b, err := json.Marshal(answer)
	if err != nil {
		writeError(w, http.StatusInternalServerError, fmt.Sprint(err))
		return
	}
	w.Write(b)
	if s.cfg.OnEmbed != nil {
		s.cfg.OnEmbed(len(inputs), tokens, time.Since(arrived))
	}
}
