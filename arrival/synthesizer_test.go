package arrival

import (
	"strings"
	"testing"
	"time"

	"github.com/inferno-llm/inferno/config/schema"
)

// The old tool's README example: 1 request at t=0, then 10 at each second
// 1..59, 591 in all.
func TestSynthesizerReadmeExample(t *testing.T) {
	a, err := New(schema.Arrival{Kind: "synthesizer", Func: "lambda t: int(t / 0.1 + 1) if t < 60 else None"}, 0)
	if err != nil {
		t.Fatal(err)
	}
	perSecond := map[time.Duration]int{}
	total := 0
	for {
		off, ok := a.Next()
		if !ok {
			break
		}
		if off%time.Second != 0 {
			t.Fatalf("offset %v is not a whole second", off)
		}
		perSecond[off/time.Second]++
		total++
	}
	if total != 591 || perSecond[0] != 1 || len(perSecond) != 60 {
		t.Fatalf("total %d, at t=0 %d, seconds %d; want 591, 1, 60", total, perSecond[0], len(perSecond))
	}
	for s := time.Duration(1); s < 60; s++ {
		if perSecond[s] != 10 {
			t.Errorf("t=%d: %d requests, want 10", s, perSecond[s])
		}
	}
}

func TestParseSynthesizer(t *testing.T) {
	good := []string{
		"t < 60 ? int(t / 0.1 + 1) : nil",
		"min(t * 5, 100)",
		"lambda t: int(t/0.1+1) if t<60 else None",
		"  lambda   t :int( t / 2 + 0 )   if t < 1e2 else None ",
		"lambda t: int(t/.5+-1) if t<10 else None",
	}
	for _, src := range good {
		if _, err := ParseSynthesizer(src); err != nil {
			t.Errorf("%q: %v", src, err)
		}
	}
	bad := map[string]string{
		"lambda t: open('/etc/passwd')":             "must have the form",
		"lambda t: int(t/0+1) if t<60 else None":    "division by zero",
		"lambda x: int(x/1+1) if x<60 else None":    "must have the form",
		"lambda t: int(t/1+1) if t<60 else 5":       "must have the form",
		"":                                          "func",
		"lambda t: int(t/1+1) if t<60 else None; 1": "must have the form",
		// General expressions: no files, no clock, no unbounded work.
		`readFile("/etc/passwd")`: "unknown name readFile",
		`now()`:                   "unknown name now",
		`t < 60 ? "many" : nil`:   "want a number or nil",
		`min(1..100000000)`:       "memory budget exceeded",
		// Loops: every iteration over a range counts against the budget,
		// so no expression runs long (the constant ones are folded).
		`reduce(1..1000000000, #acc + # * t)`: "memory budget exceeded",
		`count(1..1000000000, # > t)`:         "memory budget exceeded",
		`find(1..1000000000, # < 0) ?? 1`:     "memory budget exceeded",
		`let x = 1..100000000; 1`:             "memory budget exceeded",
		`repeat("a", 100000000)`:              "unknown name repeat",
		`u + 1`:                               "unknown name u",
		strings.Repeat("t + ", 400) + "t":     "func",
	}
	for src, want := range bad {
		if _, err := ParseSynthesizer(src); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: got %v, want %q", src, err, want)
		}
	}
}

// The general form gives the same schedule as the old form.
func TestExpressionMatchesLambda(t *testing.T) {
	a, _ := ParseSynthesizer("lambda t: int(t / 0.1 + 1) if t < 60 else None")
	b, err := ParseSynthesizer("t < 60 ? int(t / 0.1 + 1) : nil")
	if err != nil {
		t.Fatal(err)
	}
	for sec := range 62 {
		na, oka := a.Cumulative(sec)
		nb, okb := b.Cumulative(sec)
		if na != nb || oka != okb {
			t.Errorf("t=%d: lambda %d %v, expression %d %v", sec, na, oka, nb, okb)
		}
	}
}

// A function that never reaches its end is cut at a week of seconds, and a
// decreasing one issues nothing more.
func TestSynthesizerBounds(t *testing.T) {
	a, _ := New(schema.Arrival{Kind: "synthesizer", Func: "lambda t: int(t/-1+5) if t<1e18 else None"}, 0)
	n := 0
	for {
		if _, ok := a.Next(); !ok {
			break
		}
		n++
	}
	if n != 5 {
		t.Errorf("decreasing function issued %d, want 5 (all at t=0)", n)
	}
}

func FuzzParseSynthesizer(f *testing.F) {
	f.Add("lambda t: int(t / 0.1 + 1) if t < 60 else None")
	f.Add("lambda t: int(t/1e-300+1) if t<1e300 else None")
	f.Fuzz(func(t *testing.T, src string) {
		s, err := ParseSynthesizer(src)
		if err != nil {
			return
		}
		for sec := range 3 {
			s.Cumulative(sec)
		}
	})
}
