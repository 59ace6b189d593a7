// Package quality checks data with expectations: named Spark SQL
// conditions, as in Delta Live Tables, applied to Arrow batches in Go
// code, and dataset expectations, as in Great Expectations, validated
// over a whole Delta table.
//
// # Expectations
//
// An Expectation is a name, a boolean Spark SQL condition (package
// delta/expr evaluates it with Spark's semantics) and an action:
//
//	quality.Warn("valid_date", "date IS NOT NULL")        // keep, count (@dlt.expect)
//	quality.Drop("positive", "amount > 0")                // remove (@dlt.expect_or_drop)
//	quality.Fail("known_id", "id IS NOT NULL")            // stop (@dlt.expect_or_fail)
//	quality.ExpectAllOrDrop(map[string]string{...})       // groups, in name order
//
// Bind compiles a list of them against a schema, so a condition that does
// not parse, names an unknown column or is not boolean fails there
// (ErrInvalidExpectation, wrapping the expr error), not at the first
// batch. The resulting Checker decorates a Transform, a Go function from
// batch to batch, and decorators compose:
//
//	c, err := quality.Bind(schema, exps, &quality.Options{Dataset: "silver"})
//	clean := quality.Expect(c)(parse)       // parse, then check its output
//	out, err := clean(ctx, batch)
//	m := c.TakeMetrics()                    // this update's counts
//
// Rules, those of DLT:
//
//	R1. A row for which a condition is NULL passes it.
//	R2. A row failing several expectations counts once against each;
//	    Metrics.DroppedRecords counts it once.
//	R3. A Fail expectation with a failing row returns an *ExpectationError
//	    (errors.Is ErrExpectationFailed) naming the expectation and showing
//	    the first offending row; the batch counts nothing.
//
// Metrics are plain values: Merge adds them, so batches checked
// concurrently (a Checker is safe for concurrent use) sum in any order.
// An Expectation is a plain value too, so a pipeline's table definition
// can carry a list of them and Bind it once the table's schema is known.
//
// # Quarantine and writing
//
// Rows removed by Drop expectations can be kept: Options.Quarantine
// receives them with a FailedColumn listing the expectations each failed.
// Write checks a stream into a Delta table and puts the dropped rows in a
// quarantine table (CreateQuarantineTable), each in one transaction; a
// Fail expectation leaves both tables as they were.
//
// # Event log
//
// EventLog writes an update's events to a Delta table with the fields of
// DLT's event log (id, sequence, origin, timestamp, message, level,
// event_type, details): create_update at the start, flow_progress with
// details.flow_progress.data_quality.expectations (name, dataset,
// passed_records, failed_records) per flow, update_progress with the
// final state, and flow_progress FAILED for errors. Spark and delta-rs
// read it like any Delta table (checked by the interop suite).
//
// # Dataset expectations
//
// A Suite (ParseSuite, LoadSuite: YAML) lists checks of a whole table:
// not_null, between, in_set, matches_regex, unique (one column or a
// compound key), row_count_between, mean_between, min_between,
// max_between and schema_equals. Suite.Run streams the snapshot's scan
// once, reading only the columns named; unique holds one 64-bit hash per
// distinct key within SuiteOptions.UniqueMemoryBudget (default 256 MiB,
// about 8 million keys) and fails with ErrMemoryBudget beyond it rather
// than grow. The Report renders as JSON or text and says Success;
// `lakehouse validate --suite suite.yaml TABLE` runs a suite from the
// shell and exits 0 on success, 1 when an expectation fails.
//
//	name: transactions
//	expectations:
//	  - type: not_null
//	    column: transaction_id
//	  - type: between
//	    column: amount
//	    min: 0
//	    mostly: 0.99          # at most 1% of rows may fall outside
//	  - type: unique
//	    columns: [transaction_id, date]
//
// Known difference: matches_regex and RLIKE use Go's RE2 syntax, not
// Java's (no backreferences or lookaround).
package quality
