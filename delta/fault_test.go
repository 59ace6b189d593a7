package delta

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lakehouse-go/lakehouse/delta/expr"
	"github.com/lakehouse-go/lakehouse/internal/storage"
	"github.com/lakehouse-go/lakehouse/internal/storage/faultstore"
)

// TestFaultInjection fails the n-th storage operation of a partitioned
// append, an overwrite, a create and the row-level operations (DELETE,
// UPDATE, MERGE with and without deletion vectors), for every n until the
// operation runs clean. After each fault the table must open, be consistent, and hold
// all or none of the transaction's rows; a failed transaction must leave
// no staged files behind.
func TestFaultInjection(t *testing.T) {
	type op struct {
		name  string
		run   func(ctx context.Context, tbl *Table) error
		after func() []string // rows when the operation took effect
		props map[string]string
	}
	mem := newCheckedAllocator(t)
	ops := []op{
		{name: "append with checkpoint", props: map[string]string{"delta.checkpointInterval": "2"}, after: func() []string { return expectedRows(t, [3]int{0, 30, 3}, [3]int{100, 40, 3}) }, run: func(ctx context.Context, tbl *Table) error {
			// Version 2 reaches delta.checkpointInterval=2: a failing
			// checkpoint must not fail (or undo) the commit.
			rr := eventsReader(t, mem, 100, 40, 3)
			defer rr.Release()
			res, err := tbl.Append(ctx, rr, nil)
			if err == nil && res.CheckpointErr != nil && !errors.Is(res.CheckpointErr, faultstore.ErrInjected) {
				return res.CheckpointErr
			}
			return err
		}},
		{name: "set properties", after: func() []string { return expectedRows(t, [3]int{0, 30, 3}) }, run: func(ctx context.Context, tbl *Table) error {
			_, err := tbl.SetProperties(ctx, map[string]string{"owner": "x"}, nil)
			return err
		}},
		{name: "append", after: func() []string { return expectedRows(t, [3]int{0, 30, 3}, [3]int{100, 40, 3}) }, run: func(ctx context.Context, tbl *Table) error {
			rr := eventsReader(t, mem, 100, 40, 3)
			defer rr.Release()
			_, err := tbl.Append(ctx, rr, &TxnOptions{TargetFileSize: 1})
			return err
		}},
		{name: "overwrite", after: func() []string { return expectedRows(t, [3]int{200, 20, 2}) }, run: func(ctx context.Context, tbl *Table) error {
			rr := eventsReader(t, mem, 200, 20, 2)
			defer rr.Release()
			_, err := tbl.Overwrite(ctx, rr, nil)
			return err
		}},
		{name: "partition overwrite", after: func() []string {
			rows := expectedRows(t, [3]int{300, 10, 1})
			for _, r := range expectedRows(t, [3]int{0, 30, 3}) {
				if !strings.HasSuffix(r, "day: d0}") {
					rows = append(rows, r)
				}
			}
			sort.Strings(rows)
			return rows
		}, run: func(ctx context.Context, tbl *Table) error {
			// Rows of day d0 only; d0 rows of the base data are replaced.
			rr := eventsReader(t, mem, 300, 10, 1)
			defer rr.Release()
			_, err := tbl.Overwrite(ctx, rr, &TxnOptions{PartitionOverwrite: true})
			return err
		}},
	}
	for _, d := range dmlFaultOps(t, mem) {
		ops = append(ops, op(d))
	}
	kinds := []struct {
		name string
		plan func(n int) faultstore.Plan
	}{
		{"fail", func(n int) faultstore.Plan { return faultstore.Plan{FailOn: faultstore.OpAll, N: n} }},
		{"lost ack", func(n int) faultstore.Plan {
			return faultstore.Plan{FailOn: faultstore.OpWrites, N: n, AfterEffect: true}
		}},
		{"stays down", func(n int) faultstore.Plan { return faultstore.Plan{FailOn: faultstore.OpAll, N: n, Repeat: true} }},
	}
	for _, o := range ops {
		for _, k := range kinds {
			t.Run(o.name+"/"+k.name, func(t *testing.T) {
				ctx := context.Background()
				for n := 1; ; n++ {
					inner, err := storage.Open(ctx, "mem://", nil)
					require.NoError(t, err)
					fs := faultstore.New(inner, faultstore.Plan{})
					tbl := &Table{url: "mem://fault", store: fs, opts: (&Options{Allocator: mem}).withDefaults()}
					_, err = tbl.create(ctx, eventsSchema, nil, false, &CreateOptions{PartitionBy: []string{"day"}, Properties: o.props})
					require.NoError(t, err)
					rr := eventsReader(t, mem, 0, 30, 3)
					_, err = tbl.Append(ctx, rr, nil)
					rr.Release()
					require.NoError(t, err)
					before := expectedRows(t, [3]int{0, 30, 3})

					fs.SetPlan(k.plan(n))
					opErr := o.run(ctx, tbl)
					injected := fs.Injected() > 0
					fs.SetPlan(faultstore.Plan{})

					clean := &Table{url: "mem://clean", store: inner, opts: tbl.opts}
					rows := readRows(t, clean)
					if opErr == nil {
						assert.Equal(t, o.after(), rows, "n=%d", n)
					} else {
						assert.True(t, errors.Is(opErr, faultstore.ErrInjected), "n=%d: %v", n, opErr)
						if !equalRows(rows, before) {
							assert.Equal(t, o.after(), rows, "n=%d: neither all nor none", n)
						}
						if !k.plan(n).Repeat && !errors.Is(opErr, ErrCommitStateUnknown) && equalRows(rows, before) {
							assertOnlyReferencedFiles(t, clean)
						}
					}
					require.NoError(t, inner.Close())
					if !injected {
						require.NoError(t, opErr)
						return
					}
					require.Less(t, n, 500, "operation never ran clean")
				}
			})
		}
	}
}

