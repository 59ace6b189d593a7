package features

import "errors"

// Errors returned by this package, matchable with errors.Is. Errors from
// the delta and mlflow packages are passed through wrapped, so their
// sentinels (delta.ErrMergeCardinality, mlflow.ErrNotFound, …) match too.
var (
	// ErrInvalidArgument is returned for bad options: a primary key that
	// is not a column, a lookup key of the wrong arity or type, a rename
	// of an unknown feature.
	ErrInvalidArgument = errors.New("features: invalid argument")

	// ErrNotAFeatureTable is returned by OpenFeatureTable for a Delta
	// table that carries no primary-key declaration.
	ErrNotAFeatureTable = errors.New("features: not a feature table (no primary key declared)")

	// ErrUnsupportedType is returned when a key or timestamp column has a
	// type this package cannot order (nested types, for example).
	ErrUnsupportedType = errors.New("features: unsupported key type")

	// ErrNoFeatureSpec is returned by ScoreBatch and ReadFeatureSpec when
	// a model was logged without a feature_spec.yaml.
	ErrNoFeatureSpec = errors.New("features: model has no feature_spec.yaml")

	// ErrConsumed is returned by TrainingSet.Records when called a second
	// time: the labels reader has already been read.
	ErrConsumed = errors.New("features: training set already read (labels are read once)")
)
