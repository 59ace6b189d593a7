package delta

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/lakehouse-go/lakehouse/delta/expr"
	"github.com/lakehouse-go/lakehouse/internal/protocol"
)

// ErrMergeCardinality is returned when a target row matches several
// source rows and a WHEN MATCHED clause would change it: which source row
// wins would be arbitrary (Spark's
// DELTA_MULTIPLE_SOURCE_ROW_MATCHING_TARGET_ROW_IN_MERGE).
var ErrMergeCardinality = errors.New("delta: MERGE: a target row matches more than one source row (DELTA_MULTIPLE_SOURCE_ROW_MATCHING_TARGET_ROW_IN_MERGE)")

// DefaultMergeMaxMemory is the source size MERGE holds in memory when
// MergeOptions.MaxMemory is zero.
const DefaultMergeMaxMemory = 256 << 20

// MergeOptions describe a MERGE: its clauses, in Spark's order of
// evaluation, and how it runs. Columns in conditions and values are
// qualified by the aliases (target.id, source.id); a column name that only
// one side has may also be written unqualified.
type MergeOptions struct {
	// TargetAlias and SourceAlias qualify columns in every expression;
	// defaults "target" and "source".
	TargetAlias, SourceAlias string
	// WhenMatched clauses apply to target rows the condition matched, the
	// first whose condition holds wins; a row no clause takes stays as it
	// is.
	WhenMatched []WhenMatched
	// WhenNotMatched clauses apply to source rows that match no target row
	// (inserts).
	WhenNotMatched []WhenNotMatched
	// WhenNotMatchedBySource clauses apply to target rows that match no
	// source row. With any of them the whole target is read.
	WhenNotMatchedBySource []WhenNotMatchedBySource
	// MergeSchema lets UpdateAll and InsertAll add the source's extra
	// columns to the table (Spark's autoMerge).
	MergeSchema bool
	// MaxMemory bounds the bytes of source rows held in memory; a larger
	// source is partitioned by its join key to files under SpillDir, and
	// the target with it. Default DefaultMergeMaxMemory.
	MaxMemory int64
	// SpillDir is where partitions spill; default os.TempDir().
	SpillDir string
	// Isolation, MaxAttempts and UserMetadata are as in TxnOptions.
	Isolation    Isolation
	MaxAttempts  int
	UserMetadata string
	// AppID and AppVersion make the MERGE idempotent, as in TxnOptions: a
	// MERGE whose AppVersion is not above the version the table recorded
	// for AppID reads and writes nothing (CommitResult.Skipped). Streaming
	// upserts pass the query id and the batch id.
	AppID      string
	AppVersion int64
	// Progress, when set, is called as target files are joined and
	// rewritten.
	Progress func(Progress)
}

// WhenMatched is a WHEN MATCHED [AND Condition] THEN UPDATE SET … |
// UPDATE SET * | DELETE clause. Exactly one of Update, UpdateAll and
// Delete is set.
type WhenMatched struct {
	Condition expr.Expr            // nil: always
	Update    map[string]expr.Expr // target column → new value
	UpdateAll bool                 // every target column from the source column of that name
	Delete    bool
}

// WhenNotMatched is a WHEN NOT MATCHED [AND Condition] THEN INSERT (…)
// VALUES (…) | INSERT * clause; values may refer to source columns only.
// Columns not given are NULL (and generated columns computed).
type WhenNotMatched struct {
	Condition expr.Expr
	Insert    map[string]expr.Expr
	InsertAll bool
}

// WhenNotMatchedBySource is a WHEN NOT MATCHED BY SOURCE [AND Condition]
// THEN UPDATE SET … | DELETE clause; it may refer to target columns only.
type WhenNotMatchedBySource struct {
	Condition expr.Expr
	Update    map[string]expr.Expr
	Delete    bool
}

