// Command rows measures typed rows (delta.AppendRows, delta.ScanRows)
// against the Arrow path (builders by hand, Table.Append; Snapshot.Scan
// with typed column access) on the same rows in the same run.
//
//	go run ./bench/rows [-rows 1000000] [-runs 3] [-dir DIR]
//
// The row has seven columns of the kinds services write (id int64, user
// string, amount decimal(12,2), at timestamp, day date, score *float64
// with 10 % nulls, tags []string). Each run writes a fresh local table
// under DIR (default a temp dir, removed at exit) with each path, then
// reads it back with each path, checking the row count and the sum of
// ids. Reported: median wall time and bytes allocated (Go heap,
// runtime.MemStats.TotalAlloc) per path, and the ratio typed/Arrow.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/lakehouse-go/lakehouse/delta"
)

// Event is the benchmark's row type.
type Event struct {
	ID     int64         `delta:"id"`
	User   string        `delta:"user"`
	Amount delta.Decimal `delta:"amount,decimal(12,2)"`
	At     time.Time     `delta:"at"`
	Day    delta.Date    `delta:"day"`
	Score  *float64      `delta:"score"`
	Tags   []string      `delta:"tags"`
}

const batchRows = 16 * 1024

var base = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

func event(i int) Event {
	at := base.Add(time.Duration(i) * time.Second)
	e := Event{
		ID: int64(i), User: fmt.Sprintf("user-%05d", i%10000), Amount: delta.NewDecimal(int64(i%100000), 2),
		At: at, Day: delta.DateOf(at), Tags: []string{"a", "b"}[:i%3%2+1],
	}
	if i%10 != 0 {
		s := float64(i) / 7
		e.Score = &s
	}
	return e
}

func main() {
	rows := flag.Int("rows", 1_000_000, "rows written and read per run")
	runs := flag.Int("runs", 3, "runs (medians are reported)")
	dir := flag.String("dir", "", "where to write the tables (default: a temp dir, removed at exit)")
	flag.Parse()
	if *dir == "" {
		d, err := os.MkdirTemp("", "lakehouse-bench-rows")
		if err != nil {
			log.Fatal(err)
		}
		defer os.RemoveAll(d)
		*dir = d
	}
	ctx := context.Background()
	events := make([]Event, *rows)
	var wantSum int64
	for i := range events {
		events[i] = event(i)
		wantSum += int64(i)
	}
	schema, _, err := delta.SchemaOf[Event]()
	if err != nil {
		log.Fatal(err)
	}

	type result struct{ ms, mb []float64 }
	res := map[string]*result{}
	measure := func(name string, f func() error) {
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		start := time.Now()
		if err := f(); err != nil {
			log.Fatalf("%s: %v", name, err)
		}
		el := time.Since(start)
		runtime.ReadMemStats(&after)
		r := res[name]
		if r == nil {
			r = &result{}
			res[name] = r
		}
		r.ms = append(r.ms, float64(el.Microseconds())/1000)
		r.mb = append(r.mb, float64(after.TotalAlloc-before.TotalAlloc)/(1<<20))
	}
	check := func(n, sum int64) error {
		if n != int64(*rows) || sum != wantSum {
			return fmt.Errorf("read %d rows with id sum %d, want %d and %d", n, sum, *rows, wantSum)
		}
		return nil
	}

	for run := range *runs {
		typedURL := filepath.Join(*dir, fmt.Sprintf("typed-%d", run))
		arrowURL := filepath.Join(*dir, fmt.Sprintf("arrow-%d", run))
		var typed, arrowTbl *delta.Table
		for _, url := range []string{typedURL, arrowURL} {
			tbl, err := delta.Create(ctx, url, schema, nil)
			if err != nil {
				log.Fatal(err)
			}
			if url == typedURL {
				typed = tbl
			} else {
				arrowTbl = tbl
			}
		}
		measure("write typed (AppendRows)", func() error {
			_, err := delta.AppendRows(ctx, typed, events, nil)
			return err
		})
		measure("write Arrow (builders + Table.Append)", func() error {
			return appendArrow(ctx, arrowTbl, schema, events)
		})
		measure("read typed (ScanRows)", func() error {
			snap, err := typed.Snapshot(ctx)
			if err != nil {
				return err
			}
			var n, sum int64
			for e, err := range delta.ScanRows[Event](ctx, snap, nil) {
				if err != nil {
					return err
				}
				n++
				sum += e.ID
			}
			return check(n, sum)
		})
		measure("read Arrow (Scan, into structs by hand)", func() error {
			n, sum, err := scanArrow(ctx, arrowTbl)
			if err != nil {
				return err
			}
			return check(n, sum)
		})
		typed.Close()
		arrowTbl.Close()
		os.RemoveAll(typedURL)
		os.RemoveAll(arrowURL)
	}

	median := func(v []float64) float64 { s := slices.Clone(v); slices.Sort(s); return s[len(s)/2] }
	fmt.Printf("%d rows, %d runs, GOMAXPROCS %d\n\n", *rows, *runs, runtime.GOMAXPROCS(0))
	fmt.Println("| path | median time | allocated | time vs Arrow |")
	fmt.Println("|---|---|---|---|")
	for _, pair := range [][2]string{
		{"write Arrow (builders + Table.Append)", "write typed (AppendRows)"},
		{"read Arrow (Scan, into structs by hand)", "read typed (ScanRows)"},
	} {
		a := median(res[pair[0]].ms)
		for _, name := range pair {
			r := res[name]
			fmt.Printf("| %s | %.0f ms | %.0f MB | %.2f |\n", name, median(r.ms), median(r.mb), median(r.ms)/a)
		}
	}
}

