package expr

import (
	"context"
	"math"
	"strings"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/scalar"
)

// StatsSource exposes one file's statistics (or a partition's values) to a
// Skipper. Column paths are resolved schema paths; Min and Max are typed as
// the column. ok=false means the statistic is absent.
type StatsSource interface {
	NumRecords() (int64, bool)
	Min(column []string) (scalar.Scalar, bool)
	Max(column []string) (scalar.Scalar, bool)
	NullCount(column []string) (int64, bool)
}

// Skipper decides from file statistics whether a file can hold a row for
// which a predicate is TRUE. It is immutable and safe for concurrent use.
type Skipper struct {
	root skipNode
}

// stringStatsPrefixLen is the length at which Spark truncates string
// statistics; a max this long may be a prefix, not a bound.
const stringStatsPrefixLen = 32

// NewSkipper rewrites e into a test over min/max/nullCount/numRecords.
// Shapes it cannot reason about (functions, column-to-column comparisons,
// non-monotonic casts, …) simply never prune. It fails only when e names a
// column the schema lacks.
func NewSkipper(e Expr, schema *arrow.Schema) (*Skipper, error) {
	if schema == nil {
		schema = arrow.NewSchema(nil, nil)
	}
	for _, p := range Columns(e) {
		if _, _, _, err := resolvePath(schema, p); err != nil {
			return nil, err
		}
	}
	b := &skipBuilder{schema: schema}
	return &Skipper{root: b.build(e.tree(), false)}, nil
}

// MayMatch is false only if no row described by stats can make the
// predicate TRUE; missing statistics make it answer true.
func (s *Skipper) MayMatch(stats StatsSource) bool {
	if n, ok := stats.NumRecords(); ok && n == 0 {
		return false
	}
	return s.root.may(stats)
}

type skipNode interface {
	may(st StatsSource) bool
}

type skipConst bool

func (c skipConst) may(StatsSource) bool { return bool(c) }

type skipAnd []skipNode

func (a skipAnd) may(st StatsSource) bool {
	for _, n := range a {
		if !n.may(st) {
			return false
		}
	}
	return true
}

type skipOr []skipNode

func (o skipOr) may(st StatsSource) bool {
	for _, n := range o {
		if n.may(st) {
			return true
		}
	}
	return false
}

// colTerm is a column, possibly under order-preserving casts, compared in
// type common.
type colTerm struct {
	path   []string
	raw    arrow.DataType // the schema field's type (stats scalars)
	spark  arrow.DataType // the type Compile reads it as
	common arrow.DataType // the comparison type
	// zoned is set when a cast on the way depends on the session time
	// zone (DATE or TIMESTAMP_NTZ to TIMESTAMP and back).
	zoned bool
}

type skipBuilder struct {
	schema *arrow.Schema
}

func (b *skipBuilder) build(n *node, negated bool) skipNode {
	switch n.kind {
	case kNot:
		return b.build(n.args[0], !negated)
	case kBinary:
		switch n.op {
		case "and", "or":
			l, r := b.build(n.args[0], negated), b.build(n.args[1], negated)
			if (n.op == "and") != negated {
				return skipAnd{l, r}
			}
			return skipOr{l, r}
		case "=", "!=", "<", "<=", ">", ">=", "<=>":
			return b.comparison(n.op, n.args[0], n.args[1], negated)
		}
	case kLiteral:
		if n.lit.kind == litBool {
			return skipConst(n.lit.b != negated)
		}
		if n.lit.kind == litNull {
			return skipConst(false) // NULL is never TRUE, nor is NOT NULL
		}
	case kColumn:
		// a boolean column used as a predicate
		return b.comparison("=", n, &node{kind: kLiteral, lit: literal{kind: litBool, b: !negated}}, false)
	case kIsNull:
		col, ok := b.column(n.args[0])
		if !ok {
			return skipConst(true)
		}
		return &skipNull{path: col.path, isNull: n.not == negated}
	case kBetween:
		neg := n.not != negated
		ge := b.comparison(">=", n.args[0], n.args[1], neg)
		le := b.comparison("<=", n.args[0], n.args[2], neg)
		if neg {
			return skipOr{ge, le}
		}
		return skipAnd{ge, le}
	case kIn:
		neg := n.not != negated
		// IN casts everything to the wider common type (not the comparison type).
		col, ok := b.column(n.args[0])
		if !ok {
			return skipConst(true)
		}
		common := col.spark
		for _, item := range n.args[1:] {
			lit, ok := b.constant(item)
			if !ok {
				return skipConst(true)
			}
			if common, ok = widerType(common, lit.DataType()); !ok {
				return skipConst(true)
			}
		}
		var parts []skipNode
		for _, item := range n.args[1:] {
			if item.kind == kLiteral && item.lit.kind == litNull {
				if neg {
					return skipConst(false) // x NOT IN (…, NULL) is never TRUE
				}
				continue
			}
			parts = append(parts, b.comparisonIn(n.args[0], item, neg, common))
		}
		if neg {
			return skipAnd(parts)
		}
		return skipOr(parts)
	case kLike:
		if n.not == negated && n.op == "like" {
			return b.likePrefix(n)
		}
	}
	return skipConst(true)
}

