// Package features keeps ML features in Delta tables and joins them to
// labels without leaking the future, the way Databricks Feature
// Engineering does over Unity Catalog, using only the delta and mlflow
// packages' public APIs.
//
// # Feature tables
//
// CreateFeatureTable makes a Delta table with declared primary keys and an
// optional timestamp key (a time-series table: one row per key and time).
// The key columns become NOT NULL. Open-source Delta has no place for a
// PRIMARY KEY constraint — Unity Catalog keeps informational key
// constraints in its catalog, not in the table's log, and delta.constraints.*
// holds CHECK constraints only — so the declaration is written to table
// properties that Spark (SHOW TBLPROPERTIES), delta-rs and this package
// read: PropPrimaryKeys (JSON list, timestamp key last), PropTimestampKey,
// and PropConstraint, the Databricks SQL text
// "CONSTRAINT t_pk PRIMARY KEY (id, ts TIMESERIES)". The description is the
// table's metaData.description; tags are PropTagPrefix properties.
//
// WriteFeatures merges on the primary key and timestamp key (UPDATE SET *
// / INSERT *), so re-writing a day replaces its rows instead of adding
// copies. ReadLatest returns each key's newest row, optionally as of a time
// or a table version; Lookup looks up given keys.
//
// # Training sets
//
// CreateTrainingSet joins label rows with FeatureLookups. For a
// time-series table a label row gets the newest feature row with its key
// whose timestamp is at or before the label's timestamp and, with a
// Lookback, not older than the label time minus the lookback; for a table
// without a timestamp key it is an exact key match. No match (or a NULL
// key or label time) gives NULL, or the lookup's default value, which also
// replaces NULL feature values. The result keeps the labels' row order.
//
// The join never builds a hash table of a feature table. Per lookup, the
// labels (key, time, row number) and the feature table (key, time,
// features) are each sorted by an external sort — batches are buffered to
// TrainingSetOptions.MaxMemory, then sorted and written to SpillDir as
// Arrow IPC runs, which are k-way merged — and the two sorted streams are
// merged in one pass, keeping only the last feature row passed. The joined
// features are sorted back by row number and zipped with the labels,
// which were spilled once in their original order. Keys of any supported
// type (integers, floats, booleans, strings, binary, dates, timestamps,
// and composites of these) compare as order-preserving byte strings.
//
// The training set pins the version of each feature table when created
// (Versions) and describes itself as a FeatureSpec.
//
// # Models
//
// LogModel logs a model through mlflow.Client.LogModel with the training
// set's feature_spec.yaml at the model root, in Databricks' layout:
// input_columns keyed by output name with source training_data or
// feature_store (table_name, feature_name, lookup_key,
// timestamp_lookup_key, default_value_str, data_type, include),
// input_tables keyed by table name, serialization_version last. Table
// names are the tables' URLs; each input table also records the
// table_version trained on, and lookups with a window record
// lookback_window ("3600s"), fields Databricks' reader ignores. ScoreBatch
// loads a model by URI (models:/name@alias), rebuilds the lookups from its
// spec, looks features up in the tables' current versions — point in time
// when the scored rows carry the timestamp lookup columns, latest
// otherwise — and appends the prediction.
//
// # Invariants
//
// Invariant I1: a training set's result has exactly one row per label row,
// in the labels' order, whatever MaxMemory is.
//
// Invariant I2: a feature row is joined to a label only if its timestamp
// is at or before the label's timestamp (no future leakage).
//
// Invariant I3: memory held by a join is bounded by about MaxMemory plus a
// fixed number of batches per sorted run, independent of the number of
// rows.
package features
