package measure

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/inferno-llm/inferno/dataset"
	"github.com/inferno-llm/inferno/prober"
	"github.com/inferno-llm/inferno/result"
)

// streamHandler serves body as an event stream, flushing event by event
// with gap between them.
func streamHandler(status int, contentType, body string, gap time.Duration) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if contentType != "" {
			w.Header().Set("Content-Type", contentType)
		}
		w.WriteHeader(status)
		for _, ev := range strings.SplitAfter(body, "\n\n") {
			if ev == "" {
				continue
			}
			w.Write([]byte(ev))
			w.(http.Flusher).Flush()
			time.Sleep(gap)
		}
	}
}

// recorded is a stream in the shape a real server sends, as recorded
// beside the API adapters that decode it.
func recorded(t *testing.T, name string) string {
	b, err := os.ReadFile(filepath.Join("..", "prober", "testdata", "streams", name+".sse"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func sendTo(t *testing.T, ctx context.Context, h http.Handler, api string, timeout time.Duration) *result.Result {
	t.Helper()
	srv := httptest.NewServer(h)
	defer srv.Close()
	return sendURL(t, ctx, srv.URL+"/v1", api, timeout)
}

func sendURL(t *testing.T, ctx context.Context, url, api string, timeout time.Duration) *result.Result {
	t.Helper()
	a, err := prober.LookupAPI(api)
	if err != nil {
		t.Fatal(err)
	}
	// As follow_redirects: false configures it, so a redirect stays visible.
	client := &http.Client{Transport: sendTransport, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	target := &Target{URL: url, Model: "m", API: a, Client: client}
	res := &result.Result{Intended: time.Now()}
	p := dataset.Prompt{Messages: []dataset.Message{{Role: "user", Content: "hello there"}}, InputTokens: 2}
	target.Send(ctx, p, prober.Params{MaxTokens: 8}, timeout, time.Now(), true, res)
	return res
}

const eventStream = "text/event-stream"

func TestSendOutcomes(t *testing.T) {
	okChat := recorded(t, "vllm-chat")
	tests := []struct {
		name       string
		handler    http.Handler
		api        string
		timeout    time.Duration
		outcome    result.Outcome
		status     int
		reason     string // substring
		tokens     int
		tokensFrom result.TokenSource
	}{
		{name: "vllm chat", handler: streamHandler(200, eventStream, okChat, 0), api: "openai-chat",
			outcome: result.Success, status: 200, tokens: 9, tokensFrom: result.TokensFromUsage},
		{name: "vllm completions", handler: streamHandler(200, eventStream+"; charset=utf-8", recorded(t, "vllm-completions"), 0), api: "openai-completions",
			outcome: result.Success, status: 200, tokens: 2, tokensFrom: result.TokensFromUsage},
		{name: "tgi", handler: streamHandler(200, eventStream, recorded(t, "tgi"), 0), api: "tgi",
			outcome: result.Success, status: 200, tokens: 3, tokensFrom: result.TokensFromUsage},
		{name: "triton counts events", handler: streamHandler(200, eventStream, recorded(t, "triton"), 0), api: "triton",
			outcome: result.Success, status: 200, tokens: 3, tokensFrom: result.TokensFromEvents},
		{name: "openai error mid-stream", handler: streamHandler(200, eventStream, recorded(t, "openai-error-midstream"), 0), api: "openai-chat",
			outcome: result.StreamError, status: 200, reason: "KV cache"},
		{name: "tgi error mid-stream", handler: streamHandler(200, eventStream, recorded(t, "tgi-error-midstream"), 0), api: "tgi",
			outcome: result.StreamError, status: 200, reason: "CUDA out of memory"},
		{name: "triton error mid-stream", handler: streamHandler(200, eventStream, recorded(t, "triton-error-midstream"), 0), api: "triton",
			outcome: result.StreamError, status: 200, reason: "batcher"},
		{name: "429 with Retry-After", handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After", "3")
			http.Error(w, `{"error":"rate limited"}`, http.StatusTooManyRequests)
		}), api: "openai-chat", outcome: result.HTTP4xx, status: 429, reason: "Retry-After 3"},
		{name: "101 switching protocols", handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			c, _, err := http.NewResponseController(w).Hijack()
			if err != nil {
				return
			}
			defer c.Close()
			c.Write([]byte("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: x\r\n\r\n"))
			c.Read(make([]byte, 1)) // until the client lets the connection go
		}), api: "openai-chat", outcome: result.StreamError, status: 101, reason: "switched protocols"},
		{name: "401", handler: streamHandler(401, "application/json", `{"error":"bad key"}`, 0), api: "openai-chat",
			outcome: result.HTTP4xx, status: 401, reason: "HTTP 401: {\"error\":\"bad key\"}"},
		{name: "503", handler: streamHandler(503, "text/plain", "overloaded", 0), api: "tgi",
			outcome: result.HTTP5xx, status: 503, reason: "overloaded"},
		{name: "redirect not followed", handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Location", "/elsewhere")
			w.WriteHeader(307)
		}), api: "openai-chat", outcome: result.HTTP4xx, status: 307, reason: "redirect"},
		{name: "JSON instead of a stream", handler: streamHandler(200, "application/json", `{"choices":[]}`, 0), api: "openai-chat",
			outcome: result.StreamError, status: 200, reason: "not an event stream"},
		{name: "no DONE after finish_reason and usage", handler: streamHandler(200, eventStream, strings.Replace(okChat, "data: [DONE]\n\n", "", 1), 0), api: "openai-chat",
			outcome: result.Success, status: 200, tokens: 9, tokensFrom: result.TokensFromUsage},
		{name: "no DONE, no finish_reason", handler: streamHandler(200, eventStream, "data: {\"choices\":[{\"delta\":{\"content\":\"a\"}}]}\n\n", 0), api: "openai-chat",
			outcome: result.StreamError, status: 200, reason: "without its terminal event"},
		{name: "malformed JSON", handler: streamHandler(200, eventStream, "data: {\"choices\": [\n\n", 0), api: "openai-chat",
			outcome: result.StreamError, status: 200, reason: "malformed event"},
		{name: "role only, no content", handler: streamHandler(200, eventStream, "data: {\"choices\":[{\"delta\":{\"role\":\"assistant\"}}]}\n\ndata: [DONE]\n\n", 0), api: "openai-chat",
			outcome: result.StreamError, status: 200, reason: "no generated content"},
		{name: "stall times out mid-stream", handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", eventStream)
			w.Write([]byte("data: {\"choices\":[{\"delta\":{\"content\":\"a\"}}]}\n\n"))
			w.(http.Flusher).Flush()
			<-r.Context().Done()
		}), api: "openai-chat", timeout: 100 * time.Millisecond, outcome: result.Timeout, status: 200, reason: "mid-stream"},
		{name: "no headers times out", handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			io.Copy(io.Discard, r.Body) // lets the server notice the client leaving
			<-r.Context().Done()
		}), api: "openai-chat", timeout: 100 * time.Millisecond, outcome: result.Timeout, reason: "before response headers"},
		{name: "reset mid-stream", handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", eventStream)
			w.Write([]byte("data: {\"choices\":[{\"delta\":{\"content\":\"a\"}}]}\n\n"))
			w.(http.Flusher).Flush()
			conn, _, _ := http.NewResponseController(w).Hijack()
			conn.(*net.TCPConn).SetLinger(0)
			conn.Close()
		}), api: "openai-chat", outcome: result.StreamError, status: 200, reason: "mid-stream"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := sendTo(t, context.Background(), tt.handler, tt.api, tt.timeout)
			if res.Outcome != tt.outcome || res.Status != tt.status || !strings.Contains(res.Reason, tt.reason) {
				t.Fatalf("got %s status %d reason %q; want %s status %d reason containing %q",
					res.Outcome, res.Status, res.Reason, tt.outcome, tt.status, tt.reason)
			}
			if res.End.IsZero() || res.Sent.IsZero() {
				t.Errorf("end or sent time missing: %+v", res)
			}
			if tt.outcome != result.Success {
				return
			}
			if res.Reason != "" {
				t.Errorf("success with reason %q", res.Reason)
			}
			if res.OutputTokens != tt.tokens || res.TokensFrom != tt.tokensFrom {
				t.Errorf("tokens %d from %s, want %d from %s", res.OutputTokens, res.TokensFrom, tt.tokens, tt.tokensFrom)
			}
		})
	}
}

