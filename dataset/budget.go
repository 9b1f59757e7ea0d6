package dataset

import "github.com/expr-lang/expr/vm"

// Caps on what a data set, a tokenizer or a synthesizer may cost, so that
// a file or a hub repository cannot take the process down. Config checks
// a window against them at resolve time (limits.max_window_bytes).
const (
	// MaxDatasetBytes bounds what is read of a data file, and the
	// estimated memory of a Parquet file's decoded rows.
	MaxDatasetBytes = 256 << 20
	// MaxDatasetRows bounds the rows read of a data file.
	MaxDatasetRows = 1_000_000
	// RowBytesInFlight is what one request in flight holds of a data
	// file's prompt beyond the data set itself (its encoded body): a
	// ShareGPT prompt is 1–5 KB.
	RowBytesInFlight = 16 << 10
	// MaxTokenizerBytes bounds a tokenizer file and the memory a loaded
	// tokenizer is counted for in the cache's budget.
	MaxTokenizerBytes = 64 << 20
	// MaxSynthesizerSteps bounds the work of checking a synthesizer over
	// a window: its program's length times the seconds evaluated.
	MaxSynthesizerSteps = 20_000_000
)

// The readers' caps, variables so tests can prove them on small files.
var (
	maxDatasetRows  = MaxDatasetRows
	maxDatasetBytes = MaxDatasetBytes
)

// SynthesizerCost is the work of one evaluation of fn, in steps.
func SynthesizerCost(fn Synthesizer) int {
	if f, ok := fn.(exprFunc); ok {
		return max(programSteps(f.program), 1)
	}
	return 1
}

func programSteps(p *vm.Program) int { return len(p.Bytecode) }
