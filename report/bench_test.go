package report

import (
	"runtime"
	"testing"
	"time"

	"github.com/inferno-llm/inferno/result"
)

// BenchmarkAggregatorMemory feeds b.N results of 1,000 tokens each and
// reports the heap the window's aggregate holds per request. Run it at
// the scale with -benchtime=1000000x (about a minute):
//
//	go test ./report -run - -bench AggregatorMemory -benchtime 1000000x
func BenchmarkAggregatorMemory(b *testing.B) {
	const tokens = 1000
	start := time.Now()
	itl := make([]time.Duration, tokens-1)
	for i := range itl {
		itl[i] = time.Duration(15+i%10) * time.Millisecond
	}
	var before runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	a := NewAggregator(start, SLO{TTFT: time.Second}, nil)
	b.ResetTimer()
	for i := range b.N {
		sent := start.Add(time.Duration(i) * time.Millisecond)
		a.Add(&result.Result{
			Index: i, Intended: sent, Sent: sent, FirstEvent: sent.Add(100 * time.Millisecond),
			FirstContent: sent.Add(100 * time.Millisecond), End: sent.Add(20 * time.Second),
			Outcome: result.Success, InputTokens: 128, OutputTokens: tokens, TokensFrom: result.TokensFromUsage,
			ContentEvents: tokens, ITL: itl,
			TokensBySecond: []result.SecondTokens{{Second: int32(i / 1000), Tokens: tokens}},
		})
	}
	b.StopTimer()
	var after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&after)
	rep := a.Report(Meta{})
	if rep.Stats.ITL.Count != b.N*(tokens-1) {
		b.Fatalf("ITL count %d", rep.Stats.ITL.Count)
	}
	held := float64(after.HeapAlloc) - float64(before.HeapAlloc)
	b.ReportMetric(held/float64(b.N), "heap-B/request")
	b.ReportMetric(held/(1<<20), "heap-MiB")
	runtime.KeepAlive(a)
}
