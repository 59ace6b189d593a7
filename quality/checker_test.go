package quality

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lakehouse-go/lakehouse/delta/expr"
)

var txSchema = arrow.NewSchema([]arrow.Field{
	{Name: "id", Type: arrow.PrimitiveTypes.Int64},
	{Name: "amount", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	{Name: "category", Type: arrow.BinaryTypes.String, Nullable: true},
}, nil)

// row is one test row; nil pointers are NULL.
type row struct {
	id     int64
	amount *float64
	cat    *string
}

func f(v float64) *float64 { return &v }
func s(v string) *string   { return &v }

func txBatch(t testing.TB, mem memory.Allocator, rows ...row) arrow.RecordBatch {
	t.Helper()
	b := array.NewRecordBuilder(mem, txSchema)
	defer b.Release()
	for _, r := range rows {
		b.Field(0).(*array.Int64Builder).Append(r.id)
		if r.amount == nil {
			b.Field(1).AppendNull()
		} else {
			b.Field(1).(*array.Float64Builder).Append(*r.amount)
		}
		if r.cat == nil {
			b.Field(2).AppendNull()
		} else {
			b.Field(2).(*array.StringBuilder).Append(*r.cat)
		}
	}
	return b.NewRecordBatch()
}

func ids(b arrow.RecordBatch) []int64 {
	return append([]int64(nil), b.Column(0).(*array.Int64).Int64Values()...)
}

func TestBindErrors(t *testing.T) {
	tests := []struct {
		name string
		exps []Expectation
		want error
	}{
		{"syntax", []Expectation{Warn("bad", "amount >")}, expr.ErrSyntax},
		{"unknown column", []Expectation{Warn("c", "amont > 0")}, expr.ErrUnknownColumn},
		{"not boolean", []Expectation{Warn("n", "amount + 1")}, expr.ErrNotPredicate},
		{"no name", []Expectation{Warn("", "amount > 0")}, ErrInvalidExpectation},
		{"duplicate name", []Expectation{Warn("a", "amount > 0"), Drop("a", "id > 0")}, ErrInvalidExpectation},
		{"no action", []Expectation{{Name: "x", Condition: "id > 0"}}, ErrInvalidExpectation},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Bind(txSchema, tc.exps, nil)
			require.Error(t, err)
			assert.ErrorIs(t, err, tc.want)
			assert.ErrorIs(t, err, ErrInvalidExpectation)
		})
	}
}

func TestCheckCounts(t *testing.T) {
	rows := []row{
		{1, f(10), s("food")},
		{2, f(-5), s("food")},   // fails positive
		{3, nil, s("travel")},   // NULL amount: positive is NULL, passes; has_amount fails
		{4, f(-1), nil},         // fails positive and known_category (NULL IN … is NULL: passes) and has_category
		{5, f(3), s("unknown")}, // fails known_category
	}
	tests := []struct {
		name        string
		exps        []Expectation
		wantKept    []int64
		wantFailed  map[string]int64
		wantDropped int64
		wantNames   [][]string
	}{
		{
			name:       "warn keeps every row",
			exps:       ExpectAll(map[string]string{"positive": "amount > 0", "known_category": "category IN ('food', 'travel')"}),
			wantKept:   []int64{1, 2, 3, 4, 5},
			wantFailed: map[string]int64{"positive": 2, "known_category": 1},
		},
		{
			name:        "drop removes rows failing any, counted against each",
			exps:        ExpectAllOrDrop(map[string]string{"positive": "amount > 0", "has_amount": "amount IS NOT NULL", "has_category": "category IS NOT NULL"}),
			wantKept:    []int64{1, 5},
			wantFailed:  map[string]int64{"positive": 2, "has_amount": 1, "has_category": 1},
			wantDropped: 3,
			wantNames:   [][]string{{"positive"}, {"has_amount"}, {"has_category", "positive"}},
		},
		{
			name:        "mixed warn and drop",
			exps:        []Expectation{Warn("known_category", "category IN ('food', 'travel')"), Drop("positive", "amount > 0")},
			wantKept:    []int64{1, 3, 5},
			wantFailed:  map[string]int64{"positive": 2, "known_category": 1},
			wantDropped: 2,
			wantNames:   [][]string{{"positive"}, {"positive"}},
		},
		{
			name:       "constant NULL condition never fails",
			exps:       []Expectation{Drop("null", "NULL"), Drop("null_bool", "CAST(NULL AS BOOLEAN)")},
			wantKept:   []int64{1, 2, 3, 4, 5},
			wantFailed: map[string]int64{"null": 0, "null_bool": 0},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			c, err := Bind(txSchema, tc.exps, &Options{Dataset: "tx", Allocator: mem})
			require.NoError(t, err)
			in := txBatch(t, mem, rows...)
			defer in.Release()
			res, err := c.Check(context.Background(), in)
			require.NoError(t, err)
			defer res.Release()
			assert.Equal(t, tc.wantKept, ids(res.Kept))
			m := res.Metrics
			assert.Equal(t, int64(5), m.InputRecords)
			assert.Equal(t, tc.wantDropped, m.DroppedRecords)
			assert.Equal(t, 5-tc.wantDropped, m.OutputRecords)
			for name, want := range tc.wantFailed {
				em, ok := m.Expectation(name)
				require.True(t, ok, name)
				assert.Equal(t, want, em.FailedRecords, name)
				assert.Equal(t, 5-want, em.PassedRecords, name)
				assert.Equal(t, "tx", em.Dataset)
			}
			if tc.wantNames == nil {
				assert.Nil(t, res.Dropped)
			} else {
				require.NotNil(t, res.Dropped)
				assert.Equal(t, FailedColumn, res.Dropped.Schema().Field(3).Name)
				lst := res.Dropped.Column(3).(*array.List)
				var got [][]string
				for i := 0; i < lst.Len(); i++ {
					st, end := lst.ValueOffsets(i)
					var names []string
					for j := st; j < end; j++ {
						names = append(names, lst.ListValues().(*array.String).Value(int(j)))
					}
					got = append(got, names)
				}
				assert.Equal(t, tc.wantNames, got)
			}
			assert.Equal(t, m, c.Metrics())
		})
	}
}