func equalRows(a, b []string) bool { return strings.Join(a, "\n") == strings.Join(b, "\n") }

// baseWhere renders the base rows (ids 0..29, three days) that keep, each
// passed through edit.
func baseWhere(t *testing.T, keep func(id int) bool, edit func(id int, row string) string) []string {
	var out []string
	for i, r := range expectedRowsByID(t) {
		if keep(i) {
			out = append(out, edit(i, r))
		}
	}
	sort.Strings(out)
	return out
}

// expectedRowsByID renders the base rows in id order.
func expectedRowsByID(t *testing.T) []string {
	out := make([]string, 30)
	for i := range out {
		out[i] = expectedRows(t, [3]int{i, 1, 3})[0]
		// eventsBatch derives day from the id: render it as the base did.
		out[i] = strings.Replace(out[i], "day: d0}", fmt.Sprintf("day: d%d}", i%3), 1)
	}
	return out
}

var scoreText = regexp.MustCompile(`score: [^,]+,`)

func dmlFaultOps(t *testing.T, mem memory.Allocator) []struct {
	name  string
	run   func(ctx context.Context, tbl *Table) error
	after func() []string
	props map[string]string
} {
	type op = struct {
		name  string
		run   func(ctx context.Context, tbl *Table) error
		after func() []string
		props map[string]string
	}
	same := func(_ int, r string) string { return r }
	var ops []op
	for _, dvs := range []string{"false", "true"} {
		props := map[string]string{"delta.enableDeletionVectors": dvs, "delta.enableChangeDataFeed": "true"}
		ops = append(ops,
			op{name: "delete dv=" + dvs, props: props,
				after: func() []string { return baseWhere(t, func(id int) bool { return id%4 != 0 }, same) },
				run: func(ctx context.Context, tbl *Table) error {
					_, err := tbl.Delete(ctx, mustParse(t, "id % 4 = 0"), nil)
					return err
				}},
			op{name: "update dv=" + dvs, props: props,
				after: func() []string {
					return baseWhere(t, func(int) bool { return true }, func(id int, r string) string {
						if id < 10 {
							return scoreText.ReplaceAllString(r, "score: -1,")
						}
						return r
					})
				},
				run: func(ctx context.Context, tbl *Table) error {
					_, err := tbl.Update(ctx, map[string]expr.Expr{"score": mustParse(t, "-1")}, mustParse(t, "id < 10"), nil)
					return err
				}},
			op{name: "merge dv=" + dvs, props: props,
				after: func() []string {
					rows := baseWhere(t, func(id int) bool { return id != 5 }, same)
					rows = append(rows, "{id: 5, name: src, score: 7, day: d0}", "{id: 100, name: src, score: 8, day: d0}")
					sort.Strings(rows)
					return rows
				},
				run: func(ctx context.Context, tbl *Table) error {
					src := sourceOf(t, mem, []int64{5, 100}, []float64{7, 8})
					defer src.Release()
					_, err := tbl.Merge(ctx, src, mustParse(t, "target.id = source.id"), &MergeOptions{
						WhenMatched: []WhenMatched{{UpdateAll: true}}, WhenNotMatched: []WhenNotMatched{{InsertAll: true}},
					})
					return err
				}},
		)
	}
	return ops
}

