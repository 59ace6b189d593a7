package delta

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"iter"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/RoaringBitmap/roaring/v2/roaring64"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lakehouse-go/lakehouse/internal/checkpoint"
	"github.com/lakehouse-go/lakehouse/internal/dv"
	"github.com/lakehouse-go/lakehouse/internal/protocol"
	"github.com/lakehouse-go/lakehouse/internal/storage"
)

// hugeLineStore adds to a real table's store one synthetic commit file
// made of a single line of size bytes, generated as it is read, so a test
// can present a 200 MB line without writing or holding one. Get of that
// file fails the test: the reader must stream it.
type hugeLineStore struct {
	storage.Store
	t    *testing.T
	path string
	size int64
}

func (s *hugeLineStore) List(ctx context.Context, prefix string) iter.Seq2[storage.FileInfo, error] {
	return func(yield func(storage.FileInfo, error) bool) {
		var all []storage.FileInfo
		for fi, err := range s.Store.List(ctx, prefix) {
			if err != nil {
				yield(fi, err)
				return
			}
			all = append(all, fi)
		}
		if strings.HasPrefix(s.path, prefix) {
			all = append(all, storage.FileInfo{Path: s.path, Size: s.size, ModTime: time.Now()})
			slices.SortFunc(all, func(a, b storage.FileInfo) int { return strings.Compare(a.Path, b.Path) })
		}
		for _, fi := range all {
			if !yield(fi, nil) {
				return
			}
		}
	}
}

func (s *hugeLineStore) Get(ctx context.Context, p string) ([]byte, error) {
	if p == s.path {
		s.t.Errorf("Get(%s) would hold the whole %d-byte file", p, s.size)
		return nil, errors.New("test: Get of the huge commit")
	}
	return s.Store.Get(ctx, p)
}

func (s *hugeLineStore) Open(ctx context.Context, p string) (storage.ReaderAt, error) {
	if p == s.path {
		return &hugeLine{size: s.size}, nil
	}
	return s.Store.Open(ctx, p)
}

// hugeLine is `{"commitInfo":{"pad":"aaaa…"}}` plus a newline, size bytes
// in all, produced on demand.
type hugeLine struct {
	size, off int64
}

const hugeLineHead, hugeLineTail = `{"commitInfo":{"pad":"`, "\"}}\n"

func (h *hugeLine) ReadAt(p []byte, off int64) (int, error) {
	if off >= h.size {
		return 0, io.EOF
	}
	n := 0
	for ; n < len(p) && off+int64(n) < h.size; n++ {
		i := off + int64(n)
		switch {
		case i < int64(len(hugeLineHead)):
			p[n] = hugeLineHead[i]
		case i >= h.size-int64(len(hugeLineTail)):
			p[n] = hugeLineTail[i-(h.size-int64(len(hugeLineTail)))]
		default:
			p[n] = 'a'
		}
	}
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

func (h *hugeLine) Read(p []byte) (int, error) {
	n, err := h.ReadAt(p, h.off)
	h.off += int64(n)
	return n, err
}

func (h *hugeLine) Seek(off int64, whence int) (int64, error) {
	switch whence {
	case io.SeekStart:
		h.off = off
	case io.SeekCurrent:
		h.off += off
	case io.SeekEnd:
		h.off = h.size + off
	}
	return h.off, nil
}

func (h *hugeLine) Size() int64  { return h.size }
func (h *hugeLine) Close() error { return nil }

// TestOversizeLogLine presents a 200 MB single-line commit: the read must
// fail with ErrLimitExceeded naming the file, the limit and the option,
// having allocated far less than the line (it used to take 1.1 GB).
func TestOversizeLogLine(t *testing.T) {
	const lineSize = 200 << 20
	ctx := context.Background()
	for _, tc := range []struct {
		name     string
		limit    int64 // Options.Limits.MaxLogLineBytes
		want     int64 // the limit the error names
		maxAlloc uint64
	}{
		{"default limit", 0, DefaultMaxLogLineBytes, lineSize * 3 / 4},
		{"lowered limit", 1 << 20, 1 << 20, 16 << 20},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mem := newCheckedAllocator(t)
			base, _ := newMaintTable(t, mem, 4, false, nil) // versions 0 and 1
			store := &hugeLineStore{Store: base.store, t: t, path: logDir + fmt.Sprintf("%020d.json", 2), size: lineSize}
			tbl := &Table{url: base.url, store: store, opts: (&Options{Allocator: mem, Limits: Limits{MaxLogLineBytes: tc.limit}}).withDefaults()}

			runtime.GC()
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			_, err := tbl.Snapshot(ctx)
			runtime.ReadMemStats(&after)

			require.Error(t, err)
			assert.ErrorIs(t, err, ErrLimitExceeded)
			var le *LimitError
			require.ErrorAs(t, err, &le)
			assert.Equal(t, fmt.Sprintf("%020d.json", 2), le.File)
			assert.Equal(t, tc.want, le.Limit)
			assert.Contains(t, err.Error(), "Options.Limits.MaxLogLineBytes")
			assert.Contains(t, err.Error(), fmt.Sprintf("more than %d bytes", tc.want))
			assert.True(t, strings.HasPrefix(err.Error(), "delta: "), err.Error())
			assert.NotContains(t, err.Error(), "delta: delta:")
			allocated := after.TotalAlloc - before.TotalAlloc
			assert.Less(t, allocated, tc.maxAlloc, "bytes allocated while failing on a %d-byte line", lineSize)
			t.Logf("allocated %d MiB for a %d MiB line", allocated>>20, lineSize>>20)

			// The versions before the oversize commit stay readable.
			snap, err := tbl.SnapshotAt(ctx, 1)
			require.NoError(t, err)
			assert.Len(t, snapshotRows(t, snap), 4)
		})
	}
}

