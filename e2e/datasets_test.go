package e2e

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/inferno-llm/inferno/internal/cli"
	"github.com/inferno-llm/inferno/internal/testutil"
	"github.com/inferno-llm/inferno/simulator"
)

// received records what the simulator was sent, and when.
type received struct {
	mu     sync.Mutex
	start  time.Time
	bodies []map[string]any
	at     []time.Duration
}

func (r *received) hook(_ string, body map[string]any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.start.IsZero() {
		r.start = time.Now()
	}
	r.bodies = append(r.bodies, body)
	r.at = append(r.at, time.Since(r.start))
}

// conversation renders a chat body's messages as "role: content" lines.
func conversation(body map[string]any) string {
	var lines []string
	msgs, _ := body["messages"].([]any)
	for _, m := range msgs {
		mm := m.(map[string]any)
		lines = append(lines, fmt.Sprintf("%s: %s", mm["role"], mm["content"]))
	}
	return strings.Join(lines, "\n")
}

// TestArenaReplayMultiTurn: arena conversations replayed at 10× speed as
// sessions, each later turn carrying the live answers of the earlier ones.
func TestArenaReplayMultiTurn(t *testing.T) {
	var got received
	srv := httptest.NewServer(simulator.New(simulator.Config{TTFT: 5 * time.Millisecond, ITL: time.Millisecond, OnRequest: got.hook}))
	defer srv.Close()
	dir := t.TempDir()
	code := cli.Run([]string{"run", "--url", srv.URL + "/v1", "--api", "openai-chat", "--model", "sim",
		"--dataset", "arena", "--dataset-path", "../dataset/testdata/arena.jsonl", "--arrival", "replay",
		"--compression-ratio", "10", "--output-tokens", "3", "--report-dir", dir, "--log.level", "warn", "--progress", "never"})
	if code != 0 {
		t.Fatalf("exit status %d", code)
	}
	r := testutil.OnlyReport(t, dir)
	// Conversations of 2, 1 and 3 user turns: 6 requests.
	if r.TotalRequestNum != 6 || r.FailRate != 0 || r.Run.WorkloadHash == "" {
		t.Fatalf("requests %d, fail rate %v, hash %q", r.TotalRequestNum, r.FailRate, r.Run.WorkloadHash)
	}
	convs := map[string]bool{}
	for _, b := range got.bodies {
		convs[conversation(b)] = true
	}
	// The simulator's answer to a 3-token request is " the model says".
	for _, want := range []string{
		"user: Name three colours of a rainbow.",
		"user: Name three colours of a rainbow.\nassistant:  the model says\nuser: And the other four?",
		"user: Write a haiku about tea.",
		"user: What is 17 times 3?\nassistant:  the model says\nuser: Divide that by 3.\nassistant:  the model says\nuser: Thanks!",
	} {
		if !convs[want] {
			t.Errorf("the simulator never received:\n%s\n\ngot:\n%v", want, got.bodies)
		}
	}
	// Sessions start at their tstamp offsets ÷ 10: 0, 0.452 s and 2.077 s,
	// as the server sees them. In order, and within −1 s/+2 s: a busy
	// machine delays a send (the first, from which the others are timed,
	// included) by far less, while replay without the compression ratio
	// would put them 4.5 s and 20.8 s apart.
	var firsts []time.Duration
	for i, b := range got.bodies {
		if msgs, _ := b["messages"].([]any); len(msgs) == 1 {
			firsts = append(firsts, got.at[i])
		}
	}
	sort.Slice(firsts, func(i, j int) bool { return firsts[i] < firsts[j] })
	if len(firsts) != 3 {
		t.Fatalf("%d sessions started, want 3", len(firsts))
	}
	for i, want := range []time.Duration{0, 452 * time.Millisecond, 2077 * time.Millisecond} {
		if d := firsts[i] - want; d < -time.Second || d > 2*time.Second {
			t.Errorf("session %d started at %v, want %v", i, firsts[i], want)
		}
	}
}

