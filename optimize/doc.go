// Package optimize keeps Delta tables fast to read: it compacts the small
// files frequent appends leave behind, purges rows deletion vectors mark
// as deleted, and clusters rows so that data skipping prunes files. It is
// Spark's OPTIMIZE, built on the public API of package delta, and writes
// tables Spark reads and optimizes further.
//
// # Bin-packing
//
// [Compact] with nil options is OPTIMIZE: in each partition, files
// smaller than [Options.MinFileSize] (and files whose deletion vectors
// delete more than [Options.MaxDeletedRowsRatio] of their rows) are packed,
// smallest first, into bins of up to [Options.TargetFileSize] bytes, and
// each bin is rewritten as one file. [Options.Where] limits the run to
// partitions matching a predicate on partition columns.
//
//	res, err := optimize.Compact(ctx, tbl, nil)
//	fmt.Println(res.Metrics.NumFilesRemoved, "files became", res.Metrics.NumFilesAdded)
//
// # Z-ordering
//
// With [Options.ZOrderBy], every partition is rewritten with its rows
// sorted along a Z-order curve over the named columns, computed as Spark
// does: each value is replaced by the number of its range among
// [Options.ZOrderRanges] ranges cut at quantiles of a sample of the
// column, and the range numbers' bits are interleaved. Using ranks rather
// than raw bytes gives skewed columns (a few hot ids, clustered
// timestamps) their share of the curve, so each output file covers a
// narrow box of the columns' values and a query on any of them reads few
// files. (Unlike Spark, a hot value that fills several ranges is spread
// over them rather than packed into one.) A partition becomes
// max(1, input bytes / TargetFileSize) files, as in Spark; with two or
// more columns each file is one cell of a k-d split of the sampled rows
// (cells of equal row counts, about as wide in every column, ranked by
// the curve position of their centres) rather than a run of the curve cut
// by row count, whose files turn the curve's corners and cover wider
// boxes. The files of one partition form a Z-cube, recorded in their
// tags (ZCUBE_ID, ZCUBE_ZORDER_BY, ZCUBE_ZORDER_CURVE); a later ZORDER BY
// the same columns leaves a partition that is one Z-cube alone, and
// merges only new files and cubes smaller than [Options.MinCubeSize].
//
// # Liquid clustering
//
// On a table with clustering columns ([delta.CreateOptions.ClusterBy],
// [delta.Table.ClusterBy]), Compact clusters instead: the files not yet
// clustered are rewritten together with their rows ordered along a
// Hilbert curve over the clustering columns' range ids (ranges cut as for
// Z-ordering, each column's ids stretched over the whole grid, files cut
// at cells as for Z-ordering), and marked clusteringProvider "liquid" as
// Spark marks the files it clusters. Clustered files are left alone, so
// each run costs what was written since the last; [Options.Full]
// reclusters every file, as OPTIMIZE … FULL does after the clustering
// columns changed. ZORDER BY is refused on such a table
// ([ErrZOrderClustered]); the commit carries Spark's clusterBy and
// isFull parameters and clusteringStats.
//
// Z-order and clustering columns may be fields nested in structs, named
// with dots ("event.ts"); a row whose struct is null orders as a null.
// As in Spark, a column must have per-file statistics (be among the first
// delta.dataSkippingNumIndexedCols leaf columns, or listed in
// delta.dataSkippingStatsColumns): ordering by one without them could
// not skip files, so ZORDER BY refuses it ([ErrInvalidOptions]), CLUSTER
// BY refuses it ([delta.ErrClusteringColumnMissingStats]), and so does a
// clustering run after the statistics were narrowed.
//
// # Commits and concurrency
//
// Rewrites are committed with dataChange=false, operation "OPTIMIZE" and
// Spark's operation parameters and metrics. Every batch's transaction
// reads the snapshot the work was planned from ([delta.Table.BeginAt]),
// so appends committed meanwhile are kept (they never conflict), while a
// concurrent DELETE, UPDATE or OPTIMIZE of a file being rewritten makes
// the batch fail with a [delta.ConflictError] and commit nothing.
//
// Bins are rewritten by [Options.MaxConcurrency] goroutines, each reading
// and writing one bin at a time. Bin-packing streams batches; Z-ordering
// sorts a partition in memory up to [Options.MaxMemory] and beyond that
// splits it by Z-value range into spill files that are sorted one at a
// time. [Options.BatchSize] splits a very large run into several commits,
// so that an interrupted run keeps what it finished.
//
// # Keeping a table healthy
//
// [Maintain] is the one call a service makes on a ticker. It inspects
// the table ([Inspect]: files and a size histogram per partition, small
// files, unclustered bytes, the share of rows deletion vectors delete,
// commits since the last checkpoint, expired log files, and what VACUUM
// would delete), decides with [Decide] — a pure function of those
// [TableStats] and a [Policy] — which [Actions] the table needs, and runs
// them in order within [Policy.Budget]: purge deletion vectors,
// compact, cluster or Z-order, checkpoint, clean up the log, VACUUM. The
// [Report] explains every decision, taken or not, with the measured
// value and the threshold ([Report.Summary] prints it on one screen).
// The thresholds default to Spark's auto compaction settings (files under
// half of a 128 MiB target are small; 50 of them in a partition trigger
// compaction), OPTIMIZE's maxDeletedRowsRatio (5%) and the table's
// delta.checkpointInterval and retention. A healthy table gets no commit;
// concurrent appends are never lost, since every rewrite is an OPTIMIZE
// commit as above; [Policy.DryRun] only explains.
//
//	t := time.NewTicker(10 * time.Minute)
//	for range t.C {
//		rep, err := optimize.Maintain(ctx, tbl, &optimize.Policy{Budget: 5 * time.Minute})
//		if err != nil {
//			log.Print(err)
//			continue
//		}
//		log.Print(rep.Summary())
//	}
package optimize
