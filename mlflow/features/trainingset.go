package features

import (
	"context"
	"fmt"
	"os"
	"slices"
	"sync/atomic"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/lakehouse-go/lakehouse/delta"
)

// DefaultMaxMemory is the sort budget of a training set when
// TrainingSetOptions.MaxMemory is zero.
const DefaultMaxMemory = 256 << 20

const defaultBatchSize = 8192

// FeatureLookup joins features of one feature table to the label rows.
type FeatureLookup struct {
	// Table is the feature table to read.
	Table *FeatureTable
	// FeatureNames are the columns to join; nil means every column that
	// is not part of the primary or timestamp key.
	FeatureNames []string
	// LookupKey are the label columns matched, in order, to the table's
	// primary keys; nil means label columns named like the keys.
	LookupKey []string
	// TimestampLookupKey is the label column holding the label's time,
	// for a table with a timestamp key. Without it such a table is looked
	// up for its latest row per key.
	TimestampLookupKey string
	// Lookback, when positive, ignores feature rows older than the label
	// time minus Lookback.
	Lookback time.Duration
	// Rename maps a feature name to its output column name.
	Rename map[string]string
	// DefaultValues maps a feature name to the value used where the
	// joined value is NULL (no matching row, or a NULL feature value).
	DefaultValues map[string]any
}

// TrainingSetOptions tune CreateTrainingSet. A nil pointer means defaults.
type TrainingSetOptions struct {
	// Label names the label columns: kept in the result but not recorded
	// as model inputs in the feature spec.
	Label []string
	// ExcludeColumns are dropped from the result (label or feature
	// output names).
	ExcludeColumns []string
	// MaxMemory bounds the bytes of rows the sorts hold in memory, shared
	// by all sorts of one training set; past it sorted runs are written
	// to SpillDir. Default DefaultMaxMemory. Peak use is a small multiple
	// of it (a sort briefly holds its buffer twice).
	MaxMemory int64
	// SpillDir is where sorted runs go; default os.TempDir().
	SpillDir string
	// BatchSize is the rows per result batch; default 8192.
	BatchSize int
	// Allocator is used for all Arrow memory; default memory.DefaultAllocator.
	Allocator memory.Allocator
}

// TrainingSet is labels joined with features. Records runs the join; the
// spec and the feature table versions it read are known before that.
type TrainingSet struct {
	labels   array.RecordReader
	lookups  []resolvedLookup
	opts     TrainingSetOptions
	schema   *arrow.Schema
	versions map[string]int64
	spec     *FeatureSpec
	spilled  atomic.Int64
	used     bool
}

// resolvedLookup is a FeatureLookup checked against the label schema and
// a pinned snapshot of its table.
type resolvedLookup struct {
	FeatureLookup
	snap     *delta.Snapshot
	labelKey []int // label column indexes
	labelTS  int   // -1: none
	tableTS  bool
	features []string
	outNames []string
	outTypes []arrow.DataType
}

// CreateTrainingSet checks the lookups against the label schema and pins
// the current version of each feature table. The join runs when Records
// is called.
//
// Point-in-time semantics: a label row gets, per lookup, the feature row
// with its key whose timestamp is the newest at or before the label's
// TimestampLookupKey (and within Lookback); no such row, a NULL label key
// or a NULL label time give NULL (or the default). Tables without a
// timestamp key are joined on the key alone.
func CreateTrainingSet(ctx context.Context, labels array.RecordReader, lookups []FeatureLookup, opts *TrainingSetOptions) (*TrainingSet, error) {
	var o TrainingSetOptions
	if opts != nil {
		o = *opts
	}
	if o.MaxMemory <= 0 {
		o.MaxMemory = DefaultMaxMemory
	}
	if o.BatchSize <= 0 {
		o.BatchSize = defaultBatchSize
	}
	if o.Allocator == nil {
		o.Allocator = memory.DefaultAllocator
	}
	ts := &TrainingSet{labels: labels, opts: o, versions: map[string]int64{}}
	snaps := map[string]*delta.Snapshot{}
	ls := labels.Schema()
	var fields []arrow.Field
	for _, f := range ls.Fields() {
		if !slices.Contains(o.ExcludeColumns, f.Name) {
			fields = append(fields, f)
		}
	}
	seen := map[string]bool{}
	for _, f := range ls.Fields() {
		seen[f.Name] = true
	}
	for li, l := range lookups {
		if l.Table == nil {
			return nil, fmt.Errorf("%w: lookup %d has no table", ErrInvalidArgument, li)
		}
		name := l.Table.Name()
		snap, ok := snaps[name]
		if !ok {
			var err error
			if snap, err = l.Table.table.Snapshot(ctx); err != nil {
				return nil, fmt.Errorf("features: read %s: %w", name, err)
			}
			snaps[name] = snap
			ts.versions[name] = snap.Version()
		}
		rl, err := resolveLookup(l, snap, ls)
		if err != nil {
			return nil, err
		}
		for i, out := range rl.outNames {
			if seen[out] {
				return nil, fmt.Errorf("%w: output column %q appears twice (use Rename)", ErrInvalidArgument, out)
			}
			seen[out] = true
			if !slices.Contains(o.ExcludeColumns, out) {
				fields = append(fields, arrow.Field{Name: out, Type: rl.outTypes[i], Nullable: true})
			}
		}
		ts.lookups = append(ts.lookups, rl)
	}
	ts.schema = arrow.NewSchema(fields, nil)
	ts.spec = ts.buildSpec()
	return ts, nil
}

