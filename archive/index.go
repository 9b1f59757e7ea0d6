// Package archive indexes the report archive: one row per archived run in
// SQLite (through modernc.org/sqlite, pure Go), with what run lists, the
// status page and compare need, so nothing reads every report to answer
// them. The JSON reports stay the record: the index is derived from them,
// rebuilt from them when missing or stale, and wherever the two disagree
// the files win.
package archive

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"modernc.org/sqlite" // registers the "sqlite" driver
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/inferno-llm/inferno/report"
)

// FileName is the index's name in the report directory.
const FileName = "index.sqlite"

// schemaVersion is the index's user_version. An index of another version
// is rebuilt from the reports rather than migrated: it holds nothing the
// reports do not.
const schemaVersion = 2

const schema = `
CREATE TABLE runs (
	id       TEXT PRIMARY KEY,
	trigger  TEXT NOT NULL,
	target   TEXT NOT NULL,
	workload TEXT NOT NULL,
	status   TEXT NOT NULL,
	error    TEXT NOT NULL,
	started  INTEGER NOT NULL, -- Unix nanoseconds
	ended    INTEGER NOT NULL,
	ttft_p50 REAL NOT NULL,
	ttft_p95 REAL NOT NULL,
	summary  BLOB,             -- report.Summary as compact JSON
	size     INTEGER NOT NULL, -- of the report file when indexed
	mtime    INTEGER NOT NULL, -- its modification time, Unix nanoseconds
	bytes    INTEGER NOT NULL  -- the run's files together, for retention by size
);
CREATE INDEX runs_started ON runs(started, id);
CREATE INDEX runs_target ON runs(target, started, id);
CREATE INDEX runs_workload ON runs(workload, started, id);
CREATE INDEX runs_status ON runs(status, started, id);
CREATE INDEX runs_trigger ON runs(trigger, started, id);
-- Covering indexes: a sync's file states and retention's totals read
-- these instead of every row with its summary.
CREATE INDEX runs_files ON runs(id, size, mtime);
CREATE INDEX runs_sizes ON runs(status, bytes);
`

// Entry is one archived run as the index holds it.
type Entry struct {
	ID, Trigger, Target, Workload, Status, Error string
	StartedAt, EndedAt                           time.Time
	TTFTP50, TTFTP95                             float64
	Summary                                      *report.Summary
	// Size and ModTime identify the report file the entry was read from:
	// a file whose size or time differs has changed since.
	Size    int64
	ModTime time.Time
	// Bytes is the run's files together (report, per-request lines, page).
	Bytes int64
}

// Index is the SQLite index of one report directory.
type Index struct {
	dir, path string
	// One writer connection: SQLite has one writer at a time anyway, and
	// a single connection never meets SQLITE_BUSY from itself. Readers use
	// their own pool and, in WAL mode, never wait for the writer.
	w, r *sql.DB
	// syncing keeps two Syncs from reading the same files at once.
	syncing sync.Mutex
}

// Open opens (or creates) the index of the reports in dir, at path
// (default: dir/index.sqlite). An index that is not a database,
// is damaged or has another schema is moved aside as index.sqlite.bad
// and a new, empty one created: the reports are the record, and Sync
// fills it again. The error names the file and why when even that fails.
func Open(dir, path string) (*Index, error) {
	if path == "" {
		path = filepath.Join(dir, FileName)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("archive index: %w", err)
	}
	ix, err := openFile(dir, path)
	if err == nil {
		return ix, nil
	}
	if errors.Is(err, errUnreadable) {
		for _, suffix := range []string{"", "-wal", "-shm"} {
			os.Remove(path + ".bad" + suffix)
			if rerr := os.Rename(path+suffix, path+".bad"+suffix); rerr != nil && !errors.Is(rerr, os.ErrNotExist) {
				return nil, fmt.Errorf("archive index %s: %w; and it cannot be moved aside: %v", path, err, rerr)
			}
		}
		if ix, err2 := openFile(dir, path); err2 == nil {
			return ix, fmt.Errorf("%w (moved aside as %s; a new index is being built from the reports)", err, filepath.Base(path)+".bad")
		} else {
			err = err2
		}
	}
	return nil, err
}

var errUnreadable = errors.New("unreadable")

