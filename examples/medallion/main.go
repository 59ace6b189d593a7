// Command medallion runs the transactions pipeline of the medallion
// pattern on a local directory, with no setup: raw JSON files land in
// DIR/raw; bronze ingests them as they arrive (Auto Loader style, values
// that do not fit kept in _rescued_data); silver drops the bad rows with
// expectations, quarantines them, removes duplicate transaction ids and
// converts amounts to US dollars; gold summarises each day and category.
//
//	go run ./examples/medallion [DIR]
//
// DIR defaults to ./medallion. Each run first drops a new arrival of raw
// files (with negative amounts, missing dates, duplicates and malformed
// lines among them) into DIR/raw, then updates the pipeline, which reads
// only the files it has not seen. It prints each table's counts, the
// expectations' results and the gold table. Flags:
//
//	-arrivals N   raw arrivals to add before the update (default 1; 0 adds none)
//
// The tables live under DIR/warehouse/main/<schema>/<table>; read them
// with the CLI, for example
//
//	go run ./cmd/lakehouse cat medallion/warehouse/main/gold/daily_summary
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"log/slog"
	"os"
	"path/filepath"
	"sort"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/lakehouse-go/lakehouse/delta"
	"github.com/lakehouse-go/lakehouse/quality"
	"github.com/lakehouse-go/lakehouse/quality/pipeline"
	"github.com/lakehouse-go/lakehouse/stream"
)

func main() {
	arrivalsFlag := flag.Int("arrivals", 1, "raw arrivals to add before the update")
	flag.Usage = func() {
		fmt.Fprintln(flag.CommandLine.Output(), "usage: medallion [-arrivals N] [DIR]")
		flag.PrintDefaults()
	}
	flag.Parse()
	dir := "medallion"
	if flag.NArg() > 0 {
		dir = flag.Arg(0)
	}
	if _, err := run(context.Background(), dir, *arrivalsFlag, os.Stdout); err != nil {
		log.Fatalf("medallion: %v", err)
	}
}

// Table names of the pipeline.
const (
	bronzeTable     = "main.bronze.transactions"
	silverTable     = "main.silver.transactions"
	quarantineTable = "main.silver.transactions_quarantine"
	goldTable       = "main.gold.daily_summary"
)

// usdCase converts amount to US dollars with the generator's rates.
const usdCase = "amount * CASE currency WHEN 'USD' THEN 1.0D WHEN 'EUR' THEN 1.08D WHEN 'GBP' THEN 1.27D END"

// newPipeline declares the three layers.
func newPipeline(dir string, mem memory.Allocator) (*pipeline.Pipeline, error) {
	p, err := pipeline.New("transactions", &pipeline.Options{
		Warehouse: filepath.Join(dir, "warehouse"),
		Allocator: mem,
		Table:     &delta.Options{Allocator: mem},
		// The per-table records are for services; this program prints
		// its own summary.
		Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
	})
	if err != nil {
		return nil, err
	}
	raw := filepath.Join(dir, "raw")
	err = p.StreamingTable(pipeline.Table{
		Name:       bronzeTable,
		Comment:    "raw transactions, as they arrived",
		Properties: map[string]string{"quality": "bronze"},
	}, func(r *pipeline.Reader) (*stream.Pipeline, error) {
		return stream.From(stream.NewFilesSource(raw, &stream.FilesSourceOptions{
			Format:         "json",
			PathGlobFilter: "*.json",
			SchemaHints:    "amount double, transaction_date date",
		})), nil
	})
	if err != nil {
		return nil, err
	}
	err = p.StreamingTable(pipeline.Table{
		Name:       silverTable,
		Comment:    "valid transactions, one row per transaction_id, with amount_usd",
		Properties: map[string]string{"quality": "silver"},
		Expectations: []quality.Expectation{
			quality.Drop("valid_amount", "amount >= 0"),
			quality.Drop("valid_date", "transaction_date IS NOT NULL"),
			quality.Drop("parsed", "_rescued_data IS NULL"),
		},
		Quarantine: quarantineTable,
		Keys:       []string{"transaction_id"},
	}, func(r *pipeline.Reader) (*stream.Pipeline, error) {
		return stream.From(r.ReadStream(bronzeTable)).Select(
			"transaction_id", "customer_id", "amount", "currency", "category", "transaction_date",
			usdCase+" AS amount_usd", "_rescued_data",
		), nil
	})
	if err != nil {
		return nil, err
	}
	err = p.MaterializedView(pipeline.Table{
		Name:       goldTable,
		Comment:    "transactions per day and category: count, total and average in US dollars",
		Properties: map[string]string{"quality": "gold"},
	}, func(r *pipeline.Reader) (pipeline.Query, error) {
		silver, previous := r.Read(silverTable), r.Self()
		return func(ctx context.Context) (array.RecordReader, error) {
			// Incrementally when silver only appended since the last
			// update: the previous summary plus the new rows.
			changes, ok, err := silver.Changes(ctx)
			if err != nil {
				return nil, err
			}
			if ok {
				defer changes.Release()
				prev, err := previous.Scan(ctx, nil)
				if err != nil {
					return nil, err
				}
				defer prev.Release()
				return dailySummary(prev, changes, mem)
			}
			rr, err := silver.Scan(ctx, &delta.ScanOptions{Columns: []string{"transaction_date", "category", "amount_usd"}})
			if err != nil {
				return nil, err
			}
			defer rr.Release()
			return dailySummary(nil, rr, mem)
		}, nil
	})
	return p, err
}