// Merge upserts source into the table: Spark's MERGE INTO target USING
// source ON on WHEN …. Source rows are joined to target rows on the
// condition's equalities (hashed, spilling to disk past MaxMemory); target
// files that cannot hold a matching key are not read unless a WHEN NOT
// MATCHED BY SOURCE clause needs them. Updated and deleted target rows
// leave their files by deletion vector (delta.enableDeletionVectors) or by
// rewriting the file; change-feed tables record every change. The new
// rows are checked like written rows (NOT NULL, CHECK constraints,
// generated columns). A target row matched by several source rows fails
// with ErrMergeCardinality unless the only WHEN MATCHED clauses are
// unconditional deletes. On any error the table is unchanged.
//
// The commit records operation "MERGE" with Spark's parameters and
// metrics (numSourceRows, numTargetRowsInserted, numTargetRowsUpdated,
// numTargetRowsDeleted, numTargetRowsCopied, …).
func (t *Table) Merge(ctx context.Context, source array.RecordReader, on expr.Expr, opts *MergeOptions) (*CommitResult, error) {
	o := MergeOptions{}
	if opts != nil {
		o = *opts
	}
	x, err := t.Begin(ctx, &TxnOptions{Isolation: o.Isolation, MaxAttempts: o.MaxAttempts, UserMetadata: o.UserMetadata, MergeSchema: o.MergeSchema,
		AppID: o.AppID, AppVersion: o.AppVersion})
	if err != nil {
		return nil, err
	}
	defer x.Rollback()
	if o.AppID != "" {
		if v, ok := x.snap.TxnVersion(o.AppID); ok && v >= o.AppVersion {
			// Applied before: skip the join as well as the commit.
			return &CommitResult{Version: x.readVersion, ReadVersion: x.readVersion, Skipped: true}, nil
		}
	}
	if err := x.merge(ctx, source, on, o); err != nil {
		return nil, err
	}
	return x.Commit(ctx)
}

// merge stages a MERGE in the transaction.
func (x *Transaction) merge(ctx context.Context, source array.RecordReader, on expr.Expr, o MergeOptions) error {
	if on == nil {
		return fmt.Errorf("%w: MERGE needs an ON condition", ErrInvalidArgument)
	}
	if len(o.WhenMatched)+len(o.WhenNotMatched)+len(o.WhenNotMatchedBySource) == 0 {
		return fmt.Errorf("%w: MERGE needs at least one WHEN clause", ErrInvalidArgument)
	}
	plan, err := x.planMerge(source.Schema(), on, o)
	if err != nil {
		return err
	}
	if plan.modifiesTarget() && x.snap.config.Bool(protocol.PropAppendOnly, false) {
		return fmt.Errorf("%w: %s has delta.appendOnly=true; MERGE would update or delete rows", ErrAppendOnly, x.table.name())
	}
	d, err := x.newDML(nil)
	if err != nil {
		return err
	}
	d.operation, d.progress = "MERGE", o.Progress
	m := &mergeRun{x: x, d: d, plan: plan, opts: o}
	if err := m.run(ctx, source); err != nil {
		return err
	}
	x.operation = "MERGE"
	x.opParams = plan.params(on)
	x.dml = d
	x.mergeRun = m
	return nil
}

// mergePlan is a MERGE compiled against its schemas.
type mergePlan struct {
	target, source *arrow.Schema
	tAlias, sAlias string
	// pair is the schema clauses see: the target row and the source row
	// as two struct columns named by the aliases, then unqualified names
	// for columns only one side has.
	pair      *arrow.Schema
	pairNames []pairName
	on        *expr.Program

	// keys are the join's equality keys, target and source columns.
	tKeys, sKeys []int

	matched    []mergeClause
	notMatched []mergeClause
	bySource   []mergeClause
	clauseSQL  map[*mergeClause]string

	// out is the schema rows are written with: the target's, plus
	// source-only columns when schema evolution adds them.
	out *arrow.Schema
	// identityAlways reports GENERATED ALWAYS identity columns: the *
	// forms leave them to the writer, explicit values are refused.
	identityAlways func(name string) bool
}

// pairName is a top-level alias of one side's column in the pair schema.
type pairName struct {
	source bool
	idx    int
}

type mergeAction int

const (
	mergeUpdate mergeAction = iota
	mergeDelete
	mergeInsert
)

// mergeClause is one compiled WHEN clause.
type mergeClause struct {
	action mergeAction
	cond   *expr.Program // nil: always
	// values[i] computes output column i; nil keeps the target's value
	// (update) or NULL (insert).
	values []*expr.Program
	// fromSource[i] >= 0 copies source column fromSource[i] (the * forms).
	fromSource []int
	condSQL    string
}

func (p *mergePlan) modifiesTarget() bool { return len(p.matched)+len(p.bySource) > 0 }