// TestLogLineLimitBoundary checks the limit is on the line without its
// newline, for a file streamed because it is larger than the limit.
func TestLogLineLimitBoundary(t *testing.T) {
	ctx := context.Background()
	mem := newCheckedAllocator(t)
	tbl, dir := newMaintTable(t, mem, 4, false, nil)
	lines := append(commitLines(t, tbl, 0), commitLines(t, tbl, 1)...)
	longest := 0
	for _, l := range lines {
		longest = max(longest, len(l))
	}
	for _, tc := range []struct {
		limit int64
		ok    bool
	}{
		{int64(longest), true},
		{int64(longest) - 1, false},
		{-1, true}, // no limit
	} {
		t.Run(fmt.Sprint(tc.limit), func(t *testing.T) {
			opened, err := Open(ctx, dir, &Options{Allocator: mem, Limits: Limits{MaxLogLineBytes: tc.limit}})
			require.NoError(t, err)
			defer opened.Close()
			_, err = opened.Snapshot(ctx)
			if tc.ok {
				require.NoError(t, err)
				assert.Len(t, readRows(t, opened), 4)
				return
			}
			require.ErrorIs(t, err, ErrLimitExceeded)
			assert.Contains(t, err.Error(), fmt.Sprintf(".json: line 3 is more than %d bytes", tc.limit))
		})
	}
}

// TestCheckpointFooterLimit reads a checkpoint whose footer is larger
// than a lowered limit: the reader refuses it before parsing, falls back to
// the commits while they exist (with a warning), and reports
// ErrLimitExceeded when they do not. A forged trailer declaring a 4 GB
// footer in a small file is corruption, refused without allocating it.
func TestCheckpointFooterLimit(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name    string
		limit   int64
		forge   bool
		wantErr error
	}{
		{"footer over a lowered limit", 64, false, ErrLimitExceeded},
		{"forged 4 GB footer", 0, true, ErrCorruptLog},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mem := newCheckedAllocator(t)
			tbl, dir := newMaintTable(t, mem, 4, false, nil)
			appendRows(t, tbl, mem, 10, 4)
			v := int64(2)
			_, err := tbl.Checkpoint(ctx, &CheckpointOptions{Version: &v})
			require.NoError(t, err)
			cp := filepath.Join(dir, "_delta_log", fmt.Sprintf("%020d.checkpoint.parquet", v))
			if tc.forge {
				data, err := os.ReadFile(cp)
				require.NoError(t, err)
				binary.LittleEndian.PutUint32(data[len(data)-8:], 0xFFFFFFF0)
				require.NoError(t, os.WriteFile(cp, data, 0o644))
			}

			var logged bytes.Buffer
			opened, err := Open(ctx, dir, &Options{Allocator: mem, Logger: slog.New(slog.NewTextHandler(&logged, nil)), Limits: Limits{MaxCheckpointFooterBytes: tc.limit}})
			require.NoError(t, err)
			defer opened.Close()
			assert.Len(t, readRows(t, opened), 8)
			assert.Contains(t, logged.String(), "checkpoint unreadable")

			require.NoError(t, os.Remove(filepath.Join(dir, "_delta_log", fmt.Sprintf("%020d.json", 0))))
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			_, err = opened.Snapshot(ctx)
			runtime.ReadMemStats(&after)
			require.ErrorIs(t, err, tc.wantErr)
			assert.Contains(t, err.Error(), fmt.Sprintf("%020d.checkpoint.parquet", v))
			assert.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(64<<20))
			if tc.wantErr == ErrLimitExceeded {
				var le *LimitError
				require.ErrorAs(t, err, &le)
				assert.Greater(t, le.Size, tc.limit)
				assert.Equal(t, tc.limit, le.Limit)
				assert.Contains(t, err.Error(), "Options.Limits.MaxCheckpointFooterBytes")
			}
		})
	}
}

