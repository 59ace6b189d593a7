package delta

import (
	"context"
	"errors"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lakehouse-go/lakehouse/internal/storage"
	"github.com/lakehouse-go/lakehouse/internal/storage/faultstore"
)

// TestFaultInjection fails the n-th storage operation of a partitioned
// append, an overwrite and a create, for every n until the operation runs
// clean. After each fault the table must open, be consistent, and hold
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