var complement = map[string]string{"=": "!=", "!=": "=", "<": ">=", ">=": "<", ">": "<=", "<=": ">"}
var mirror = map[string]string{"=": "=", "!=": "!=", "<": ">", ">": "<", "<=": ">=", ">=": "<=", "<=>": "<=>"}

// comparison builds `l op r` (negated: NOT (l op r)) when one side is a
// column and the other a constant.
func (b *skipBuilder) comparison(op string, l, r *node, negated bool) skipNode {
	return b.typedComparison(op, l, r, negated, nil)
}

func (b *skipBuilder) comparisonIn(l, r *node, negated bool, common arrow.DataType) skipNode {
	return b.typedComparison("=", l, r, negated, common)
}

// typedComparison compares in type force when set (IN), otherwise in
// Spark's binary-comparison common type.
func (b *skipBuilder) typedComparison(op string, l, r *node, negated bool, force arrow.DataType) skipNode {
	if _, isCol := b.column(l); !isCol {
		l, r, op = r, l, mirror[op]
	}
	lit, ok := b.constant(r)
	if !ok {
		return skipConst(true)
	}
	nullSafe := op == "<=>"
	if nullSafe {
		if negated {
			return skipConst(true)
		}
		if !lit.IsValid() {
			col, ok := b.column(l)
			if !ok {
				return skipConst(true)
			}
			return &skipNull{path: col.path, isNull: true}
		}
		op = "="
	} else if !lit.IsValid() {
		return skipConst(false) // comparisons with NULL are never TRUE
	}
	if negated {
		op = complement[op]
	}
	col, ok := b.column(l)
	if !ok {
		return skipConst(true)
	}
	common, ok := force, true
	if common == nil {
		common, ok = comparisonType(col.spark, lit.DataType())
	}
	if !ok || !orderPreserving(col.spark, common) {
		return skipConst(true)
	}
	col.common = common
	v, ok := convertScalar(lit, common)
	if !ok {
		return skipConst(true)
	}
	if !v.IsValid() {
		if nullSafe { // x <=> NULL
			return &skipNull{path: col.path, isNull: true}
		}
		return skipConst(false) // the literal casts to NULL: never TRUE
	}
	sc := &skipCmp{col: col, op: cmpOps[op], lo: v, hi: v}
	if isTimestamp(common) && !isNTZ(common) && (col.zoned || isDate(col.spark) || !isTimestamp(lit.DataType()) || !zoneFree(r)) {
		// The session time zone, unknown here, moves this comparison by at
		// most a day either way; widen the literal so pruning stays safe.
		t := v.(*scalar.Timestamp)
		sc.lo = scalar.NewTimestampScalar(t.Value-arrow.Timestamp(tzSlack), t.DataType())
		sc.hi = scalar.NewTimestampScalar(t.Value+arrow.Timestamp(tzSlack), t.DataType())
		sc.inexact = true
	}
	return sc
}

// tzSlack bounds how far a session time zone can move a date or local
// timestamp (26 hours, beyond the ±14h offsets plus daylight saving).
const tzSlack = 26 * 3600 * microsPerSecond