func TestDeletionVectorLimit(t *testing.T) {
	bm := roaring64.New()
	bm.AddMany([]uint64{1, 5, 9})
	inline, err := dv.EncodeInline(bm)
	require.NoError(t, err)
	for _, tc := range []struct {
		name  string
		d     protocol.DeletionVector
		limit int64
		want  string // "" when within the limit
	}{
		{"inline within", inline, 1 << 10, ""},
		{"inline text over", protocol.DeletionVector{StorageType: dv.StorageInline, PathOrInlineDv: strings.Repeat("0", 5000), SizeInBytes: 8}, 1 << 10, "inline deletion vector"},
		{"file declared over", protocol.DeletionVector{StorageType: dv.StorageAbsolute, PathOrInlineDv: "file:///t/dv.bin", SizeInBytes: 1 << 30}, 1 << 20, "file:///t/dv.bin"},
		{"default limit", protocol.DeletionVector{StorageType: dv.StorageAbsolute, PathOrInlineDv: "file:///t/dv.bin", SizeInBytes: 1 << 30}, 0, "file:///t/dv.bin"},
		{"no limit", protocol.DeletionVector{StorageType: dv.StorageAbsolute, PathOrInlineDv: "file:///t/dv.bin", SizeInBytes: 1 << 30}, -1, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tbl := &Table{url: "mem://t", opts: (&Options{Limits: Limits{MaxDeletionVectorBytes: tc.limit}}).withDefaults()}
			err := tbl.checkDVSize(&tc.d)
			if tc.want == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, ErrLimitExceeded)
			assert.Contains(t, err.Error(), tc.want)
			assert.Contains(t, err.Error(), "Options.Limits.MaxDeletionVectorBytes")
			// loadDV checks before opening anything: the table has no store.
			_, lerr := tbl.loadDV(context.Background(), &tc.d)
			require.ErrorIs(t, lerr, ErrLimitExceeded)
		})
	}
}

func TestStatsLimit(t *testing.T) {
	stats := `{"numRecords":3,"minValues":{"id":1},"maxValues":{"id":9},"nullCount":{"id":0},"pad":"` + strings.Repeat("x", 4096) + `"}`
	for _, tc := range []struct {
		name  string
		limit int64
		ok    bool
	}{
		{"default", 0, true},
		{"lowered", 1024, false},
		{"exact", int64(len(stats)), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tbl := &Table{url: "mem://t", opts: (&Options{Limits: Limits{MaxStatsBytes: tc.limit}}).withDefaults()}
			snap := &Snapshot{table: tbl}
			src, err := snap.fileStatsSource(&protocol.Add{Path: "part-0.parquet", Stats: stats})
			if tc.ok {
				require.NoError(t, err)
				n, ok := src.NumRecords()
				assert.True(t, ok)
				assert.Equal(t, int64(3), n)
				return
			}
			require.ErrorIs(t, err, ErrLimitExceeded)
			assert.Contains(t, err.Error(), "part-0.parquet")
			assert.Contains(t, err.Error(), "Options.Limits.MaxStatsBytes")
		})
	}
}

// TestCheckpointStatsLimit: a checkpoint write does not parse stats longer
// than MaxStatsBytes into stats_parsed (it leaves that null: the file then
// has no stats, which only costs pruning), and parses the others.
func TestCheckpointStatsLimit(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name   string
		limit  int64
		parsed bool
	}{
		{"default limit", 0, true},
		{"stats over the limit", 10, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mem := newCheckedAllocator(t)
			_, dir := newMaintTable(t, mem, 4, false, map[string]string{
				// Only stats_parsed, so the reader shows it (it prefers the JSON).
				"delta.checkpoint.writeStatsAsStruct": "true", "delta.checkpoint.writeStatsAsJson": "false",
			})
			tbl, err := Open(ctx, dir, &Options{Allocator: mem, NoSync: true, Limits: Limits{MaxStatsBytes: tc.limit}})
			require.NoError(t, err)
			defer tbl.Close()
			info, err := tbl.Checkpoint(ctx, nil)
			require.NoError(t, err)
			r, err := tbl.store.Open(ctx, logDir+fmt.Sprintf("%020d.checkpoint.parquet", info.Version))
			require.NoError(t, err)
			defer r.Close()
			adds := 0
			require.NoError(t, checkpoint.ReadParquet(ctx, r, checkpoint.AddColumns, mem, func(actions []protocol.Action) error {
				for _, a := range actions {
					if a.Add == nil {
						continue
					}
					adds++
					assert.Empty(t, a.Add.Stats)
					assert.Equal(t, tc.parsed, a.Add.StatsParsed != nil, "stats_parsed of %s", a.Add.Path)
				}
				return nil
			}))
			assert.Positive(t, adds)
			assert.Len(t, readRows(t, tbl), 4)
		})
	}
}