// OpenMemory is an index held in memory, for a report directory where
// no index file can be kept (read-only, full, or not a directory). It is
// rebuilt by Sync at every start.
func OpenMemory(dir string) (*Index, error) {
	db, err := sql.Open("sqlite", "file::memory:")
	if err != nil {
		return nil, err
	}
	// ":memory:" is one database per connection: keep exactly one.
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxLifetime(0)
	if _, err := db.Exec(schema + fmt.Sprintf("PRAGMA user_version=%d;", schemaVersion)); err != nil {
		db.Close()
		return nil, fmt.Errorf("archive index in memory: %w", err)
	}
	return &Index{dir: dir, path: ":memory:", w: db, r: db}, nil
}

func dsn(path string, readOnly bool) string {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "journal_mode(WAL)")
	// NORMAL in WAL mode loses at most the last commits on power loss,
	// never consistency; the reports hold anything lost.
	q.Add("_pragma", "synchronous(NORMAL)")
	if readOnly {
		q.Add("_pragma", "query_only(1)")
	} else {
		q.Set("_txlock", "immediate")
	}
	return "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + q.Encode()
}

func openFile(dir, path string) (*Index, error) {
	w, err := sql.Open("sqlite", dsn(path, false))
	if err != nil {
		return nil, fmt.Errorf("archive index %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetConnMaxLifetime(0)
	if err := prepare(w); err != nil {
		w.Close()
		if damaged(err) {
			return nil, fmt.Errorf("archive index %s: %w: %w", path, errUnreadable, err)
		}
		// Busy, unreadable, or on a full disk: not the file's fault, so
		// it is left as it is.
		return nil, fmt.Errorf("archive index %s: %w", path, err)
	}
	r, err := sql.Open("sqlite", dsn(path, true))
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("archive index %s: %w", path, err)
	}
	r.SetMaxOpenConns(4)
	return &Index{dir: dir, path: path, w: w, r: r}, nil
}

// damaged reports whether err says the file is not a database or a
// damaged one, as opposed to busy or unwritable.
func damaged(err error) bool {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return false
	}
	switch se.Code() & 0xff {
	case sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB:
		return true
	}
	return false
}

// prepare checks the schema version, creating the schema in a new file and
// dropping one of another version. The check is inside the write
// transaction, so two processes opening one new index create it once.
func prepare(w *sql.DB) error {
	tx, err := w.Begin()
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var version, tables int
	if err := tx.QueryRow("PRAGMA user_version").Scan(&version); err != nil {
		return err
	}
	if err := tx.QueryRow("SELECT count(*) FROM sqlite_master WHERE name='runs'").Scan(&tables); err != nil {
		return err
	}
	if version == schemaVersion && tables == 1 {
		// A header that reads fine can still hide a damaged table: read
		// through the one index every list uses.
		var n int
		return tx.QueryRow("SELECT count(*) FROM runs INDEXED BY runs_started").Scan(&n)
	}
	if _, err := tx.Exec("DROP TABLE IF EXISTS runs"); err != nil {
		return err
	}
	if _, err := tx.Exec(schema + fmt.Sprintf("PRAGMA user_version=%d;", schemaVersion)); err != nil {
		return err
	}
	return tx.Commit()
}

// Dir is the report directory the index belongs to.
func (ix *Index) Dir() string { return ix.dir }

// Path is the index file ("" when held in memory).
func (ix *Index) Path() string {
	if ix.path == ":memory:" {
		return ""
	}
	return ix.path
}

// ReportPath is where the run's report lives.
func (ix *Index) ReportPath(id string) string { return filepath.Join(ix.dir, report.FileName(id)) }

// Close closes the index.
func (ix *Index) Close() error {
	var err error
	if ix.r != ix.w {
		err = ix.r.Close()
	}
	return errors.Join(err, ix.w.Close())
}

func (ix *Index) wrap(what string, err error) error {
	if err == nil {
		return nil
	}
	where := ix.path
	if where == ":memory:" {
		where = "in memory"
	}
	return fmt.Errorf("archive index (%s): %s: %w", where, what, err)
}

