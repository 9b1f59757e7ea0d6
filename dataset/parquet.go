package dataset

import (
	"encoding/binary"
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
	if err := checkParquetFrame(f, info.Size()); err != nil {
		return nil, fmt.Errorf("%s: not a readable Parquet file: %w", path, err)
	}
	pf, err := parquet.OpenFile(f, info.Size())
	if err != nil {
		return nil, fmt.Errorf("%s: not a readable Parquet file: %w", path, err)
	}
	if err := checkParquetSizes(pf, info.Size()); err != nil {
		return nil, fmt.Errorf("%s: not a readable Parquet file: %w", path, err)
	}
	r := parquet.NewReader(pf, pf.Schema())
	defer r.Close()
	// A file's rows cost memory out of all proportion to its size (20
	// million null rows fit in 31 KB): reading stops at the caps.
	held := 0
	for len(rows) < maxDatasetRows && held < maxDatasetBytes {
		row := map[string]any{}
		if err := r.Read(&row); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return nil, fmt.Errorf("%s: row %d: %w", path, len(rows)+1, err)
		}
		rows = append(rows, row)
		held += rowBytes(row)
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("%s: no rows", path)
	}
	return rows, nil
}

// checkParquetFrame checks the file's frame, "PAR1" at both ends and a
// footer length that fits, before parquet-go reads it: given a footer
// length past the start of the file, parquet-go fails once and then
// hangs allocating on the next file it opens (found by FuzzParquet).
func checkParquetFrame(f io.ReaderAt, size int64) error {
	const magic = "PAR1"
	if size < 12 {
		return fmt.Errorf("%d bytes is too short", size)
	}
	head := make([]byte, 4)
	tail := make([]byte, 8)
	if _, err := f.ReadAt(head, 0); err != nil {
		return err
	}
	if _, err := f.ReadAt(tail, size-8); err != nil {
		return err
	}
	if string(head) != magic || string(tail[4:]) != magic {
		return errors.New("no PAR1 magic at its start and end")
	}
	footer := int64(binary.LittleEndian.Uint32(tail[:4]))
	if footer == 0 || footer > size-12 {
		return fmt.Errorf("footer length %d does not fit in %d bytes", footer, size)
	}
	return nil
}

// maxParquetExpansion bounds how much larger than the file its columns may
// claim to be once decompressed; real datasets compress text 3–10×.
const maxParquetExpansion = 100

// checkParquetSizes refuses files whose metadata claims more data than
// the file could hold, before any of it is allocated.
func checkParquetSizes(pf *parquet.File, size int64) error {
	for i, rg := range pf.Metadata().RowGroups {
		for j, c := range rg.Columns {
			m := c.MetaData
			if m.TotalCompressedSize < 0 || m.TotalCompressedSize > size || m.TotalUncompressedSize < 0 ||
				m.TotalUncompressedSize > maxParquetExpansion*size+1<<20 {
				return fmt.Errorf("row group %d column %d claims %d bytes (%d compressed) in a %d-byte file",
					i, j, m.TotalUncompressedSize, m.TotalCompressedSize, size)
			}
		}
	}
	return nil
}

// rowBytes estimates what a decoded row holds: its strings and a word or
// so per value and map entry.
func rowBytes(v any) int {
	switch v := v.(type) {
	case string:
		return 16 + len(v)
	case []byte:
		return 24 + len(v)
	case []any:
		n := 24
		for _, e := range v {
			n += rowBytes(e)
		}
		return n
	case map[string]any:
		n := 48
		for k, e := range v {
			n += 16 + len(k) + rowBytes(e)
		}
		return n
	case Row:
		return rowBytes(map[string]any(v))
	}
	return 16
}
