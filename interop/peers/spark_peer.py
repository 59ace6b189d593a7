"""Apache Spark with delta-spark as an interop peer (one local JVM per suite run)."""

import datetime as _dt
import os
import shutil
import sys
import time
from importlib import metadata

import pyarrow as pa

import data
from peerbase import Base, parse_ts, scenario

REGISTRY = {}

DELTA_SPARK_ARTIFACT = "io.delta:delta-spark_{spark}_2.13:{delta}"


def spark_conf():
    """The session settings: small, local, UTC, quiet; jars resolved into the repo's ivy cache."""
    spark_mm = ".".join(metadata.version("pyspark").split(".")[:2])
    ivy = os.environ.get("INTEROP_IVY_DIR") or os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "..", ".cache", "ivy")
    return {
        "spark.master": "local[2]",
        "spark.app.name": "lakehouse-interop",
        "spark.jars.packages": DELTA_SPARK_ARTIFACT.format(spark=spark_mm, delta=metadata.version("delta-spark")),
        "spark.jars.ivy": os.path.abspath(ivy),
        "spark.sql.extensions": "io.delta.sql.DeltaSparkSessionExtension",
        "spark.sql.catalog.spark_catalog": "org.apache.spark.sql.delta.catalog.DeltaCatalog",
        "spark.driver.memory": "1g",
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        "spark.sql.shuffle.partitions": "2",
        "spark.default.parallelism": "2",
        "spark.databricks.delta.snapshotPartitions": "1",
        "spark.sql.adaptive.enabled": "false",
        # VACUUM lists the table with one task per slot of this (default
        # 10000 tasks: minutes on 2 cores for a table of a dozen files).
        "spark.sql.sources.parallelPartitionDiscovery.parallelism": "2",
        "spark.sql.session.timeZone": "UTC",
        # C1-only JIT and the serial collector: this JVM lives for minutes
        # on 2 cores running hundreds of tiny jobs, where warm-up dominates.
        "spark.driver.extraJavaOptions": "-Duser.timezone=UTC -XX:TieredStopAtLevel=1 -XX:+UseSerialGC",
        "spark.sql.parquet.datetimeRebaseModeInRead": "CORRECTED",
        "spark.sql.parquet.datetimeRebaseModeInWrite": "CORRECTED",
        "spark.sql.parquet.int96RebaseModeInRead": "CORRECTED",
        "spark.sql.parquet.int96RebaseModeInWrite": "CORRECTED",
        "spark.databricks.delta.retentionDurationCheck.enabled": "false",
        "spark.sql.execution.arrow.pyspark.enabled": "true",
        "spark.driver.bindAddress": "127.0.0.1",
        "spark.driver.host": "127.0.0.1",
    }


def start_session():
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    from pyspark.sql import SparkSession
    builder = SparkSession.builder
    for k, v in spark_conf().items():
        builder = builder.config(k, v)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark


