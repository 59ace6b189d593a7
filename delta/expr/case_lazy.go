package expr

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/scalar"
)

// subContext evaluates on the given rows of the batch only. Spark's CASE,
// IF and COALESCE evaluate a branch only for the rows that reach it; in
// ANSI mode this keeps an error in an untaken branch (CASE WHEN b != 0
// THEN a / b END) from failing the query.
func (ec *evalCtx) subContext(rows []int64) (*evalCtx, func(), error) {
	if len(rows) == ec.n {
		return ec, func() {}, nil
	}
	b := array.NewInt64Builder(ec.mem)
	b.AppendValues(rows, nil)
	idx := b.NewArray()
	b.Release()
	defer idx.Release()
	ds := compute.NewDatum(ec.batch)
	is := compute.NewDatum(idx)
	defer ds.Release()
	defer is.Release()
	out, err := compute.Take(ec.ctx, *compute.DefaultTakeOptions(), ds, is)
	if err != nil {
		return nil, nil, err
	}
	rd, ok := out.(*compute.RecordDatum)
	if !ok {
		out.Release()
		return nil, nil, fmt.Errorf("expr: unexpected take result %s", out)
	}
	sub := *ec
	sub.batch = rd.Value
	sub.n = len(rows)
	return &sub, func() { out.Release() }, nil
}

// chooseLazy is choose's evaluation with per-branch row subsets.
func (ec *evalCtx) chooseLazy(conds, results []*cnode, hasElse bool, t arrow.DataType) (value, error) {
	pick := make([]int32, ec.n)
	for i := range pick {
		pick[i] = -1
	}
	undecided := make([]int64, ec.n)
	for i := range undecided {
		undecided[i] = int64(i)
	}
	for k, cond := range conds {
		if len(undecided) == 0 {
			break
		}
		sub, done, err := ec.subContext(undecided)
		if err != nil {
			return value{}, err
		}
		cv, err := cond.eval(sub)
		if err != nil {
			done()
			return value{}, err
		}
		var still []int64
		for j, row := range undecided {
			var yes bool
			if cv.sc != nil {
				yes = cv.sc.IsValid() && cv.sc.(*scalar.Boolean).Value
			} else {
				ca := cv.arr.(*array.Boolean)
				yes = ca.IsValid(j) && ca.Value(j)
			}
			if yes {
				pick[row] = int32(k)
			} else {
				still = append(still, row)
			}
		}
		cv.release()
		done()
		undecided = still
	}
	fallback := int32(len(results))
	if hasElse {
		fallback = int32(len(results) - 1)
	}
	rowsOf := make([][]int64, len(results)+1)
	for i, p := range pick {
		if p < 0 {
			p = fallback
			pick[i] = p
		}
		rowsOf[p] = append(rowsOf[p], int64(i))
	}
	var parts []arrow.Array
	defer func() {
		for _, p := range parts {
			p.Release()
		}
	}()
	base := make([]int64, len(results)+1)
	pos := make([]int64, ec.n)
	var offset int64
	for k := range results {
		base[k] = offset
		if len(rowsOf[k]) == 0 {
			continue
		}
		sub, done, err := ec.subContext(rowsOf[k])
		if err != nil {
			return value{}, err
		}
		v, err := results[k].eval(sub)
		if err != nil {
			done()
			return value{}, err
		}
		a, err := sub.materialize(v, t)
		done()
		if err != nil {
			return value{}, err
		}
		if len(rowsOf[k]) == ec.n {
			return value{arr: a}, nil
		}
		for j, row := range rowsOf[k] {
			pos[row] = int64(j)
		}
		parts = append(parts, a)
		offset += int64(a.Len())
	}
	if len(parts) == 0 {
		return value{sc: scalar.MakeNullScalar(t)}, nil
	}
	idx := array.NewInt64Builder(ec.mem)
	defer idx.Release()
	idx.Reserve(ec.n)
	for i, p := range pick {
		if int(p) == len(results) {
			idx.AppendNull()
			continue
		}
		idx.UnsafeAppend(base[p] + pos[i])
	}
	indices := idx.NewArray()
	defer indices.Release()
	all, err := array.Concatenate(parts, ec.mem)
	if err != nil {
		return value{}, err
	}
	defer all.Release()
	out, err := compute.TakeArray(ec.ctx, all, indices)
	return value{arr: out}, err
}