func TestSendConnectionErrors(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := "http://" + ln.Addr().String() + "/v1"
	ln.Close()
	res := sendURL(t, context.Background(), refused, "openai-chat", time.Second)
	if res.Outcome != result.ConnectionError || res.Reason != "connection refused" {
		t.Errorf("refused: got %s %q", res.Outcome, res.Reason)
	}

	tlsSrv := httptest.NewTLSServer(streamHandler(200, eventStream, "", 0))
	defer tlsSrv.Close()
	res = sendURL(t, context.Background(), tlsSrv.URL, "openai-chat", time.Second)
	if res.Outcome != result.ConnectionError || !strings.Contains(res.Reason, "certificate") {
		t.Errorf("self-signed certificate: got %s %q", res.Outcome, res.Reason)
	}
}

func TestSendCancellation(t *testing.T) {
	stall := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", eventStream)
		w.Write([]byte("data: {\"choices\":[{\"delta\":{\"content\":\"a\"}}]}\n\n"))
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	})
	ctx, cancel := context.WithTimeoutCause(context.Background(), 100*time.Millisecond, ErrWindowDeadline)
	defer cancel()
	res := sendTo(t, ctx, stall, "openai-chat", time.Minute)
	if res.Outcome != result.Cancelled || res.Reason != "window deadline reached" {
		t.Errorf("deadline: got %s %q", res.Outcome, res.Reason)
	}

	ctx, cancelAbort := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancelAbort)
	res = sendTo(t, ctx, stall, "openai-chat", time.Minute)
	if res.Outcome != result.Cancelled || res.Reason != "aborted" {
		t.Errorf("abort: got %s %q", res.Outcome, res.Reason)
	}
}

