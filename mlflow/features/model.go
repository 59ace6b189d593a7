package features

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/lakehouse-go/lakehouse/delta"
	"github.com/lakehouse-go/lakehouse/mlflow"
)

// LogModel logs modelDir as an MLflow model (mlflow.Client.LogModel) with
// the training set's feature_spec.yaml added at the model's root, so that
// ScoreBatch can look the same features up. opts may be nil; when it has
// no signature, the input signature is the spec's included inputs.
func LogModel(ctx context.Context, client *mlflow.Client, runID, artifactPath, modelDir string, ts *TrainingSet, opts *mlflow.LogModelOptions) (*mlflow.ModelInfo, error) {
	if ts == nil {
		return nil, fmt.Errorf("%w: LogModel needs a training set", ErrInvalidArgument)
	}
	spec, err := ts.Spec().MarshalYAML()
	if err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp("", "features-model-")
	if err != nil {
		return nil, fmt.Errorf("features: log model: %w", err)
	}
	defer os.RemoveAll(tmp)
	if modelDir != "" {
		if err := copyDir(modelDir, tmp); err != nil {
			return nil, fmt.Errorf("features: log model: %w", err)
		}
	}
	if err := os.WriteFile(filepath.Join(tmp, FeatureSpecFile), spec, 0o644); err != nil {
		return nil, fmt.Errorf("features: log model: %w", err)
	}
	var o mlflow.LogModelOptions
	if opts != nil {
		o = *opts
	}
	if o.Input == nil {
		var fields []arrow.Field
		for _, c := range ts.Spec().InputColumns {
			if !c.Include {
				continue
			}
			if f, ok := ts.Schema().FieldsByName(c.Name); ok {
				fields = append(fields, f[0])
			}
		}
		o.Input = arrow.NewSchema(fields, nil)
	}
	return client.LogModel(ctx, runID, artifactPath, tmp, &o)
}

func copyDir(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		in, err := os.Open(p)
		if err != nil {
			return err
		}
		defer in.Close()
		out, err := os.Create(target)
		if err != nil {
			return err
		}
		if _, err := io.Copy(out, in); err != nil {
			_ = out.Close()
			return err
		}
		return out.Close()
	})
}