// zoneFree reports whether a constant subtree denotes the same instant in
// every session time zone.
func zoneFree(n *node) bool {
	switch n.kind {
	case kLiteral:
		switch n.lit.kind {
		case litTimestamp:
			if n.lit.abs {
				return true
			}
			p, ok := parseDateTimeText(n.lit.s, false)
			return ok && p.zone != nil
		case litDate, litString, litTimestampNTZ:
			return false
		}
		return true
	case kCast, kCall:
		return false
	}
	for _, a := range n.args {
		if !zoneFree(a) {
			return false
		}
	}
	return true
}

// column recognises a column reference, possibly under CASTs that keep
// order, and returns its resolved path and types.
func (b *skipBuilder) column(n *node) (colTerm, bool) {
	switch n.kind {
	case kColumn:
		_, names, field, err := resolvePath(b.schema, n.path)
		if err != nil {
			return colTerm{}, false
		}
		st, ok := sparkType(field.Type)
		if !ok {
			return colTerm{}, false
		}
		return colTerm{path: names, raw: field.Type, spark: st}, true
	case kCast:
		c, ok := b.column(n.args[0])
		if !ok || !orderPreserving(c.spark, n.castTo) {
			return colTerm{}, false
		}
		// Stats are converted to the cast type before comparing.
		if isTimestamp(n.castTo) != isTimestamp(c.spark) || isNTZ(n.castTo) != isNTZ(c.spark) {
			c.zoned = true
		}
		c.spark = n.castTo
		return c, true
	}
	return colTerm{}, false
}

// constant folds a column-free expression to a scalar.
func (b *skipBuilder) constant(n *node) (scalar.Scalar, bool) {
	if len(Columns(n)) != 0 {
		return nil, false
	}
	p, err := Compile(n, nil, &CompileOptions{Allocator: foldAlloc})
	if err != nil || p.root.konst == nil {
		return nil, false
	}
	return p.root.konst, true
}

// orderPreserving reports whether converting from → to keeps the order of
// values (so min/max convert to min/max).
func orderPreserving(from, to arrow.DataType) bool {
	switch {
	case arrow.TypeEqual(from, to):
		return true
	case isIntegral(from):
		return (isIntegral(to) && numericRank(to) >= numericRank(from)) || isFloating(to) ||
			(isDecimal(to) && decimalForIntegral(from).Precision-0 <= to.(*arrow.Decimal128Type).Precision-to.(*arrow.Decimal128Type).Scale)
	case from.ID() == arrow.FLOAT32:
		return to.ID() == arrow.FLOAT64
	case isDecimal(from):
		if isFloating(to) {
			return true
		}
		if d, ok := to.(*arrow.Decimal128Type); ok {
			f := from.(*arrow.Decimal128Type)
			return d.Scale >= f.Scale && d.Precision-d.Scale >= f.Precision-f.Scale
		}
	case isDate(from):
		return isTimestamp(to)
	case isTimestamp(from):
		return isTimestamp(to) && isNTZ(from) == isNTZ(to)
	}
	return false
}

// convertScalar casts a statistic or literal to t with legacy CAST rules.
func convertScalar(s scalar.Scalar, t arrow.DataType) (scalar.Scalar, bool) {
	if !s.IsValid() {
		return scalar.MakeNullScalar(t), true
	}
	if arrow.TypeEqual(s.DataType(), t) {
		return s, true
	}
	if r, ok := convertNumericScalar(s, t); ok {
		return r, true
	}
	one, err := scalar.MakeArrayFromScalar(s, 1, foldAlloc)
	if err != nil {
		return nil, false
	}
	defer one.Release()
	ctx := compute.WithAllocator(context.Background(), foldAlloc)
	if st, ok := sparkType(one.DataType()); ok && !arrow.TypeEqual(st, one.DataType()) {
		norm, err := compute.CastArray(ctx, one, compute.UnsafeCastOptions(st))
		if err != nil {
			return nil, false
		}
		defer norm.Release()
		one = norm
	}
	opts := (&CompileOptions{Allocator: foldAlloc}).withDefaults()
	ec := &evalCtx{ctx: ctx, n: 1, mem: foldAlloc, opts: &opts}
	out, err := castArray(ec, one, t, castLegacy)
	if err != nil {
		return nil, false
	}
	defer out.Release()
	r, err := scalar.GetScalar(out, 0)
	return r, err == nil
}

