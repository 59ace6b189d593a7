package expr

import (
	"context"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/arrow/scalar"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// mapStats is a StatsSource backed by maps keyed by the dotted path.
type mapStats struct {
	n     int64
	hasN  bool
	min   map[string]scalar.Scalar
	max   map[string]scalar.Scalar
	nulls map[string]int64
}

func (m *mapStats) NumRecords() (int64, bool) { return m.n, m.hasN }
func (m *mapStats) Min(c []string) (scalar.Scalar, bool) {
	s, ok := m.min[strings.Join(c, ".")]
	return s, ok
}
func (m *mapStats) Max(c []string) (scalar.Scalar, bool) {
	s, ok := m.max[strings.Join(c, ".")]
	return s, ok
}
func (m *mapStats) NullCount(c []string) (int64, bool) {
	n, ok := m.nulls[strings.Join(c, ".")]
	return n, ok
}

var skipSchema = arrow.NewSchema([]arrow.Field{
	{Name: "a", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "f", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "d", Type: arrow.FixedWidthTypes.Date32, Nullable: true},
	{Name: "t", Type: &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}, Nullable: true},
	{Name: "b", Type: arrow.FixedWidthTypes.Boolean, Nullable: true},
	{Name: "Part", Type: arrow.BinaryTypes.String, Nullable: true},
}, nil)

func ts(s string) scalar.Scalar {
	v, ok := parseTimestamp(s, nil2utc())
	if !ok {
		panic(s)
	}
	return scalar.NewTimestampScalar(arrow.Timestamp(v), skipSchema.Field(4).Type)
}

func nil2utc() *timeLocation { return utcLoc }

func date(s string) scalar.Scalar {
	d, _ := parseDate(s)
	return scalar.NewDate32Scalar(arrow.Date32(d))
}

// fileStats: a=[10,20] (2 nulls of 10), f=[1.5,2.5], s=['apple','banana'],
// d=[2020-01-10,2020-01-20], t=[2020-01-01 00:00:00, 2020-01-01 00:00:01.000].
func fileStats() *mapStats {
	return &mapStats{n: 10, hasN: true,
		min: map[string]scalar.Scalar{"a": scalar.NewInt64Scalar(10), "f": scalar.NewFloat64Scalar(1.5), "s": scalar.NewStringScalar("apple"),
			"d": date("2020-01-10"), "t": ts("2020-01-01 00:00:00"), "Part": scalar.NewStringScalar("x")},
		max: map[string]scalar.Scalar{"a": scalar.NewInt64Scalar(20), "f": scalar.NewFloat64Scalar(2.5), "s": scalar.NewStringScalar("banana"),
			"d": date("2020-01-20"), "t": ts("2020-01-01 00:00:01"), "Part": scalar.NewStringScalar("x")},
		nulls: map[string]int64{"a": 2, "f": 0, "s": 0, "d": 0, "t": 0, "b": 10, "Part": 0},
	}
}

