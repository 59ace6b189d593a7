/*
Package stream runs micro-batch streaming queries over Delta tables and
directories of files, with Spark Structured Streaming's semantics and
checkpoint layout, so a pipeline moved between the two behaves the same.

# Queries

A query is a Source, a chain of transformations over arrow.RecordBatch
(Go functions with Map, Spark SQL projections and predicates with Select and
Filter, compiled by package delta/expr), and a Sink:

	q, err := stream.From(stream.NewFilesSource("s3://bucket/landing", &stream.FilesSourceOptions{Format: "json"})).
		Filter("amount > 0").
		Select("id", "amount * 100 AS cents").
		Start(ctx, stream.NewDeltaSink("s3://bucket/bronze", nil), &stream.Options{
			Checkpoint: "s3://bucket/_checkpoints/bronze",
			Trigger:    stream.AvailableNow(),
		})

Start returns a *Query: Stop ends it after the running batch, AwaitTermination
waits for it, Status and LastProgress say what it does. Each batch's Progress
carries the fields of Spark's StreamingQueryProgress (batchId,
numInputRows, inputRowsPerSecond, processedRowsPerSecond, durationMs by phase,
the source's start and end offsets, the sink, the event-time watermark); it
goes to the Options.Listener and to the Options.Logger as a log/slog record.

# Checkpoints

The checkpoint is a directory on any store URL delta.Open accepts, in
Spark's layout:

	metadata              {"id":"<query id>"}
	offsets/<batchId>     "v1", {"batchWatermarkMs":…,"batchTimestampMs":…,"conf":{…}}, one offset per source
	commits/<batchId>     "v1", {"nextBatchWatermarkMs":…}
	sources/0/…           the source's own files (the files source's file log and schemas)
	state/<op>/<batchId>  stateful operators' state after each batch

The invariants that make a query exactly-once:

  - C1: offsets/N is written, put-if-absent, before batch N reads anything;
    commits/N only after the sink has committed batch N.
  - C2: a restart resumes after the last commits/N; if offsets/N+1 exists
    without commits/N+1, batch N+1 is re-run with exactly those offsets
    (sources return the same rows for the same offsets).
  - C3: a sink must tolerate that re-run: DeltaSink writes each batch in one
    transaction carrying the txn action (appId = query id, version = batch
    id), so a batch the table already has is skipped (CommitResult.Skipped);
    MergeSink does the same with each batch's MERGE (upserts and deletes of
    change data capture streams, APPLY CHANGES style: Keys, SequenceBy,
    DeleteWhen).
  - C4: a checkpoint written for another source kind, another number of
    sources, another sink kind, another source table or other stateful
    operators is refused with an *IncompatibleCheckpointError
    (ErrIncompatibleCheckpoint).

# Triggers and limits

ProcessingTime(interval) runs batches for as long as the query runs; Once
runs one batch with everything available; AvailableNow drains what is
available at start in batches that respect the sources' rate limits
(MaxFilesPerTrigger, MaxBytesPerTrigger), then stops.

# Sources

DeltaSource reads a Delta table's initial snapshot (or a starting version)
and then each new commit's added files, with Spark's ignoreDeletes and
skipChangeCommits rules; with ReadChangeFeed it streams the change data
feed. FilesSource reads JSON lines, CSV or Parquet files as Auto Loader
does: each file exactly once through a file log in the checkpoint, schema
inference kept in a schema location, type hints, a _rescued_data column and
the addNewColumns, rescue, failOnNewColumns and none evolution modes.

# Stateful operators

WithWatermark declares the event-time column and delay; DropDuplicates,
DropDuplicatesWithinWatermark, WindowAggregate and SlidingWindowAggregate
(tumbling and sliding windows with count, sum, avg, min, max and
approx_count_distinct, a HyperLogLog++ sketch hashed as Spark hashes) keep
state that is checkpointed with every
batch under state/<operator>/<batchId> and bounded by the watermark. Output
modes are Append (a window once, when the watermark passes its end),
Update (the windows a batch changed; not for the Delta sink) and Complete.
When the watermark moves and no new data comes, a batch without data runs
so that windows close, as Spark's no-data batches do. As in Spark, a row
is late when it is behind the watermark of the previous batch (for a
window: when the window ended by then), and rows are evicted and windows
closed with the batch's own watermark; interop case 6 checks every batch's
output against Spark Structured Streaming. A checkpoint whose
state belongs to other operators is refused (C4).

JoinStatic joins each batch with a static table (StaticDelta re-reads a
Delta table's latest snapshot per batch, as Spark does).

# Kafka

KafkaSource reads topics or a topic pattern with Spark's Kafka columns
and options (starting offsets earliest, latest, per partition or by
timestamp; MaxOffsetsPerTrigger split across partitions; JSON values
decoded into a schema). Its offsets are Spark's JSON and live only in the
checkpoint, and a batch is fetched by partition and offset range, so a
re-run batch reads the same records (C2); a batch whose records the log
no longer holds fails with ErrDataLoss unless AllowDataLoss is set.
KafkaSink produces rows with Spark's Kafka sink columns; like Spark's it
is at-least-once.
*/
package stream