// TestSynthesizerFromSimulatorSide: the old tool's README function, cut
// from 60 s to 20 (arrival's TestSynthesizerReadmeExample checks all 60),
// issues 191 requests, 1 at t=0 then 10 at each whole second, as the
// server sees them.
func TestSynthesizerFromSimulatorSide(t *testing.T) {
	if testing.Short() {
		t.Skip("the schedule lasts 20 s")
	}
	var got received
	srv := httptest.NewServer(simulator.New(simulator.Config{TTFT: time.Millisecond, OnRequest: got.hook}))
	defer srv.Close()
	dir := t.TempDir()
	code := cli.Run([]string{"run", "--url", srv.URL + "/v1", "--api", "openai-completions", "--model", "sim",
		"--arrival", "synthesizer", "--func", "lambda t: int(t / 0.1 + 1) if t < 20 else None",
		"--output-tokens", "2", "--report-dir", dir, "--log.level", "warn", "--progress", "never"})
	if code != 0 {
		t.Fatalf("exit status %d", code)
	}
	if n := len(got.at); n != 191 {
		t.Fatalf("the simulator received %d requests, want 191", n)
	}
	// Counted per second as the server saw them: one request, then ten in
	// each second. Each request is put in the second nearest to it, so a
	// request counts in the wrong second only when it is half a second
	// late, which no busy machine does to a schedule that keeps time.
	perSecond := map[int]int{}
	first := map[int]time.Duration{}
	for _, at := range got.at {
		sec := int((at + 500*time.Millisecond) / time.Second)
		perSecond[sec]++
		d := at - time.Duration(sec)*time.Second
		if f, seen := first[sec]; !seen || d < f {
			first[sec] = d
		}
	}
	if perSecond[0] != 1 || perSecond[1] != 10 || perSecond[19] != 10 || len(perSecond) != 20 {
		t.Errorf("per second: %v", perSecond)
	}
	// The schedule is absolute, so it does not drift: the seconds at the
	// end begin as close to their whole second as those at the start. A
	// schedule that slept from one send to the next would add its lag at
	// every step, some 190 of them. The least late of five seconds, so a
	// busy spell (a garbage collection, another process) decides nothing
	// unless it lasts all five: a drifting schedule is late in every one.
	least := func(from, to int) time.Duration {
		var ds []time.Duration
		for sec := from; sec < to; sec++ {
			ds = append(ds, first[sec])
		}
		return slices.Min(ds)
	}
	early, late := least(1, 6), least(15, 20)
	t.Logf("least late start of seconds 1–5: %v, of seconds 15–19: %v", early, late)
	if drift := late - early; drift < -100*time.Millisecond || drift > 100*time.Millisecond {
		t.Errorf("the schedule drifted %v over 14 s (seconds 1–5 began %v off their whole second, 15–19 %v)", drift, early, late)
	}
}

// TestRunFromHub downloads a dataset through a stand-in for the hub's
// resolve URLs, with a token from a file, then runs it.
func TestRunFromHub(t *testing.T) {
	arena, err := os.ReadFile("../dataset/testdata/arena.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	hub := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer hf_test" {
			http.Error(w, "gated", http.StatusUnauthorized)
			return
		}
		if r.URL.Path != "/datasets/lmsys/chatbot_arena_conversations/resolve/main/data/train.jsonl" {
			http.NotFound(w, r)
			return
		}
		w.Write(arena)
	}))
	defer hub.Close()
	sim := httptest.NewServer(simulator.New(simulator.Config{TTFT: time.Millisecond}))
	defer sim.Close()
	dir := t.TempDir()
	tokenFile := filepath.Join(dir, "token")
	os.WriteFile(tokenFile, []byte("hf_test\n"), 0o600)
	args := []string{"run", "--url", sim.URL + "/v1", "--model", "sim", "--dataset", "arena",
		"--hf-repo", "lmsys/chatbot_arena_conversations", "--hf-file", "data/train.jsonl", "--hf-endpoint", hub.URL,
		"--cache-dir", filepath.Join(dir, "cache"), "--rate", "50", "--requests", "5", "--output-tokens", "2",
		"--report-dir", filepath.Join(dir, "reports"), "--log.level", "error", "--progress", "never"}
	if code := cli.Run(append(args, "--hf-token-file", tokenFile)); code != 0 {
		t.Fatalf("exit status %d", code)
	}
	if r := testutil.OnlyReport(t, filepath.Join(dir, "reports")); r.TotalRequestNum < 5 || r.FailRate != 0 {
		t.Errorf("requests %d, fail rate %v", r.TotalRequestNum, r.FailRate)
	}
	// Without a token, a fresh cache cannot get the gated file.
	t.Setenv("HF_TOKEN", "")
	for i, a := range args {
		if a == "--cache-dir" {
			args[i+1] = filepath.Join(dir, "cache2")
		}
	}
	if code := cli.Run(args); code != cli.ExitSetup {
		t.Errorf("gated without a token: exit status %d, want %d", code, cli.ExitSetup)
	}
}