class Peer(Base):
    engine = "spark"
    registry = REGISTRY

    def __init__(self):
        self.spark = start_session()
        self.clone_sources = set()

    def close(self):
        self.spark.stop()

    def versions(self):
        return {"pyspark": metadata.version("pyspark"), "delta-spark": metadata.version("delta-spark"),
                "java": self.spark.sparkContext._jvm.System.getProperty("java.version")}

    def sql(self, text):
        started = time.monotonic()
        try:
            return self.spark.sql(text)
        finally:
            print("interop-peer:   sql %.2fs %s" % (time.monotonic() - started, text[:120]), file=sys.stderr, flush=True)

    def read_arrow(self, path, version=None, timestamp=None, columns=None, where=None):
        reader = self.spark.read.format("delta")
        if version is not None:
            reader = reader.option("versionAsOf", int(version))
        if timestamp is not None:
            ts = parse_ts(timestamp).strftime("%Y-%m-%d %H:%M:%S.%f")
            reader = reader.option("timestampAsOf", ts)
        df = reader.load(path)
        if columns:
            df = df.select(*columns)
        if where:
            df = df.where(where)
        return df.toArrow()

    def history(self, path):
        rows = self.sql("DESCRIBE HISTORY delta.`%s`" % path).select("version", "timestamp", "operation").collect()
        return [{"version": r["version"], "timestamp_ms": _millis(r["timestamp"]), "operation": r["operation"]} for r in rows]

    def cdf_arrow(self, path, start, end):
        df = (self.spark.read.format("delta").option("readChangeFeed", "true")
              .option("startingVersion", int(start)).option("endingVersion", int(end)).load(path))
        return df.toArrow()

    def op_skipping(self, path, where):
        """Files Spark's Delta scan reads for a predicate: the scan node's numFiles metric."""
        import canon
        df = self.spark.read.format("delta").load(path).where(where)
        table = df.toArrow()
        scanned = None
        leaves = df._jdf.queryExecution().executedPlan().collectLeaves().iterator()
        while leaves.hasNext():
            metrics = leaves.next().metrics()
            if metrics.contains("numFiles"):
                scanned = (scanned or 0) + int(metrics.apply("numFiles").value())
        total = len(self.spark.read.format("delta").load(path).inputFiles())
        return {"files_total": total, "files_scanned": scanned, "rows": canon.rows(table)}

    def op_sql(self, statements):
        """Runs SQL statements in order; returns the rows of the last one as canonical lines."""
        import canon
        df = None
        for s in statements:
            df = self.sql(s)
        return {"rows": canon.rows(df.toArrow()) if df is not None and df.columns else []}

    def op_stream_query(self, path, checkpoint, query, max_files=1):
        """Runs a Structured Streaming query over a Delta table (readStream, from
        version 0, maxFilesPerTrigger) with trigger(availableNow=True), output
        mode append and foreachBatch; returns each batch's id and rows.

        query: {"watermark": [column, delay], "dedup": {"columns": [...],
        "within": bool}, "window": {"column", "size", "slide", "keys",
        "aggs": [[func, column], ...]}} (each part optional, applied in that order).
        """
        import canon
        from pyspark.sql import functions as F
        df = (self.spark.readStream.format("delta").option("startingVersion", "0")
              .option("maxFilesPerTrigger", str(int(max_files))).load(path))
        if query.get("watermark"):
            df = df.withWatermark(*query["watermark"])
        dedup = query.get("dedup")
        if dedup:
            df = df.dropDuplicatesWithinWatermark(dedup["columns"]) if dedup.get("within") else df.dropDuplicates(dedup["columns"])
        win = query.get("window")
        if win:
            w = F.window(win["column"], win["size"], win.get("slide") or win["size"])
            aggs = []
            for fn, col in win["aggs"]:
                if fn == "approx_count_distinct":
                    aggs.append(F.approx_count_distinct(col))
                else:
                    aggs.append(getattr(F, fn)(col))
            df = df.groupBy(w, *win.get("keys", [])).agg(*aggs)
        batches = []

        def collect(batch_df, batch_id):
            batches.append({"id": int(batch_id), "rows": canon.rows(batch_df.toArrow())})

        q = (df.writeStream.outputMode("append").option("checkpointLocation", checkpoint)
             .trigger(availableNow=True).foreachBatch(collect).start())
        q.awaitTermination()
        progress = [{"batchId": p["batchId"], "numInputRows": p["numInputRows"],
                     "watermark": (p.get("eventTime") or {}).get("watermark")} for p in q.recentProgress]
        return {"batches": sorted(batches, key=lambda b: b["id"]), "progress": progress}

    def frame(self, table):
        return self.spark.createDataFrame(table)

    def save(self, table, path, mode="append", partition_by=None, options=None):
        started = time.monotonic()
        w = self.frame(table).write.format("delta").mode(mode)
        for k, v in (options or {}).items():
            w = w.option(k, v)
        if partition_by:
            w = w.partitionBy(*partition_by)
        w.save(path)
        print("interop-peer:   save %s %.2fs" % (mode, time.monotonic() - started), file=sys.stderr, flush=True)


def _millis(ts):
    if ts.tzinfo is None:
        ts = ts.replace(tzinfo=_dt.timezone.utc)
    return int(ts.timestamp() * 1000)


def _t(path):
    return "delta.`%s`" % path


SIMPLE_DDL = "id BIGINT, x INT, y INT, name STRING, amount DOUBLE"


def _create_simple(peer, path, props, extra=""):
    tblprops = ""
    if props:
        tblprops = "TBLPROPERTIES (%s)" % ", ".join("'%s' = '%s'" % kv for kv in props.items())
    peer.sql("CREATE TABLE %s (%s) USING delta %s %s" % (_t(path), SIMPLE_DDL, extra, tblprops))