// ReadFeatureSpec reads a downloaded model's feature_spec.yaml.
func ReadFeatureSpec(m *mlflow.Model) (*FeatureSpec, error) {
	b, err := os.ReadFile(filepath.Join(m.Dir, FeatureSpecFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, ErrNoFeatureSpec
	}
	if err != nil {
		return nil, fmt.Errorf("features: read feature spec: %w", err)
	}
	return ParseFeatureSpec(b)
}

// ScoreOptions tune ScoreBatch. A nil pointer means defaults.
type ScoreOptions struct {
	// PredictionColumn names the output column; default "prediction".
	PredictionColumn string
	// Table opens the feature tables named in the spec.
	Table *delta.Options
	// Join tunes the lookups (memory, spill directory, allocator).
	Join *TrainingSetOptions
}

// ScoreBatch scores keys with a model logged by LogModel: it loads the
// model (models:/name@alias, models:/name/3, runs:/…), reads its feature
// spec, looks the features up in the current versions of the tables the
// same way the training set did (point in time when keys carry the
// timestamp lookup columns) and calls predict with the model's inputs in
// spec order. The result is keys' columns, the looked-up features and the
// prediction, in keys' row order. Release the reader when done.
func ScoreBatch(ctx context.Context, client *mlflow.Client, modelURI string, keys array.RecordReader,
	predict func(arrow.RecordBatch) (arrow.Array, error), opts *ScoreOptions) (array.RecordReader, error) {
	var o ScoreOptions
	if opts != nil {
		o = *opts
	}
	if o.PredictionColumn == "" {
		o.PredictionColumn = "prediction"
	}
	dl, err := os.MkdirTemp("", "features-score-")
	if err != nil {
		return nil, fmt.Errorf("features: score: %w", err)
	}
	defer os.RemoveAll(dl)
	model, err := client.LoadModel(ctx, modelURI, dl)
	if err != nil {
		return nil, err
	}
	spec, err := ReadFeatureSpec(model)
	if err != nil {
		return nil, err
	}
	lookups, tables, err := specLookups(ctx, spec, keys.Schema(), o.Table)
	closeTables := func() {
		for _, t := range tables {
			_ = t.Close()
		}
	}
	if err != nil {
		closeTables()
		return nil, err
	}
	ts, err := CreateTrainingSet(ctx, keys, lookups, o.Join)
	if err != nil {
		closeTables()
		return nil, err
	}
	rr, err := ts.Records(ctx)
	if err != nil {
		closeTables()
		return nil, err
	}
	var inputs []int
	var inFields []arrow.Field
	for _, c := range spec.InputColumns {
		if !c.Include {
			continue
		}
		idx := ts.Schema().FieldIndices(c.Name)
		if len(idx) == 0 {
			rr.Release()
			closeTables()
			return nil, fmt.Errorf("%w: model input %q is neither in the scored rows nor looked up", ErrInvalidArgument, c.Name)
		}
		inputs = append(inputs, idx[0])
		inFields = append(inFields, ts.Schema().Field(idx[0]))
	}
	return &scoreReader{in: rr, predict: predict, inputs: inputs, inSchema: arrow.NewSchema(inFields, nil),
		predCol: o.PredictionColumn, close: closeTables, refs: 1}, nil
}

// specLookups rebuilds the lookups of a spec: one per (table, lookup key,
// timestamp key, lookback), features renamed to their recorded outputs.
func specLookups(ctx context.Context, spec *FeatureSpec, keys *arrow.Schema, topts *delta.Options) ([]FeatureLookup, []*FeatureTable, error) {
	var lookups []FeatureLookup
	var tables []*FeatureTable
	open := map[string]*FeatureTable{}
	index := map[string]int{}
	for _, c := range spec.InputColumns {
		if c.Source != SourceFeatureStore {
			continue
		}
		ft, ok := open[c.TableName]
		if !ok {
			var err error
			if ft, err = OpenFeatureTable(ctx, c.TableName, topts); err != nil {
				return nil, tables, err
			}
			open[c.TableName] = ft
			tables = append(tables, ft)
		}
		tsKey := ""
		if len(c.TimestampLookupKey) > 0 && keys.HasField(c.TimestampLookupKey[0]) {
			tsKey = c.TimestampLookupKey[0]
		}
		id := fmt.Sprintf("%s\x00%q\x00%s\x00%d", c.TableName, c.LookupKey, tsKey, c.Lookback)
		i, ok := index[id]
		if !ok {
			i = len(lookups)
			index[id] = i
			lookups = append(lookups, FeatureLookup{Table: ft, FeatureNames: []string{}, LookupKey: c.LookupKey, TimestampLookupKey: tsKey,
				Lookback: c.Lookback, Rename: map[string]string{}, DefaultValues: map[string]any{}})
		}
		l := &lookups[i]
		l.FeatureNames = append(l.FeatureNames, c.FeatureName)
		l.Rename[c.FeatureName] = c.Name
		if c.DefaultValue != nil {
			l.DefaultValues[c.FeatureName] = *c.DefaultValue
		}
	}
	return lookups, tables, nil
}

// scoreReader appends the prediction to each joined batch.
type scoreReader struct {
	in       array.RecordReader
	predict  func(arrow.RecordBatch) (arrow.Array, error)
	inputs   []int
	inSchema *arrow.Schema
	predCol  string
	schema   *arrow.Schema
	close    func()
	rec      arrow.RecordBatch
	err      error
	refs     int64
}

// Schema is known once the first prediction has been made (its type is
// the predict function's); before that it has no prediction column.
func (r *scoreReader) Schema() *arrow.Schema {
	if r.schema == nil {
		return r.in.Schema()
	}
	return r.schema
}
func (r *scoreReader) RecordBatch() arrow.RecordBatch { return r.rec }
func (r *scoreReader) Record() arrow.RecordBatch      { return r.rec }
func (r *scoreReader) Err() error                     { return r.err }
func (r *scoreReader) Retain()                        { atomic.AddInt64(&r.refs, 1) }

func (r *scoreReader) Release() {
	if atomic.AddInt64(&r.refs, -1) != 0 {
		return
	}
	if r.rec != nil {
		r.rec.Release()
	}
	r.in.Release()
	r.close()
}

func (r *scoreReader) Next() bool {
	if r.rec != nil {
		r.rec.Release()
		r.rec = nil
	}
	if r.err != nil || !r.in.Next() {
		if r.err == nil {
			r.err = r.in.Err()
		}
		return false
	}
	b := r.in.RecordBatch()
	cols := make([]arrow.Array, len(r.inputs))
	for i, c := range r.inputs {
		cols[i] = b.Column(c)
	}
	in := array.NewRecordBatch(r.inSchema, cols, b.NumRows())
	pred, err := r.predict(in)
	in.Release()
	if err != nil {
		r.err = fmt.Errorf("features: predict: %w", err)
		return false
	}
	defer pred.Release()
	if int64(pred.Len()) != b.NumRows() {
		r.err = fmt.Errorf("features: predict returned %d values for %d rows", pred.Len(), b.NumRows())
		return false
	}
	if r.schema == nil {
		r.schema = arrow.NewSchema(slices.Concat(b.Schema().Fields(), []arrow.Field{{Name: r.predCol, Type: pred.DataType(), Nullable: true}}), nil)
	}
	r.rec = array.NewRecordBatch(r.schema, slices.Concat(b.Columns(), []arrow.Array{pred}), b.NumRows())
	return true
}
