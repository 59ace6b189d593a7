package delta

import (
	"context"
	"flag"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lakehouse-go/lakehouse/delta/expr"
)

// modelRow is one row of eventsSchema in the in-memory model.
type modelRow struct {
	id    int64
	name  *string
	score float64
	day   string
}

func (r modelRow) String() string {
	n := "NULL"
	if r.name != nil {
		n = *r.name
	}
	return fmt.Sprintf("%d|%s|%g|%s", r.id, n, r.score, r.day)
}

// modelPred is a predicate both as SQL and as the model evaluates it.
type modelPred struct {
	sql   string
	match func(modelRow) bool
}

func randomPred(rng *rand.Rand) modelPred {
	switch rng.IntN(5) {
	case 0:
		k, r := int64(rng.IntN(5)+2), int64(rng.IntN(2))
		return modelPred{fmt.Sprintf("id %% %d = %d", k, r), func(m modelRow) bool { return m.id%k == r }}
	case 1:
		d := fmt.Sprintf("d%d", rng.IntN(3))
		return modelPred{fmt.Sprintf("day = '%s'", d), func(m modelRow) bool { return m.day == d }}
	case 2:
		v := float64(rng.IntN(60))
		return modelPred{fmt.Sprintf("score > %g", v), func(m modelRow) bool { return m.score > v }}
	case 3:
		return modelPred{"name IS NULL", func(m modelRow) bool { return m.name == nil }}
	default:
		lo := int64(rng.IntN(100))
		return modelPred{fmt.Sprintf("id BETWEEN %d AND %d", lo, lo+5), func(m modelRow) bool { return m.id >= lo && m.id <= lo+5 }}
	}
}

// modelSet is an UPDATE's SET clause both ways.
type modelSet struct {
	set   map[string]string
	apply func(modelRow) modelRow
}

func randomSet(rng *rand.Rand) modelSet {
	switch rng.IntN(3) {
	case 0:
		return modelSet{map[string]string{"score": "score + 1"}, func(m modelRow) modelRow { m.score++; return m }}
	case 1:
		s := "updated"
		return modelSet{map[string]string{"name": "'updated'", "score": "score * 2"}, func(m modelRow) modelRow { m.name = &s; m.score *= 2; return m }}
	default:
		// Moves rows to another partition on partitioned tables.
		return modelSet{map[string]string{"day": "'d2'"}, func(m modelRow) modelRow { m.day = "d2"; return m }}
	}
}

// TestDMLAgainstModel runs random sequences of append, delete, update,
// merge (in memory and spilled), replaceWhere and restore against an
// in-memory model of the rows, with and without deletion
// vectors, change data feed and partitioning. After every step the table
// at every version so far, and the change feed between random versions,
// equal the model's (ranges holding a RESTORE excepted: its change feed is
// by file, as Spark's).
func TestDMLAgainstModel(t *testing.T) {
	// Small row groups: copy-on-write rewrites copy the row groups a
	// statement does not touch (dml_copy.go) beside the ones it rewrites.
	old := dataRowGroupRows
	dataRowGroupRows = 8
	t.Cleanup(func() { dataRowGroupRows = old })
	for _, dvs := range []bool{false, true} {
		for _, cdf := range []bool{false, true} {
			for _, partitioned := range []bool{false, true} {
				name := fmt.Sprintf("dv=%v/cdf=%v/partitioned=%v", dvs, cdf, partitioned)
				var dvsWritten, cdcFiles int
				for seed := range uint64(*dmlModelSeeds) {
					t.Run(fmt.Sprintf("%s/seed=%d", name, seed), func(t *testing.T) {
						d, c := runDMLModel(t, dvs, cdf, partitioned, seed)
						dvsWritten += d
						cdcFiles += c
					})
				}
				// The runs must have taken the paths the configuration names.
				if dvs {
					assert.Positive(t, dvsWritten, "%s: deletion vectors written", name)
				} else {
					assert.Zero(t, dvsWritten, "%s: deletion vectors written", name)
				}
				if cdf {
					assert.Positive(t, cdcFiles, "%s: change data files written", name)
				} else {
					assert.Zero(t, cdcFiles, "%s: change data files written", name)
				}
			}
		}
	}
}

type modelChange struct {
	kind string
	row  modelRow
}

