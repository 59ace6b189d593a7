package expr_test

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/arrow/scalar"

	"github.com/lakehouse-go/lakehouse/delta/expr"
)

var schema = arrow.NewSchema([]arrow.Field{
	{Name: "amount", Type: &arrow.Decimal128Type{Precision: 10, Scale: 2}, Nullable: true},
	{Name: "transaction_date", Type: arrow.FixedWidthTypes.Date32, Nullable: true},
}, nil)

func batch() arrow.RecordBatch {
	rec, _, err := array.RecordFromJSON(memory.DefaultAllocator, schema, strings.NewReader(`[
		{"amount": "12.50", "transaction_date": "2024-01-02"},
		{"amount": "-3.00", "transaction_date": "2024-01-03"},
		{"amount": null,    "transaction_date": "2024-01-04"},
		{"amount": "7.25",  "transaction_date": null}
	]`))
	if err != nil {
		panic(err)
	}
	return rec
}

// A DLT-style expectation evaluated with SQL three-valued logic.
func Example() {
	e, err := expr.Parse("amount > 0 AND transaction_date IS NOT NULL")
	if err != nil {
		panic(err)
	}
	p, err := expr.Compile(e, schema, nil)
	if err != nil {
		panic(err)
	}
	b := batch()
	defer b.Release()
	mask, err := p.Eval(context.Background(), b)
	if err != nil {
		panic(err)
	}
	defer mask.Release()
	fmt.Println(mask)
	// Output: [true false (null) false]
}

func ExampleProgram_Filter() {
	e, _ := expr.Parse("transaction_date >= '2024-01-03'")
	p, err := expr.Compile(e, schema, nil)
	if err != nil {
		panic(err)
	}
	b := batch()
	defer b.Release()
	kept, err := p.Filter(context.Background(), b)
	if err != nil {
		panic(err)
	}
	defer kept.Release()
	fmt.Println(kept.NumRows(), kept.Column(0))
	// Output: 2 [-3 (null)]
}

func ExampleCol() {
	e := expr.And(expr.Col("amount").Gt(expr.Lit(0)), expr.IsNotNull(expr.Col("transaction_date")))
	fmt.Println(e)
	again, _ := expr.Parse(e.String())
	fmt.Println(again.String() == e.String())
	// Output:
	// amount > 0 AND transaction_date IS NOT NULL
	// true
}

func ExampleParse_error() {
	_, err := expr.Parse("amount > > 0")
	var se *expr.SyntaxError
	fmt.Println(errors.Is(err, expr.ErrSyntax), errors.As(err, &se), se.Pos)
	fmt.Println(err)
	// Output:
	// true true 9
	// expr: syntax error at position 9: unexpected ">", expected an expression
	// amount > > 0
	//          ^
}

func ExampleCompile_unknownColumn() {
	e, _ := expr.Parse("amout > 0")
	_, err := expr.Compile(e, schema, nil)
	fmt.Println(errors.Is(err, expr.ErrUnknownColumn))
	fmt.Println(err)
	// Output:
	// true
	// expr: unknown column at position 0: cannot resolve amout; did you mean amount?
}

// fileStats is what a reader would pass for one data file.
type fileStats struct{}

func (fileStats) NumRecords() (int64, bool) { return 100, true }
func (fileStats) Min(c []string) (scalar.Scalar, bool) {
	if c[0] == "transaction_date" {
		return scalar.NewDate32Scalar(19700), true // 2023-12-08
	}
	return nil, false
}
func (fileStats) Max(c []string) (scalar.Scalar, bool) {
	if c[0] == "transaction_date" {
		return scalar.NewDate32Scalar(19720), true // 2023-12-28
	}
	return nil, false
}
func (fileStats) NullCount([]string) (int64, bool) { return 0, true }

func ExampleSkipper_MayMatch() {
	for _, cond := range []string{
		"transaction_date >= '2024-01-01'",
		"transaction_date BETWEEN '2023-12-01' AND '2023-12-10'",
		"NOT (transaction_date < '2024-01-01')",
		"amount > 0", // no statistics for amount: cannot prune
	} {
		e, _ := expr.Parse(cond)
		sk, err := expr.NewSkipper(e, schema)
		if err != nil {
			panic(err)
		}
		fmt.Printf("%-55s %v\n", cond, sk.MayMatch(fileStats{}))
	}
	// Output:
	// transaction_date >= '2024-01-01'                        false
	// transaction_date BETWEEN '2023-12-01' AND '2023-12-10'  true
	// NOT (transaction_date < '2024-01-01')                   false
	// amount > 0                                              true
}

func ExampleCompileOptions_ansi() {
	e, _ := expr.Parse("CAST('12x' AS INT)")
	legacy, _ := expr.Compile(e, schema, nil)
	ansi, _ := expr.Compile(e, schema, &expr.CompileOptions{ANSI: true})
	b := batch()
	defer b.Release()
	out, _ := legacy.Eval(context.Background(), b)
	defer out.Release()
	fmt.Println(out.IsNull(0))
	_, err := ansi.Eval(context.Background(), b)
	fmt.Println(errors.Is(err, expr.ErrInvalidCast))
	// Output:
	// true
	// true
}

// RenameColumns qualifies a condition written over one input with that
// input's alias, leaving string literals alone.
func ExampleRenameColumns() {
	e, err := expr.Parse("op = 'op' AND amount > 0")
	if err != nil {
		panic(err)
	}
	q := expr.RenameColumns(e, func(path []string) []string { return append([]string{"s"}, path...) })
	fmt.Println(q)
	// Output:
	// s.op = 'op' AND s.amount > 0
}