func TestSkipper(t *testing.T) {
	cases := []struct {
		sql  string
		may  bool
		edit func(*mapStats)
	}{
		{sql: "a > 5", may: true},
		{sql: "a > 20", may: false},
		{sql: "a >= 20", may: true},
		{sql: "a < 10", may: false},
		{sql: "a <= 10", may: true},
		{sql: "a = 15", may: true},
		{sql: "a = 25", may: false},
		{sql: "25 = a", may: false},
		{sql: "5 < a", may: true},
		{sql: "30 < a", may: false},
		{sql: "a != 15", may: true},
		{sql: "a != 10", may: false, edit: func(m *mapStats) { m.max["a"] = scalar.NewInt64Scalar(10) }},
		{sql: "NOT (a = 10)", may: false, edit: func(m *mapStats) { m.max["a"] = scalar.NewInt64Scalar(10) }},
		{sql: "NOT (a = 10)", may: true},
		{sql: "NOT (a > 5)", may: false},
		{sql: "NOT (a > 5 AND a < 100)", may: false},
		{sql: "NOT (a > 15 OR s = 'x')", may: true},
		{sql: "a IS NULL", may: true},
		{sql: "f IS NULL", may: false},
		{sql: "b IS NOT NULL", may: false},
		{sql: "NOT b IS NULL", may: false},
		{sql: "b", may: false},
		{sql: "NOT b", may: false},
		{sql: "a = NULL", may: false},
		{sql: "a <=> NULL", may: true},
		{sql: "f <=> NULL", may: false},
		{sql: "NOT (a <=> 1)", may: true},
		{sql: "a IN (1, 2, 30)", may: false},
		{sql: "a IN (1, 15, NULL)", may: true},
		{sql: "a NOT IN (1, NULL)", may: false},
		{sql: "a NOT IN (1, 2)", may: true},
		{sql: "a BETWEEN 21 AND 30", may: false},
		{sql: "a BETWEEN 5 AND 10", may: true},
		{sql: "a NOT BETWEEN 0 AND 100", may: false},
		{sql: "a > 100 OR s = 'apple'", may: true},
		{sql: "a > 100 AND s = 'apple'", may: false},
		{sql: "a > 15.5", may: true},
		{sql: "a > 20.5", may: false},
		{sql: "a > 19.5D", may: true},
		{sql: "CAST(a AS DOUBLE) > 20.5", may: false},
		{sql: "CAST(a AS STRING) > '3'", may: true}, // not order preserving
		{sql: "a + 0 > 100", may: true},             // functions cannot prune
		{sql: "a > f", may: true},
		{sql: "f > 2.5", may: false},
		{sql: "f > 2.5", may: true, edit: func(m *mapStats) { m.max["f"] = scalar.NewFloat64Scalar(math.NaN()) }},
		{sql: "s = 'cherry'", may: false},
		{sql: "s < 'apple'", may: false},
		{sql: "s LIKE 'b%'", may: true},
		{sql: "s LIKE 'c%'", may: false},
		{sql: "s LIKE 'ap%'", may: true},
		{sql: "s LIKE 'a%'", may: true},
		{sql: "s LIKE 'aa%'", may: false},
		{sql: "s LIKE 'cherry'", may: false},
		{sql: "s LIKE '%x'", may: true},
		{sql: "s NOT LIKE 'a%'", may: true},
		{sql: "s > 'bananaz'", may: false},
		{sql: "s > 'banana" + strings.Repeat("a", 26) + "b'", may: true, edit: func(m *mapStats) {
			m.max["s"] = scalar.NewStringScalar("banana" + strings.Repeat("a", 26)) // a 32-character max may be a prefix
		}},
		{sql: "s = 'banana" + strings.Repeat("a", 26) + "zzz'", may: true, edit: func(m *mapStats) {
			m.max["s"] = scalar.NewStringScalar("banana" + strings.Repeat("a", 26))
		}},
		{sql: "s > 'c'", may: false, edit: func(m *mapStats) {
			m.max["s"] = scalar.NewStringScalar("banana" + strings.Repeat("a", 26))
		}},
		{sql: "d > '2020-01-20'", may: false},
		{sql: "d >= '2020-01-20'", may: true},
		{sql: "d = DATE '2020-01-15'", may: true},
		{sql: "d < DATE '2020-01-10'", may: false},
		{sql: "d > 'not a date'", may: false},
		// max is 00:00:01.000 truncated to ms: values up to .000999 may exist
		{sql: "t > TIMESTAMP '2020-01-01 00:00:01.000500Z'", may: true},
		{sql: "t > TIMESTAMP '2020-01-01 00:00:01.001Z'", may: false},
		{sql: "t < TIMESTAMP '2020-01-01 00:00:00Z'", may: false},
		// a zone-less literal depends on the session zone: only far-away values prune
		{sql: "t > TIMESTAMP '2020-01-01 05:00:00'", may: true},
		{sql: "t > TIMESTAMP '2020-01-03 05:00:00'", may: false},
		{sql: "t > '2020-01-01 05:00:00'", may: true},
		{sql: "t > '2020-01-05'", may: false},
		{sql: "part = 'x'", may: true},
		{sql: "part = 'y'", may: false},
		{sql: "part IS NULL", may: false},
		{sql: "part = 'x'", may: false, edit: func(m *mapStats) { delete(m.min, "Part"); delete(m.max, "Part"); m.nulls["Part"] = 10 }},
		{sql: "a > 100", may: true, edit: func(m *mapStats) { delete(m.max, "a") }},
		{sql: "a IS NULL", may: true, edit: func(m *mapStats) { delete(m.nulls, "a") }},
		{sql: "f IS NULL", may: false},
		{sql: "true", may: true},
		{sql: "false", may: false},
		{sql: "NULL", may: false},
		{sql: "NOT NULL", may: false},
		{sql: "a > 100", may: false, edit: func(m *mapStats) { m.n = 0 }},
		{sql: "lower(s) = 'x'", may: true},
	}
	for _, tc := range cases {
		t.Run(tc.sql, func(t *testing.T) {
			e, err := Parse(tc.sql)
			require.NoError(t, err)
			sk, err := NewSkipper(e, skipSchema)
			require.NoError(t, err)
			st := fileStats()
			if tc.edit != nil {
				tc.edit(st)
			}
			assert.Equal(t, tc.may, sk.MayMatch(st))
		})
	}
}

