package delta

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// assertGapless checks that versions 0..want exist and that nothing is
// beyond.
func assertGapless(t *testing.T, tbl *Table, want int64) {
	t.Helper()
	snap, err := tbl.Snapshot(context.Background())
	require.NoError(t, err)
	assert.Equal(t, want, snap.Version())
	for v := int64(0); v <= want; v++ {
		_, err := tbl.store.Stat(context.Background(), fmt.Sprintf("_delta_log/%020d.json", v))
		require.NoError(t, err, "version %d", v)
	}
}

func TestConcurrentAppendsGoroutines(t *testing.T) {
	const writers, commits, rows = 8, 4, 25
	for name, url := range tableURLs(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			mem := newCheckedAllocator(t)
			tbl, err := Create(ctx, url, eventsSchema, &CreateOptions{Table: &Options{Allocator: mem, NoSync: true}, PartitionBy: []string{"day"}})
			require.NoError(t, err)
			defer tbl.Close()
			var wg sync.WaitGroup
			errs := make(chan error, writers*commits)
			for w := 0; w < writers; w++ {
				wg.Add(1)
				go func(w int) {
					defer wg.Done()
					// Local tables get a handle per writer, as separate
					// programs would; mem:// tables exist only in this handle.
					h := tbl
					if name == "local" {
						var err error
						if h, err = Open(ctx, url, &Options{Allocator: mem, NoSync: true}); err != nil {
							errs <- err
							return
						}
						defer h.Close()
					}
					for c := 0; c < commits; c++ {
						rr := eventsReader(t, mem, (w*commits+c)*rows, rows, 2)
						_, err := h.Append(ctx, rr, nil)
						rr.Release()
						if err != nil {
							errs <- err
						}
					}
				}(w)
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				require.NoError(t, err)
			}
			assertGapless(t, tbl, writers*commits)
			assert.Equal(t, expectedRows(t, [3]int{0, writers * commits * rows, 2}), readRows(t, tbl))
		})
	}
}

func TestConflictingOverwrites(t *testing.T) {
	for name, url := range tableURLs(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			mem := newCheckedAllocator(t)
			tbl, err := Create(ctx, url, eventsSchema, &CreateOptions{Table: &Options{Allocator: mem}})
			require.NoError(t, err)
			defer tbl.Close()
			rr := eventsReader(t, mem, 0, 10, 1)
			_, err = tbl.Append(ctx, rr, nil)
			rr.Release()
			require.NoError(t, err)

			a, err := tbl.Begin(ctx, &TxnOptions{Mode: Overwrite})
			require.NoError(t, err)
			defer a.Rollback()
			b, err := tbl.Begin(ctx, &TxnOptions{Mode: Overwrite})
			require.NoError(t, err)
			defer b.Rollback()
			// A blind append slips in between: at WriteSerializable it does
			// not break either overwrite.
			rr = eventsReader(t, mem, 1000, 5, 1)
			_, err = tbl.Append(ctx, rr, nil)
			rr.Release()
			require.NoError(t, err)

			rr = eventsReader(t, mem, 100, 3, 1)
			require.NoError(t, a.Write(ctx, rr))
			rr.Release()
			rr = eventsReader(t, mem, 200, 3, 1)
			require.NoError(t, b.Write(ctx, rr))
			rr.Release()

			resA, err := a.Commit(ctx)
			require.NoError(t, err)
			assert.Equal(t, int64(3), resA.Version)
			assert.Equal(t, 2, resA.Attempts)

			_, err = b.Commit(ctx)
			require.ErrorIs(t, err, ErrConflict)
			var ce *ConflictError
			require.ErrorAs(t, err, &ce)
			assert.Equal(t, int64(3), ce.Version)
			assert.Equal(t, ConflictConcurrentAppend, ce.Kind) // checked before deletes, as in Delta
			// The loser's staged files are gone; the table holds A's rows
			// and the concurrent append.
			assert.Equal(t, expectedRows(t, [3]int{100, 3, 1}, [3]int{1000, 5, 1}), readRows(t, tbl))
			assertOnlyReferencedFiles(t, tbl)
		})
	}
}

func TestSerializableOverwriteConflictsWithAppend(t *testing.T) {
	ctx := context.Background()
	mem := newCheckedAllocator(t)
	tbl, err := Create(ctx, "mem://", eventsSchema, &CreateOptions{Table: &Options{Allocator: mem}})
	require.NoError(t, err)
	defer tbl.Close()
	x, err := tbl.Begin(ctx, &TxnOptions{Mode: Overwrite, Isolation: Serializable})
	require.NoError(t, err)
	defer x.Rollback()
	rr := eventsReader(t, mem, 0, 5, 1)
	_, err = tbl.Append(ctx, rr, nil)
	rr.Release()
	require.NoError(t, err)
	_, err = x.Commit(ctx)
	var ce *ConflictError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, ConflictConcurrentAppend, ce.Kind)
}

