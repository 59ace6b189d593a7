package main

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/lakehouse-go/lakehouse/delta"
)

// tableState summarises a table well enough to tell a wrong DML result:
// a lost, duplicated or unchanged row moves at least one of these.
type tableState struct {
	rows, idSum, negative int64
}

// outcome is what a workload must report and leave behind.
type outcome struct {
	deleted, updated, inserted int64
	state                      tableState
}

// expected works out a workload's outcome row by row from the generator's
// formulas, independently of either engine.
func expected(w workload, rows, upserts int64) outcome {
	var o outcome
	lo, hi := rows/2-rows/200, rows/2+rows/200
	for i := int64(0); i < rows; i++ {
		value := float64(i) * 1.5
		switch w.name {
		case "delete":
			if i%100 == 0 {
				o.deleted++
				continue
			}
		case "delete-range":
			if i >= lo && i < hi {
				o.deleted++
				continue
			}
		case "update":
			if i%100 == 1 {
				o.updated++
				value = -value
			}
		}
		o.state.rows++
		o.state.idSum += i
		if value < 0 {
			o.state.negative++
		}
	}
	if w.name == "merge" {
		half := upserts / 2
		o.updated, o.inserted = half, upserts-half
		o.state.rows += upserts - half
		for k := half; k < upserts; k++ {
			o.state.idSum += rows + k - half
		}
		o.state.negative += upserts
	}
	return o
}

func checkCounts(got map[string]int64, want outcome) error {
	if got["deleted"] != want.deleted || got["updated"] != want.updated || got["inserted"] != want.inserted {
		return fmt.Errorf("reported deleted/updated/inserted %d/%d/%d, want %d/%d/%d",
			got["deleted"], got["updated"], got["inserted"], want.deleted, want.updated, want.inserted)
	}
	return nil
}

// readBack reads a table with lakehouse and summarises it.
func readBack(ctx context.Context, path string) (tableState, error) {
	var s tableState
	tbl, err := delta.Open(ctx, path, nil)
	if err != nil {
		return s, err
	}
	defer tbl.Close()
	snap, err := tbl.Snapshot(ctx)
	if err != nil {
		return s, err
	}
	rr, err := snap.Scan(ctx, &delta.ScanOptions{Columns: []string{"id", "value"}})
	if err != nil {
		return s, err
	}
	defer rr.Release()
	for rr.Next() {
		rec := rr.RecordBatch()
		ids := rec.Column(0).(*array.Int64)
		vals := rec.Column(1).(*array.Float64)
		for i := 0; i < int(rec.NumRows()); i++ {
			s.rows++
			s.idSum += ids.Value(i)
			if vals.Value(i) < 0 {
				s.negative++
			}
		}
	}
	return s, rr.Err()
}

// stats of one engine on one workload.
type stats struct {
	msMed, msMin, msMax    float64
	rssMed, rssMin, rssMax int64
}

func summarize(ms []measurement) stats {
	ts := make([]float64, len(ms))
	rs := make([]int64, len(ms))
	for i, m := range ms {
		ts[i], rs[i] = m.ms, m.rss
	}
	slices.Sort(ts)
	slices.Sort(rs)
	return stats{
		msMed: medianF(ts), msMin: ts[0], msMax: ts[len(ts)-1],
		rssMed: int64(medianF(int64s(rs))), rssMin: rs[0], rssMax: rs[len(rs)-1],
	}
}

func int64s(v []int64) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = float64(x)
	}
	return out
}

func medianF(sorted []float64) float64 {
	n := len(sorted)
	if n%2 == 1 {
		return sorted[n/2]
	}
	return (sorted[n/2-1] + sorted[n/2]) / 2
}

// report prints the markdown table BENCHMARKS.md records.
func report(w io.Writer, rows, upserts int64, runs int, engines []engine, ws []workload,
	results map[string]map[string][]measurement, idle map[string]measurement, load0, load1 string) {
	fmt.Fprintf(w, "%d rows, %d-row MERGE source; medians of %d runs (min–max); load average %s at start, %s at end", rows, upserts, runs, load0, load1)
	fmt.Fprintln(w)
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| workload | engine | time | peak RSS | time / delta-rs | peak RSS / delta-rs |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|")
	for _, wl := range ws {
		base, haveBase := results[wl.name]["delta-rs"]
		var b stats
		if haveBase {
			b = summarize(base)
		}
		for _, e := range engines {
			s := summarize(results[wl.name][e.name])
			tr, rr := "—", "—"
			if haveBase && e.name != "delta-rs" {
				tr = fmt.Sprintf("**%.2f**", s.msMed/b.msMed)
				rr = fmt.Sprintf("**%.2f**", float64(s.rssMed)/float64(b.rssMed))
			}
			fmt.Fprintf(w, "| %s | %s | %s ms (%s–%s) | %.0f MiB (%.0f–%.0f) | %s | %s |\n",
				wl.what, e.label, num(s.msMed), num(s.msMin), num(s.msMax),
				mib(s.rssMed), mib(s.rssMin), mib(s.rssMax), tr, rr)
		}
	}
	fmt.Fprintln(w)
	var parts []string
	for _, e := range engines {
		parts = append(parts, fmt.Sprintf("%s %.0f MiB", e.name, mib(idle[e.name].rss)))
	}
	fmt.Fprintf(w, "Peak RSS of a child that starts and exits without work: %s.\n", strings.Join(parts, ", "))
}

// num formats milliseconds with thousands separators.
func num(ms float64) string {
	s := fmt.Sprintf("%.0f", ms)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}
