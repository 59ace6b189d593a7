package features

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestExtSorter(t *testing.T) {
	schema := arrow.NewSchema([]arrow.Field{
		{Name: keyCol, Type: arrow.BinaryTypes.Binary}, {Name: tsCol, Type: arrow.PrimitiveTypes.Int64}, {Name: "v", Type: arrow.BinaryTypes.String, Nullable: true},
	}, nil)
	cases := []struct {
		name      string
		rows      int
		batch     int
		maxMem    int64
		wantRuns  int64 // at least
		multiPass bool
	}{
		{"in memory", 1000, 100, 1 << 30, 0, false},
		{"few runs", 3000, 200, 16 << 10, 2, false},
		{"more runs than the fan-in", 5000, 50, 2 << 10, maxFanIn + 1, true},
		{"empty", 0, 10, 1 << 10, 0, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			rng := rand.New(rand.NewPCG(7, uint64(tc.rows)))
			var spilled atomic.Int64
			s := newExtSorter(mem, schema, 2, tc.maxMem, t.TempDir(), tc.batch, &spilled)
			type row struct {
				k string
				t int64
				v string
			}
			var want []row
			for off := 0; off < tc.rows; off += tc.batch {
				kb := array.NewBinaryBuilder(mem, arrow.BinaryTypes.Binary)
				tb := array.NewInt64Builder(mem)
				vb := array.NewStringBuilder(mem)
				for i := off; i < min(off+tc.batch, tc.rows); i++ {
					r := row{k: fmt.Sprintf("k%03d", rng.IntN(50)), t: rng.Int64N(1000) - 500, v: fmt.Sprint(i)}
					want = append(want, r)
					kb.Append([]byte(r.k))
					tb.Append(r.t)
					vb.Append(r.v)
				}
				cols := []arrow.Array{kb.NewArray(), tb.NewArray(), vb.NewArray()}
				rec := array.NewRecordBatch(schema, cols, int64(cols[0].Len()))
				for _, c := range cols {
					c.Release()
				}
				kb.Release()
				tb.Release()
				vb.Release()
				require.NoError(t, s.add(rec))
				rec.Release()
			}
			rr, err := s.finish(context.Background())
			require.NoError(t, err)
			var got []row
			for rr.Next() {
				rec := rr.RecordBatch()
				for i := range int(rec.NumRows()) {
					got = append(got, row{string(rec.Column(0).(*array.Binary).Value(i)), rec.Column(1).(*array.Int64).Value(i), rec.Column(2).(*array.String).Value(i)})
				}
			}
			require.NoError(t, rr.Err())
			rr.Release()
			require.Len(t, got, len(want))
			slices.SortStableFunc(want, func(a, b row) int {
				if c := strings.Compare(a.k, b.k); c != 0 {
					return c
				}
				return int(a.t - b.t)
			})
			// Equal (key, time) rows may come in any order: compare keys
			// exactly and the multiset of values.
			for i := range want {
				require.Equal(t, want[i].k, got[i].k, "row %d", i)
				require.Equal(t, want[i].t, got[i].t, "row %d", i)
			}
			vals := func(rs []row) []string {
				var out []string
				for _, r := range rs {
					out = append(out, r.v)
				}
				slices.Sort(out)
				return out
			}
			assert.Equal(t, vals(want), vals(got))
			assert.GreaterOrEqual(t, spilled.Load(), tc.wantRuns)
			if tc.multiPass {
				assert.Greater(t, spilled.Load(), int64(maxFanIn))
			}
		})
	}
}

func TestKeyEncodingOrder(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	cases := []struct {
		name string
		js   string
		typ  arrow.DataType
	}{
		{"int64", `[-5, 3, null, 0, -9223372036854775808, 9223372036854775807]`, arrow.PrimitiveTypes.Int64},
		{"float64", `[-1.5, 0, -0.0, 2.25, -1e300, 1e300]`, arrow.PrimitiveTypes.Float64},
		{"string", `["b", "a", "", "ab", "a\u0000", "a\u0000b"]`, arrow.BinaryTypes.String},
		{"uint16", `[7, 0, 65535, 300]`, arrow.PrimitiveTypes.Uint16},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			arr, _, err := array.FromJSON(mem, tc.typ, strings.NewReader(tc.js))
			require.NoError(t, err)
			defer arr.Release()
			enc := encodeKeys(mem, []arrow.Array{arr}, arr.Len())
			defer enc.Release()
			for i := range arr.Len() {
				for j := range arr.Len() {
					if arr.IsNull(i) || arr.IsNull(j) {
						if arr.IsNull(i) != arr.IsNull(j) {
							assert.NotEqual(t, enc.Value(i), enc.Value(j))
						}
						continue
					}
					want := cmpValues(arr, i, j)
					got := strings.Compare(string(enc.Value(i)), string(enc.Value(j)))
					assert.Equal(t, want, got, "%s vs %s", arr.ValueStr(i), arr.ValueStr(j))
				}
			}
		})
	}
}

func cmpValues(arr arrow.Array, i, j int) int {
	switch a := arr.(type) {
	case *array.Int64:
		return cmp3(a.Value(i) < a.Value(j), a.Value(i) > a.Value(j))
	case *array.Float64:
		return cmp3(a.Value(i) < a.Value(j), a.Value(i) > a.Value(j))
	case *array.Uint16:
		return cmp3(a.Value(i) < a.Value(j), a.Value(i) > a.Value(j))
	case *array.String:
		return strings.Compare(a.Value(i), a.Value(j))
	}
	panic("type")
}

func cmp3(lt, gt bool) int {
	switch {
	case lt:
		return -1
	case gt:
		return 1
	}
	return 0
}
