package dataset

import (
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
)

// The hub serves arena as Parquet with these columns (a subset).
type arenaMessage struct {
	Content string `parquet:"content"`
	Role    string `parquet:"role"`
}

type arenaParquetRow struct {
	QuestionID    string         `parquet:"question_id"`
	ConversationA []arenaMessage `parquet:"conversation_a,list"`
	Turn          int64          `parquet:"turn"`
	Tstamp        float64        `parquet:"tstamp"`
}

type orcaParquetRow struct {
	ID           string `parquet:"id"`
	SystemPrompt string `parquet:"system_prompt"`
	Question     string `parquet:"question"`
	Response     string `parquet:"response"`
}

// writeArenaParquet writes the JSONL fixture's rows as Parquet, so both
// formats can be checked to give the same conversations.
func writeArenaParquet(t testing.TB, dir string) string {
	t.Helper()
	rows, err := ReadRows("testdata/arena.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	var out []arenaParquetRow
	for _, r := range rows {
		row := arenaParquetRow{QuestionID: r["question_id"].(string), Tstamp: r["tstamp"].(float64), Turn: int64(r["turn"].(float64))}
		for _, m := range r["conversation_a"].([]any) {
			mm := m.(map[string]any)
			row.ConversationA = append(row.ConversationA, arenaMessage{Content: mm["content"].(string), Role: mm["role"].(string)})
		}
		out = append(out, row)
	}
	path := filepath.Join(dir, "arena.parquet")
	if err := parquet.WriteFile(path, out); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestParquetMatchesJSONL(t *testing.T) {
	path := writeArenaParquet(t, t.TempDir())
	fromParquet, err := LoadConversations("arena", path)
	if err != nil {
		t.Fatal(err)
	}
	fromJSONL, _ := LoadConversations("arena", "testdata/arena.jsonl")
	if !reflect.DeepEqual(fromParquet, fromJSONL) {
		t.Errorf("Parquet gave %+v\nJSONL gave %+v", fromParquet, fromJSONL)
	}
}

func TestParquetErrors(t *testing.T) {
	dir := t.TempDir()
	good := writeArenaParquet(t, dir)
	b, _ := os.ReadFile(good)
	truncated := filepath.Join(dir, "truncated.parquet")
	os.WriteFile(truncated, b[:len(b)/2], 0o644)
	empty := filepath.Join(dir, "empty.parquet")
	os.WriteFile(empty, nil, 0o644)
	wrongSchema := filepath.Join(dir, "orca.parquet")
	parquet.WriteFile(wrongSchema, []orcaParquetRow{{ID: "1", Question: "q"}})
	tests := []struct{ kind, path, want string }{
		{"arena", truncated, "not a readable Parquet file"},
		{"arena", empty, "not a readable Parquet file"},
		{"arena", wrongSchema, `row 1: field "conversation_a": missing`},
		{"openorca", wrongSchema, ""},
	}
	for _, tt := range tests {
		_, err := LoadConversations(tt.kind, tt.path)
		if tt.want == "" {
			if err != nil {
				t.Errorf("%s %s: %v", tt.kind, tt.path, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), tt.path) {
			t.Errorf("%s %s: got %v, want the path and %q", tt.kind, filepath.Base(tt.path), err, tt.want)
		}
	}
}

// FuzzParquet feeds the Parquet reader damaged files: it must fail with an
// error naming the file, never panic or hang.
func FuzzParquet(f *testing.F) {
	seed, err := os.ReadFile(writeArenaParquet(f, f.TempDir()))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed)
	f.Add(seed[:len(seed)/2])
	f.Add([]byte("PAR1PAR1"))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(dir, "fuzz.parquet")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		rows, err := readParquet(path)
		if err == nil && len(rows) == 0 {
			t.Fatal("no error and no rows")
		}
		if err != nil && !strings.Contains(err.Error(), path) {
			t.Fatalf("error without the file: %v", err)
		}
	})
}

// TestParquetDamagedFooter is FuzzParquet's find, kept as
// testdata/damaged-footer.parquet (a mutation of the arena fixture): its
// footer length points before the start of the file. parquet-go failed on
// it once, then allocated gigabytes for many seconds when it was read
// again. The frame check refuses it before parquet-go sees it, every time,
// so reading it costs next to no memory.
func TestParquetDamagedFooter(t *testing.T) {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for i := range 3 {
		if _, err := readParquet(filepath.Join("testdata", "damaged-footer.parquet")); err == nil {
			t.Fatalf("read %d: the damaged file loaded", i+1)
		}
	}
	runtime.ReadMemStats(&after)
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 64<<20 {
		t.Errorf("three reads of a 2 KB damaged file allocated %d MiB", alloc>>20)
	}
}