func TestCheckFail(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	c, err := Bind(txSchema, []Expectation{Warn("w", "id > 0"), Fail("positive", "amount > 0")}, &Options{Dataset: "silver", Allocator: mem})
	require.NoError(t, err)
	in := txBatch(t, mem, row{1, f(1), s("a")}, row{7, nil, s("b")}, row{8, f(-2), nil})
	defer in.Release()
	_, err = c.Check(context.Background(), in)
	require.ErrorIs(t, err, ErrExpectationFailed)
	var ee *ExpectationError
	require.True(t, errors.As(err, &ee))
	assert.Equal(t, "positive", ee.Expectation)
	assert.Equal(t, "silver", ee.Dataset)
	assert.Equal(t, "{id: 8, amount: -2, category: NULL}", ee.Row)
	assert.Contains(t, err.Error(), `quality: expectation "positive" (amount > 0) failed`)
	assert.Equal(t, Metrics{}, c.Metrics(), "a failed batch counts nothing")
}

func TestCheckSchemaMismatch(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	other := arrow.NewSchema([]arrow.Field{{Name: "id", Type: arrow.PrimitiveTypes.Int32}}, nil)
	c, err := Bind(other, []Expectation{Warn("p", "id > 0")}, &Options{Allocator: mem})
	require.NoError(t, err)
	in := txBatch(t, mem, row{1, f(1), s("a")})
	defer in.Release()
	_, err = c.Check(context.Background(), in)
	assert.ErrorIs(t, err, ErrSchemaMismatch)
}