// convertNumericScalar is the allocation-light path for the widening
// conversions that dominate skipping (one call per file and column).
func convertNumericScalar(s scalar.Scalar, t arrow.DataType) (scalar.Scalar, bool) {
	var f float64
	var i int64
	isInt := true
	switch x := s.(type) {
	case *scalar.Int8:
		i = int64(x.Value)
	case *scalar.Int16:
		i = int64(x.Value)
	case *scalar.Int32:
		i = int64(x.Value)
	case *scalar.Int64:
		i = x.Value
	case *scalar.Float32:
		f, isInt = float64(x.Value), false
	default:
		return nil, false
	}
	switch t.ID() {
	case arrow.INT64:
		if isInt {
			return scalar.NewInt64Scalar(i), true
		}
	case arrow.FLOAT64:
		if isInt {
			f = float64(i)
		}
		return scalar.NewFloat64Scalar(f), true
	}
	return nil, false
}

func allNull(st StatsSource, path []string) bool {
	nc, ok1 := st.NullCount(path)
	nr, ok2 := st.NumRecords()
	return ok1 && ok2 && nc >= nr
}

type skipNull struct {
	path   []string
	isNull bool
}

func (s *skipNull) may(st StatsSource) bool {
	nc, ok := st.NullCount(s.path)
	if !ok {
		return true
	}
	if s.isNull {
		return nc > 0
	}
	return !allNull(st, s.path)
}

// skipCmp is `column op v` for some v in [lo, hi] (lo = hi unless the
// literal's meaning depends on the session time zone).
type skipCmp struct {
	col     colTerm
	op      cmpOp
	lo, hi  scalar.Scalar
	inexact bool
}

// bounds returns the converted min and max; a string max that may be a
// truncated prefix is flagged, and a timestamp max is widened by 999µs
// because Spark truncates timestamp statistics to milliseconds.
type bounds struct {
	min, max       scalar.Scalar
	hasMin, hasMax bool
	maxIsPrefix    bool
	unusable       bool
}

func statBounds(st StatsSource, col colTerm) bounds {
	var b bounds
	if s, ok := st.Min(col.path); ok && s != nil && s.IsValid() {
		b.min, b.hasMin = convertStat(s, col)
	}
	if s, ok := st.Max(col.path); ok && s != nil && s.IsValid() {
		if ts, isTs := s.(*scalar.Timestamp); isTs {
			s = widenTimestampMax(ts)
		}
		if str, isStr := s.(*scalar.String); isStr && utf8.RuneCount(str.Data()) >= stringStatsPrefixLen {
			b.maxIsPrefix = true
		}
		b.max, b.hasMax = convertStat(s, col)
	}
	if isNaNScalar(b.min) || isNaNScalar(b.max) {
		b.unusable = true
	}
	return b
}

func widenTimestampMax(ts *scalar.Timestamp) scalar.Scalar {
	t := ts.DataType().(*arrow.TimestampType)
	var add int64
	switch t.Unit {
	case arrow.Nanosecond:
		add = 999_999
	case arrow.Microsecond:
		add = 999
	}
	v := int64(ts.Value)
	if v > math.MaxInt64-add {
		return ts
	}
	return scalar.NewTimestampScalar(arrow.Timestamp(v+add), t)
}

func convertStat(s scalar.Scalar, col colTerm) (scalar.Scalar, bool) {
	v, ok := convertScalar(s, col.spark)
	if !ok || !v.IsValid() {
		return nil, false
	}
	if v, ok = convertScalar(v, col.common); !ok || !v.IsValid() {
		return nil, false
	}
	return v, true
}

func isNaNScalar(s scalar.Scalar) bool {
	switch x := s.(type) {
	case *scalar.Float64:
		return math.IsNaN(x.Value)
	case *scalar.Float32:
		return math.IsNaN(float64(x.Value))
	}
	return false
}

func cmpStat(a, b scalar.Scalar) int {
	c, err := compareScalars(a, b)
	if err != nil {
		return 0
	}
	return c
}