func runDMLModel(t *testing.T, dvs, cdf, partitioned bool, seed uint64) (dvsWritten, cdcFiles int) {
	ctx := context.Background()
	mem := newCheckedAllocator(t)
	rng := rand.New(rand.NewPCG(seed, 1))
	opts := &CreateOptions{Table: &Options{Allocator: mem}, Properties: map[string]string{
		"delta.enableDeletionVectors": fmt.Sprint(dvs),
		"delta.enableChangeDataFeed":  fmt.Sprint(cdf),
	}}
	if partitioned {
		opts.PartitionBy = []string{"day"}
	}
	tbl, err := Create(ctx, t.TempDir(), eventsSchema, opts)
	require.NoError(t, err)
	defer tbl.Close()

	model := map[int64]modelRow{}
	versions := [][]string{renderModel(model)} // rows at each version
	changes := [][]modelChange{nil}            // changes each version made
	states := []map[int64]modelRow{{}}         // the model at each version
	restored := map[int]bool{}                 // versions made by RESTORE
	next := 0
	for step := 0; step < 12; step++ {
		var res *CommitResult
		var delta []modelChange
		switch op := rng.IntN(6); {
		case op == 5 && len(versions) > 2:
			// RESTORE to an earlier version: the rows are that version's.
			// Its change feed is by file (whole files removed and added
			// back, as Spark's), not by row, so the model does not predict
			// it; ranges holding a restore are left out below.
			v := rng.IntN(len(versions) - 1)
			res, err = tbl.Restore(ctx, RestoreTarget{Version: int64(v)}, nil)
			require.NoError(t, err, "RESTORE to %d", v)
			model = maps.Clone(states[v])
			restored[len(versions)] = true
		case op == 0 || op == 5 || len(model) == 0:
			n := rng.IntN(40) + 10
			rr := eventsReader(t, mem, next, n, 3)
			res, err = tbl.Append(ctx, rr, nil)
			rr.Release()
			require.NoError(t, err)
			rec := eventsBatch(mem, next, n, 3)
			for _, r := range modelRows(rec) {
				model[r.id] = r
				delta = append(delta, modelChange{ChangeInsert, r})
			}
			rec.Release()
			next += n
		case op == 1:
			p := randomPred(rng)
			e, err := expr.Parse(p.sql)
			require.NoError(t, err)
			res, err = tbl.Delete(ctx, e, nil)
			require.NoError(t, err, "DELETE WHERE %s", p.sql)
			for id, r := range model {
				if p.match(r) {
					delete(model, id)
					delta = append(delta, modelChange{ChangeDelete, r})
				}
			}
			require.Equal(t, fmt.Sprint(len(delta)), res.Metrics["numDeletedRows"], "DELETE WHERE %s", p.sql)
		case op == 3:
			res, delta = runModelMerge(t, tbl, mem, rng, model, &next)
		case op == 4:
			// replaceWhere on a data column: rows matching it are replaced
			// by the written ones (which match it too).
			lo := int64(rng.IntN(next + 1))
			n := rng.IntN(10) + 1
			rr := eventsReader(t, mem, next, n, 3)
			res, err = tbl.Overwrite(ctx, rr, &TxnOptions{Mode: Overwrite, ReplaceWhere: fmt.Sprintf("id >= %d", lo)})
			rr.Release()
			require.NoError(t, err, "replaceWhere id >= %d", lo)
			for id, r := range model {
				if id >= lo {
					delete(model, id)
					delta = append(delta, modelChange{ChangeDelete, r})
				}
			}
			rec := eventsBatch(mem, next, n, 3)
			for _, r := range modelRows(rec) {
				model[r.id] = r
				delta = append(delta, modelChange{ChangeInsert, r})
			}
			rec.Release()
			next += n
		default:
			p, s := randomPred(rng), randomSet(rng)
			e, err := expr.Parse(p.sql)
			require.NoError(t, err)
			set := map[string]expr.Expr{}
			for c, v := range s.set {
				set[c], err = expr.Parse(v)
				require.NoError(t, err)
			}
			res, err = tbl.Update(ctx, set, e, nil)
			require.NoError(t, err, "UPDATE WHERE %s", p.sql)
			for id, r := range model {
				if p.match(r) {
					u := s.apply(r)
					model[id] = u
					delta = append(delta, modelChange{ChangeUpdatePreimage, r}, modelChange{ChangeUpdatePostimage, u})
				}
			}
			require.Equal(t, fmt.Sprint(len(delta)/2), res.Metrics["numUpdatedRows"], "UPDATE WHERE %s", p.sql)
		}
		require.Equal(t, int64(len(versions)), res.Version)
		n, _ := strconv.Atoi(res.Metrics["numDeletionVectorsAdded"])
		dvsWritten += n
		n, _ = strconv.Atoi(res.Metrics["numAddedChangeFiles"])
		cdcFiles += n
		versions = append(versions, renderModel(model))
		changes = append(changes, delta)
		states = append(states, maps.Clone(model))

		for v := range versions {
			snap, err := tbl.SnapshotAt(ctx, int64(v))
			require.NoError(t, err)
			require.Equal(t, versions[v], renderSnapshot(t, snap), "step %d: rows at version %d", step, v)
		}
		if cdf {
			from := int64(rng.IntN(len(versions)-1) + 1)
			to := from + int64(rng.IntN(len(versions)-int(from)))
			for v := from; v <= to; v++ {
				if restored[int(v)] {
					to = v - 1 // stop before a restore
				}
			}
			if to >= from {
				require.Equal(t, renderChanges(changes[from:to+1]), readChanges(t, tbl, from, to), "step %d: change feed %d..%d", step, from, to)
			}
		}
	}
	return dvsWritten, cdcFiles
}

