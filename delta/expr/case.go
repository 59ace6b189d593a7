package expr

import (
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/scalar"
)

// caseWhen compiles both CASE forms; CASE x WHEN v … becomes
// CASE WHEN x = v …. Branch results are cast to their wider common type.
func (c *compiler) caseWhen(n *node) (*cnode, error) {
	args := n.args
	var operand *node
	if n.hasOperand {
		operand, args = args[0], args[1:]
	}
	var elseNode *node
	if n.hasElse {
		elseNode, args = args[len(args)-1], args[:len(args)-1]
	}
	var conds, results []*cnode
	for i := 0; i+1 < len(args); i += 2 {
		condNode := args[i]
		if operand != nil {
			condNode = &node{kind: kBinary, pos: args[i].pos, op: "=", args: []*node{operand, args[i]}}
		}
		cond, err := c.predicate(condNode, "a WHEN condition")
		if err != nil {
			return nil, err
		}
		r, err := c.compile(args[i+1])
		if err != nil {
			return nil, err
		}
		conds = append(conds, cond)
		results = append(results, r)
	}
	if elseNode != nil {
		r, err := c.compile(elseNode)
		if err != nil {
			return nil, err
		}
		results = append(results, r)
	}
	return c.choose(n, conds, results)
}

// choose picks, per row, the result of the first TRUE condition, else the
// trailing extra result (ELSE) if present, else NULL.
func (c *compiler) choose(n *node, conds, results []*cnode) (*cnode, error) {
	t := results[0].typ
	for _, r := range results[1:] {
		w, ok := widerType(t, r.typ)
		if !ok {
			return nil, compileErr(n, ErrType, "CASE branches have incompatible types %s and %s", sparkTypeName(t), sparkTypeName(r.typ))
		}
		t = w
	}
	var err error
	for i := range results {
		if results[i], err = c.coerce(results[i], t); err != nil {
			return nil, err
		}
	}
	hasElse := len(results) > len(conds)
	ansi := c.opts.ANSI
	cn := &cnode{typ: t, src: n, eval: func(ec *evalCtx) (value, error) {
		if ansi && ec.batch != nil && ec.batch.NumCols() > 0 {
			return ec.chooseLazy(conds, results, hasElse, t)
		}
		// pick[i] is the branch chosen for row i; len(results) means NULL.
		pick := make([]int32, ec.n)
		undecided := ec.n
		fallback := int32(len(results))
		if hasElse {
			fallback = int32(len(results) - 1)
		}
		for i := range pick {
			pick[i] = -1
		}
		for k, cond := range conds {
			if undecided == 0 {
				break
			}
			cv, err := cond.eval(ec)
			if err != nil {
				return value{}, err
			}
			if cv.sc != nil {
				if cv.sc.IsValid() && cv.sc.(*scalar.Boolean).Value {
					for i := range pick {
						if pick[i] < 0 {
							pick[i] = int32(k)
						}
					}
					undecided = 0
				}
				continue
			}
			ca := cv.arr.(*array.Boolean)
			for i := range pick {
				if pick[i] < 0 && ca.IsValid(i) && ca.Value(i) {
					pick[i] = int32(k)
					undecided--
				}
			}
			cv.release()
		}
		// A single branch for every row needs no gathering.
		first := fallback
		if len(pick) > 0 && pick[0] >= 0 {
			first = pick[0]
		}
		same := true
		for i := range pick {
			if pick[i] < 0 {
				pick[i] = fallback
			}
			if pick[i] != first {
				same = false
			}
		}
		if same {
			if int(first) == len(results) {
				return value{sc: scalar.MakeNullScalar(t)}, nil
			}
			return results[first].eval(ec)
		}
		return ec.gather(results, pick, t)
	}}
	return c.fold(cn, append(append([]*cnode{}, conds...), results...)...), nil
}

// gather builds the output from per-row branch choices with arrow/compute's
// Take over the concatenated branch arrays (index len(results) is NULL).
func (ec *evalCtx) gather(results []*cnode, pick []int32, t arrow.DataType) (value, error) {
	used := make([]bool, len(results)+1)
	for _, p := range pick {
		used[p] = true
	}
	var parts []arrow.Array
	defer func() {
		for _, p := range parts {
			p.Release()
		}
	}()
	base := make([]int64, len(results)+1)
	var offset int64
	for k := range results {
		base[k] = offset
		if !used[k] {
			continue
		}
		v, err := results[k].eval(ec)
		if err != nil {
			return value{}, err
		}
		a, err := ec.materialize(v, t)
		if err != nil {
			return value{}, err
		}
		parts = append(parts, a)
		offset += int64(a.Len())
	}
	idx := array.NewInt64Builder(ec.mem)
	defer idx.Release()
	idx.Reserve(len(pick))
	for i, p := range pick {
		if int(p) == len(results) {
			idx.AppendNull()
			continue
		}
		idx.UnsafeAppend(base[p] + int64(i))
	}
	indices := idx.NewArray()
	defer indices.Release()
	if len(parts) == 0 {
		return value{sc: scalar.MakeNullScalar(t)}, nil
	}
	all, err := array.Concatenate(parts, ec.mem)
	if err != nil {
		return value{}, err
	}
	defer all.Release()
	out, err := compute.TakeArray(ec.ctx, all, indices)
	return value{arr: out}, err
}