func resolveLookup(l FeatureLookup, snap *delta.Snapshot, ls *arrow.Schema) (resolvedLookup, error) {
	rl := resolvedLookup{FeatureLookup: l, snap: snap, labelTS: -1, tableTS: l.Table.timestampKey != ""}
	keys := l.Table.keys
	lk := l.LookupKey
	if lk == nil {
		lk = keys
	}
	if len(lk) != len(keys) {
		return rl, fmt.Errorf("%w: lookup key %v for %s, whose primary key is %v", ErrInvalidArgument, lk, l.Table.Name(), keys)
	}
	fs := snap.Schema()
	for i, k := range lk {
		li := ls.FieldIndices(k)
		if len(li) == 0 {
			return rl, fmt.Errorf("%w: lookup key %q is not a label column", ErrInvalidArgument, k)
		}
		fi := fs.FieldIndices(keys[i])
		if len(fi) == 0 {
			return rl, fmt.Errorf("%w: primary key %q missing from %s", ErrNotAFeatureTable, keys[i], l.Table.Name())
		}
		if !arrow.TypeEqual(ls.Field(li[0]).Type, fs.Field(fi[0]).Type) {
			return rl, fmt.Errorf("%w: lookup key %q is %s but %s.%s is %s", ErrInvalidArgument, k, ls.Field(li[0]).Type, l.Table.Name(), keys[i], fs.Field(fi[0]).Type)
		}
		rl.labelKey = append(rl.labelKey, li[0])
	}
	if l.TimestampLookupKey != "" {
		if !rl.tableTS {
			return rl, fmt.Errorf("%w: %s has no timestamp key for TimestampLookupKey %q", ErrInvalidArgument, l.Table.Name(), l.TimestampLookupKey)
		}
		li := ls.FieldIndices(l.TimestampLookupKey)
		if len(li) == 0 || !isTimeType(ls.Field(li[0]).Type) {
			return rl, fmt.Errorf("%w: timestamp lookup key %q is not a timestamp or date label column", ErrInvalidArgument, l.TimestampLookupKey)
		}
		rl.labelTS = li[0]
	}
	rl.features = l.FeatureNames
	if rl.features == nil {
		for _, f := range fs.Fields() {
			if !slices.Contains(l.Table.allKeys(), f.Name) {
				rl.features = append(rl.features, f.Name)
			}
		}
	}
	for _, name := range rl.features {
		fi := fs.FieldIndices(name)
		if len(fi) == 0 {
			return rl, fmt.Errorf("%w: feature %q is not a column of %s", ErrInvalidArgument, name, l.Table.Name())
		}
		out := name
		if r, ok := l.Rename[name]; ok {
			out = r
		}
		rl.outNames = append(rl.outNames, out)
		rl.outTypes = append(rl.outTypes, fs.Field(fi[0]).Type)
	}
	for name := range l.Rename {
		if !slices.Contains(rl.features, name) {
			return rl, fmt.Errorf("%w: Rename of %q, which is not a looked-up feature", ErrInvalidArgument, name)
		}
	}
	for name := range l.DefaultValues {
		if !slices.Contains(rl.features, name) {
			return rl, fmt.Errorf("%w: default value for %q, which is not a looked-up feature", ErrInvalidArgument, name)
		}
	}
	return rl, nil
}

// Schema is the schema of the rows Records returns: the label columns,
// then each lookup's features, minus ExcludeColumns.
func (ts *TrainingSet) Schema() *arrow.Schema { return ts.schema }

// Versions maps each feature table read (by name) to the version read.
func (ts *TrainingSet) Versions() map[string]int64 {
	out := make(map[string]int64, len(ts.versions))
	for k, v := range ts.versions {
		out[k] = v
	}
	return out
}

// Spec is the feature spec LogModel records for this training set.
func (ts *TrainingSet) Spec() *FeatureSpec { return ts.spec }

// SpilledRuns counts the sorted runs written to disk by Records so far.
func (ts *TrainingSet) SpilledRuns() int64 { return ts.spilled.Load() }

// Records runs the join and streams the result, label rows in their
// original order. It reads the labels reader once; the sorts spill to a
// private directory under SpillDir that Release of the reader removes.
func (ts *TrainingSet) Records(ctx context.Context) (array.RecordReader, error) {
	if ts.used {
		return nil, ErrConsumed
	}
	ts.used = true
	dir, err := spillDir(ts.opts.SpillDir)
	if err != nil {
		return nil, err
	}
	j := &joinRun{ts: ts, dir: dir, mem: ts.opts.Allocator}
	rr, err := j.run(ctx)
	if err != nil {
		j.cleanup()
		return nil, err
	}
	return rr, nil
}

// joinRun is one execution of a training set's join.
type joinRun struct {
	ts      *TrainingSet
	dir     string
	mem     memory.Allocator
	labels  string // spill file of the labels, original order
	results []array.RecordReader
}

func (j *joinRun) cleanup() {
	for _, r := range j.results {
		if r != nil {
			r.Release()
		}
	}
	j.results = nil
	_ = os.RemoveAll(j.dir)
}

func (j *joinRun) budget() int64 {
	return max(1, j.ts.opts.MaxMemory/int64(2*len(j.ts.lookups)+1))
}