func TestSkipperUnknownColumn(t *testing.T) {
	_, err := NewSkipper(Col("nope").Gt(Lit(1)), skipSchema)
	assert.ErrorIs(t, err, ErrUnknownColumn)
}

// fuzzRand draws small choices from the fuzzer's bytes.
type fuzzRand struct {
	b []byte
	i int
}

func (r *fuzzRand) intn(n int) int {
	if r.i >= len(r.b) || n <= 1 {
		r.i++
		return 0
	}
	v := int(r.b[r.i]) % n
	r.i++
	return v
}

var (
	fuzzInts    = []string{"-3", "-1", "0", "1", "2", "3", "NULL", "1.5", "2.5D", "'2'"}
	fuzzFloats  = []string{"-1.5D", "0.0D", "-0.0D", "1D", "2.5D", "CAST('NaN' AS DOUBLE)", "CAST('Infinity' AS DOUBLE)", "NULL", "1", "2.5"}
	fuzzStrings = []string{"''", "'a'", "'ab'", "'abc'", "'b'", "'ba'", "'" + strings.Repeat("x", 31) + "a'", "'" + strings.Repeat("x", 33) + "'",
		"'" + strings.Repeat("x", 32) + "'", "'xx'", "NULL", "'é'"}
	fuzzDates      = []string{"DATE '2020-01-01'", "DATE '2020-01-03'", "'2020-01-02'", "'bad'", "NULL", "TIMESTAMP '2020-01-02 12:00:00'", "TIMESTAMP '2020-01-02 00:00:00Z'"}
	fuzzTimestamps = []string{"TIMESTAMP '2020-01-01 00:00:00Z'", "TIMESTAMP '2020-01-01 00:00:00.000999Z'", "TIMESTAMP '2020-01-01 00:00:00.001Z'",
		"TIMESTAMP '2020-01-01 00:00:00.0015Z'", "TIMESTAMP '2020-01-02 00:00:00'", "'2020-01-01 00:00:00.0005'", "DATE '2020-01-01'", "DATE '2020-01-02'", "NULL"}
	fuzzPatterns = []string{"'a%'", "'ab%'", "'x%'", "'%b'", "'a_'", "'abc'", "'" + strings.Repeat("x", 31) + "a%'", "''", "'%'", "'x\\%%'"}
)

var fuzzColumns = []struct {
	name string
	lits []string
}{
	{"a", fuzzInts}, {"f", fuzzFloats}, {"s", fuzzStrings}, {"d", fuzzDates}, {"t", fuzzTimestamps}, {"b", []string{"true", "false", "NULL"}}, {"part", fuzzStrings},
}

