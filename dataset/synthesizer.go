package dataset

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"time"
)

// The old tool's synthesizer accepted exactly one form of arrival
// function, a Python lambda giving the cumulative number of requests
// issued by whole second t:
//
//	lambda t: int(t/A+B) if t<C else None
var legacyFunc = regexp.MustCompile(`^\s*lambda\s+t\s*:\s*int\s*\(\s*t\s*/\s*(` + number + `)\s*\+\s*(` + number + `)\s*\)\s*if\s+t\s*<\s*(` + number + `)\s*else\s+None\s*$`)

const number = `[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?`

// Synthesizer is the old tool's arrival function in the accepted form.
type Synthesizer struct {
	A, B, C float64
}

// ParseSynthesizer parses the Python form of the old tool's func.
func ParseSynthesizer(src string) (Synthesizer, error) {
	m := legacyFunc.FindStringSubmatch(src)
	if m == nil {
		return Synthesizer{}, fmt.Errorf("func %q: want the form `lambda t: int(t/A+B) if t<C else None`", src)
	}
	var s Synthesizer
	for i, dst := range []*float64{&s.A, &s.B, &s.C} {
		v, err := strconv.ParseFloat(m[i+1], 64)
		if err != nil {
			return Synthesizer{}, fmt.Errorf("func %q: %w", src, err)
		}
		*dst = v
	}
	if s.A == 0 {
		return Synthesizer{}, fmt.Errorf("func %q: division by zero (A = 0)", src)
	}
	return s, nil
}

// Cumulative evaluates the function at whole second t, as Python would:
// int() truncates toward zero; ok is false where the function gives None.
func (s Synthesizer) Cumulative(t int) (n int, ok bool) {
	if !(float64(t) < s.C) {
		return 0, false
	}
	v := math.Trunc(float64(t)/s.A + s.B)
	// Clamped so a huge or non-finite value cannot overflow the count.
	if !(v < maxCumulative) {
		v = maxCumulative
	}
	return int(max(v, 0)), true
}

// maxCumulative caps func(t); far beyond what any window can send.
const maxCumulative = 1 << 31

// maxSynthesizerSeconds bounds evaluation of a function whose end lies
// absurdly far away (a C of 1e18 would otherwise never end).
const maxSynthesizerSeconds = 7 * 24 * 3600

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