@scenario(REGISTRY, "spark_skipping", "eight appends of disjoint id ranges: one file per range, for data skipping")
def _skipping(peer, path):
    _create_simple(peer, path, {})
    for k in range(8):
        peer.frame(data.simple(k * 100, 100)).coalesce(1).write.format("delta").mode("append").save(path)


@scenario(REGISTRY, "spark_types", "every type (nested, specials, nulls); append, overwrite")
def _types(peer, path):
    peer.save(data.all_types(0, 10), path, mode="overwrite")
    peer.save(data.all_types(10, 10), path)
    peer.save(data.all_types(100, 7), path, mode="overwrite")
    peer.sql("INSERT INTO %s (id, f64, f32, dec, ts, tsn) VALUES (500, double('NaN'), float('-Infinity'), 1.5, "
             "TIMESTAMP'2024-06-01 12:00:00.000001', TIMESTAMP_NTZ'2024-06-01 12:00:00.5')" % _t(path))


@scenario(REGISTRY, "spark_partitioned",
          "partitioned by string/int/date/bool with nulls and special characters; replaceWhere; delete")
def _partitioned(peer, path):
    parts = ["p_str", "p_int", "p_date", "p_bool"]
    peer.save(data.partitioned(0, 30), path, mode="overwrite", partition_by=parts)
    peer.save(data.partitioned(30, 20), path, partition_by=parts)
    repl = data.partitioned(50, 40)
    repl = repl.filter(pa.compute.equal(repl["p_int"], 1))
    peer.save(repl, path, mode="overwrite", options={"replaceWhere": "p_int = 1"})
    peer.sql("DELETE FROM %s WHERE p_str IS NULL" % _t(path))


@scenario(REGISTRY, "spark_partitioned_ts", "partitioned by timestamp, decimal and long")
def _partitioned_ts(peer, path):
    peer.sql("CREATE TABLE %s (id INT, p_ts TIMESTAMP, p_dec DECIMAL(9,3), p_long BIGINT) USING delta "
             "PARTITIONED BY (p_ts, p_dec, p_long)" % _t(path))
    peer.sql("INSERT INTO %s VALUES (1, TIMESTAMP'2024-01-01 00:00:00', 1.5, 1), "
             "(2, TIMESTAMP'2024-01-01 12:30:45.123456', -0.001, -9223372036854775808), "
             "(3, NULL, NULL, NULL), (4, TIMESTAMP'1969-12-31 23:59:59', 999999.999, 9223372036854775807)" % _t(path))


def _dml(peer, path, dv):
    _create_simple(peer, path, {"delta.enableDeletionVectors": "true" if dv else "false"})
    peer.save(data.simple(0, 40), path)
    peer.save(data.simple(40, 20), path)
    peer.sql("DELETE FROM %s WHERE x < 20" % _t(path))
    peer.sql("UPDATE %s SET name = concat(name, '-upd'), amount = amount * 2 WHERE y > 40" % _t(path))
    peer.frame(data.simple(50, 30, tag="m")).createOrReplaceTempView("merge_src")
    peer.sql("MERGE INTO %s t USING merge_src s ON t.id = s.id "
             "WHEN MATCHED THEN UPDATE SET name = s.name, amount = s.amount + 0.5 "
             "WHEN NOT MATCHED THEN INSERT * "
             "WHEN NOT MATCHED BY SOURCE AND t.id < 10 THEN DELETE" % _t(path))
    peer.save(data.simple(1000, 5), path)


@scenario(REGISTRY, "spark_dml_dv", "DELETE, UPDATE, MERGE with deletion vectors on")
def _dml_dv(peer, path):
    _dml(peer, path, True)


@scenario(REGISTRY, "spark_dml_cow", "DELETE, UPDATE, MERGE with deletion vectors off (copy-on-write)")
def _dml_cow(peer, path):
    _dml(peer, path, False)


@scenario(REGISTRY, "spark_optimize", "small appends, OPTIMIZE, OPTIMIZE ZORDER BY, REORG PURGE, VACUUM")
def _optimize(peer, path):
    _create_simple(peer, path, {"delta.enableDeletionVectors": "true"})
    for k in range(4):
        peer.save(data.simple(k * 10, 10), path)
    peer.sql("OPTIMIZE %s" % _t(path))
    peer.sql("DELETE FROM %s WHERE id %% 7 = 0" % _t(path))
    peer.sql("OPTIMIZE %s ZORDER BY (x, y)" % _t(path))
    peer.sql("DELETE FROM %s WHERE id %% 5 = 0" % _t(path))
    peer.sql("REORG TABLE %s APPLY (PURGE)" % _t(path))
    peer.sql("VACUUM %s RETAIN 0 HOURS" % _t(path))