func genPredicate(r *fuzzRand, depth int) string {
	if depth > 0 {
		switch r.intn(6) {
		case 0:
			return "NOT (" + genPredicate(r, depth-1) + ")"
		case 1:
			return "(" + genPredicate(r, depth-1) + ") AND (" + genPredicate(r, depth-1) + ")"
		case 2:
			return "(" + genPredicate(r, depth-1) + ") OR (" + genPredicate(r, depth-1) + ")"
		}
	}
	c := fuzzColumns[r.intn(len(fuzzColumns))]
	lit := func() string { return c.lits[r.intn(len(c.lits))] }
	not := []string{"", " NOT"}[r.intn(2)]
	switch r.intn(8) {
	case 0, 1:
		op := []string{"=", "!=", "<", "<=", ">", ">=", "<=>"}[r.intn(7)]
		if r.intn(2) == 0 {
			return lit() + " " + op + " " + c.name
		}
		return c.name + " " + op + " " + lit()
	case 2:
		return c.name + " IS" + not + " NULL"
	case 3:
		items := []string{lit()}
		for k := r.intn(3); k > 0; k-- {
			items = append(items, lit())
		}
		return c.name + not + " IN (" + strings.Join(items, ", ") + ")"
	case 4:
		return c.name + not + " BETWEEN " + lit() + " AND " + lit()
	case 5:
		col := []string{"s", "part"}[r.intn(2)]
		return col + not + " LIKE " + fuzzPatterns[r.intn(len(fuzzPatterns))]
	case 6:
		return []string{"b", "NOT b", "b = true", "a > f", "CAST(a AS DOUBLE) > 1.5D", "a + 1 > 2", "CAST(d AS TIMESTAMP) >= TIMESTAMP '2020-01-02 00:00:00Z'"}[r.intn(7)]
	}
	return "true"
}

func genBatch(r *fuzzRand, mem memory.Allocator) arrow.RecordBatch {
	n := r.intn(6)
	b := array.NewRecordBuilder(mem, skipSchema)
	defer b.Release()
	partNull := r.intn(4) == 0
	part := []string{"x", "y", strings.Repeat("x", 33)}[r.intn(3)]
	for i := 0; i < n; i++ {
		null := func() bool { return r.intn(5) == 0 }
		if null() {
			b.Field(0).AppendNull()
		} else {
			b.Field(0).(*array.Int64Builder).Append(int64(r.intn(7) - 3))
		}
		if null() {
			b.Field(1).AppendNull()
		} else {
			b.Field(1).(*array.Float64Builder).Append([]float64{-1.5, math.Copysign(0, -1), 0, 1, 2.5, math.NaN(), math.Inf(1)}[r.intn(7)])
		}
		if null() {
			b.Field(2).AppendNull()
		} else {
			b.Field(2).(*array.StringBuilder).Append([]string{"", "a", "ab", "abc", "b", "ba", strings.Repeat("x", 31) + "azz", strings.Repeat("x", 33), strings.Repeat("x", 32) + "\U0010FFFF", "xx", "é"}[r.intn(11)])
		}
		if null() {
			b.Field(3).AppendNull()
		} else {
			b.Field(3).(*array.Date32Builder).Append(arrow.Date32(18261 + r.intn(4)))
		}
		if null() {
			b.Field(4).AppendNull()
		} else {
			base := int64(1577836800) * 1_000_000
			b.Field(4).(*array.TimestampBuilder).Append(arrow.Timestamp(base + []int64{0, 999, 1000, 1500, 86_400_000_000, -1, 3_600_000_000 * 30}[r.intn(7)]))
		}
		if null() {
			b.Field(5).AppendNull()
		} else {
			b.Field(5).(*array.BooleanBuilder).Append(r.intn(2) == 0)
		}
		if partNull {
			b.Field(6).AppendNull()
		} else {
			b.Field(6).(*array.StringBuilder).Append(part)
		}
	}
	return b.NewRecordBatch()
}