func run(ctx context.Context, dir string, arrivalsToAdd int, w io.Writer) (*pipeline.Update, error) {
	raw := filepath.Join(dir, "raw")
	have, err := arrivals(raw)
	if err != nil {
		return nil, err
	}
	for b := have; b < have+arrivalsToAdd; b++ {
		if err := writeArrival(ctx, raw, b); err != nil {
			return nil, err
		}
	}
	fmt.Fprintf(w, "raw: %d arrival(s) of %d files in %s (%d new)\n", have+arrivalsToAdd, filesPerArrival, raw, arrivalsToAdd)
	p, err := newPipeline(dir, memory.DefaultAllocator)
	if err != nil {
		return nil, err
	}
	up, err := p.Run(ctx, nil)
	if err != nil {
		return nil, err
	}
	printUpdate(w, up)
	return up, printGold(ctx, w, dir)
}

func printUpdate(w io.Writer, up *pipeline.Update) {
	fmt.Fprintf(w, "\nupdate %d (%s)\n", up.Seq, up.ID)
	fmt.Fprintf(w, "  %-38s %8s %8s %8s %10s %8s\n", "table", "read", "written", "dropped", "duplicates", "version")
	for _, t := range up.Tables {
		v := "-"
		if t.Version >= 0 {
			v = fmt.Sprint(t.Version)
		}
		fmt.Fprintf(w, "  %-38s %8d %8d %8d %10d %8s\n", t.Name, t.InputRows, t.OutputRows, t.DroppedRows, t.Duplicates, v)
	}
	for _, t := range up.Tables {
		if len(t.Expectations) == 0 {
			continue
		}
		fmt.Fprintf(w, "\nexpectations on %s\n", t.Name)
		fmt.Fprintf(w, "  %-16s %-6s %8s %8s\n", "name", "action", "passed", "failed")
		for _, e := range t.Expectations {
			fmt.Fprintf(w, "  %-16s %-6s %8d %8d\n", e.Name, e.Action, e.PassedRecords, e.FailedRecords)
		}
	}
}

// goldRow is one row of the gold table.
type goldRow struct {
	day      string
	category string
	n        int64
	total    float64
}

// readGold reads the gold table, sorted by day and category.
func readGold(ctx context.Context, dir string) ([]goldRow, error) {
	tbl, err := delta.Open(ctx, filepath.Join(dir, "warehouse", "main", "gold", "daily_summary"), nil)
	if err != nil {
		return nil, err
	}
	defer tbl.Close()
	snap, err := tbl.Snapshot(ctx)
	if err != nil {
		return nil, err
	}
	rr, err := snap.Scan(ctx, &delta.ScanOptions{Columns: []string{"transaction_date", "category", "transactions", "total_usd"}})
	if err != nil {
		return nil, err
	}
	defer rr.Release()
	var out []goldRow
	for rr.Next() {
		rec := rr.RecordBatch()
		days := rec.Column(0).(*array.Date32)
		cats := rec.Column(1).(*array.String)
		ns := rec.Column(2).(*array.Int64)
		totals := rec.Column(3).(*array.Float64)
		for i := range int(rec.NumRows()) {
			out = append(out, goldRow{day: days.Value(i).FormattedString(), category: cats.Value(i), n: ns.Value(i), total: totals.Value(i)})
		}
	}
	if err := rr.Err(); err != nil {
		return nil, err
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].day != out[j].day {
			return out[i].day < out[j].day
		}
		return out[i].category < out[j].category
	})
	return out, nil
}