const upsert = `INSERT INTO runs(id, trigger, target, workload, status, error, started, ended, ttft_p50, ttft_p95, summary, size, mtime, bytes)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT(id) DO UPDATE SET trigger=excluded.trigger, target=excluded.target, workload=excluded.workload,
	status=excluded.status, error=excluded.error, started=excluded.started, ended=excluded.ended,
	ttft_p50=excluded.ttft_p50, ttft_p95=excluded.ttft_p95, summary=excluded.summary, size=excluded.size,
	mtime=excluded.mtime, bytes=excluded.bytes
-- An older read of a file (a background sync racing a window's final
-- write) never replaces a newer one.
WHERE excluded.mtime >= runs.mtime`

// Put adds or updates entries in one transaction.
func (ix *Index) Put(entries ...Entry) error {
	if len(entries) == 0 {
		return nil
	}
	tx, err := ix.w.Begin()
	if err != nil {
		return ix.wrap("put", err)
	}
	defer tx.Rollback()
	st, err := tx.Prepare(upsert)
	if err != nil {
		return ix.wrap("put", err)
	}
	defer st.Close()
	for _, e := range entries {
		var summary []byte
		if e.Summary != nil {
			if summary, err = json.Marshal(e.Summary); err != nil {
				return ix.wrap("put "+e.ID, err)
			}
		}
		if _, err := st.Exec(e.ID, e.Trigger, e.Target, e.Workload, e.Status, e.Error, unixNano(e.StartedAt), unixNano(e.EndedAt),
			e.TTFTP50, e.TTFTP95, summary, e.Size, unixNano(e.ModTime), e.Bytes); err != nil {
			return ix.wrap("put "+e.ID, err)
		}
	}
	return ix.wrap("put", tx.Commit())
}

// Delete removes the ids' rows (not their files).
func (ix *Index) Delete(ids ...string) error {
	if len(ids) == 0 {
		return nil
	}
	tx, err := ix.w.Begin()
	if err != nil {
		return ix.wrap("delete", err)
	}
	defer tx.Rollback()
	st, err := tx.Prepare("DELETE FROM runs WHERE id = ?")
	if err != nil {
		return ix.wrap("delete", err)
	}
	defer st.Close()
	for _, id := range ids {
		if _, err := st.Exec(id); err != nil {
			return ix.wrap("delete "+id, err)
		}
	}
	return ix.wrap("delete", tx.Commit())
}

const columns = "id, trigger, target, workload, status, error, started, ended, ttft_p50, ttft_p95, summary, size, mtime, bytes"

func scanEntry(row interface{ Scan(...any) error }) (Entry, error) {
	var e Entry
	var started, ended, mtime int64
	var summary []byte
	if err := row.Scan(&e.ID, &e.Trigger, &e.Target, &e.Workload, &e.Status, &e.Error, &started, &ended,
		&e.TTFTP50, &e.TTFTP95, &summary, &e.Size, &mtime, &e.Bytes); err != nil {
		return e, err
	}
	e.StartedAt, e.EndedAt, e.ModTime = fromUnixNano(started), fromUnixNano(ended), fromUnixNano(mtime)
	if len(summary) > 0 {
		var s report.Summary
		if err := json.Unmarshal(summary, &s); err != nil {
			return e, fmt.Errorf("summary of %s: %w", e.ID, err)
		}
		e.Summary = &s
	}
	return e, nil
}