func TestExpectDecorator(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	ctx := context.Background()
	var quarantined []int64
	var qmu sync.Mutex
	c1, err := Bind(txSchema, []Expectation{Drop("has_category", "category IS NOT NULL")}, &Options{Allocator: mem,
		Quarantine: func(_ context.Context, rows arrow.RecordBatch) error {
			qmu.Lock()
			defer qmu.Unlock()
			quarantined = append(quarantined, ids(rows)...)
			return nil
		}})
	require.NoError(t, err)
	c2, err := Bind(txSchema, ExpectAllOrDrop(map[string]string{"positive": "amount > 0"}), &Options{Allocator: mem})
	require.NoError(t, err)
	// double doubles amounts: a transformation the expectations guard.
	double := func(ctx context.Context, in arrow.RecordBatch) (arrow.RecordBatch, error) {
		p, err := expr.Compile(expr.Col("amount").Mul(expr.Lit(2.0)), txSchema, &expr.CompileOptions{Allocator: mem})
		if err != nil {
			return nil, err
		}
		a, err := p.Eval(ctx, in)
		if err != nil {
			return nil, err
		}
		defer a.Release()
		return array.NewRecordBatch(txSchema, []arrow.Array{in.Column(0), a, in.Column(2)}, in.NumRows()), nil
	}
	tr := Expect(c2)(Expect(c1)(double))
	const workers = 4
	var wg sync.WaitGroup
	errs := make([]error, workers)
	kept := make([][]int64, workers)
	for w := range workers {
		wg.Go(func() {
			in := txBatch(t, mem, row{1, f(1), s("a")}, row{2, f(-1), s("b")}, row{3, f(5), nil})
			defer in.Release()
			out, err := tr(ctx, in)
			if err != nil {
				errs[w] = err
				return
			}
			defer out.Release()
			kept[w] = ids(out)
			assert.Equal(t, 2.0, out.Column(1).(*array.Float64).Value(0))
		})
	}
	wg.Wait()
	for w := range workers {
		require.NoError(t, errs[w])
		assert.Equal(t, []int64{1}, kept[w])
	}
	assert.Equal(t, []int64{3, 3, 3, 3}, quarantined)
	m1, m2 := c1.TakeMetrics(), c2.TakeMetrics()
	assert.Equal(t, Metrics{InputRecords: 12, OutputRecords: 8, DroppedRecords: 4,
		Expectations: []ExpectationMetrics{{Name: "has_category", Action: ActionDrop, PassedRecords: 8, FailedRecords: 4}}}, m1)
	assert.Equal(t, Metrics{InputRecords: 8, OutputRecords: 4, DroppedRecords: 4,
		Expectations: []ExpectationMetrics{{Name: "positive", Action: ActionDrop, PassedRecords: 4, FailedRecords: 4}}}, m2)
	assert.Equal(t, Metrics{}, c1.Metrics(), "TakeMetrics resets")
}

func TestMetricsMerge(t *testing.T) {
	a := Metrics{InputRecords: 3, OutputRecords: 2, DroppedRecords: 1, Expectations: []ExpectationMetrics{{Name: "x", Dataset: "d", PassedRecords: 2, FailedRecords: 1}}}
	b := Metrics{InputRecords: 4, OutputRecords: 4, Expectations: []ExpectationMetrics{{Name: "y", Dataset: "d", PassedRecords: 4}, {Name: "x", Dataset: "d", PassedRecords: 4}}}
	got := a.Merge(b)
	assert.Equal(t, Metrics{InputRecords: 7, OutputRecords: 6, DroppedRecords: 1, Expectations: []ExpectationMetrics{
		{Name: "x", Dataset: "d", PassedRecords: 6, FailedRecords: 1}, {Name: "y", Dataset: "d", PassedRecords: 4}}}, got)
	assert.Equal(t, int64(2), a.Expectations[0].PassedRecords, "Merge does not modify its receiver")
}

func TestActionText(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Action
	}{{"warn", ActionWarn}, {"allow", ActionWarn}, {"DROP", ActionDrop}, {"fail", ActionFail}} {
		got, err := ParseAction(tc.in)
		require.NoError(t, err)
		assert.Equal(t, tc.want, got)
	}
	_, err := ParseAction("explode")
	assert.ErrorIs(t, err, ErrInvalidExpectation)
}

// TestCheckManyRows crosses word boundaries and sliced inputs: counts
// must equal a row-by-row computation.
func TestCheckManyRows(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	var rows []row
	var wantNeg, wantNull int64
	for i := range 1000 {
		r := row{id: int64(i), amount: f(float64(i%7 - 2)), cat: s("c")}
		if i%11 == 0 {
			r.amount = nil
		}
		rows = append(rows, r)
	}
	in := txBatch(t, mem, rows...)
	defer in.Release()
	for _, tc := range []struct {
		name     string
		from, to int64
	}{{"whole", 0, 1000}, {"sliced", 13, 990}} {
		t.Run(tc.name, func(t *testing.T) {
			wantNeg, wantNull = 0, 0
			for _, r := range rows[tc.from:tc.to] {
				switch {
				case r.amount == nil:
					wantNull++
				case *r.amount <= 0:
					wantNeg++
				}
			}
			c, err := Bind(txSchema, []Expectation{Warn("positive", "amount > 0"), Drop("present", "amount IS NOT NULL")}, &Options{Allocator: mem})
			require.NoError(t, err)
			sl := in.NewSlice(tc.from, tc.to)
			defer sl.Release()
			res, err := c.Check(context.Background(), sl)
			require.NoError(t, err)
			defer res.Release()
			pos, _ := res.Metrics.Expectation("positive")
			pres, _ := res.Metrics.Expectation("present")
			assert.Equal(t, wantNeg, pos.FailedRecords)
			assert.Equal(t, wantNull, pres.FailedRecords)
			assert.Equal(t, tc.to-tc.from-wantNull, res.Kept.NumRows())
		})
	}
}