func printGold(ctx context.Context, w io.Writer, dir string) error {
	rows, err := readGold(ctx, dir)
	if err != nil {
		return err
	}
	const shown = 10
	fmt.Fprintf(w, "\n%s: %d rows, the first %d\n", goldTable, len(rows), min(shown, len(rows)))
	fmt.Fprintf(w, "  %-10s %-12s %12s %12s %10s\n", "date", "category", "transactions", "total_usd", "avg_usd")
	for _, r := range rows[:min(shown, len(rows))] {
		fmt.Fprintf(w, "  %-10s %-12s %12d %12.2f %10.2f\n", r.day, r.category, r.n, r.total, r.total/float64(r.n))
	}
	return nil
}

// goldSchema is the gold table's schema.
var goldSchema = arrow.NewSchema([]arrow.Field{
	{Name: "transaction_date", Type: arrow.FixedWidthTypes.Date32},
	{Name: "category", Type: arrow.BinaryTypes.String},
	{Name: "transactions", Type: arrow.PrimitiveTypes.Int64},
	{Name: "total_usd", Type: arrow.PrimitiveTypes.Float64},
	{Name: "avg_usd", Type: arrow.PrimitiveTypes.Float64},
}, nil)

// dailySummary aggregates silver rows (transaction_date, category,
// amount_usd) by day and category, on top of a previous summary when
// given one. It holds one entry per group, not the rows.
func dailySummary(prev, rows array.RecordReader, mem memory.Allocator) (array.RecordReader, error) {
	type key struct {
		day      arrow.Date32
		category string
	}
	type agg struct {
		n     int64
		total float64
	}
	groups := map[key]*agg{}
	group := func(k key) *agg {
		a := groups[k]
		if a == nil {
			a = &agg{}
			groups[k] = a
		}
		return a
	}
	col := func(rec arrow.RecordBatch, name string) arrow.Array {
		return rec.Column(rec.Schema().FieldIndices(name)[0])
	}
	if prev != nil {
		for prev.Next() {
			rec := prev.RecordBatch()
			days, cats := col(rec, "transaction_date").(*array.Date32), col(rec, "category").(*array.String)
			ns, totals := col(rec, "transactions").(*array.Int64), col(rec, "total_usd").(*array.Float64)
			for i := range int(rec.NumRows()) {
				a := group(key{days.Value(i), cats.Value(i)})
				a.n += ns.Value(i)
				a.total += totals.Value(i)
			}
		}
		if err := prev.Err(); err != nil {
			return nil, err
		}
	}
	for rows.Next() {
		rec := rows.RecordBatch()
		days, cats := col(rec, "transaction_date").(*array.Date32), col(rec, "category").(*array.String)
		usd := col(rec, "amount_usd").(*array.Float64)
		for i := range int(rec.NumRows()) {
			a := group(key{days.Value(i), cats.Value(i)})
			a.n++
			a.total += usd.Value(i)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	keys := make([]key, 0, len(groups))
	for k := range groups {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].day != keys[j].day {
			return keys[i].day < keys[j].day
		}
		return keys[i].category < keys[j].category
	})
	b := array.NewRecordBuilder(mem, goldSchema)
	defer b.Release()
	for _, k := range keys {
		a := groups[k]
		b.Field(0).(*array.Date32Builder).Append(k.day)
		b.Field(1).(*array.StringBuilder).Append(k.category)
		b.Field(2).(*array.Int64Builder).Append(a.n)
		b.Field(3).(*array.Float64Builder).Append(a.total)
		b.Field(4).(*array.Float64Builder).Append(a.total / float64(a.n))
	}
	rec := b.NewRecordBatch()
	defer rec.Release()
	return array.NewRecordReader(goldSchema, []arrow.RecordBatch{rec})
}