// planMerge resolves and compiles every expression of a MERGE.
func (x *Transaction) planMerge(src *arrow.Schema, on expr.Expr, o MergeOptions) (*mergePlan, error) {
	p := &mergePlan{target: x.snap.Schema(), source: src, tAlias: o.TargetAlias, sAlias: o.SourceAlias}
	if p.tAlias == "" {
		p.tAlias = "target"
	}
	if p.sAlias == "" {
		p.sAlias = "source"
	}
	if strings.EqualFold(p.tAlias, p.sAlias) {
		return nil, fmt.Errorf("%w: MERGE target and source aliases are both %q", ErrInvalidArgument, p.tAlias)
	}
	p.buildPairSchema()
	p.identityAlways = x.identityAlways
	copts := &expr.CompileOptions{Allocator: x.table.opts.Allocator}
	compileBool := func(what string, e expr.Expr, schema *arrow.Schema) (*expr.Program, error) {
		prog, err := expr.Compile(e, schema, copts)
		if err != nil {
			return nil, fmt.Errorf("%w: MERGE %s %s: %w", ErrInvalidArgument, what, e, err)
		}
		if !arrow.TypeEqual(prog.ResultType(), arrow.FixedWidthTypes.Boolean) {
			return nil, fmt.Errorf("%w: MERGE %s %s is not a boolean predicate", ErrInvalidArgument, what, e)
		}
		return prog, nil
	}
	var err error
	if p.on, err = compileBool("ON", on, p.pair); err != nil {
		return nil, err
	}
	p.findKeys(on)
	p.out = p.target
	if o.MergeSchema {
		p.out = p.evolvedSchema(o)
	}
	p.clauseSQL = map[*mergeClause]string{}
	for i, c := range o.WhenMatched {
		mc, err := p.compileClause(compileBool, copts, "WHEN MATCHED", c.Condition, c.Update, c.UpdateAll, c.Delete, false, i)
		if err != nil {
			return nil, err
		}
		p.matched = append(p.matched, mc)
	}
	for i, c := range o.WhenNotMatched {
		what := fmt.Sprintf("WHEN NOT MATCHED clause %d", i+1)
		if err := p.oneSide(what, c.Condition, true); err != nil {
			return nil, err
		}
		for _, v := range c.Insert {
			if err := p.oneSide(what, v, true); err != nil {
				return nil, err
			}
		}
		mc, err := p.compileClause(compileBool, copts, "WHEN NOT MATCHED", c.Condition, c.Insert, c.InsertAll, false, true, i)
		if err != nil {
			return nil, err
		}
		p.notMatched = append(p.notMatched, mc)
	}
	for i, c := range o.WhenNotMatchedBySource {
		what := fmt.Sprintf("WHEN NOT MATCHED BY SOURCE clause %d", i+1)
		if err := p.oneSide(what, c.Condition, false); err != nil {
			return nil, err
		}
		for _, v := range c.Update {
			if err := p.oneSide(what, v, false); err != nil {
				return nil, err
			}
		}
		mc, err := p.compileClause(compileBool, copts, "WHEN NOT MATCHED BY SOURCE", c.Condition, c.Update, false, c.Delete, false, i)
		if err != nil {
			return nil, err
		}
		p.bySource = append(p.bySource, mc)
	}
	return p, nil
}

