package dataset

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/parquet-go/parquet-go"
)

// readParquet reads every row of a Parquet file as a generic map, with
// nested lists and structs as []any and map[string]any, the shapes the
// JSON decoder gives, so one set of extractors serves both formats.
func readParquet(path string) (rows []Row, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, err
	}
	// A damaged file can make the decoder panic; it must only fail the load.
	defer func() {
		if p := recover(); p != nil {
			rows, err = nil, fmt.Errorf("%s: damaged Parquet file (row %d): %v", path, len(rows)+1, p)
		}
	}()
	pf, err := parquet.OpenFile(f, info.Size())
	if err != nil {
		return nil, fmt.Errorf("%s: not a readable Parquet file: %w", path, err)
	}
	r := parquet.NewReader(pf, pf.Schema())
	defer r.Close()
	for {
		row := map[string]any{}
		if err := r.Read(&row); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return nil, fmt.Errorf("%s: row %d: %w", path, len(rows)+1, err)
		}
		rows = append(rows, row)
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("%s: no rows", path)
	}
	return rows, nil
}
