package delta

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lakehouse-go/lakehouse/internal/storage"
	"github.com/lakehouse-go/lakehouse/internal/storage/faultstore"
)

// storeFaultKinds are the object-store misbehaviours of TestStoreFaults.
// A kind with each=true runs once per matching store call n = 1, 2, …
// until the operation runs clean; the others run once.
var storeFaultKinds = []struct {
	name     string
	each     bool
	plan     func(n int) faultstore.Plan
	deadline time.Duration // the operation's context deadline, 0 for none
}{
	{name: "error", each: true, plan: func(n int) faultstore.Plan { return faultstore.Plan{FailOn: faultstore.OpAll, N: n} }},
	{name: "timeout", each: true, plan: func(n int) faultstore.Plan {
		return faultstore.Plan{FailOn: faultstore.OpAll, N: n, Err: context.DeadlineExceeded}
	}},
	{name: "lost ack", each: true, plan: func(n int) faultstore.Plan {
		return faultstore.Plan{FailOn: faultstore.OpWrites, N: n, AfterEffect: true}
	}},
	{name: "lost ack, retry sees exists", plan: func(int) faultstore.Plan {
		return faultstore.Plan{FailOn: faultstore.OpPutIfAbsent, N: 1, AfterEffect: true, ExistsAfterEffect: true}
	}},
	{name: "slow", plan: func(int) faultstore.Plan {
		return faultstore.Plan{FailOn: faultstore.OpAll, Slow: time.Millisecond}
	}},
	{name: "slow past deadline", deadline: 50 * time.Millisecond, plan: func(int) faultstore.Plan {
		return faultstore.Plan{FailOn: faultstore.OpPutIfAbsent, Slow: 10 * time.Second}
	}},
	{name: "stale list (newest 1)", plan: func(int) faultstore.Plan { return faultstore.Plan{StaleList: 1, PathPrefix: "_delta_log/"} }},
	{name: "stale list (newest 2)", plan: func(int) faultstore.Plan { return faultstore.Plan{StaleList: 2, PathPrefix: "_delta_log/"} }},
}

// storeFaultOps are the operations of TestStoreFaults, each run on a table
// of three commits: create, rows 0..29, rows 200..209 (the newest, which
// a stale listing misses).
func storeFaultOps(t *testing.T, mem memory.Allocator) []struct {
	name string
	run  func(ctx context.Context, tbl *Table) error
} {
	type op = struct {
		name string
		run  func(ctx context.Context, tbl *Table) error
	}
	return []op{
		{"append", func(ctx context.Context, tbl *Table) error {
			rr := eventsReader(t, mem, 100, 20, 3)
			defer rr.Release()
			_, err := tbl.Append(ctx, rr, nil)
			return err
		}},
		{"overwrite", func(ctx context.Context, tbl *Table) error {
			rr := eventsReader(t, mem, 300, 10, 2)
			defer rr.Release()
			_, err := tbl.Overwrite(ctx, rr, nil)
			return err
		}},
		{"delete dv", func(ctx context.Context, tbl *Table) error {
			_, err := tbl.Delete(ctx, mustParse(t, "id % 4 = 0"), nil)
			return err
		}},
		{"merge", func(ctx context.Context, tbl *Table) error {
			src := sourceOf(t, mem, []int64{5, 100}, []float64{7, 8})
			defer src.Release()
			_, err := tbl.Merge(ctx, src, mustParse(t, "target.id = source.id"), &MergeOptions{
				WhenMatched: []WhenMatched{{UpdateAll: true}}, WhenNotMatched: []WhenNotMatched{{InsertAll: true}},
			})
			return err
		}},
		{"checkpoint", func(ctx context.Context, tbl *Table) error {
			_, err := tbl.Checkpoint(ctx, nil)
			return err
		}},
	}
}

// logBuffer is a concurrency-safe sink for the test's slog records.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// storeFaultBase builds the three-commit table on store: create, then
// the appends of storeFaultAppends from the first to the one before upto.
func storeFaultBase(t *testing.T, store storage.Store, mem memory.Allocator, upto int) *Table {
	ctx := context.Background()
	tbl := &Table{url: "mem://faults", store: store, opts: (&Options{Allocator: mem}).withDefaults()}
	_, err := tbl.create(ctx, eventsSchema, nil, false, &CreateOptions{PartitionBy: []string{"day"},
		Properties: map[string]string{"delta.enableDeletionVectors": "true"}})
	require.NoError(t, err)
	storeFaultAppends(t, tbl, mem, 0, upto)
	return tbl
}