// TestVacuumRemovesOrphansOfFailedDML: a DML whose store went down after
// it staged files leaves them behind (it cannot delete them either); the
// table is still at the old version, and VACUUM, once the store is back,
// removes exactly those orphans.
func TestVacuumRemovesOrphansOfFailedDML(t *testing.T) {
	for _, op := range []string{"delete", "update", "merge"} {
		t.Run(op, func(t *testing.T) {
			ctx := context.Background()
			mem := newCheckedAllocator(t)
			inner, err := storage.Open(ctx, "mem://", nil)
			require.NoError(t, err)
			defer inner.Close()
			fs := faultstore.New(inner, faultstore.Plan{})
			tbl := &Table{url: "mem://orphans", store: fs, opts: (&Options{Allocator: mem}).withDefaults()}
			_, err = tbl.create(ctx, eventsSchema, nil, false, &CreateOptions{PartitionBy: []string{"day"}})
			require.NoError(t, err)
			rr := eventsReader(t, mem, 0, 30, 3)
			_, err = tbl.Append(ctx, rr, nil)
			rr.Release()
			require.NoError(t, err)
			before := readRows(t, tbl)

			// The commit and every delete fail during the operation: its
			// data files are written, then neither committed nor cleaned
			// up, as when a writer is killed between the two.
			var files int
			for fi, err := range inner.List(ctx, "") {
				require.NoError(t, err)
				if !strings.HasPrefix(fi.Path, "_delta_log/") {
					files++
				}
			}
			fs.SetPlan(faultstore.Plan{FailOn: faultstore.OpPutIfAbsent | faultstore.OpDelete, N: 1, Repeat: true})
			switch op {
			case "delete":
				_, err = tbl.Delete(ctx, mustParse(t, "id % 4 = 0"), nil)
			case "update":
				_, err = tbl.Update(ctx, map[string]expr.Expr{"score": mustParse(t, "-1")}, mustParse(t, "id < 10"), nil)
			case "merge":
				src := sourceOf(t, mem, []int64{5, 100}, []float64{7, 8})
				_, err = tbl.Merge(ctx, src, mustParse(t, "target.id = source.id"), &MergeOptions{
					WhenMatched: []WhenMatched{{UpdateAll: true}}, WhenNotMatched: []WhenNotMatched{{InsertAll: true}},
				})
				src.Release()
			}
			require.ErrorIs(t, err, faultstore.ErrInjected)
			fs.SetPlan(faultstore.Plan{})
			assert.Equal(t, before, readRows(t, tbl), "the failed operation committed nothing")
			var after int
			for fi, err := range inner.List(ctx, "") {
				require.NoError(t, err)
				if !strings.HasPrefix(fi.Path, "_delta_log/") {
					after++
				}
			}
			require.Greater(t, after, files, "the failed operation left orphans")

			time.Sleep(10 * time.Millisecond) // past this millisecond: a zero retention keeps what is as new as "now"
			zero := time.Duration(0)
			_, err = tbl.Vacuum(ctx, &VacuumOptions{Retention: &zero, DisableRetentionCheck: true})
			require.NoError(t, err)
			assertOnlyReferencedFiles(t, tbl)
			assert.Equal(t, before, readRows(t, tbl))
		})
	}
}