func modelRows(rec arrow.RecordBatch) []modelRow {
	ids := rec.Column(0).(*array.Int64)
	names := rec.Column(1).(*array.String)
	scores := rec.Column(2).(*array.Float64)
	days := rec.Column(3).(*array.String)
	out := make([]modelRow, rec.NumRows())
	for i := range out {
		r := modelRow{id: ids.Value(i), score: scores.Value(i), day: days.Value(i)}
		if names.IsValid(i) {
			n := names.Value(i)
			r.name = &n
		}
		out[i] = r
	}
	return out
}

func renderModel(m map[int64]modelRow) []string {
	out := []string{}
	for _, r := range m {
		out = append(out, r.String())
	}
	slices.Sort(out)
	return out
}

func renderSnapshot(t *testing.T, snap *Snapshot) []string {
	t.Helper()
	rr, err := snap.Scan(context.Background(), &ScanOptions{Columns: []string{"id", "name", "score", "day"}})
	require.NoError(t, err)
	defer rr.Release()
	out := []string{}
	for rr.Next() {
		for _, r := range modelRows(rr.RecordBatch()) {
			out = append(out, r.String())
		}
	}
	require.NoError(t, rr.Err())
	slices.Sort(out)
	return out
}

func renderChanges(vs [][]modelChange) []string {
	out := []string{}
	for _, cs := range vs {
		for _, c := range cs {
			out = append(out, c.kind+" "+c.row.String())
		}
	}
	slices.Sort(out)
	return out
}

func readChanges(t *testing.T, tbl *Table, from, to int64) []string {
	t.Helper()
	rr, err := tbl.Changes(context.Background(), from, &ChangesOptions{EndVersion: &to})
	require.NoError(t, err)
	defer rr.Release()
	out := []string{}
	for rr.Next() {
		rec := rr.RecordBatch()
		kinds := rec.Column(rec.Schema().FieldIndices(ChangeTypeColumn)[0]).(*array.String)
		for i, r := range modelRows(rec) {
			out = append(out, kinds.Value(i)+" "+r.String())
		}
	}
	require.NoError(t, rr.Err())
	slices.Sort(out)
	return out
}

// dmlModelSeeds is how many random sequences each configuration runs:
// a few in the regular suite, more with -dml.seeds for a long run
// (go test -run TestDMLAgainstModel ./delta/ -dml.seeds=200).
var dmlModelSeeds = flag.Int("dml.seeds", 3, "random DML sequences per configuration in TestDMLAgainstModel")