// maxAtLeast reports whether some value ≤ max can be ≥ v (strict: > v).
func (b bounds) maxAtLeast(v scalar.Scalar, strict bool) bool {
	if !b.hasMax {
		return true
	}
	c := cmpStat(b.max, v)
	if c > 0 || (c == 0 && !strict) {
		return true
	}
	if b.maxIsPrefix {
		// Any string starting with the truncated max may be in the file.
		if vs, ok := v.(*scalar.String); ok {
			return strings.HasPrefix(string(vs.Data()), string(b.max.(*scalar.String).Data()))
		}
	}
	return false
}

// minAtMost reports whether some value ≥ min can be ≤ v (strict: < v).
func (b bounds) minAtMost(v scalar.Scalar, strict bool) bool {
	if !b.hasMin {
		return true
	}
	c := cmpStat(b.min, v)
	return c < 0 || (c == 0 && !strict)
}

func (s *skipCmp) may(st StatsSource) bool {
	if allNull(st, s.col.path) {
		return false
	}
	b := statBounds(st, s.col)
	if b.unusable {
		return true
	}
	switch s.op {
	case opEq:
		return b.minAtMost(s.hi, false) && b.maxAtLeast(s.lo, false)
	case opNe:
		// Only a file whose every non-null value equals v can be skipped.
		if !s.inexact && b.hasMin && b.hasMax && !b.maxIsPrefix && cmpStat(b.min, s.lo) == 0 && cmpStat(b.max, s.lo) == 0 {
			return false
		}
		return true
	case opLt:
		return b.minAtMost(s.hi, true)
	case opLe:
		return b.minAtMost(s.hi, false)
	case opGt:
		return b.maxAtLeast(s.lo, true)
	case opGe:
		return b.maxAtLeast(s.lo, false)
	}
	return true
}

// likePrefix handles LIKE 'prefix%' (and LIKE without wildcards as
// equality) on a plain string column.
func (b *skipBuilder) likePrefix(n *node) skipNode {
	col, ok := b.column(n.args[0])
	if !ok || !isString(col.spark) {
		return skipConst(true)
	}
	lit, ok := b.constant(n.args[1])
	if !ok {
		return skipConst(true)
	}
	if !lit.IsValid() {
		return skipConst(false)
	}
	ps, ok := lit.(*scalar.String)
	if !ok {
		return skipConst(true)
	}
	escape := n.escape
	if escape == 0 {
		escape = '\\'
	}
	prefix, wildcard, ok := likeLiteralPrefix(string(ps.Data()), escape)
	if !ok {
		return skipConst(true)
	}
	col.common = col.spark
	v := scalar.NewStringScalar(prefix)
	if !wildcard {
		return &skipCmp{col: col, op: opEq, lo: v, hi: v}
	}
	if prefix == "" {
		return skipConst(true)
	}
	return &skipPrefix{col: col, prefix: v}
}

// likeLiteralPrefix returns the literal text before the first wildcard and
// whether a wildcard follows; ok is false unless the pattern is exactly
// literal text or literal text followed by '%' wildcards.
func likeLiteralPrefix(p string, escape rune) (prefix string, wildcard bool, ok bool) {
	var sb strings.Builder
	rs := []rune(p)
	for i := 0; i < len(rs); i++ {
		c := rs[i]
		switch {
		case c == escape:
			if i+1 >= len(rs) {
				return "", false, false
			}
			i++
			sb.WriteRune(rs[i])
		case c == '%':
			for _, r := range rs[i:] {
				if r != '%' {
					return "", false, false
				}
			}
			return sb.String(), true, true
		case c == '_':
			return "", false, false
		default:
			sb.WriteRune(c)
		}
	}
	return sb.String(), false, true
}

type skipPrefix struct {
	col    colTerm
	prefix scalar.Scalar
}

func (s *skipPrefix) may(st StatsSource) bool {
	if allNull(st, s.col.path) {
		return false
	}
	b := statBounds(st, s.col)
	if !b.maxAtLeast(s.prefix, false) {
		return false // every value sorts before the prefix
	}
	if b.hasMin {
		m, p := string(b.min.(*scalar.String).Data()), string(s.prefix.(*scalar.String).Data())
		if m > p && !strings.HasPrefix(m, p) {
			return false // every value sorts after all strings with the prefix
		}
	}
	return true
}