// Get is the run's entry; ok is false when the index has none.
func (ix *Index) Get(id string) (e Entry, ok bool, err error) {
	e, err = scanEntry(ix.r.QueryRow("SELECT "+columns+" FROM runs WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return Entry{}, false, nil
	}
	if err != nil {
		return Entry{}, false, ix.wrap("get "+id, err)
	}
	return e, true, nil
}

// Cursor is a place in the runs' order: newest start first, ties by id.
type Cursor struct {
	StartedAt time.Time
	ID        string // "" for "started before StartedAt"
}

// Query selects runs, newest first.
type Query struct {
	Limit int
	// Before, when set, keeps runs after it in the order (older ones).
	Before                            *Cursor
	Target, Workload, Status, Trigger string
	NotTrigger, NotStatus             string
	Since, Until                      time.Time // start in [Since, Until)
}

func (q Query) where() (string, []any) {
	var conds []string
	var args []any
	eq := func(col, v string) {
		if v != "" {
			conds = append(conds, col+" = ?")
			args = append(args, v)
		}
	}
	eq("target", q.Target)
	eq("workload", q.Workload)
	eq("status", q.Status)
	eq("trigger", q.Trigger)
	if q.NotTrigger != "" {
		conds = append(conds, "trigger != ?")
		args = append(args, q.NotTrigger)
	}
	if q.NotStatus != "" {
		conds = append(conds, "status != ?")
		args = append(args, q.NotStatus)
	}
	if !q.Since.IsZero() {
		conds = append(conds, "started >= ?")
		args = append(args, unixNano(q.Since))
	}
	if !q.Until.IsZero() {
		conds = append(conds, "started < ?")
		args = append(args, unixNano(q.Until))
	}
	if c := q.Before; c != nil {
		if c.ID == "" {
			conds = append(conds, "started < ?")
			args = append(args, unixNano(c.StartedAt))
		} else {
			// A row value, so the cursor is a range on the index rather
			// than a filter over every row before it.
			conds = append(conds, "(started, id) < (?, ?)")
			args = append(args, unixNano(c.StartedAt), c.ID)
		}
	}
	if len(conds) == 0 {
		return "", nil
	}
	return " WHERE " + strings.Join(conds, " AND "), args
}

// List returns up to q.Limit runs matching q, newest start first.
func (ix *Index) List(ctx context.Context, q Query) ([]Entry, error) {
	where, args := q.where()
	args = append(args, q.Limit)
	rows, err := ix.r.QueryContext(ctx, "SELECT "+columns+" FROM runs"+where+" ORDER BY started DESC, id DESC LIMIT ?", args...)
	if err != nil {
		return nil, ix.wrap("list", err)
	}
	defer rows.Close()
	var out []Entry
	for rows.Next() {
		e, err := scanEntry(rows)
		if err != nil {
			return nil, ix.wrap("list", err)
		}
		out = append(out, e)
	}
	return out, ix.wrap("list", rows.Err())
}

// Brief is a run's id and start, for the old API's id list.
type Brief struct {
	ID        string
	StartedAt time.Time
}

// Briefs lists every run's id and start, newest first, up to limit.
func (ix *Index) Briefs(ctx context.Context, limit int) ([]Brief, error) {
	rows, err := ix.r.QueryContext(ctx, "SELECT id, started FROM runs ORDER BY started DESC, id DESC LIMIT ?", limit)
	if err != nil {
		return nil, ix.wrap("list ids", err)
	}
	defer rows.Close()
	var out []Brief
	for rows.Next() {
		var b Brief
		var started int64
		if err := rows.Scan(&b.ID, &started); err != nil {
			return nil, ix.wrap("list ids", err)
		}
		b.StartedAt = fromUnixNano(started)
		out = append(out, b)
	}
	return out, ix.wrap("list ids", rows.Err())
}

// Totals are the archive's size as indexed.
type Totals struct {
	Runs  int64
	Bytes int64
}

// Totals counts the indexed runs and their bytes.
func (ix *Index) Totals(ctx context.Context) (Totals, error) {
	var t Totals
	err := ix.r.QueryRowContext(ctx, "SELECT count(*), coalesce(sum(bytes), 0) FROM runs").Scan(&t.Runs, &t.Bytes)
	return t, ix.wrap("totals", err)
}

// WithStatus lists the runs whose status is status (the placeholders of
// windows that were running when the index last saw their file).
func (ix *Index) WithStatus(ctx context.Context, status string) ([]Entry, error) {
	return ix.List(ctx, Query{Status: status, Limit: -1})
}

// fileState is what Sync compares: a report file as last indexed.
type fileState struct{ size, mtime int64 }

func (ix *Index) fileStates(ctx context.Context) (map[string]fileState, error) {
	rows, err := ix.r.QueryContext(ctx, "SELECT id, size, mtime FROM runs")
	if err != nil {
		return nil, ix.wrap("read file states", err)
	}
	defer rows.Close()
	out := map[string]fileState{}
	for rows.Next() {
		var id string
		var s fileState
		if err := rows.Scan(&id, &s.size, &s.mtime); err != nil {
			return nil, ix.wrap("read file states", err)
		}
		out[id] = s
	}
	return out, ix.wrap("read file states", rows.Err())
}

// unixNano keeps the zero time at 0, not at year 1's negative nanoseconds
// (which overflow int64).
func unixNano(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func fromUnixNano(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}