// honestStats computes statistics the way Spark writes them: NaN sorts
// last, timestamps are truncated to milliseconds, strings to 32 characters
// (the max either as a bare prefix or with Spark's tie-breaker).
func honestStats(r *fuzzRand, batch arrow.RecordBatch) *mapStats {
	st := &mapStats{n: batch.NumRows(), hasN: r.intn(8) != 0, min: map[string]scalar.Scalar{}, max: map[string]scalar.Scalar{}, nulls: map[string]int64{}}
	tieBreak := r.intn(2) == 0
	for ci, f := range skipSchema.Fields() {
		col := batch.Column(ci)
		if r.intn(8) != 0 {
			st.nulls[f.Name] = int64(col.NullN())
		}
		var lo, hi scalar.Scalar
		for i := 0; i < col.Len(); i++ {
			if col.IsNull(i) {
				continue
			}
			s, _ := scalar.GetScalar(col, i)
			if lo == nil {
				lo, hi = s, s
				continue
			}
			if c, _ := compareScalars(s, lo); c < 0 {
				lo = s
			}
			if c, _ := compareScalars(s, hi); c > 0 {
				hi = s
			}
		}
		if lo == nil {
			continue
		}
		switch x := lo.(type) {
		case *scalar.Timestamp:
			lo = scalar.NewTimestampScalar(arrow.Timestamp(floorDiv(int64(x.Value), 1000)*1000), x.DataType())
			h := hi.(*scalar.Timestamp)
			hi = scalar.NewTimestampScalar(arrow.Timestamp(floorDiv(int64(h.Value), 1000)*1000), h.DataType())
		case *scalar.String:
			lo = scalar.NewStringScalar(truncateRunes(string(x.Data()), 32))
			h := string(hi.(*scalar.String).Data())
			if utf8.RuneCountInString(h) > 32 {
				h = truncateRunes(h, 32)
				if tieBreak {
					h += "\U0010FFFF"
				}
			}
			hi = scalar.NewStringScalar(h)
		}
		if r.intn(8) != 0 {
			st.min[f.Name] = lo
		}
		if r.intn(8) != 0 {
			st.max[f.Name] = hi
		}
	}
	return st
}

func truncateRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}

func FuzzSkipperNeverPrunesMatch(f *testing.F) {
	f.Add([]byte{3, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10})
	f.Add([]byte{5, 0, 0, 0, 9, 9, 9, 2, 2, 2, 200, 100, 50, 7, 1, 1, 1, 1})
	f.Add([]byte("the quick brown fox jumps over the lazy dog"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r := &fuzzRand{b: data}
		mem := memory.NewGoAllocator()
		batch := genBatch(r, mem)
		defer batch.Release()
		sql := genPredicate(r, 2)
		e, err := Parse(sql)
		require.NoError(t, err, sql)
		for _, tz := range []string{"UTC", "America/Los_Angeles", "Pacific/Kiritimati"} {
			loc := mustLoc(tz)
			p, err := Compile(e, skipSchema, &CompileOptions{Allocator: mem, TimeZone: loc})
			if err != nil {
				return // type errors are not the skipper's business
			}
			mask, err := p.Eval(context.Background(), batch)
			require.NoError(t, err, sql)
			anyTrue := false
			if bm, ok := mask.(*array.Boolean); ok {
				for i := 0; i < bm.Len(); i++ {
					anyTrue = anyTrue || (bm.IsValid(i) && bm.Value(i))
				}
			}
			mask.Release()
			if !anyTrue {
				continue
			}
			sk, err := NewSkipper(e, skipSchema)
			require.NoError(t, err)
			save := r.i
			st := honestStats(r, batch)
			r.i = save
			if !sk.MayMatch(st) {
				t.Fatalf("skipper pruned a file with a matching row\npredicate: %s (session %s)\nbatch:\n%s\nstats: %s", sql, tz, dumpBatch(batch), dumpStats(st))
			}
		}
	})
}

func dumpBatch(b arrow.RecordBatch) string {
	var sb strings.Builder
	for i, c := range b.Columns() {
		fmt.Fprintf(&sb, "  %s: %v\n", b.ColumnName(i), c)
	}
	return sb.String()
}

func dumpStats(s *mapStats) string {
	return fmt.Sprintf("n=%d(%v) min=%v max=%v nulls=%v", s.n, s.hasN, s.min, s.max, s.nulls)
}

type timeLocation = time.Location

var utcLoc = time.UTC

func mustLoc(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}
