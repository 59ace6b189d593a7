package expr

// ValueWise reports whether e is a predicate on a single string or
// binary column that can be evaluated once per distinct value of the
// column instead of once per row: it is built only from that column,
// string, binary and NULL literals, comparisons (including <=>), IN,
// BETWEEN, LIKE with a literal pattern, IS [NOT] NULL and AND, OR, NOT.
// Such a predicate involves no cast, arithmetic or function, so it cannot
// fail on any value and gives every row with the same value the same
// result. Scans use it to evaluate filters on Parquet dictionaries; e's
// column is the one Columns(e) returns, and the caller checks its type.
func ValueWise(e Expr) bool {
	if len(Columns(e)) != 1 {
		return false
	}
	var ok func(n *node) bool
	ok = func(n *node) bool {
		switch n.kind {
		case kColumn:
			return true
		case kLiteral:
			switch n.lit.kind {
			case litNull, litString, litBinary:
				return true
			}
			return false
		case kNot, kIsNull, kBetween, kIn:
		case kBinary:
			switch n.op {
			case "and", "or", "=", "!=", "<", "<=", ">", ">=", "<=>":
			default:
				return false
			}
		case kLike:
			if len(n.args) != 2 || n.args[1].kind != kLiteral {
				return false
			}
		default:
			return false
		}
		for _, a := range n.args {
			if !ok(a) {
				return false
			}
		}
		return true
	}
	return ok(e.tree())
}
