package dataset

// Caps on what a data set may cost, so that a file or a hub repository
// cannot take the process down (tokenizer and arrival have caps of their
// own). Config checks a window against them at resolve time
// (limits.max_window_bytes).
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
)

// The readers' caps, variables so tests can prove them on small files.
var (
	maxDatasetRows  = MaxDatasetRows
	maxDatasetBytes = MaxDatasetBytes
)
