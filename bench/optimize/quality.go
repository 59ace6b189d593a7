package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/lakehouse-go/lakehouse/bench/internal/compactwork"
	"github.com/lakehouse-go/lakehouse/delta"
	"github.com/lakehouse-go/lakehouse/optimize"
)

var skewedSchema = arrow.NewSchema([]arrow.Field{
	{Name: "id", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "ts", Type: arrow.FixedWidthTypes.Timestamp_us, Nullable: true},
	{Name: "amount", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
}, nil)

const qualityBase = int64(1_700_000_000_000_000) // µs

// skewedTable writes rows in 100 appends: id Zipf-distributed over
// 1..1,000,000 (s = 1.1); ts spread over 30 days in arrival order, 90% of
// rows within an hour of their arrival time and 10% up to three days
// late. It returns the sorted ids and timestamps, for the queries.
func skewedTable(ctx context.Context, path string, rows int64) (ids, tss []int64, err error) {
	_ = os.RemoveAll(path)
	fmt.Fprintf(os.Stderr, "generating %d skewed rows in %s …\n", rows, path)
	tbl, err := delta.Create(ctx, path, skewedSchema, &delta.CreateOptions{Table: &delta.Options{NoSync: true}})
	if err != nil {
		return nil, nil, err
	}
	defer tbl.Close()
	r := rand.New(rand.NewPCG(1, 2))
	zipf := rand.NewZipf(r, 1.1, 1, 999_999)
	span := int64(30 * 24 * time.Hour / time.Microsecond)
	ids, tss = make([]int64, 0, rows), make([]int64, 0, rows)
	per := rows / 100
	for a := range int64(100) {
		b := array.NewRecordBuilder(memory.DefaultAllocator, skewedSchema)
		for i := a * per; i < (a+1)*per; i++ {
			id := int64(zipf.Uint64()) + 1
			ts := qualityBase + i*span/rows
			if r.IntN(10) == 0 {
				ts -= r.Int64N(int64(72 * time.Hour / time.Microsecond))
			} else {
				ts += r.Int64N(int64(2*time.Hour/time.Microsecond)) - int64(time.Hour/time.Microsecond)
			}
			b.Field(0).(*array.Int64Builder).Append(id)
			b.Field(1).(*array.TimestampBuilder).Append(arrow.Timestamp(ts))
			b.Field(2).(*array.Float64Builder).Append(r.Float64() * 100)
			ids, tss = append(ids, id), append(tss, ts)
		}
		rec := b.NewRecordBatch()
		b.Release()
		rr, err := array.NewRecordReader(skewedSchema, []arrow.RecordBatch{rec})
		rec.Release()
		if err != nil {
			return nil, nil, err
		}
		_, err = tbl.Append(ctx, rr, nil)
		rr.Release()
		if err != nil {
			return nil, nil, err
		}
	}
	slices.Sort(ids)
	slices.Sort(tss)
	return ids, tss, nil
}

// query is a predicate on one column as a closed interval.
type query struct {
	name   string
	column string
	lo, hi int64
	// more are further [lo, hi] ranges: the query's files read is then
	// the mean over all of them.
	more [][2]int64
}

func quantile(sorted []int64, q float64) int64 { return sorted[int(q*float64(len(sorted)-1))] }

func queries(ids, tss []int64) []query {
	return []query{
		{"id = p99 value", "id", quantile(ids, 0.99), quantile(ids, 0.99), nil},
		{"id in 1% of rows (p95–p96)", "id", quantile(ids, 0.95), quantile(ids, 0.96), nil},
		{"ts = one instant", "ts", quantile(tss, 0.5), quantile(tss, 0.5), nil},
		{"ts in 1% of rows (p50–p51)", "ts", quantile(tss, 0.50), quantile(tss, 0.51), nil},
		slidingRange("id", ids),
		slidingRange("ts", tss),
	}
}

// slidingRange is a 1% range query on column at 20 positions, starting
// at quantiles 0.02, 0.07, …, 0.97: one position can fall on a cut that
// every layout makes at the same quantile (the median, for a layout cut
// in halves) and read twice the files a typical position reads.
func slidingRange(column string, sorted []int64) query {
	q := query{name: column + " in 1% of rows, mean of 20 positions", column: column}
	for k := range 20 {
		lo := 0.02 + 0.05*float64(k)
		r := [2]int64{quantile(sorted, lo), quantile(sorted, lo+0.01)}
		if k == 0 {
			q.lo, q.hi = r[0], r[1]
		} else {
			q.more = append(q.more, r)
		}
	}
	return q
}

// fileBounds are one file's min and max for id and ts (µs), from the
// stats its writer put in the add action; ok false when absent.
type fileBounds struct {
	ok           bool
	idMin, idMax int64
	tsMin, tsMax int64
}

func readBounds(ctx context.Context, path string) ([]fileBounds, error) {
	tbl, err := delta.Open(ctx, path, nil)
	if err != nil {
		return nil, err
	}
	defer tbl.Close()
	snap, err := tbl.Snapshot(ctx)
	if err != nil {
		return nil, err
	}
	var out []fileBounds
	for f, err := range snap.Files(ctx) {
		if err != nil {
			return nil, err
		}
		var st struct {
			Min struct {
				ID *int64  `json:"id"`
				TS *string `json:"ts"`
			} `json:"minValues"`
			Max struct {
				ID *int64  `json:"id"`
				TS *string `json:"ts"`
			} `json:"maxValues"`
		}
		var b fileBounds
		if json.Unmarshal([]byte(f.Stats), &st) == nil && st.Min.ID != nil && st.Max.ID != nil && st.Min.TS != nil && st.Max.TS != nil {
			lo, err1 := time.Parse(time.RFC3339Nano, *st.Min.TS)
			hi, err2 := time.Parse(time.RFC3339Nano, *st.Max.TS)
			if err1 == nil && err2 == nil {
				// Timestamp stats are truncated to milliseconds: the true
				// maximum can be up to 1 ms above the recorded one.
				b = fileBounds{ok: true, idMin: *st.Min.ID, idMax: *st.Max.ID, tsMin: lo.UnixMicro(), tsMax: hi.UnixMicro() + 999}
			}
		}
		out = append(out, b)
	}
	return out, nil
}

// filesRead is the number of files whose bounds meet q's range (the
// mean over its ranges when it has several).
func filesRead(bounds []fileBounds, q query) float64 {
	ranges := append([][2]int64{{q.lo, q.hi}}, q.more...)
	n := 0
	for _, r := range ranges {
		for _, b := range bounds {
			lo, hi := b.idMin, b.idMax
			if q.column == "ts" {
				lo, hi = b.tsMin, b.tsMax
			}
			if !b.ok || (hi >= r[0] && lo <= r[1]) {
				n++
			}
		}
	}
	return float64(n) / float64(len(ranges))
}

const deltaRSZOrder = `
import json, sys, time
from deltalake import DeltaTable
path, target = sys.argv[1], int(sys.argv[2])
start = time.perf_counter()
m = DeltaTable(path).optimize.z_order(["id", "ts"], target_size=target)
print(json.dumps({"ms": (time.perf_counter() - start) * 1000, "removed": m["numFilesRemoved"], "added": m["numFilesAdded"]}))
`

type layout struct {
	name string
	ms   float64
	path string
}

func benchQuality(ctx context.Context, dir, python string, rows, target int64) error {
	src := filepath.Join(dir, "skewed")
	ids, tss, err := skewedTable(ctx, src, rows)
	if err != nil {
		return err
	}
	layouts := []layout{{name: "as written (100 appends)", path: src}}
	ours := []struct {
		name    string
		cluster bool
		opts    optimize.Options
	}{
		{"bin-packing", false, optimize.Options{TargetFileSize: target, MinFileSize: target}},
		{"lakehouse Z-order (id, ts)", false, optimize.Options{TargetFileSize: target, ZOrderBy: []string{"id", "ts"}}},
		{"lakehouse liquid clustering, Hilbert (id, ts)", true, optimize.Options{TargetFileSize: target}},
	}
	for i, o := range ours {
		path := filepath.Join(dir, fmt.Sprintf("skewed-%d", i))
		if err := copyTable(src, path); err != nil {
			return err
		}
		tbl, err := delta.Open(ctx, path, &delta.Options{NoSync: true})
		if err != nil {
			return err
		}
		if o.cluster {
			if _, err := tbl.ClusterBy(ctx, []string{"id", "ts"}, nil); err != nil {
				return err
			}
		}
		start := time.Now()
		_, err = optimize.Compact(ctx, tbl, &o.opts)
		ms := float64(time.Since(start).Microseconds()) / 1000
		_ = tbl.Close()
		if err != nil {
			return fmt.Errorf("%s: %w", o.name, err)
		}
		layouts = append(layouts, layout{name: o.name, ms: ms, path: path})
	}
	if python != "" {
		path := filepath.Join(dir, "skewed-deltars")
		if err := copyTable(src, path); err != nil {
			return err
		}
		m, err := runMeasured(exec.CommandContext(ctx, python, "-c", deltaRSZOrder, path, fmt.Sprint(target)))
		if err != nil {
			return fmt.Errorf("delta-rs z_order: %w", err)
		}
		layouts = append(layouts, layout{name: "delta-rs z_order (id, ts)", ms: m.Ms, path: path})
		// delta-rs sizes its output files differently, so it writes more
		// of them at the same target; the fraction of files a query reads
		// falls with the file count, so lakehouse's clustering is also
		// measured with as many files as delta-rs wrote.
		drsFiles, err := readBounds(ctx, path)
		if err != nil {
			return err
		}
		l, err := clusterToFiles(ctx, src, filepath.Join(dir, "skewed-matched"), int64(len(drsFiles)))
		if err != nil {
			return err
		}
		layouts = append(layouts, l)
	}
	qs := queries(ids, tss)
	fmt.Printf("\n### Clustering quality: %d rows, id Zipf(1.1) over 1..10⁶, ts out of order; files of %.1f MiB\n\n", rows, float64(target)/(1<<20))
	fmt.Print("| layout | time | files |")
	for _, q := range qs {
		fmt.Printf(" %s |", q.name)
	}
	fmt.Print("\n|---|---|---|")
	for range qs {
		fmt.Print("---|")
	}
	fmt.Println()
	for _, l := range layouts {
		if err := compactwork.CheckRows(ctx, l.path, rows); err != nil {
			return fmt.Errorf("%s: %w", l.name, err)
		}
		bounds, err := readBounds(ctx, l.path)
		if err != nil {
			return err
		}
		t := "—"
		if l.ms > 0 {
			t = fmt.Sprintf("%.1f s", l.ms/1000)
		}
		fmt.Printf("| %s | %s | %d |", l.name, t, len(bounds))
		for _, q := range qs {
			n := filesRead(bounds, q)
			fmt.Printf(" %.4g (%.1f%%) |", n, 100*n/float64(len(bounds)))
		}
		fmt.Println()
	}
	fmt.Printf("\nQuery bounds: ")
	for _, q := range qs {
		if q.more == nil {
			fmt.Printf("%s [%d, %d]; ", q.name, q.lo, q.hi)
		}
	}
	fmt.Println()
	return nil
}

// clusterToFiles clusters a copy of src by (id, ts) into about files
// files, choosing the target size that makes OPTIMIZE write that many.
func clusterToFiles(ctx context.Context, src, path string, files int64) (layout, error) {
	if err := copyTable(src, path); err != nil {
		return layout{}, err
	}
	tbl, err := delta.Open(ctx, path, &delta.Options{NoSync: true})
	if err != nil {
		return layout{}, err
	}
	defer tbl.Close()
	snap, err := tbl.Snapshot(ctx)
	if err != nil {
		return layout{}, err
	}
	var size int64
	for f, err := range snap.Files(ctx) {
		if err != nil {
			return layout{}, err
		}
		size += f.Size
	}
	if _, err := tbl.ClusterBy(ctx, []string{"id", "ts"}, nil); err != nil {
		return layout{}, err
	}
	target := size / files
	start := time.Now()
	if _, err := optimize.Compact(ctx, tbl, &optimize.Options{TargetFileSize: target}); err != nil {
		return layout{}, fmt.Errorf("liquid clustering to %d files: %w", files, err)
	}
	ms := float64(time.Since(start).Microseconds()) / 1000
	name := fmt.Sprintf("lakehouse liquid clustering, Hilbert (id, ts), as many files as delta-rs (target %d B)", target)
	return layout{name: name, ms: ms, path: path}, nil
}
