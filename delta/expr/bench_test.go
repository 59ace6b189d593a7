package expr

import (
	"context"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

const benchRows = 10_000_000

var benchSchema = arrow.NewSchema([]arrow.Field{
	{Name: "amount", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	{Name: "transaction_date", Type: arrow.FixedWidthTypes.Date32, Nullable: true},
}, nil)

// benchBatch holds 10M rows: about 1% NULL amounts, 1% NULL dates, a
// third of amounts non-positive.
func benchBatch(mem memory.Allocator) arrow.RecordBatch {
	ab := array.NewFloat64Builder(mem)
	db := array.NewDate32Builder(mem)
	defer ab.Release()
	defer db.Release()
	ab.Reserve(benchRows)
	db.Reserve(benchRows)
	x := uint32(1)
	for i := 0; i < benchRows; i++ {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		if x%100 == 0 {
			ab.UnsafeAppendBoolToBitmap(false)
		} else {
			ab.UnsafeAppend(float64(int(x%3000)) - 1000)
		}
		if x%97 == 0 {
			db.UnsafeAppendBoolToBitmap(false)
		} else {
			db.UnsafeAppend(arrow.Date32(18000 + x%1000))
		}
	}
	a, d := ab.NewArray(), db.NewArray()
	defer a.Release()
	defer d.Release()
	return array.NewRecordBatch(benchSchema, []arrow.Array{a, d}, benchRows)
}

// handWritten computes amount > 0 AND transaction_date IS NOT NULL with
// SQL three-valued logic directly over the Arrow buffers.
func handWritten(mem memory.Allocator, batch arrow.RecordBatch) arrow.Array {
	amount := batch.Column(0).(*array.Float64)
	date := batch.Column(1).(*array.Date32)
	n := amount.Len()
	vals := memory.NewResizableBuffer(mem)
	valid := memory.NewResizableBuffer(mem)
	vals.Resize(int(bitutil.BytesForBits(int64(n))))
	valid.Resize(int(bitutil.BytesForBits(int64(n))))
	vb, nb := vals.Bytes(), valid.Bytes()
	clear(vb)
	clear(nb)
	av := amount.Float64Values()
	for i := 0; i < n; i++ {
		dateOK := date.IsValid(i)
		if !dateOK { // FALSE AND anything is FALSE
			bitutil.SetBit(nb, i)
			continue
		}
		if amount.IsValid(i) {
			bitutil.SetBit(nb, i)
			if av[i] > 0 {
				bitutil.SetBit(vb, i)
			}
		}
	}
	d := array.NewData(arrow.FixedWidthTypes.Boolean, n, []*memory.Buffer{valid, vals}, nil, array.UnknownNullCount, 0)
	vals.Release()
	valid.Release()
	defer d.Release()
	return array.MakeFromData(d)
}

// handTuned is the same computation written for speed: the comparison is
// packed eight rows per byte and validity is combined a word at a time.
func handTuned(mem memory.Allocator, batch arrow.RecordBatch) arrow.Array {
	amount := batch.Column(0).(*array.Float64)
	date := batch.Column(1)
	n := amount.Len()
	nbytes := int(bitutil.BytesForBits(int64(n)))
	vals := memory.NewResizableBuffer(mem)
	valid := memory.NewResizableBuffer(mem)
	vals.Resize(nbytes)
	valid.Resize(nbytes)
	vb, nb := vals.Bytes(), valid.Bytes()
	av := amount.Float64Values()
	full := n &^ 7
	for i := 0; i < full; i += 8 {
		w := av[i : i+8 : i+8]
		var x byte
		for j := 0; j < 8; j++ {
			if w[j] > 0 {
				x |= 1 << j
			}
		}
		vb[i>>3] = x
	}
	for i := full; i < n; i++ {
		if av[i] > 0 {
			vb[i>>3] |= 1 << (i & 7)
		} else {
			vb[i>>3] &^= 1 << (i & 7)
		}
	}
	// value = amount > 0 AND date valid; valid = (amount valid) OR NOT (date valid)
	dv := date.Data().Buffers()[0].Bytes()
	amv := amount.Data().Buffers()[0].Bytes()
	bitutil.BitmapAnd(vb, dv, 0, 0, vb, 0, int64(n))
	for k := range nb {
		nb[k] = amv[k] | ^dv[k]
	}
	d := array.NewData(arrow.FixedWidthTypes.Boolean, n, []*memory.Buffer{valid, vals}, nil, array.UnknownNullCount, 0)
	vals.Release()
	valid.Release()
	defer d.Release()
	return array.MakeFromData(d)
}

func BenchmarkPredicate(b *testing.B) {
	mem := memory.NewGoAllocator()
	batch := benchBatch(mem)
	defer batch.Release()
	e, err := Parse("amount > 0 AND transaction_date IS NOT NULL")
	if err != nil {
		b.Fatal(err)
	}
	p, err := Compile(e, benchSchema, &CompileOptions{Allocator: mem})
	if err != nil {
		b.Fatal(err)
	}
	// Both paths must agree before their speed means anything.
	want, got, tuned := handWritten(mem, batch), mustEval(b, p, batch), handTuned(mem, batch)
	if !array.Equal(want, got) || !array.Equal(want, tuned) {
		b.Fatal("expression and hand-written loops disagree")
	}
	want.Release()
	got.Release()
	tuned.Release()
	ctx := context.Background()
	b.Run("expr", func(b *testing.B) {
		for b.Loop() {
			out, err := p.Eval(ctx, batch)
			if err != nil {
				b.Fatal(err)
			}
			out.Release()
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/benchRows, "ns/row")
	})
	b.Run("handwritten", func(b *testing.B) {
		for b.Loop() {
			handWritten(mem, batch).Release()
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/benchRows, "ns/row")
	})
	b.Run("handtuned", func(b *testing.B) {
		for b.Loop() {
			handTuned(mem, batch).Release()
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/benchRows, "ns/row")
	})
}

func mustEval(b *testing.B, p *Program, batch arrow.RecordBatch) arrow.Array {
	out, err := p.Eval(context.Background(), batch)
	if err != nil {
		b.Fatal(err)
	}
	return out
}

// BenchmarkPredicateInterleaved alternates the three implementations
// inside each iteration, so machine load affects them alike, and reports
// each one's ns/row and the expression's ratio to both baselines.
func BenchmarkPredicateInterleaved(b *testing.B) {
	mem := memory.NewGoAllocator()
	batch := benchBatch(mem)
	defer batch.Release()
	e, _ := Parse("amount > 0 AND transaction_date IS NOT NULL")
	p, err := Compile(e, benchSchema, &CompileOptions{Allocator: mem})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	var exprNs, handNs, tunedNs int64
	for b.Loop() {
		t0 := time.Now()
		out, err := p.Eval(ctx, batch)
		if err != nil {
			b.Fatal(err)
		}
		out.Release()
		t1 := time.Now()
		handWritten(mem, batch).Release()
		t2 := time.Now()
		handTuned(mem, batch).Release()
		t3 := time.Now()
		exprNs += t1.Sub(t0).Nanoseconds()
		handNs += t2.Sub(t1).Nanoseconds()
		tunedNs += t3.Sub(t2).Nanoseconds()
	}
	rows := float64(b.N) * benchRows
	b.ReportMetric(float64(exprNs)/rows, "expr-ns/row")
	b.ReportMetric(float64(handNs)/rows, "loop-ns/row")
	b.ReportMetric(float64(tunedNs)/rows, "tuned-ns/row")
	b.ReportMetric(float64(exprNs)/float64(handNs), "expr/loop")
	b.ReportMetric(float64(exprNs)/float64(tunedNs), "expr/tuned")
}

// BenchmarkSkipperMayMatch measures the per-file cost of data skipping.
func BenchmarkSkipperMayMatch(b *testing.B) {
	for _, sql := range []string{
		"d >= '2020-01-15' AND a > 5",
		"a IN (1, 2, 3, 25) OR s LIKE 'ban%'",
		"t > TIMESTAMP '2020-01-01 00:00:00.5Z'",
		"CAST(a AS DOUBLE) > 20.5",
	} {
		e, err := Parse(sql)
		if err != nil {
			b.Fatal(err)
		}
		sk, err := NewSkipper(e, skipSchema)
		if err != nil {
			b.Fatal(err)
		}
		st := fileStats()
		b.Run(sql, func(b *testing.B) {
			for b.Loop() {
				sk.MayMatch(st)
			}
		})
	}
}