// storeFaultAppends commits appends i (rows 0..29) and ii (rows
// 200..209) from index from to index to-1.
func storeFaultAppends(t *testing.T, tbl *Table, mem memory.Allocator, from, to int) {
	for _, r := range [][2]int{{0, 30}, {200, 10}}[from:to] {
		rr := eventsReader(t, mem, r[0], r[1], 3)
		_, err := tbl.Append(context.Background(), rr, nil)
		rr.Release()
		require.NoError(t, err)
	}
}

// commitFiles returns every commit file of the log with its bytes.
func commitFiles(t *testing.T, store storage.Store) map[string][]byte {
	out := map[string][]byte{}
	for fi, err := range store.List(context.Background(), "_delta_log/") {
		require.NoError(t, err)
		if strings.HasSuffix(fi.Path, ".json") && !strings.Contains(fi.Path, "/_") {
			data, err := store.Get(context.Background(), fi.Path)
			require.NoError(t, err)
			out[fi.Path] = data
		}
	}
	return out
}

// TestStoreFaults runs the write paths against a store that fails, times
// out, loses acknowledgements (also the way a transport retry reports
// them: "already exists"), answers slowly, and lists eventually
// consistently. Invariants per case: no earlier commit changes or
// disappears; at most one new commit (none for a checkpoint); the table
// holds exactly the rows before or the rows the fault-free run produces;
// an error is reported only when nothing was committed (or the state is
// explicitly unknown); commit attempts stay bounded; a resolved lost
// acknowledgement is logged through slog; and the next append succeeds.
func TestStoreFaults(t *testing.T) {
	mem := newCheckedAllocator(t)
	ctx := context.Background()
	results := map[string]map[string]string{}
	ops := storeFaultOps(t, mem)
	for _, o := range ops {
		results[o.name] = map[string]string{}
		// The oracle: the same operation on the same table, no faults.
		oracleStore, err := storage.Open(ctx, "mem://", nil)
		require.NoError(t, err)
		oracle := storeFaultBase(t, oracleStore, mem, 2)
		baseRows := readRows(t, oracle)
		require.NoError(t, o.run(ctx, oracle))
		afterRows := readRows(t, oracle)
		require.NoError(t, oracleStore.Close())
		// A listing that misses the newest k commits makes the operation
		// read an older version; if it then commits without a conflict it
		// is serialized before the commits it missed, which are blind
		// appends (WriteSerializable): the rows of op at version 2-k
		// followed by those appends.
		var rebasedRows [3][]string
		for k := 1; k <= 2; k++ {
			st, err := storage.Open(ctx, "mem://", nil)
			require.NoError(t, err)
			tb := storeFaultBase(t, st, mem, 2-k)
			if err := o.run(ctx, tb); err == nil {
				storeFaultAppends(t, tb, mem, 2-k, 2)
				rebasedRows[k] = readRows(t, tb)
			}
			require.NoError(t, st.Close())
		}

		for _, k := range storeFaultKinds {
			t.Run(o.name+"/"+k.name, func(t *testing.T) {
				tally := map[string]int{}
				readBack := 0 // cases whose lost commit acknowledgement was read back
				for n := 1; ; n++ {
					inner, err := storage.Open(ctx, "mem://", nil)
					require.NoError(t, err)
					fs := faultstore.New(inner, faultstore.Plan{})
					storeFaultBase(t, fs, mem, 2)
					commitsBefore := commitFiles(t, inner)
					var logs logBuffer
					logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
					tbl := &Table{url: "mem://faults", store: fs, opts: (&Options{Allocator: mem, Logger: logger}).withDefaults()}

					plan := k.plan(n)
					putsBefore := fs.Count(faultstore.OpPutIfAbsent)
					fs.SetPlan(plan)
					opCtx, cancel := ctx, context.CancelFunc(func() {})
					if k.deadline > 0 {
						opCtx, cancel = context.WithTimeout(ctx, k.deadline)
					}
					opErr := o.run(opCtx, tbl)
					cancel()
					injected := fs.Injected() > 0
					attempts := fs.Count(faultstore.OpPutIfAbsent) - putsBefore
					fs.SetPlan(faultstore.Plan{})

					cell := fmt.Sprintf("n=%d", n)
					commitsAfter := commitFiles(t, inner)
					for p, data := range commitsBefore {
						require.Equal(t, data, commitsAfter[p], "%s: commit %s changed or lost", cell, p)
					}
					added := len(commitsAfter) - len(commitsBefore)
					require.LessOrEqual(t, added, 1, "%s: a duplicated commit", cell)
					if o.name == "checkpoint" {
						require.Zero(t, added, cell)
					}
					require.LessOrEqual(t, attempts, int64((&TxnOptions{}).withDefaults().MaxAttempts), "%s: commit attempts unbounded", cell)

					clean := &Table{url: "mem://faults", store: inner, opts: (&Options{Allocator: mem}).withDefaults()}
					rows := readRows(t, clean)
					outcome := "none"
					switch {
					case slices.Equal(rows, afterRows) && added == 1:
						outcome = "all"
					case slices.Equal(rows, baseRows) && added == 0:
					case plan.StaleList > 0 && added == 1 && slices.Equal(rows, rebasedRows[plan.StaleList]):
						outcome = "serialized before the missed appends"
					default:
						require.Failf(t, "neither all nor none", "%s: %d rows, %d new commits, err %v", cell, len(rows), added, opErr)
					}
					if slices.Equal(afterRows, baseRows) {
						outcome = "rows unchanged" // a checkpoint: all and none read alike
					}
					if opErr != nil {
						if errors.Is(opErr, ErrConflict) {
							outcome = "conflict"
						}
						require.True(t, outcome != "all" || errors.Is(opErr, ErrCommitStateUnknown), "%s: committed but reported %v", cell, opErr)
					}
					if plan.ExistsAfterEffect && attempts > 0 {
						assert.Contains(t, logs.String(), "commit acknowledgement lost; the existing commit is this transaction's own", cell)
					}
					if strings.Contains(logs.String(), "commit write failed but the commit landed") {
						readBack++
					}
					if plan.StaleList > 0 && o.name == "append" {
						assert.Contains(t, logs.String(), "commit version taken by a concurrent writer; retrying", cell)
					}
					if k.deadline > 0 && attempts > 0 {
						assert.ErrorIs(t, opErr, context.DeadlineExceeded, cell)
					}

					rr := eventsReader(t, mem, 500, 4, 2)
					_, err = clean.Append(ctx, rr, nil)
					rr.Release()
					require.NoError(t, err, "%s: next writer", cell)
					require.NoError(t, inner.Close())

					tally[outcome]++
					if !k.each || !injected {
						break
					}
					require.Less(t, n, 500, "operation never ran clean")
				}
				if k.name == "lost ack" && o.name != "checkpoint" {
					// One n loses the commit's own acknowledgement: it is
					// read back, logged, and reported as success.
					assert.Equal(t, 1, readBack, "cases whose commit was read back")
				}
				var parts []string
				for _, o := range []string{"all", "serialized before the missed appends", "none", "conflict", "rows unchanged"} {
					if tally[o] > 0 {
						parts = append(parts, fmt.Sprintf("%d %s", tally[o], o))
					}
				}
				results[o.name][k.name] = strings.Join(parts, ", ")
			})
		}
	}

	var b strings.Builder
	b.WriteString("## Store faults\n\n")
	b.WriteString("Each operation runs on a three-commit table in an in-memory store wrapped by internal/storage/faultstore. `error`, `timeout` (context.DeadlineExceeded) and `lost ack` (the write happens, the caller gets an error) fail the n-th store call for n = 1, 2, … until the operation runs clean; `lost ack, retry sees exists` lands the commit and answers \"already exists\", as a transport retry of a landed write does; `slow` delays every call 1 ms; `slow past deadline` holds the commit past a 50 ms context deadline; `stale list` leaves the newest 1 or 2 log entries out of every listing. ")
	b.WriteString("Per case: no earlier commit changes, at most one new commit, the rows are exactly those before (`none`) or those of the fault-free run (`all`), an error means nothing committed (`conflict` counts conflict errors); under a stale listing the operation may instead commit as if before the commits it missed, which are blind appends, as WriteSerializable allows (`serialized before the missed appends`: the rows equal the operation run at the older version followed by those appends; nothing is lost or overwritten); commit attempts stay bounded, a resolved lost acknowledgement is logged, and the next append succeeds. A cell counts the cases by outcome.\n\n")
	b.WriteString("| operation |")
	for _, k := range storeFaultKinds {
		b.WriteString(" " + k.name + " |")
	}
	b.WriteString("\n|---|" + strings.Repeat("---|", len(storeFaultKinds)) + "\n")
	for _, o := range ops {
		b.WriteString("| " + o.name + " |")
		for _, k := range storeFaultKinds {
			c := results[o.name][k.name]
			if c == "" {
				c = "FAIL"
			}
			b.WriteString(" " + c + " |")
		}
		b.WriteString("\n")
	}
	b.WriteString("\n")
	reliabilitySection(t, "store-faults", "go test -run TestStoreFaults ./delta/ (delta/store_faults_test.go)", b.String())
}