// compileClause compiles one WHEN clause's condition and values.
func (p *mergePlan) compileClause(compileBool func(string, expr.Expr, *arrow.Schema) (*expr.Program, error), copts *expr.CompileOptions,
	what string, cond expr.Expr, set map[string]expr.Expr, all, del, insert bool, n int) (mergeClause, error) {
	what = fmt.Sprintf("%s clause %d", what, n+1)
	mc := mergeClause{action: mergeUpdate}
	switch {
	case insert:
		mc.action = mergeInsert
	case del:
		mc.action = mergeDelete
	}
	actions := 0
	for _, b := range []bool{len(set) > 0, all, del} {
		if b {
			actions++
		}
	}
	if actions != 1 {
		return mc, fmt.Errorf("%w: MERGE %s: give exactly one action (a SET map, the * form, or delete)", ErrInvalidArgument, what)
	}
	if cond != nil {
		prog, err := compileBool(what+" condition", cond, p.pair)
		if err != nil {
			return mc, err
		}
		mc.cond = prog
		mc.condSQL = cond.String()
	}
	if del {
		return mc, nil
	}
	mc.values = make([]*expr.Program, p.out.NumFields())
	mc.fromSource = make([]int, p.out.NumFields())
	for i := range mc.fromSource {
		mc.fromSource[i] = -1
	}
	if all {
		for i, f := range p.out.Fields() {
			if !p.identityAlways(f.Name) {
				mc.fromSource[i] = fieldIndexFold(p.source, f.Name)
			}
		}
		return mc, nil
	}
	names := make([]string, 0, len(set))
	for k := range set {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, name := range names {
		col := strings.TrimPrefix(strings.TrimPrefix(name, p.tAlias+"."), strings.ToLower(p.tAlias)+".")
		i := fieldIndexFold(p.out, col)
		if i < 0 {
			return mc, fmt.Errorf("%w: MERGE %s sets %q, which is not a column of the table", ErrInvalidArgument, what, name)
		}
		if mc.values[i] != nil {
			return mc, fmt.Errorf("%w: MERGE %s sets column %q twice", ErrInvalidArgument, what, p.out.Field(i).Name)
		}
		if p.identityAlways(p.out.Field(i).Name) {
			return mc, fmt.Errorf("%w: MERGE %s: column %q %s", ErrInvalidArgument, what, p.out.Field(i).Name, identityGeneratedAlwaysMsg)
		}
		e := set[name]
		if e == nil {
			return mc, fmt.Errorf("%w: MERGE %s: no value for column %q", ErrInvalidArgument, what, name)
		}
		want := p.out.Field(i).Type
		prog, err := expr.Compile(e, p.pair, copts)
		if err == nil && !arrow.TypeEqual(prog.ResultType(), want) {
			prog, err = expr.Compile(expr.Cast(e, want), p.pair, copts)
		}
		if err != nil {
			return mc, fmt.Errorf("%w: MERGE %s: %s = %s: %w", ErrInvalidArgument, what, p.out.Field(i).Name, e, err)
		}
		mc.values[i] = prog
	}
	return mc, nil
}

// buildPairSchema lays out what clauses evaluate against.
func (p *mergePlan) buildPairSchema() {
	fields := []arrow.Field{
		{Name: p.tAlias, Type: arrow.StructOf(p.target.Fields()...), Nullable: true},
		{Name: p.sAlias, Type: arrow.StructOf(p.source.Fields()...), Nullable: true},
	}
	taken := func(name string) bool { return fieldIndexFold(arrow.NewSchema(fields, nil), name) >= 0 }
	for i, f := range p.target.Fields() {
		if fieldIndexFold(p.source, f.Name) < 0 && !taken(f.Name) {
			fields = append(fields, f)
			p.pairNames = append(p.pairNames, pairName{idx: i})
		}
	}
	for i, f := range p.source.Fields() {
		if fieldIndexFold(p.target, f.Name) < 0 && !taken(f.Name) {
			fields = append(fields, f)
			p.pairNames = append(p.pairNames, pairName{source: true, idx: i})
		}
	}
	p.pair = arrow.NewSchema(fields, nil)
}

// findKeys picks the ON condition's equalities between a target column
// and a source column of the same type: the hash join's keys.
func (p *mergePlan) findKeys(on expr.Expr) {
	side := p.columnSide
	for _, c := range expr.Conjuncts(on) {
		l, r, ok := expr.ColumnEquality(c)
		if !ok || len(l) > 2 || len(r) > 2 {
			continue // nested fields are left to the residual condition
		}
		ls, li, ok1 := side(l)
		rs, ri, ok2 := side(r)
		if !ok1 || !ok2 || ls == rs {
			continue
		}
		if ls {
			li, ri = ri, li
		}
		if !arrow.TypeEqual(p.target.Field(li).Type, p.source.Field(ri).Type) {
			continue // the residual condition still decides; no hashing on it
		}
		p.tKeys = append(p.tKeys, li)
		p.sKeys = append(p.sKeys, ri)
	}
}

// columnSide resolves a column path as written in a clause: which side
// it names (source or target) and the column's index there.
func (p *mergePlan) columnSide(path []string) (source bool, idx int, ok bool) {
	switch {
	case len(path) >= 2 && strings.EqualFold(path[0], p.tAlias):
		i := fieldIndexFold(p.target, path[1])
		return false, i, i >= 0
	case len(path) >= 2 && strings.EqualFold(path[0], p.sAlias):
		i := fieldIndexFold(p.source, path[1])
		return true, i, i >= 0
	case len(path) >= 1:
		for _, n := range p.pairNames {
			s := p.target
			if n.source {
				s = p.source
			}
			if strings.EqualFold(s.Field(n.idx).Name, path[0]) {
				return n.source, n.idx, true
			}
		}
	}
	return false, -1, false
}

// oneSide fails when e names a column of the side a clause cannot see:
// NOT MATCHED clauses have no target row, NOT MATCHED BY SOURCE clauses
// no source row, and Spark refuses such references rather than read NULL.
func (p *mergePlan) oneSide(what string, e expr.Expr, source bool) error {
	if e == nil {
		return nil
	}
	for _, path := range expr.Columns(e) {
		if s, _, ok := p.columnSide(path); ok && s != source {
			side := map[bool]string{true: "source", false: "target"}[s]
			return fmt.Errorf("%w: MERGE %s refers to %s column %s, which it has no row for", ErrInvalidArgument, what, side, strings.Join(path, "."))
		}
	}
	return nil
}

// evolvedSchema is the target schema plus the source columns the *
// clauses would bring.
func (p *mergePlan) evolvedSchema(o MergeOptions) *arrow.Schema {
	star := false
	for _, c := range o.WhenMatched {
		star = star || c.UpdateAll
	}
	for _, c := range o.WhenNotMatched {
		star = star || c.InsertAll
	}
	if !star {
		return p.target
	}
	fields := append([]arrow.Field(nil), p.target.Fields()...)
	for _, f := range p.source.Fields() {
		if fieldIndexFold(p.target, f.Name) < 0 {
			f.Nullable = true
			fields = append(fields, f)
		}
	}
	return arrow.NewSchema(fields, nil)
}

// params are Spark's operationParameters for MERGE.
func (p *mergePlan) params(on expr.Expr) map[string]any {
	type clause struct {
		Predicate  string `json:"predicate,omitempty"`
		ActionType string `json:"actionType"`
	}
	list := func(cs []mergeClause) string {
		out := make([]clause, len(cs))
		for i, c := range cs {
			out[i] = clause{Predicate: c.condSQL, ActionType: [...]string{"update", "delete", "insert"}[c.action]}
		}
		return jsonString(out)
	}
	return map[string]any{
		"predicate":                    jsonString([]string{on.String()}),
		"matchedPredicates":            list(p.matched),
		"notMatchedPredicates":         list(p.notMatched),
		"notMatchedBySourcePredicates": list(p.bySource),
	}
}

// mergeMetrics are the operationMetrics Spark records for MERGE.
func (x *Transaction) mergeMetrics() map[string]string {
	m, d, w := x.mergeRun, x.dml, x.metrics
	var reAdded, reAddedBytes int64
	for _, a := range x.adds {
		if a.DeletionVector != nil {
			reAdded++
			reAddedBytes += a.Size
		}
	}
	out := map[string]string{
		"numSourceRows":                          itoa(m.sourceRows),
		"numTargetRowsInserted":                  itoa(m.inserted),
		"numTargetRowsUpdated":                   itoa(m.matchedUpdated + m.bySourceUpdated),
		"numTargetRowsMatchedUpdated":            itoa(m.matchedUpdated),
		"numTargetRowsNotMatchedBySourceUpdated": itoa(m.bySourceUpdated),
		"numTargetRowsDeleted":                   itoa(m.matchedDeleted + m.bySourceDeleted),
		"numTargetRowsMatchedDeleted":            itoa(m.matchedDeleted),
		"numTargetRowsNotMatchedBySourceDeleted": itoa(m.bySourceDeleted),
		"numTargetRowsCopied":                    itoa(w.numCopiedRows),
		"numOutputRows":                          itoa(w.numOutputRows),
		"numTargetFilesAdded":                    itoa(w.numFiles),
		"numTargetFilesRemoved":                  itoa(w.numRemovedFiles - reAdded),
		"numTargetChangeFilesAdded":              itoa(w.numChangeFiles),
		"numTargetBytesAdded":                    itoa(w.numOutputBytes),
		"numTargetBytesRemoved":                  itoa(w.numRemovedBytes - reAddedBytes),
		"numTargetDeletionVectorsAdded":          itoa(d.dvAdded + d.dvUpdated),
		"numTargetDeletionVectorsRemoved":        itoa(d.dvRemoved + d.dvUpdated),
		"numTargetDeletionVectorsUpdated":        itoa(d.dvUpdated),
		"executionTimeMs":                        itoa(time.Since(d.started).Milliseconds()),
		"scanTimeMs":                             itoa(d.scanTime.Milliseconds()),
		"rewriteTimeMs":                          itoa(d.rewriteTime.Milliseconds()),
	}
	return out
}
