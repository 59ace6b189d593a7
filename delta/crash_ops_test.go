//go:build unix

package delta

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lakehouse-go/lakehouse/delta/expr"
	"github.com/lakehouse-go/lakehouse/internal/storage/stepstore"
)

// moreCrashOps are the write paths of the crash matrix beyond plain
// writes: schema changes, the row-level operations with and without
// deletion vectors, RESTORE, CLONE and VACUUM.
var moreCrashOps = func() []crashOp {
	ops := []crashOp{
		{name: "schema evolution append", run: func(ctx context.Context, t testing.TB, tbl *Table) error {
			rr := widerReader(t, tbl, 100, 6)
			defer rr.Release()
			_, err := tbl.Append(ctx, rr, &TxnOptions{MergeSchema: true})
			return err
		}},
		{name: "add column", run: func(ctx context.Context, t testing.TB, tbl *Table) error {
			_, err := tbl.AddColumns(ctx, []arrow.Field{{Name: "extra", Type: arrow.BinaryTypes.String, Nullable: true}}, nil)
			return err
		}},
	}
	for _, dvs := range []string{"false", "true"} {
		props := map[string]string{"delta.enableDeletionVectors": dvs}
		ops = append(ops,
			crashOp{name: "delete dv=" + dvs, props: props, run: func(ctx context.Context, t testing.TB, tbl *Table) error {
				_, err := tbl.Delete(ctx, crashExpr(t, "id % 4 = 0"), nil)
				return err
			}},
			crashOp{name: "update dv=" + dvs, props: props, run: func(ctx context.Context, t testing.TB, tbl *Table) error {
				_, err := tbl.Update(ctx, map[string]expr.Expr{"score": crashExpr(t, "-1")}, crashExpr(t, "id < 10"), nil)
				return err
			}},
			crashOp{name: "merge dv=" + dvs, props: props, run: func(ctx context.Context, t testing.TB, tbl *Table) error {
				src := eventsReader(t, tbl.opts.Allocator, 15, 10, 2) // ids 15..24: 5 updates, 5 inserts
				defer src.Release()
				_, err := tbl.Merge(ctx, src, crashExpr(t, "target.id = source.id"), &MergeOptions{
					WhenMatched: []WhenMatched{{UpdateAll: true}}, WhenNotMatched: []WhenNotMatched{{InsertAll: true}},
				})
				return err
			}},
		)
	}
	ops = append(ops,
		crashOp{name: "restore", run: func(ctx context.Context, t testing.TB, tbl *Table) error {
			_, err := tbl.Restore(ctx, RestoreTarget{Version: 0}, nil)
			return err
		}, after: func(testing.TB) []string { return nil }},
		crashOp{name: "shallow clone", run: cloneRun(true), check: checkClone},
		crashOp{name: "deep clone", run: cloneRun(false), check: checkClone},
		crashOp{name: "vacuum", setup: func(t *testing.T, tbl *Table) {
			// Version 2 replaces every file of version 1: VACUUM with no
			// retention may delete those, and only those.
			rr := eventsReader(t, tbl.opts.Allocator, 100, 10, 2)
			defer rr.Release()
			_, err := tbl.Overwrite(context.Background(), rr, nil)
			require.NoError(t, err)
		}, run: func(ctx context.Context, t testing.TB, tbl *Table) error {
			zero := time.Duration(0)
			_, err := tbl.Vacuum(ctx, &VacuumOptions{Retention: &zero, DisableRetentionCheck: true})
			return err
		}, check: checkVacuum},
	)
	return ops
}()

func crashExpr(t testing.TB, s string) expr.Expr {
	e, err := expr.Parse(s)
	require.NoError(t, err)
	return e
}

// widerReader is events rows from..from+n-1 with one more column, "tag".
func widerReader(t testing.TB, tbl *Table, from, n int) array.RecordReader {
	mem := tbl.opts.Allocator
	rec := eventsBatch(mem, from, n, 2)
	defer rec.Release()
	b := array.NewStringBuilder(mem)
	defer b.Release()
	for i := range n {
		b.Append(fmt.Sprintf("t%d", i))
	}
	tag := b.NewArray()
	defer tag.Release()
	schema := arrow.NewSchema(append(slices.Clone(eventsSchema.Fields()), arrow.Field{Name: "tag", Type: arrow.BinaryTypes.String, Nullable: true}), nil)
	wide := array.NewRecordBatch(schema, append(slices.Clone(rec.Columns()), tag), rec.NumRows())
	defer wide.Release()
	rr, err := array.NewRecordReader(schema, []arrow.RecordBatch{wide})
	require.NoError(t, err)
	return rr
}

