package archive

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"time"

	"github.com/inferno-llm/inferno/report"
)

// Retention bounds the archive; a zero field bounds nothing.
type Retention struct {
	MaxAge   time.Duration
	MaxCount int64
	MaxBytes int64
}

// PruneOptions steer Prune.
type PruneOptions struct {
	// Batch is how many runs one step deletes (default 256): each step is
	// one short write transaction, so windows finishing meanwhile wait at
	// most one step to index their reports.
	Batch int
	// Pause between steps leaves the disk and the index to everyone else.
	Pause time.Duration
	// Deleted, when set, is told each run deleted (to drop cached pages).
	Deleted func(id string)
}

// Prune deletes the oldest runs (by start time) beyond the retention:
// older than MaxAge, past the newest MaxCount, or past MaxBytes in all,
// in steps of Batch runs. A run's files go first and its entry after, so
// a crash between the two leaves an entry without files, which the next
// Sync drops. Runs still marked running are never deleted. It returns how
// many runs it deleted.
func (ix *Index) Prune(ctx context.Context, r Retention, now time.Time, opt PruneOptions) (int, error) {
	if opt.Batch <= 0 {
		opt.Batch = 256
	}
	deleted := 0
	// Counted once a round and kept by subtraction: counting again for
	// every step would read the whole index each time. Windows archived
	// meanwhile are the next round's.
	var totals *Totals
	for {
		victims, bytes, err := ix.victims(ctx, r, now, opt.Batch, &totals)
		if err != nil || len(victims) == 0 {
			return deleted, err
		}
		var ids []string
		for _, id := range victims {
			if err := removeRunFiles(ix.dir, id); err != nil {
				// The entry stays, so the run stays listed with its
				// files; the next round tries again.
				return deleted, err
			}
			ids = append(ids, id)
			if opt.Deleted != nil {
				opt.Deleted(id)
			}
		}
		if err := ix.Delete(ids...); err != nil {
			return deleted, err
		}
		deleted += len(ids)
		if totals != nil {
			totals.Runs -= int64(len(ids))
			totals.Bytes -= bytes
		}
		if opt.Pause > 0 {
			select {
			case <-time.After(opt.Pause):
			case <-ctx.Done():
				return deleted, ctx.Err()
			}
		} else if err := ctx.Err(); err != nil {
			return deleted, err
		}
	}
}

// victims are up to n runs the retention deletes next, oldest first,
// with their bytes.
func (ix *Index) victims(ctx context.Context, r Retention, now time.Time, n int, totals **Totals) ([]string, int64, error) {
	const oldest = "SELECT id, bytes FROM runs WHERE status != '" + report.StatusRunning + "'"
	const order = " ORDER BY started, id LIMIT ?"
	if r.MaxAge > 0 {
		ids, bytes, err := ix.pick(ctx, oldest+" AND started < ?"+order, -1, unixNano(now.Add(-r.MaxAge)), n)
		if err != nil || len(ids) > 0 {
			return ids, bytes, err
		}
	}
	if r.MaxCount <= 0 && r.MaxBytes <= 0 {
		return nil, 0, nil
	}
	if *totals == nil {
		// Windows still running are neither counted nor deleted.
		var t Totals
		err := ix.r.QueryRowContext(ctx, "SELECT count(*), coalesce(sum(bytes), 0) FROM runs WHERE status != '"+report.StatusRunning+"'").Scan(&t.Runs, &t.Bytes)
		if err != nil {
			return nil, 0, ix.wrap("retention", err)
		}
		*totals = &t
	}
	t := **totals
	if r.MaxCount > 0 && t.Runs > r.MaxCount {
		ids, bytes, err := ix.pick(ctx, oldest+order, -1, min(int64(n), t.Runs-r.MaxCount))
		if err != nil || len(ids) > 0 {
			return ids, bytes, err
		}
	}
	if r.MaxBytes > 0 && t.Bytes > r.MaxBytes {
		return ix.pick(ctx, oldest+order, t.Bytes-r.MaxBytes, n)
	}
	return nil, 0, nil
}

// pick runs the query and returns its ids, stopping once their bytes
// reach upTo (unless upTo is negative).
func (ix *Index) pick(ctx context.Context, query string, upTo int64, args ...any) ([]string, int64, error) {
	rows, err := ix.r.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, 0, ix.wrap("retention", err)
	}
	defer rows.Close()
	var ids []string
	var total int64
	for rows.Next() {
		var id string
		var bytes int64
		if err := rows.Scan(&id, &bytes); err != nil {
			return nil, 0, ix.wrap("retention", err)
		}
		ids = append(ids, id)
		total += bytes
		if upTo >= 0 && total >= upTo {
			break
		}
	}
	return ids, total, ix.wrap("retention", rows.Err())
}

// RemoveRun deletes a run's files, then its entry: the order a crash
// cannot turn into an entry for a run whose files were kept.
func (ix *Index) RemoveRun(id string) error {
	if err := removeRunFiles(ix.dir, id); err != nil {
		return err
	}
	return ix.Delete(id)
}

func removeRunFiles(dir, id string) error {
	for _, name := range append([]string{report.FileName(id)}, Siblings(id)...) {
		if err := os.Remove(filepath.Join(dir, name)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	return nil
}