// The role-only first chunk must not count as the first token.
func TestSendTimestamps(t *testing.T) {
	res := sendTo(t, context.Background(), streamHandler(200, eventStream, recorded(t, "vllm-chat"), 20*time.Millisecond), "openai-chat", 0)
	if !res.Succeeded() {
		t.Fatalf("got %s: %s", res.Outcome, res.Reason)
	}
	if !res.FirstEvent.Before(res.FirstContent) {
		t.Errorf("first event %v not before first content %v", res.FirstEvent, res.FirstContent)
	}
	// The server waited 20 ms after the role chunk before the first
	// content, so content cannot arrive sooner after the send; a TTFT
	// taken from the role chunk could. (A lower bound: a busy machine only
	// makes it later.)
	if ttft := res.FirstContent.Sub(res.Sent); ttft < 20*time.Millisecond {
		t.Errorf("TTFT %v; the server waited 20ms between the role chunk and the first content", ttft)
	}
	// usage says 9 tokens in 4 events: the first carries one, the other
	// 8 share the gaps after it (see spreadTokens).
	if res.ContentEvents != 4 || len(res.ITL) != 8 {
		t.Errorf("content events %d, ITL samples %d; want 4 and 8", res.ContentEvents, len(res.ITL))
	}
	if res.Text != "Hello world" || res.InputTokens != 12 {
		t.Errorf("text %q input tokens %d", res.Text, res.InputTokens)
	}
}
