# One measurement of one workload by delta-rs (deltalake) or DuckDB, run by
# the bench harness as a child process. argv[1] is the JSON child spec; the
# result is one JSON line on stdout: the operation's time in ms (taken around
# the operation only, not the interpreter's start or the input's
# generation), the rows it produced or wrote, and this process's peak RSS.
import json
import sys
import time


def peak_rss():
    with open("/proc/self/status") as f:
        for line in f:
            p = line.split()
            if len(p) == 3 and p[0] == "VmHWM:" and p[2] == "kB":
                return int(p[1]) * 1024
    return 0


def mod(a, b):
    import pyarrow.compute as pc
    return pc.subtract(a, pc.multiply(pc.divide(a, b), b))


def issue_rows(n):
    # The same rows as bench/internal/issuedata.Partitions, built with
    # Arrow kernels so that generating 10M rows stays cheap.
    import pyarrow as pa
    import pyarrow.compute as pc
    ids = pa.array(range(n), pa.int64())
    value = pc.divide(pc.cast(mod(pc.multiply(ids, 2654435761), 1000003), pa.float64()), 1000003.0)
    label = pc.binary_join_element_wise(
        "label-", pc.utf8_lpad(pc.cast(mod(pc.multiply(ids, 7919), 1000), pa.string()), 4, "0"), "")
    ts = pc.cast(pc.add(pc.multiply(ids, 1000), 1700000000000000), pa.timestamp("us", tz="UTC"))
    day = pc.binary_join_element_wise(
        "2024-01-", pc.utf8_lpad(pc.cast(pc.add(pc.divide(pc.multiply(ids, 10), n), 1), pa.string()), 2, "0"), "")
    return pa.table({"id": ids, "value": value, "label": label, "ts": ts, "day": day})


def count_batches(reader):
    n = 0
    for b in reader:
        n += b.num_rows
    return n


def deltars(spec):
    import pyarrow as pa
    from deltalake import DeltaTable, QueryBuilder, write_deltalake
    kind = spec["kind"]
    if kind == "append":
        t = issue_rows(spec["rows"])
        start = time.perf_counter()
        write_deltalake(spec["scratch"], t, partition_by=["day"])
        return start, t.num_rows
    if kind == "scan":
        start = time.perf_counter()
        dt = DeltaTable(spec["table"])
        q = "select * from t" + (" where " + spec["filter"] if spec.get("filter") else "")
        res = pa.table(QueryBuilder().register("t", dt).execute(q).read_all())
        return start, res.num_rows
    if kind == "snapshot":
        start = time.perf_counter()
        dt = DeltaTable(spec["table"])
        return start, len(dt.file_uris())
    if kind == "commit":
        dt = DeltaTable(spec["table"])
        t = pa.table({"id": pa.array([1], pa.int64())})
        start = time.perf_counter()
        write_deltalake(dt, t, mode="append")
        return start, 1
    if kind == "cdf":
        start = time.perf_counter()
        dt = DeltaTable(spec["table"])
        r = pa.RecordBatchReader.from_stream(dt.load_cdf(starting_version=0))
        return start, count_batches(r)
    raise SystemExit("peers.py: delta-rs has no workload kind %r" % kind)


def duckdb_scan(spec):
    import duckdb
    if spec["kind"] != "scan":
        raise SystemExit("peers.py: duckdb has no workload kind %r" % spec["kind"])
    # The result is materialized in DuckDB's own columnar memory (a
    # temporary table), as the other engines materialize Arrow batches;
    # fetching it into Python objects would time the conversion instead.
    start = time.perf_counter()
    con = duckdb.connect()
    q = "create temp table r as select * from read_parquet('%s/**/*.parquet', hive_partitioning = true)" % spec["table"]
    if spec.get("filter"):
        q += " where " + spec["filter"]
    con.execute(q)
    ms_end = time.perf_counter()
    rows = con.execute("select count(*) from r").fetchone()[0]
    return start, rows, ms_end


def main():
    spec = json.loads(sys.argv[1])
    if spec["engine"] == "delta-rs":
        start, rows = deltars(spec)
        end = time.perf_counter()
    elif spec["engine"] == "duckdb":
        start, rows, end = duckdb_scan(spec)
    else:
        raise SystemExit("peers.py: unknown engine %r" % spec["engine"])
    ms = (end - start) * 1000
    print(json.dumps({"ms": ms, "rows": rows, "peak_rss": peak_rss()}))


main()