func TestSameAppIDConcurrentReplay(t *testing.T) {
	ctx := context.Background()
	mem := newCheckedAllocator(t)
	tbl, err := Create(ctx, "mem://", eventsSchema, &CreateOptions{Table: &Options{Allocator: mem}})
	require.NoError(t, err)
	defer tbl.Close()
	a, err := tbl.Begin(ctx, &TxnOptions{AppID: "stream", AppVersion: 5})
	require.NoError(t, err)
	defer a.Rollback()
	rr := eventsReader(t, mem, 0, 5, 1)
	require.NoError(t, a.Write(ctx, rr))
	rr.Release()
	// The same batch, replayed by a second worker, wins the race.
	rr = eventsReader(t, mem, 0, 5, 1)
	_, err = tbl.Append(ctx, rr, &TxnOptions{AppID: "stream", AppVersion: 5})
	rr.Release()
	require.NoError(t, err)
	res, err := a.Commit(ctx)
	require.NoError(t, err)
	assert.True(t, res.Skipped)
	assert.Equal(t, expectedRows(t, [3]int{0, 5, 1}), readRows(t, tbl))
	assertOnlyReferencedFiles(t, tbl)
}

// assertOnlyReferencedFiles checks that every data file in the table
// directory is referenced by some version's add action.
func assertOnlyReferencedFiles(t *testing.T, tbl *Table) {
	t.Helper()
	ctx := context.Background()
	referenced := map[string]bool{}
	snap, err := tbl.Snapshot(ctx)
	require.NoError(t, err)
	for v := int64(0); v <= snap.Version(); v++ {
		s, err := tbl.SnapshotAt(ctx, v)
		require.NoError(t, err)
		for f, err := range s.Files(ctx) {
			require.NoError(t, err)
			referenced[f.Path] = true
		}
	}
	for fi, err := range tbl.store.List(ctx, "") {
		require.NoError(t, err)
		if filepath.Dir(fi.Path) == "_delta_log" || len(fi.Path) > 11 && fi.Path[:11] == "_delta_log/" {
			continue
		}
		assert.True(t, referenced[fi.Path], "unreferenced file %s", fi.Path)
	}
}

// TestConcurrentAppendsProcesses runs 4 OS processes (this test binary,
// re-executed) appending to one local table. It skips inside those
// processes (LAKEHOUSE_APPENDER_DIR set), where only the appender runs.
func TestConcurrentAppendsProcesses(t *testing.T) {
	if os.Getenv("LAKEHOUSE_APPENDER_DIR") != "" {
		t.Skip("inside a helper process")
	}
	const procs, commits, rows = 4, 5, 20
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "tbl")
	tbl, err := Create(ctx, dir, eventsSchema, &CreateOptions{PartitionBy: []string{"day"}})
	require.NoError(t, err)
	defer tbl.Close()
	cmds := make([]*exec.Cmd, procs)
	for p := range cmds {
		cmd := exec.Command(os.Args[0], "-test.run=^TestHelperAppenderProcess$", "-test.count=1")
		cmd.Env = append(os.Environ(),
			"LAKEHOUSE_APPENDER_DIR="+dir,
			"LAKEHOUSE_APPENDER_FROM="+strconv.Itoa(p*commits*rows),
			fmt.Sprintf("LAKEHOUSE_APPENDER_SHAPE=%d,%d", commits, rows))
		require.NoError(t, cmd.Start())
		cmds[p] = cmd
	}
	for p, cmd := range cmds {
		require.NoError(t, cmd.Wait(), "appender process %d", p)
	}
	assertGapless(t, tbl, procs*commits)
	assert.Equal(t, expectedRows(t, [3]int{0, procs * commits * rows, 2}), readRows(t, tbl))
}

// TestHelperAppenderProcess is the body of one appender process. It skips
// unless TestConcurrentAppendsProcesses started it (LAKEHOUSE_APPENDER_DIR
// set): run directly it has no table to append to.
func TestHelperAppenderProcess(t *testing.T) {
	dir := os.Getenv("LAKEHOUSE_APPENDER_DIR")
	if dir == "" {
		t.Skip("only runs as a helper process of TestConcurrentAppendsProcesses")
	}
	from, err := strconv.Atoi(os.Getenv("LAKEHOUSE_APPENDER_FROM"))
	require.NoError(t, err)
	var commits, rows int
	_, err = fmt.Sscanf(os.Getenv("LAKEHOUSE_APPENDER_SHAPE"), "%d,%d", &commits, &rows)
	require.NoError(t, err)
	ctx := context.Background()
	tbl, err := Open(ctx, dir, nil)
	require.NoError(t, err)
	defer tbl.Close()
	mem := memory.NewGoAllocator()
	for c := 0; c < commits; c++ {
		rr := eventsReader(t, mem, from+c*rows, rows, 2)
		_, err := tbl.Append(ctx, rr, nil)
		rr.Release()
		if err != nil && !errors.Is(err, ErrConflict) {
			require.NoError(t, err)
		}
		require.NoError(t, err)
	}
}