@scenario(REGISTRY, "spark_liquid", "liquid clustering (CLUSTER BY), appends, OPTIMIZE, ALTER CLUSTER BY")
def _liquid(peer, path):
    peer.sql("CREATE TABLE %s (%s) USING delta CLUSTER BY (x, y)" % (_t(path), SIMPLE_DDL))
    peer.save(data.simple(0, 30), path)
    peer.save(data.simple(30, 30), path)
    peer.sql("OPTIMIZE %s" % _t(path))
    peer.sql("ALTER TABLE %s CLUSTER BY (name)" % _t(path))
    peer.save(data.simple(60, 10), path)
    peer.sql("OPTIMIZE %s FULL" % _t(path))


def _column_mapping(peer, path, mode):
    _create_simple(peer, path, {"delta.columnMapping.mode": mode, "delta.minReaderVersion": "2",
                                "delta.minWriterVersion": "5"})
    peer.save(data.simple(0, 10), path)
    peer.sql("ALTER TABLE %s RENAME COLUMN name TO `full name`" % _t(path))
    peer.sql("INSERT INTO %s VALUES (100, 1, 2, 'after rename', 0.5)" % _t(path))
    peer.sql("ALTER TABLE %s DROP COLUMN y" % _t(path))
    peer.sql("ALTER TABLE %s ADD COLUMNS (y STRING, `nested.col` STRUCT<`a b`: INT>)" % _t(path))
    peer.sql("INSERT INTO %s VALUES (101, 3, 'z', 0.25, 'new y', named_struct('a b', 9))" % _t(path))


@scenario(REGISTRY, "spark_column_mapping_name", "column mapping mode=name: rename, drop, re-add a column; odd names")
def _cm_name(peer, path):
    _column_mapping(peer, path, "name")


@scenario(REGISTRY, "spark_column_mapping_id", "column mapping mode=id: rename, drop, re-add a column; odd names")
def _cm_id(peer, path):
    _column_mapping(peer, path, "id")


@scenario(REGISTRY, "spark_cdf", "change data feed through UPDATE, DELETE, MERGE (deletion vectors on)", cdf=True)
def _cdf(peer, path):
    _create_simple(peer, path, {"delta.enableChangeDataFeed": "true", "delta.enableDeletionVectors": "true"})
    peer.save(data.simple(0, 20), path)
    peer.save(data.simple(20, 5), path)
    peer.sql("UPDATE %s SET name = 'changed' WHERE id %% 4 = 0" % _t(path))
    peer.sql("DELETE FROM %s WHERE id > 21" % _t(path))
    peer.frame(data.simple(15, 10, tag="m")).createOrReplaceTempView("cdf_src")
    peer.sql("MERGE INTO %s t USING cdf_src s ON t.id = s.id WHEN MATCHED THEN UPDATE SET * "
             "WHEN NOT MATCHED THEN INSERT *" % _t(path))


@scenario(REGISTRY, "spark_dml_partitioned_cdf",
          "partitioned by strings with special characters: DELETE, UPDATE moving rows between partitions, MERGE "
          "(incl. not matched by source); copy-on-write with change data feed", cdf=True)
def _dml_partitioned_cdf(peer, path):
    peer.sql("CREATE TABLE %s (id BIGINT, v STRING, p_str STRING, p_int INT, p_date DATE, p_bool BOOLEAN) USING delta "
             "PARTITIONED BY (p_str) TBLPROPERTIES ('delta.enableChangeDataFeed' = 'true', "
             "'delta.enableDeletionVectors' = 'false')" % _t(path))
    peer.save(data.partitioned(0, 40), path)
    peer.save(data.partitioned(40, 20), path)
    peer.sql("DELETE FROM %s WHERE p_int = 1" % _t(path))
    peer.sql("UPDATE %s SET v = concat(v, '-u'), p_str = 'moved' WHERE id %% 5 = 0" % _t(path))
    peer.frame(data.partitioned(50, 20)).createOrReplaceTempView("part_src")
    peer.sql("MERGE INTO %s t USING part_src s ON t.id = s.id "
             "WHEN MATCHED AND s.p_bool = false THEN DELETE "
             "WHEN MATCHED THEN UPDATE SET v = concat(s.v, '-m'), p_str = 'merged' "
             "WHEN NOT MATCHED THEN INSERT * "
             "WHEN NOT MATCHED BY SOURCE AND t.p_str = 'plain' THEN DELETE" % _t(path))


