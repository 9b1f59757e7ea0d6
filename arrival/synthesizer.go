package arrival

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/vm"
)

// The old tool's synthesizer accepted exactly one form of arrival
// function, a Python lambda giving the cumulative number of requests
// issued by whole second t:
//
//	lambda t: int(t/A+B) if t<C else None
var legacyFunc = regexp.MustCompile(`^\s*lambda\s+t\s*:\s*int\s*\(\s*t\s*/\s*(` + number + `)\s*\+\s*(` + number + `)\s*\)\s*if\s+t\s*<\s*(` + number + `)\s*else\s+None\s*$`)

const number = `[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?`

// Synthesizer is an arrival function: the cumulative number of requests
// issued by whole second t; ok is false where the function gives None
// (nil), which ends the schedule.
type Synthesizer interface {
	Cumulative(t int) (n int, ok bool)
}

// ParseSynthesizer accepts the old tool's Python form exactly, or a
// general expression in expr-lang (https://expr-lang.org) over t, such as
// `t < 60 ? int(t / 0.1 + 1) : nil`.
func ParseSynthesizer(src string) (Synthesizer, error) {
	if m := legacyFunc.FindStringSubmatch(src); m != nil {
		var s lambdaFunc
		for i, dst := range []*float64{&s.A, &s.B, &s.C} {
			v, err := strconv.ParseFloat(m[i+1], 64)
			if err != nil {
				return nil, fmt.Errorf("func %q: %w", src, err)
			}
			*dst = v
		}
		if s.A == 0 {
			return nil, fmt.Errorf("func %q: division by zero (A = 0)", src)
		}
		return s, nil
	}
	if strings.HasPrefix(strings.TrimSpace(src), "lambda") {
		return nil, fmt.Errorf("func %q: a Python lambda must have the form `lambda t: int(t/A+B) if t<C else None`; for anything else write an expression such as `t < 60 ? int(t / 0.1 + 1) : nil`", src)
	}
	return compileExpr(src)
}

// lambdaFunc is `lambda t: int(t/A+B) if t<C else None`.
type lambdaFunc struct {
	A, B, C float64
}

// Cumulative evaluates as Python would: int() truncates toward zero.
func (s lambdaFunc) Cumulative(t int) (int, bool) {
	if !(float64(t) < s.C) {
		return 0, false
	}
	return clampCount(math.Trunc(float64(t)/s.A + s.B)), true
}

// clampCount keeps a huge or non-finite value from overflowing the count.
func clampCount(v float64) int {
	if !(v < maxCumulative) {
		v = maxCumulative
	}
	return int(max(v, 0))
}

// Limits on a general expression: its size, and the memory one evaluation
// may use (expr-lang counts it). The language has no I/O and no unbounded
// loops; with its builtins limited to arithmetic it cannot read the clock
// or allocate much either.
const (
	exprMaxNodes     = 256
	exprMemoryBudget = 10000
)

var exprBuiltins = []string{"int", "float", "abs", "ceil", "floor", "round", "min", "max"}

type exprFunc struct {
	src     string
	program *vm.Program
}

func compileExpr(src string) (Synthesizer, error) {
	opts := []expr.Option{expr.Env(map[string]any{"t": 0}), expr.MaxNodes(exprMaxNodes), expr.DisableAllBuiltins()}
	for _, b := range exprBuiltins {
		opts = append(opts, expr.EnableBuiltin(b))
	}
	program, err := expr.Compile(src, opts...)
	if err != nil {
		return nil, fmt.Errorf("func %q: %v", src, err)
	}
	f := exprFunc{src: src, program: program}
	if _, _, err := f.eval(0); err != nil {
		return nil, err
	}
	return f, nil
}

func (f exprFunc) eval(t int) (int, bool, error) {
	machine := vm.VM{MemoryBudget: exprMemoryBudget}
	out, err := machine.Run(f.program, map[string]any{"t": t})
	if err != nil {
		return 0, false, fmt.Errorf("func %q at t=%d: %v", f.src, t, err)
	}
	switch v := out.(type) {
	case nil:
		return 0, false, nil
	case int:
		return clampCount(float64(v)), true, nil
	case float64:
		return clampCount(math.Trunc(v)), true, nil
	}
	return 0, false, fmt.Errorf("func %q at t=%d: gave %T, want a number or nil", f.src, t, out)
}

// Cumulative ends the schedule where the expression gives nil, and also
// where it fails at run time (checked at t=0 when parsed).
func (f exprFunc) Cumulative(t int) (int, bool) {
	n, ok, err := f.eval(t)
	return n, ok && err == nil
}

// maxCumulative caps func(t); far beyond what any window can send.
const maxCumulative = 1 << 31

// maxSynthesizerSeconds bounds evaluation of a function whose end lies
// absurdly far away (a C of 1e18 would otherwise never end).
const maxSynthesizerSeconds = 7 * 24 * 3600

// MaxSynthesizerSeconds is how far a synthesizer's function is evaluated,
// for checks that follow it as the load generator will.
const MaxSynthesizerSeconds = maxSynthesizerSeconds

// synthesizerArrival issues, at each whole second t, the requests that
// bring the total issued up to func(t); it ends where func gives None.
type synthesizerArrival struct {
	fn      Synthesizer
	t       int
	issued  int
	pending int // requests still to issue at second t
}

func (a *synthesizerArrival) Next() (time.Duration, bool) {
	for a.pending == 0 {
		if a.t >= maxSynthesizerSeconds {
			return 0, false
		}
		n, ok := a.fn.Cumulative(a.t)
		if !ok {
			return 0, false
		}
		if n > a.issued {
			a.pending = n - a.issued
			a.issued = n
			break
		}
		a.t++
	}
	a.pending--
	at := time.Duration(a.t) * time.Second
	if a.pending == 0 {
		a.t++
	}
	return at, true
}

// Finite marks the synthesizer as ending on its own: its function returns
// None at t = C, and evaluation stops after a week of seconds regardless.
func (a *synthesizerArrival) Finite() {}

// MaxSynthesizerSteps bounds the work of checking a synthesizer over a
// window: its program's length times the seconds evaluated. Config checks
// a window against it at resolve time.
const MaxSynthesizerSteps = 20_000_000

// SynthesizerCost is the work of one evaluation of fn, in steps.
func SynthesizerCost(fn Synthesizer) int {
	if f, ok := fn.(exprFunc); ok {
		return max(programSteps(f.program), 1)
	}
	return 1
}

func programSteps(p *vm.Program) int { return len(p.Bytecode) }
