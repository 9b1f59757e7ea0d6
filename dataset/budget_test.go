package dataset

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/inferno-llm/inferno/internal/hub"
)

type nullRow struct {
	Q *string `parquet:"q,optional"`
}

// A tiny Parquet file can declare millions of rows (20 million null rows
// fit in 31 KB); a JSONL file can be gigabytes. The readers stop at their
// caps instead of holding it all.
func TestReadersStopAtCaps(t *testing.T) {
	dir := t.TempDir()
	defer func(rows, bytes int) { maxDatasetRows, maxDatasetBytes = rows, bytes }(maxDatasetRows, maxDatasetBytes)
	maxDatasetRows, maxDatasetBytes = 1000, 1<<20

	pq := filepath.Join(dir, "nulls.parquet")
	if err := parquet.WriteFile(pq, make([]nullRow, 5000)); err != nil {
		t.Fatal(err)
	}
	rows, err := ReadRows(pq)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) > maxDatasetRows {
		t.Errorf("Parquet: %d rows read, over the cap of %d", len(rows), maxDatasetRows)
	}

	line := `{"conversations":[{"from":"human","value":"` + strings.Repeat("x", 1000) + `"}]}` + "\n"
	jl := filepath.Join(dir, "big.jsonl")
	if err := os.WriteFile(jl, []byte(strings.Repeat(line, 3000)), 0o600); err != nil {
		t.Fatal(err)
	}
	rows, err = ReadRows(jl)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) > maxDatasetRows || len(rows)*len(line) > maxDatasetBytes+len(line) {
		t.Errorf("JSONL: %d rows of %d bytes read, over the caps of %d rows and %d bytes", len(rows), len(line), maxDatasetRows, maxDatasetBytes)
	}
}

// A hub download may be twice what the readers take of a data file; the
// hub states its cap itself, as it cannot import dataset.
func TestHubCapIsTwiceTheDatasetCap(t *testing.T) {
	if hub.MaxFileBytes != 2*MaxDatasetBytes {
		t.Errorf("hub.MaxFileBytes = %d, want twice MaxDatasetBytes (%d)", hub.MaxFileBytes, 2*MaxDatasetBytes)
	}
}