@scenario(REGISTRY, "spark_schema_evolution", "mergeSchema append, type widening int->long, overwriteSchema")
def _schema_evolution(peer, path):
    _create_simple(peer, path, {"delta.enableTypeWidening": "true"})
    peer.save(data.simple(0, 10), path)
    extra = data.simple(10, 5).append_column("note", pa.array(["n%d" % i for i in range(5)]))
    peer.save(extra, path, options={"mergeSchema": "true"})
    peer.sql("ALTER TABLE %s ALTER COLUMN x TYPE BIGINT" % _t(path))
    peer.sql("INSERT INTO %s (id, x, y, name, amount, note) VALUES (99, 5000000000, 1, 'wide', 1.0, 'w')" % _t(path))
    other = pa.table({"k": pa.array([1, 2, 3], pa.int64()), "label": ["a", "b", None]})
    peer.save(other, path, mode="overwrite", options={"overwriteSchema": "true"})


@scenario(REGISTRY, "spark_checkpoint_multipart", "multi-part classic checkpoint (checkpoint.partSize=2)")
def _ckpt_multipart(peer, path):
    peer.spark.conf.set("spark.databricks.delta.checkpoint.partSize", "2")
    try:
        _create_simple(peer, path, {"delta.checkpointInterval": "4"})
        for k in range(6):
            peer.save(data.simple(k * 5, 5), path)
    finally:
        peer.spark.conf.unset("spark.databricks.delta.checkpoint.partSize")
    return {"notes": ["checkpoint files: " + ", ".join(sorted(
        f for f in os.listdir(os.path.join(path, "_delta_log")) if "checkpoint" in f))]}


@scenario(REGISTRY, "spark_checkpoint_v2", "V2 checkpoints (checkpointPolicy=v2) with sidecars")
def _ckpt_v2(peer, path):
    _create_simple(peer, path, {"delta.checkpointPolicy": "v2", "delta.checkpointInterval": "3"})
    for k in range(7):
        peer.save(data.simple(k * 5, 5), path)
    return {"notes": ["checkpoint files: " + ", ".join(sorted(
        f for f in os.listdir(os.path.join(path, "_delta_log")) if "checkpoint" in f))]}


@scenario(REGISTRY, "spark_constraints_generated", "CHECK constraint, NOT NULL, generated column")
def _constraints(peer, path):
    peer.sql("CREATE TABLE %s (id BIGINT NOT NULL, x INT, x2 INT GENERATED ALWAYS AS (x * 2), "
             "d DATE GENERATED ALWAYS AS (CAST('2024-01-01' AS DATE))) USING delta" % _t(path))
    peer.sql("ALTER TABLE %s ADD CONSTRAINT x_nonneg CHECK (x >= 0)" % _t(path))
    peer.sql("INSERT INTO %s (id, x) VALUES (1, 0), (2, 5), (3, 7)" % _t(path))


@scenario(REGISTRY, "spark_many_versions",
          "twelve versions alternating append and overwrite; checkpointInterval=3 (classic checkpoints)")
def _many_versions(peer, path):
    _create_simple(peer, path, {"delta.checkpointInterval": "3"})
    for k in range(11):
        peer.save(data.simple(k * 3, 3 + k % 2), path, mode="overwrite" if k % 4 == 3 else "append")


