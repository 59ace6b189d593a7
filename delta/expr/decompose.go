package expr

// Conjuncts splits e at its top-level ANDs: for `a AND (b AND c)` it
// returns a, b, c. Planners use it to find the parts of a condition they
// can act on (a join's equality keys, a partition filter) and evaluate
// the rest as written.
func Conjuncts(e Expr) []Expr {
	var out []Expr
	var walk func(n *node)
	walk = func(n *node) {
		if n.kind == kBinary && n.op == "and" {
			walk(n.args[0])
			walk(n.args[1])
			return
		}
		out = append(out, n)
	}
	walk(e.tree())
	return out
}

// ColumnEquality reports whether e is `a = b` where both sides are column
// references, and returns their paths as written. `<=>` is not an
// equality here: NULL keys match under it, which a hash join on the keys
// must treat differently.
func ColumnEquality(e Expr) (left, right []string, ok bool) {
	n := e.tree()
	if n.kind != kBinary || n.op != "=" || n.args[0].kind != kColumn || n.args[1].kind != kColumn {
		return nil, nil, false
	}
	return append([]string(nil), n.args[0].path...), append([]string(nil), n.args[1].path...), true
}

// RenameColumns returns a copy of e in which every column reference is
// replaced by rename's result for its path (as written, before
// case-insensitive resolution); returning the path unchanged keeps it.
// e itself is not modified. A typical use qualifies a condition written
// over one input with that input's alias, so that it can be used where two
// inputs are in scope (a MERGE's source and target).
func RenameColumns(e Expr, rename func(path []string) []string) Expr {
	var walk func(n *node) *node
	walk = func(n *node) *node {
		if n == nil {
			return nil
		}
		c := *n
		if n.kind == kColumn {
			c.path = append([]string(nil), rename(append([]string(nil), n.path...))...)
		}
		if n.args != nil {
			c.args = make([]*node, len(n.args))
			for i, a := range n.args {
				c.args[i] = walk(a)
			}
		}
		return &c
	}
	return walk(e.tree())
}