// openPlain opens dir without step counting; closed with the test.
func openPlain(t *testing.T, dir string) *Table {
	tbl, err := Open(context.Background(), dir, &Options{NoSync: true, AllowAnyRoot: true})
	require.NoError(t, err)
	t.Cleanup(func() { _ = tbl.Close() })
	return tbl
}

// cloneTarget is where the clone cells write: beside the source table.
func cloneTarget(dir string) string { return dir + "-clone" }

func cloneRun(shallow bool) func(ctx context.Context, t testing.TB, tbl *Table) error {
	return func(ctx context.Context, t testing.TB, tbl *Table) error {
		snap, err := tbl.Snapshot(ctx)
		if err != nil {
			return err
		}
		dst := crashOpenCounted(t, cloneTarget(tbl.url), tbl.store.(*stepstore.Store))
		defer dst.Close()
		root, _ := tbl.qualifiedRoot()
		_, err = dst.clone(ctx, snap, root, CloneOptions{Shallow: shallow, Parallelism: 1})
		return err
	}
}

// checkClone: the source is untouched and takes the next append; the
// target either is no table ("none"; the clone can then run again into
// it) or reads every version with the source's rows ("all") and takes
// the next append.
func checkClone(t *testing.T, dir string, _ map[string]bool) string {
	ctx := context.Background()
	mem := newCheckedAllocator(t)
	src := openPlain(t, dir)
	want := readRows(t, src)
	if !assert.Len(t, want, 20) {
		return "FAIL: source changed"
	}
	dst, err := Open(ctx, cloneTarget(dir), &Options{Allocator: mem, NoSync: true, AllowAnyRoot: true})
	outcome := "all"
	if err != nil {
		if !assert.ErrorIs(t, err, ErrNotATable) {
			return "FAIL: open clone: " + err.Error()
		}
		outcome = "none"
		snap, err := src.Snapshot(ctx)
		require.NoError(t, err)
		dst, _, err = Clone(ctx, snap, cloneTarget(dir), &CloneOptions{Table: &Options{Allocator: mem, NoSync: true, AllowAnyRoot: true}})
		if !assert.NoError(t, err, "clone again") {
			return "FAIL: clone again: " + err.Error()
		}
	}
	defer dst.Close()
	if got := readRows(t, dst); !assert.Equal(t, want, got) {
		return "FAIL: clone rows"
	}
	for _, tbl := range []*Table{src, dst} {
		rr := eventsReader(t, mem, 500, 4, 2)
		_, err := tbl.Append(ctx, rr, nil)
		rr.Release()
		if !assert.NoError(t, err, "next writer") {
			return "FAIL: next append: " + err.Error()
		}
		if !assert.Len(t, readRows(t, tbl), 24) {
			return "FAIL: next append rows"
		}
	}
	return outcome
}

// checkVacuum: no file the latest version references is deleted (it
// reads, and the next writer succeeds); the files VACUUM may delete (those
// of version 1, replaced by version 2) are gone all, some or none.
func checkVacuum(t *testing.T, dir string, before map[string]bool) string {
	ctx := context.Background()
	mem := newCheckedAllocator(t)
	tbl, err := Open(ctx, dir, &Options{Allocator: mem, NoSync: true})
	if !assert.NoError(t, err) {
		return "FAIL: open: " + err.Error()
	}
	defer tbl.Close()
	snap, err := tbl.Snapshot(ctx)
	require.NoError(t, err)
	if got := snapshotRows(t, snap); !assert.Equal(t, expectedRows(t, [3]int{100, 10, 2}), got) {
		return "FAIL: latest rows"
	}
	live := map[string]bool{}
	for _, f := range livePaths(t, snap) {
		live[f] = true
	}
	now := readDir(t, dir)
	var stale, gone int
	for f := range before {
		if strings.HasPrefix(f, "_delta_log/") {
			continue
		}
		if live[f] && !assert.True(t, now[f], "a live file was deleted: %s", f) {
			return "FAIL: deleted live " + f
		}
		if !live[f] {
			stale++
			if !now[f] {
				gone++
			}
		}
	}
	rr := eventsReader(t, mem, 500, 4, 2)
	defer rr.Release()
	if _, err := tbl.Append(ctx, rr, nil); !assert.NoError(t, err, "next writer") {
		return "FAIL: next append: " + err.Error()
	}
	switch gone {
	case 0:
		return "none"
	case stale:
		return "all"
	}
	return fmt.Sprintf("some (%d of %d)", gone, stale)
}

// livePaths lists the data files snap references, relative to the
// table root.
func livePaths(t *testing.T, snap *Snapshot) []string {
	var out []string
	for f, err := range snap.Files(context.Background()) {
		require.NoError(t, err)
		out = append(out, f.Path)
	}
	return out
}
