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
// On an object store each read is a request of tens of milliseconds, so
// the table keeps [Options.IOConcurrency] of them (default
// [DefaultIOConcurrency]) in flight where it reads many objects: a
// snapshot load fetches the commits after the checkpoint and the
// checkpoint's parts together, and a scan fetches the next files (footer,
// column chunks, deletion vector) while it decodes earlier ones. Results
// stay in log and file order.
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
// A transaction can also carry an application's own state in the log,
// atomically with its data: [Transaction.SetDomainMetadata] (read back with
// [Snapshot.DomainMetadata]). The table property delta.isolationLevel set
// to Serializable makes every transaction Serializable.
//
// # Types
//
// Each Delta type has one Arrow form, which scans return and writes
// produce, and one Go form, which typed rows ([AppendRows], [ScanRows],
// [SchemaOf]) use:
//
//	Delta           Arrow (read back)          Go field
//	boolean         boolean                    bool
//	byte            int8                       int8
//	short           int16                      int16
//	integer         int32                      int32
//	long            int64                      int64, int
//	float           float32                    float32
//	double          float64                    float64
//	decimal(p,s)    decimal128(p,s)            Decimal, tag decimal(p,s)
//	string          utf8                       string
//	binary          binary                     []byte
//	date            date32                     Date
//	timestamp       timestamp[us, tz=UTC]      time.Time
//	timestamp_ntz   timestamp[us] (no zone)    time.Time, tag ntz
//	array<T>        list<element: T>           []T
//	map<K,V>        map<K, V>                  map[K]V
//	struct<…>       struct<…>                  a struct
//	void            null                       (none)
//
// A Go pointer (*T) makes a nullable column; slices and maps are nullable
// (nil is null). Create and Append accept these other Arrow types and
// store them as the Delta type on the left, with no value changed:
//
//	short           uint8
//	integer         uint16
//	long            uint32
//	decimal(20,0)   uint64
//	float           float16
//	decimal(p,s)    decimal32, decimal64, decimal256 with p ≤ 38
//	string          large_utf8, string_view, dictionary of strings
//	binary          large_binary, binary_view, fixed_size_binary
//	date            date64
//	timestamp       timestamp[s|ms] with any zone, timestamp[us] with a
//	                zone other than UTC (the instant is kept; the zone name is not)
//	timestamp_ntz   timestamp[s|ms] without a zone
//	array<T>        large_list<T>
//
// A dictionary array is stored as its values. Append also takes
// timestamp[ns] batches for a microsecond column when every value is a
// whole microsecond, and fails naming the column otherwise. Create refuses
// the rest with [ErrUnsupportedType], naming the column and what to use
// instead: timestamp[ns] (use timestamp[us]), time32/time64 (long or
// string), durations (long), intervals, unions (a struct), list views and
// fixed-size lists (list), and decimals wider than 38 digits.
//
// Only a timestamp without a time zone raises the protocol of a table
// above reader 1 / writer 2 on its own: it needs reader 3 / writer 7 with
// the timestampNtz feature, which older readers cannot read. Arrow
// timestamp[us] with an empty TimeZone asks for it;
// arrow.FixedWidthTypes.Timestamp_us (zone UTC) does not. A commit that
// writes a new protocol says so in [CommitResult].Protocol.
//
// # Maintenance
//
// [Table.Restore] returns a table to an earlier version, [Clone] copies one
// (deep) or points a new table at its files (shallow), and [Table.Vacuum]
// deletes the files no version within the retention window needs. Each
// records Spark's operation, parameters and metrics in the log, so Spark's
// DESCRIBE HISTORY shows them as its own.
//
// A table whose delta.autoOptimize.autoCompact property is on compacts
// itself: after a commit that added files, each partition it wrote that
// holds [AutoCompactOptions].MinNumFiles small files gets an OPTIMIZE
// commit (auto true, dataChange false) in the same call, after the
// writer's commit is already visible; a failed compaction is only
// reported ([CommitResult].AutoCompactErr). Every transaction writes one
// rolling file per partition, however its rows are batched, holding at
// most 256 MiB of rows for all open partitions together (past it the
// largest row group is written early); row groups are encoded on every
// core. delta.autoOptimize.optimizeWrite ([TxnOptions].OptimizeWrite)
// fills files to Spark's 512 MiB optimized-write size. [Table.ComputeStatistics]
// (ANALYZE … COMPUTE DELTA STATISTICS) recomputes missing or stale file
// statistics. Package optimize has OPTIMIZE,
// Z-ordering, liquid clustering and one-call maintenance.
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
