// Package delta reads and writes Delta Lake tables with Apache Arrow as the
// data plane.
//
// # Opening a table
//
// [Open] takes a local path or a URL: file://, mem://, or any
// gocloud.dev/blob URL (s3://, gs://, azblob://) whose driver the
// application imports. This package imports no cloud driver, so a binary
// carries only the SDKs of the stores it names:
//
//	import _ "gocloud.dev/blob/s3blob"
//	tbl, err := delta.Open(ctx, "s3://bucket/warehouse/events", nil)
//
// A location without a _delta_log gives [ErrNotATable].
//
// # Reading
//
// A [Snapshot] is the table at one version: [Table.Snapshot] for the latest,
// [Table.SnapshotAt] for a version, [Table.SnapshotAsOf] for a point in time
// (in-commit timestamps where the table records them, commit-file times
// otherwise). Snapshots are immutable and safe for concurrent use.
// [Snapshot.Scan] streams the rows as an array.RecordReader of
// arrow.RecordBatch with logical column names, applying partition values,
// deletion vectors, column mapping and type widening. A filter written in
// Spark SQL (package expr) prunes files by partition values and statistics
// and is then applied to rows, so a filtered scan returns exactly the
// matching rows. [Snapshot.FilesMatching] gives the same file pruning to
// engines that schedule their own reads.
//
// Every reader feature of the protocol is honoured: deletionVectors,
// columnMapping (name and id), timestampNtz, v2Checkpoint,
// vacuumProtocolCheck, typeWidening and variantType. A table needing
// anything else (catalogManaged, variant shredding) fails with an
// [UnsupportedFeatureError] naming the feature instead of returning rows
// that might be wrong.
//
// # Writing
//
// [Create], [Table.Begin] with [Transaction.Write] and [Transaction.Commit],
// and the one-call [Table.Append] and [Table.Overwrite] write parquet data
// files and commit them with a put-if-absent of the next
// _delta_log/NNNNNNNNNNNNNNNNNNNN.json. Concurrent commits that do not
// conflict are rebased and retried; conflicting ones fail with a
// [ConflictError]. A failed or conflicting write leaves the table as it was.
//
// # Maintenance
//
// [Table.Restore] returns a table to an earlier version, [Clone] copies one
// (deep) or points a new table at its files (shallow), and [Table.Vacuum]
// deletes the files no version within the retention window needs. Each
// records Spark's operation, parameters and metrics in the log, so Spark's
// DESCRIBE HISTORY shows them as its own.
//
// # Invariants
//
//   - I1: a snapshot's file list is the spec's reconciliation of its log
//     segment: newest action per (path, deletion-vector id) wins.
//   - I2: _last_checkpoint is only a hint; a missing, stale or corrupt one
//     falls back to listing (with a warning through Options.Logger), and
//     the next checkpoint write replaces it.
//   - I3: a gap in commit versions, a missing protocol or metadata action,
//     or an unreadable checkpoint is an error ([ErrCorruptLog]); no rows are
//     returned from such a table.
//   - I4: scans hold one data file's batches at a time, and file listings
//     stream checkpoints batch by batch: memory does not grow with the
//     table.
//   - I5: no single item of the log is read into memory beyond
//     [Options].Limits (a log line, a checkpoint footer, a deletion vector,
//     a stats string): a hostile table fails with [ErrLimitExceeded].
//   - I6: table locations in errors and logs are redacted: userinfo and
//     query values that may be credentials never appear.
package delta