def _between(peer, path, version):
    """A SQL timestamp (UTC) halfway between a version's commit and the next one's, as Spark's history dates them."""
    ts = {h["version"]: h["timestamp_ms"] for h in peer.history(path)}
    lo, hi = ts[version], ts[version + 1]
    if hi - lo < 2:
        raise ValueError("versions %d and %d of %s are too close in time to restore between them" % (version, version + 1, path))
    mid = _dt.datetime.fromtimestamp((lo + (hi - lo) // 2) / 1000.0, tz=_dt.timezone.utc)
    return mid.strftime("%Y-%m-%d %H:%M:%S.%f")


@scenario(REGISTRY, "spark_restore",
          "RESTORE TABLE … TO VERSION AS OF before a DELETE, UPDATE, RESTORE … TO TIMESTAMP AS OF the UPDATE; "
          "deletion vectors on")
def _restore(peer, path):
    _create_simple(peer, path, {"delta.enableDeletionVectors": "true"})
    peer.save(data.simple(0, 40), path)
    peer.save(data.simple(40, 20), path)
    peer.sql("DELETE FROM %s WHERE id %% 3 = 0" % _t(path))
    peer.sql("UPDATE %s SET name = concat(name, '-u') WHERE y > 40" % _t(path))
    peer.sql("RESTORE TABLE %s TO VERSION AS OF 2" % _t(path))
    peer.save(data.simple(1000, 5), path)
    peer.sql("RESTORE TABLE %s TO TIMESTAMP AS OF '%s'" % (_t(path), _between(peer, path, 4)))
    peer.sql("DELETE FROM %s WHERE id = 41" % _t(path))
    return {"expect": [{"version": 5, "of": 2, "why": "RESTORE TO VERSION AS OF 2"},
                       {"version": 7, "of": 4, "why": "RESTORE TO TIMESTAMP AS OF a time between versions 4 and 5"}]}


def _clone_source(peer, path):
    """The table both clone scenarios clone (built once per run, beside them):
    versions 1-2 append, 3 deletes with a deletion vector file, 4 updates."""
    src = os.path.join(os.path.dirname(path), "spark_clone_source")
    if src not in peer.clone_sources:
        shutil.rmtree(src, ignore_errors=True)
        _create_simple(peer, src, {"delta.enableDeletionVectors": "true"})
        peer.save(data.simple(0, 40), src)
        peer.save(data.simple(40, 20), src)
        peer.sql("DELETE FROM %s WHERE id %% 2 = 0 AND id < 40" % _t(src))
        peer.sql("UPDATE %s SET amount = amount * 2 WHERE y > 40" % _t(src))
        peer.clone_sources.add(src)
    return src


# Spark OSS (delta-spark 4.4) has SHALLOW CLONE only: `CREATE TABLE … DEEP
# CLONE` and plain `CLONE` are parse errors there (DEEP CLONE is a
# Databricks feature), so deep clones are covered lakehouse-written only.
@scenario(REGISTRY, "spark_clone_shallow",
          "SHALLOW CLONE of a table with deletion vectors (absolute paths into the source), then DELETE and append on the clone")
def _clone_shallow(peer, path):
    src = _clone_source(peer, path)
    peer.sql("CREATE TABLE %s SHALLOW CLONE %s" % (_t(path), _t(src)))
    peer.sql("DELETE FROM %s WHERE id < 6" % _t(path))
    peer.save(data.simple(2000, 5), path)
    return {"expect": [{"version": 0, "path": src, "of": 4, "why": "SHALLOW CLONE of the source's version 4"}]}


@scenario(REGISTRY, "spark_clone_shallow_version", "SHALLOW CLONE … VERSION AS OF 3 (the DELETE's deletion vector) of a table")
def _clone_shallow_version(peer, path):
    src = _clone_source(peer, path)
    peer.sql("CREATE TABLE %s SHALLOW CLONE %s VERSION AS OF 3" % (_t(path), _t(src)))
    return {"expect": [{"version": 0, "path": src, "of": 3, "why": "SHALLOW CLONE of the source's version 3"}]}


@scenario(REGISTRY, "spark_vacuum",
          "VACUUM RETAIN 0 HOURS, then VACUUM LITE RETAIN 0 HOURS, after DELETEs replacing a deletion vector and UPDATE "
          "(versions needing deleted files unreadable)")
def _vacuum(peer, path):
    _create_simple(peer, path, {"delta.enableDeletionVectors": "true"})
    peer.save(data.simple(0, 40), path)
    peer.save(data.simple(40, 20), path)
    peer.sql("DELETE FROM %s WHERE id %% 2 = 0 AND id < 40" % _t(path))
    peer.sql("DELETE FROM %s WHERE id %% 3 = 0 AND id < 40" % _t(path))
    peer.sql("UPDATE %s SET amount = amount * 2 WHERE y > 40" % _t(path))
    peer.sql("VACUUM %s RETAIN 0 HOURS" % _t(path))
    peer.sql("DELETE FROM %s WHERE id >= 50 AND id < 56" % _t(path))
    peer.save(data.simple(1000, 5), path)
    peer.sql("VACUUM %s LITE RETAIN 0 HOURS" % _t(path))
    peer.save(data.simple(2000, 3), path)
