"""Spark's side of the liquid clustering interop case.

Usage: python cluster_check.py OURS_PATH SPARK_PATH

OURS_PATH is a table lakehouse created with CLUSTER BY and clustered:
Spark reports its DESCRIBE DETAIL clustering columns, counts its rows,
runs OPTIMIZE on it and counts again. SPARK_PATH is where Spark creates
a CLUSTER BY (id) table of its own, written by three INSERTs and
OPTIMIZEd, for lakehouse to read and optimize. One JSON object is
printed on stdout.
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from spark_peer import start_session  # noqa: E402


def last_clustering_domain(path):
    """The configuration of the newest delta.clustering domainMetadata action in the log."""
    log = os.path.join(path, "_delta_log")
    found = None
    for name in sorted(f for f in os.listdir(log) if f.endswith(".json")):
        with open(os.path.join(log, name)) as fh:
            for line in fh:
                action = json.loads(line)
                dm = action.get("domainMetadata")
                if dm and dm["domain"] == "delta.clustering":
                    found = dm["configuration"]
    return found


def main():
    ours, theirs = sys.argv[1], sys.argv[2]
    spark = start_session()
    out = {}
    detail = spark.sql(f"DESCRIBE DETAIL delta.`{ours}`").collect()[0].asDict()
    out["ours_clustering_columns"] = list(detail.get("clusteringColumns") or [])
    out["ours_rows_before"] = spark.read.format("delta").load(ours).count()
    out["ours_id_sum_before"] = spark.read.format("delta").load(ours).selectExpr("sum(id)").collect()[0][0]
    spark.sql(f"OPTIMIZE delta.`{ours}`").collect()
    out["ours_rows_after"] = spark.read.format("delta").load(ours).count()
    out["ours_id_sum_after"] = spark.read.format("delta").load(ours).selectExpr("sum(id)").collect()[0][0]
    hist = spark.sql(f"DESCRIBE HISTORY delta.`{ours}` LIMIT 1").collect()[0].asDict()
    out["ours_last_operation"] = hist["operation"]

    spark.sql(f"CREATE TABLE delta.`{theirs}` (id BIGINT, name STRING) USING delta CLUSTER BY (id)")
    for k in range(3):
        spark.sql(f"INSERT INTO delta.`{theirs}` SELECT id, concat('n', id) FROM range({k * 100}, {k * 100 + 100})")
    spark.sql(f"OPTIMIZE delta.`{theirs}`").collect()
    for k in range(3, 5):
        spark.sql(f"INSERT INTO delta.`{theirs}` SELECT id, concat('n', id) FROM range({k * 100}, {k * 100 + 100})")
    detail = spark.sql(f"DESCRIBE DETAIL delta.`{theirs}`").collect()[0].asDict()
    out["theirs_clustering_columns"] = list(detail.get("clusteringColumns") or [])
    # ALTER TABLE … CLUSTER BY, then CLUSTER BY NONE, on a third table:
    # the operation and parameters Spark records, and the domain it writes.
    alter = theirs + "_alter"
    spark.sql(f"CREATE TABLE delta.`{alter}` (id BIGINT, name STRING) USING delta CLUSTER BY (id)")
    out["alter"] = []
    for cols in ("name, id", "NONE"):
        spark.sql(f"ALTER TABLE delta.`{alter}` CLUSTER BY {'NONE' if cols == 'NONE' else '(' + cols + ')'}")
        hist = spark.sql(f"DESCRIBE HISTORY delta.`{alter}` LIMIT 1").collect()[0].asDict()
        out["alter"].append({"operation": hist["operation"], "parameters": dict(hist["operationParameters"]),
                             "domain": last_clustering_domain(alter)})
    spark.stop()
    print(json.dumps(out))


if __name__ == "__main__":
    main()