// runModelMerge merges a random source (some keys present, some new) with
// a random set of clauses and applies the same to the model.
func runModelMerge(t *testing.T, tbl *Table, mem memory.Allocator, rng *rand.Rand, model map[int64]modelRow, next *int) (*CommitResult, []modelChange) {
	t.Helper()
	ctx := context.Background()
	var ids []int64
	for id := range model {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	rng.Shuffle(len(ids), func(i, j int) { ids[i], ids[j] = ids[j], ids[i] })
	ids = ids[:min(len(ids), rng.IntN(15)+1)]
	for range rng.IntN(6) {
		ids = append(ids, int64(*next))
		*next++
	}
	b := array.NewRecordBuilder(mem, eventsSchema)
	src := map[int64]modelRow{}
	for _, id := range ids {
		r := modelRow{id: id, score: float64(rng.IntN(100)), day: fmt.Sprintf("d%d", rng.IntN(3))}
		if rng.IntN(4) > 0 {
			n := fmt.Sprintf("src-%d", rng.IntN(1000))
			r.name = &n
		}
		src[id] = r
		b.Field(0).(*array.Int64Builder).Append(r.id)
		if r.name == nil {
			b.Field(1).AppendNull()
		} else {
			b.Field(1).(*array.StringBuilder).Append(*r.name)
		}
		b.Field(2).(*array.Float64Builder).Append(r.score)
		b.Field(3).(*array.StringBuilder).Append(r.day)
	}
	rec := b.NewRecordBatch()
	b.Release()
	defer rec.Release()
	rr, err := array.NewRecordReader(eventsSchema, []arrow.RecordBatch{rec})
	require.NoError(t, err)
	defer rr.Release()

	parse := func(s string) expr.Expr {
		e, err := expr.Parse(s)
		require.NoError(t, err)
		return e
	}
	opts := &MergeOptions{TargetAlias: "t", SourceAlias: "s"}
	if rng.IntN(2) == 0 {
		opts.MaxMemory = 1 // spill: partition the source and target to disk
	}
	cut := float64(rng.IntN(100))
	withDelete := rng.IntN(2) == 0
	if withDelete {
		opts.WhenMatched = append(opts.WhenMatched, WhenMatched{Condition: parse(fmt.Sprintf("s.score > %g", cut)), Delete: true})
	}
	opts.WhenMatched = append(opts.WhenMatched, WhenMatched{Update: map[string]expr.Expr{"score": parse("s.score + t.score"), "name": parse("s.name")}})
	opts.WhenNotMatched = []WhenNotMatched{{Condition: parse("s.score < 90"), InsertAll: true}}
	bySource := rng.IntN(2) == 0
	if bySource {
		opts.WhenNotMatchedBySource = []WhenNotMatchedBySource{
			{Condition: parse("t.day = 'd1'"), Delete: true},
			{Condition: parse("t.score < 5"), Update: map[string]expr.Expr{"name": parse("'orphan'")}},
		}
	}
	res, err := tbl.Merge(ctx, rr, parse("t.id = s.id"), opts)
	require.NoError(t, err)

	var changes []modelChange
	for id, r := range model {
		s, ok := src[id]
		switch {
		case ok && withDelete && s.score > cut:
			delete(model, id)
			changes = append(changes, modelChange{ChangeDelete, r})
		case ok:
			u := r
			u.score = s.score + r.score
			u.name = s.name
			model[id] = u
			changes = append(changes, modelChange{ChangeUpdatePreimage, r}, modelChange{ChangeUpdatePostimage, u})
		case bySource && r.day == "d1":
			delete(model, id)
			changes = append(changes, modelChange{ChangeDelete, r})
		case bySource && r.score < 5:
			u := r
			o := "orphan"
			u.name = &o
			model[id] = u
			changes = append(changes, modelChange{ChangeUpdatePreimage, r}, modelChange{ChangeUpdatePostimage, u})
		}
	}
	for id, s := range src {
		if _, matched := changesHave(changes, id); matched || modelHas(model, id) {
			continue
		}
		if s.score < 90 {
			model[id] = s
			changes = append(changes, modelChange{ChangeInsert, s})
		}
	}
	return res, changes
}

func changesHave(cs []modelChange, id int64) (modelChange, bool) {
	for _, c := range cs {
		if c.row.id == id {
			return c, true
		}
	}
	return modelChange{}, false
}

func modelHas(m map[int64]modelRow, id int64) bool {
	_, ok := m[id]
	return ok
}
