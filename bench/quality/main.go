// Command quality measures what expectations cost: one batch through a
// transformation alone, and through the same transformation decorated
// with 10 expectations (quality.Expect), as a ratio.
//
//	go run ./bench/quality [-rows 1000000] [-runs 7]
//
// The batch is a transactions table (id, amount, currency, category,
// merchant, date; about 1 % bad values in each checked column). The
// transformation is a silver step: amount_usd = amount * rate, computed
// with delta/expr and appended as a column. The 10 expectations are
// typical silver checks (NOT NULL, ranges, IN sets, a string length, a
// date bound, one on the computed column); the "drop" variant drops rows
// failing them (about 6 % of rows), the "warn" variant only counts. Runs
// interleave the variants so machine load hits them alike; the median of
// -runs is reported. Every run checks the kept row count against the
// count computed in Go from the generated data.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/lakehouse-go/lakehouse/delta/expr"
	"github.com/lakehouse-go/lakehouse/quality"
)

var inSchema = arrow.NewSchema([]arrow.Field{
	{Name: "id", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "amount", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	{Name: "currency", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "category", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "merchant", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "date", Type: arrow.FixedWidthTypes.Date32, Nullable: true},
}, nil)

var outSchema = arrow.NewSchema(append(slices.Clone(inSchema.Fields()),
	arrow.Field{Name: "amount_usd", Type: arrow.PrimitiveTypes.Float64, Nullable: true}), nil)

var conditions = []string{
	"id IS NOT NULL",
	"id > 0",
	"amount > 0",
	"amount < 100000",
	"currency IN ('USD', 'EUR', 'GBP')",
	"category IN ('food', 'travel', 'rent', 'fun', 'other')",
	"length(merchant) > 0",
	"date IS NOT NULL",
	"date >= DATE'2020-01-01'",
	"amount_usd IS NOT NULL",
}

func main() {
	rows := flag.Int("rows", 1_000_000, "rows in the batch")
	runs := flag.Int("runs", 7, "measured runs of each variant")
	flag.Parse()
	ctx := context.Background()
	mem := memory.NewGoAllocator()
	in, wantKept := generate(mem, *rows)
	defer in.Release()

	rate, err := expr.Compile(expr.Col("amount").Mul(expr.Lit(1.1)), inSchema, &expr.CompileOptions{Allocator: mem})
	if err != nil {
		log.Fatal(err)
	}
	silver := func(ctx context.Context, b arrow.RecordBatch) (arrow.RecordBatch, error) {
		usd, err := rate.Eval(ctx, b)
		if err != nil {
			return nil, err
		}
		defer usd.Release()
		return array.NewRecordBatch(outSchema, append(slices.Clone(b.Columns()), usd), b.NumRows()), nil
	}
	bind := func(a quality.Action) quality.Transform {
		exps := make([]quality.Expectation, len(conditions))
		for i, c := range conditions {
			exps[i] = quality.Expectation{Name: fmt.Sprintf("e%d", i), Condition: c, Action: a}
		}
		c, err := quality.Bind(outSchema, exps, &quality.Options{Allocator: mem})
		if err != nil {
			log.Fatal(err)
		}
		return quality.Expect(c)(silver)
	}
	variants := []struct {
		name string
		fn   quality.Transform
		want int64
	}{
		{"transformation alone", silver, int64(*rows)},
		{"+ 10 expectations, warn", bind(quality.ActionWarn), int64(*rows)},
		{"+ 10 expectations, drop", bind(quality.ActionDrop), wantKept},
	}
	times := make([][]float64, len(variants))
	for run := -1; run < *runs; run++ { // run -1 warms up
		for k := range variants {
			v := variants[(k+run+1)%len(variants)]
			start := time.Now()
			out, err := v.fn(ctx, in)
			el := time.Since(start)
			if err != nil {
				log.Fatal(err)
			}
			if out.NumRows() != v.want {
				log.Fatalf("%s kept %d rows, want %d", v.name, out.NumRows(), v.want)
			}
			out.Release()
			if run >= 0 {
				i := (k + run + 1) % len(variants)
				times[i] = append(times[i], float64(el.Nanoseconds())/float64(*rows))
			}
		}
	}
	base := median(times[0])
	fmt.Printf("%d rows, %d runs (median)\n", *rows, *runs)
	fmt.Printf("| variant | ns/row | ratio to the transformation alone |\n|---|---|---|\n")
	for i, v := range variants {
		fmt.Printf("| %s | %.1f | %.2f |\n", v.name, median(times[i]), median(times[i])/base)
	}
	fmt.Printf("one expectation (warn): %.1f ns/row\n", (median(times[1])-base)/float64(len(conditions)))
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}

// generate makes the batch and counts the rows the drop variant keeps.
func generate(mem memory.Allocator, n int) (arrow.RecordBatch, int64) {
	r := rand.New(rand.NewPCG(1, 2))
	b := array.NewRecordBuilder(mem, inSchema)
	defer b.Release()
	ids := b.Field(0).(*array.Int64Builder)
	amounts := b.Field(1).(*array.Float64Builder)
	cur := b.Field(2).(*array.StringBuilder)
	cat := b.Field(3).(*array.StringBuilder)
	mer := b.Field(4).(*array.StringBuilder)
	dates := b.Field(5).(*array.Date32Builder)
	currencies := []string{"USD", "EUR", "GBP"}
	categories := []string{"food", "travel", "rent", "fun", "other"}
	epoch2020 := arrow.Date32FromTime(time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC))
	var kept int64
	bad := func() bool { return r.IntN(100) == 0 }
	for i := range n {
		ok := true
		if bad() {
			ids.AppendNull()
			ok = false
		} else {
			ids.Append(int64(i + 1))
		}
		switch {
		case bad():
			amounts.Append(-r.Float64() * 100)
			ok = false
		case bad():
			amounts.AppendNull() // fails amount_usd IS NOT NULL only
			ok = false
		default:
			amounts.Append(r.Float64() * 1000)
		}
		if bad() {
			cur.Append("XXX")
			ok = false
		} else {
			cur.Append(currencies[r.IntN(3)])
		}
		if bad() {
			cat.Append("unknown")
			ok = false
		} else {
			cat.Append(categories[r.IntN(5)])
		}
		if bad() {
			mer.Append("")
			ok = false
		} else {
			mer.Append(fmt.Sprintf("merchant-%d", r.IntN(5000)))
		}
		if bad() {
			dates.Append(epoch2020 - 1)
			ok = false
		} else {
			dates.Append(epoch2020 + arrow.Date32(r.IntN(2000)))
		}
		if ok {
			kept++
		}
	}
	return b.NewRecordBatch(), kept
}
