package measure

import (
	"encoding/binary"
	"encoding/hex"
	"math/rand/v2"
	"net/http"
	"strings"

	promconfig "github.com/prometheus/common/config"

	"github.com/inferno-llm/inferno/result"
)

// traceparentKey is W3C Trace Context's header, in net/http's canonical
// form so the transports write it as any other header.
const traceparentKey = "Traceparent"

// setTraceContext gives the request a fresh W3C traceparent (version 00,
// a new trace id, the request id as parent id, sampled), so the server's
// traces (vLLM and llm-d export OTLP keyed by it) and the client's
// exemplars name the same request. A traceparent the target's
// configuration sets is respected: its trace id is recorded and no second
// header is added. The ids live in the result as arrays; the header value
// is the only allocation.
func (t *Target) setTraceContext(h http.Header, res *result.Result) {
	newID(res.RequestID[:])
	if t.TraceparentConfigured {
		res.TraceID, _ = ParseTraceparent(t.Traceparent)
		return
	}
	newID(res.TraceID[:])
	var b [55]byte
	copy(b[:3], "00-")
	hex.Encode(b[3:35], res.TraceID[:])
	b[35] = '-'
	hex.Encode(b[36:52], res.RequestID[:])
	copy(b[52:], "-01")
	h[traceparentKey] = []string{string(b[:])}
}

// newID fills id with random bytes, never all zero (an invalid id in
// W3C Trace Context). math/rand's generator is per-thread and needs no
// lock: thousands of requests a second draw from it at once.
func newID(id []byte) {
	for {
		for i := 0; i < len(id); i += 8 {
			var w [8]byte
			binary.LittleEndian.PutUint64(w[:], rand.Uint64())
			copy(id[i:], w[:])
		}
		for _, c := range id {
			if c != 0 {
				return
			}
		}
	}
}

// ParseTraceparent reads the trace id of a W3C traceparent header value
// (version-traceid-parentid-flags); ok is false for anything else.
func ParseTraceparent(v string) (id [16]byte, ok bool) {
	parts := strings.Split(strings.TrimSpace(v), "-")
	if len(parts) < 4 || len(parts[0]) != 2 || len(parts[1]) != 32 || len(parts[2]) != 16 || len(parts[3]) != 2 {
		return id, false
	}
	if _, err := hex.Decode(id[:], []byte(strings.ToLower(parts[1]))); err != nil || id == ([16]byte{}) {
		return [16]byte{}, false
	}
	return id, true
}

// ConfiguredTraceparent returns the traceparent a target's configured
// headers set, and whether they set one at all: a header whose value is a
// secret or a file is set but unknown here ("" and true).
func ConfiguredTraceparent(cfg promconfig.HTTPClientConfig) (string, bool) {
	if cfg.HTTPHeaders == nil {
		return "", false
	}
	for name, h := range cfg.HTTPHeaders.Headers {
		if strings.EqualFold(name, "traceparent") {
			if len(h.Values) > 0 {
				return h.Values[0], true
			}
			return "", true
		}
	}
	return "", false
}
