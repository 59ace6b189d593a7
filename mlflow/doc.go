// Package mlflow tracks experiments and manages models the way Python users
// do with MLflow, from Go services and ETL binaries.
//
// One API, two stores, chosen by a tracking URI as MLflow chooses them
// (NewClient; "" falls back to MLFLOW_TRACKING_URI, then ./mlruns):
//
//   - The embedded store (a local path or file:// URI) needs nothing
//     running. It reads and writes MLflow's own FileStore layout — mlruns/<experiment
//     id>/meta.yaml, <run id>/{meta.yaml,params,metrics,tags,artifacts},
//     .trash/ for deleted experiments, and the registry under models/<name>/
//     with version-<n>/ and aliases/ — so the real MLflow (mlflow ui,
//     mlflow.search_runs, MlflowClient; with MLFLOW_ALLOW_FILE_STORE=true on
//     MLflow >= 3.13) reads it unchanged, and `mlflow migrate-filestore`
//     moves it into MLflow's database.
//   - A tracking server (http(s)://…, or databricks with DATABRICKS_HOST and
//     DATABRICKS_TOKEN) is reached over MLflow's REST API 2.0, artifacts
//     through the server's mlflow-artifacts proxy. Credentials come from
//     Options or MLflow's variables (MLFLOW_TRACKING_TOKEN,
//     MLFLOW_TRACKING_USERNAME/PASSWORD); connection errors and HTTP 408,
//     429, 500, 502, 503 and 504 are retried with MLflow's backoff. Nothing
//     that holds a credential is logged or put into an error.
//
// # Tracking
//
// Experiments (create, get by id or name, search, tags, delete/restore),
// runs (generated adjective-noun-N names, FINISHED/FAILED/KILLED, resume,
// nested runs via mlflow.parentRunId, search with MLflow's filter syntax such
// as "metrics.rmse < 1 and params.max_depth = '6'" and order_by), immutable
// params, metrics with step, timestamp and history, tags, LogBatch (split to
// MLflow's per-request limits) and artifacts behave the same on both stores
// and fail with the same MLflow error codes (*Error, matched by ErrNotFound,
// ErrAlreadyExists, ErrInvalidParameter, …).
//
// StartRun returns an ActiveRun meant for defer:
//
//	run, err := client.StartRun(ctx, &mlflow.RunOptions{ExperimentName: "etl"})
//	if err != nil {
//		return err
//	}
//	defer run.End(ctx, &err) // FINISHED; FAILED if the function returns an error or panics
//
// # Models and registry
//
// LogModel stores a model directory with an MLmodel file Python MLflow
// parses: a "go" flavor, a signature inferred from Arrow schemas and an
// input example (pandas split JSON). The registry (also with Unity Catalog
// style names catalog.schema.model) registers runs:/<run id>/<path> as
// versions, keeps tags, descriptions and aliases, and LoadModel resolves
// models:/name@alias, models:/name/<version> and models:/name/latest.
//
// # Invariants
//
// Invariant I1: the embedded store writes only what MLflow's FileStore
// writes: run status as its enum number, params and tags as raw values
// without a newline, metric lines "<ms> <value> <step>".
//
// Invariant I2: a param file appears complete (hard link of a finished temp
// file, which fails if the key exists), so of two writers with different
// values exactly one wins and the other gets INVALID_PARAMETER_VALUE, as
// from MLflow.
//
// Invariant I3: the latest value of a metric is the point with the greatest
// (step, timestamp, value), MLflow's rule, on both stores.
package mlflow