// appendArrow is what a caller writes without typed rows: a builder per
// column, batches of batchRows, one Append.
func appendArrow(ctx context.Context, tbl *delta.Table, schema *arrow.Schema, events []Event) error {
	mem := memory.DefaultAllocator
	var recs []arrow.RecordBatch
	defer func() {
		for _, r := range recs {
			r.Release()
		}
	}()
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	id := b.Field(0).(*array.Int64Builder)
	user := b.Field(1).(*array.StringBuilder)
	amount := b.Field(2).(*array.Decimal128Builder)
	at := b.Field(3).(*array.TimestampBuilder)
	day := b.Field(4).(*array.Date32Builder)
	score := b.Field(5).(*array.Float64Builder)
	tags := b.Field(6).(*array.ListBuilder)
	tagv := tags.ValueBuilder().(*array.StringBuilder)
	flush := func() {
		recs = append(recs, b.NewRecordBatch())
	}
	for i, e := range events {
		id.Append(e.ID)
		user.Append(e.User)
		// The unscaled cents, as a caller without delta.Decimal holds them.
		amount.Append(decimal128.FromI64(int64(i % 100000)))
		at.Append(arrow.Timestamp(e.At.UnixMicro()))
		day.Append(arrow.Date32FromTime(e.Day.Time()))
		if e.Score == nil {
			score.AppendNull()
		} else {
			score.Append(*e.Score)
		}
		tags.Append(true)
		for _, t := range e.Tags {
			tagv.Append(t)
		}
		if (i+1)%batchRows == 0 {
			flush()
		}
	}
	flush()
	rr, err := array.NewRecordReader(schema, recs)
	if err != nil {
		return err
	}
	defer rr.Release()
	_, err = tbl.Append(ctx, rr, nil)
	return err
}

// scanArrow reads the table into Events with typed column access.
// Strings are cloned, as ScanRows does, so rows outlive their batch.
func scanArrow(ctx context.Context, tbl *delta.Table) (int64, int64, error) {
	snap, err := tbl.Snapshot(ctx)
	if err != nil {
		return 0, 0, err
	}
	rr, err := snap.Scan(ctx, nil)
	if err != nil {
		return 0, 0, err
	}
	defer rr.Release()
	var n, sum int64
	for rr.Next() {
		rec := rr.RecordBatch()
		id := rec.Column(0).(*array.Int64)
		user := rec.Column(1).(*array.String)
		amount := rec.Column(2).(*array.Decimal128)
		at := rec.Column(3).(*array.Timestamp)
		day := rec.Column(4).(*array.Date32)
		score := rec.Column(5).(*array.Float64)
		tags := rec.Column(6).(*array.List)
		tagv := tags.ListValues().(*array.String)
		for i := range int(rec.NumRows()) {
			e := Event{
				ID: id.Value(i), User: strings.Clone(user.Value(i)), At: time.UnixMicro(int64(at.Value(i))).UTC(),
				Day: delta.DateOf(day.Value(i).ToTime()),
			}
			e.Amount = delta.NewDecimal(int64(amount.Value(i).LowBits()), 2) // values fit in int64
			if score.IsValid(i) {
				s := score.Value(i)
				e.Score = &s
			}
			if tags.IsValid(i) {
				start, end := tags.ValueOffsets(i)
				e.Tags = make([]string, 0, end-start)
				for j := start; j < end; j++ {
					e.Tags = append(e.Tags, strings.Clone(tagv.Value(int(j))))
				}
			}
			n++
			sum += e.ID
		}
	}
	return n, sum, rr.Err()
}
