"""delta-rs (Python `deltalake`) as an interop peer: reads, history, change feed, scenarios."""

import datetime as _dt
import re
import time
from importlib import metadata

import pyarrow as pa
import pyarrow.compute as pc
from deltalake import DeltaTable, Field, QueryBuilder, Schema, write_deltalake

import canon
import data
from peerbase import Base, parse_ts, scenario

REGISTRY = {}

# Commits made back to back can share a millisecond; time travel by timestamp
# needs them apart, so each scenario step waits this long.
STEP_PAUSE = 0.05


def _pause():
    time.sleep(STEP_PAUSE)


class Peer(Base):
    engine = "delta-rs"
    registry = REGISTRY

    def versions(self):
        return {"deltalake": metadata.version("deltalake"), "pyarrow": metadata.version("pyarrow")}

    def read_arrow(self, path, version=None, timestamp=None, columns=None, where=None):
        dt = DeltaTable(path) if version is None else DeltaTable(path, version=version)
        if timestamp is not None:
            dt.load_as_version(parse_ts(timestamp))
        return pa.table(dt.scan(columns=columns, predicate=where))

    def history(self, path):
        return [{"version": h["version"], "timestamp_ms": h["timestamp"], "operation": h.get("operation", "")}
                for h in DeltaTable(path).history()]

    def cdf_arrow(self, path, start, end):
        return pa.table(DeltaTable(path).load_cdf(starting_version=start, ending_version=end))

    def op_append(self, path, batches):
        """Appends each batch (a list of JSON rows) as its own commit, in the table's schema."""
        schema = pa.schema(DeltaTable(path).schema().to_arrow())
        for rows in batches:
            write_deltalake(path, pa.Table.from_pylist(rows, schema=schema), mode="append")
        return {"version": DeltaTable(path).version()}

    def op_skipping(self, path, where):
        """Files delta-rs's scan keeps for a predicate, read off its executed plan.

        DataFusion's EXPLAIN ANALYZE lists the files the Delta provider handed to
        the Parquet scan after its file-level (statistics) pruning.
        """
        dt = DeltaTable(path)
        plan = pa.table(QueryBuilder().register("t", dt).execute(
            "EXPLAIN ANALYZE SELECT * FROM t WHERE " + where)).column("plan").to_pylist()
        text = "\n".join(plan)
        groups = re.findall(r"file_groups=\{(.*?)\]\]\}", text)
        scanned = sum(g.count(".parquet") for g in groups)
        rows = canon.rows(pa.table(QueryBuilder().register("t", dt).execute("SELECT * FROM t WHERE " + where)))
        return {"files_total": len(dt.file_uris()), "files_scanned": scanned, "rows": rows}


@scenario(REGISTRY, "drs_skipping", "eight appends of disjoint id ranges: one file per range, for data skipping")
def _skipping(peer, path):
    for k in range(8):
        write_deltalake(path, data.simple(k * 100, 100), mode="append")
        _pause()


@scenario(REGISTRY, "drs_types", "every type (nested, specials, nulls); append, overwrite")
def _types(peer, path):
    write_deltalake(path, data.all_types(0, 10))
    _pause()
    write_deltalake(path, data.all_types(10, 10), mode="append")
    _pause()
    write_deltalake(path, data.all_types(100, 7), mode="overwrite")
    _pause()
    write_deltalake(path, data.all_types(200, 5), mode="append")


@scenario(REGISTRY, "drs_partitioned", "partitioned by string/int/date/bool with nulls and special characters; replaceWhere; delete")
def _partitioned(peer, path):
    parts = ["p_str", "p_int", "p_date", "p_bool"]
    write_deltalake(path, data.partitioned(0, 30), partition_by=parts)
    _pause()
    write_deltalake(path, data.partitioned(30, 20), mode="append", partition_by=parts)
    _pause()
    repl = data.partitioned(50, 40).filter(pc.equal(pa.table(data.partitioned(50, 40))["p_int"], 1))
    write_deltalake(path, repl, mode="overwrite", predicate="p_int = 1", partition_by=parts)
    _pause()
    DeltaTable(path).delete("p_str IS NULL")


def _dml(path, config):
    write_deltalake(path, data.simple(0, 40), configuration=config)
    _pause()
    write_deltalake(path, data.simple(40, 20), mode="append")
    _pause()
    DeltaTable(path).delete("x < 20")
    _pause()
    DeltaTable(path).update(updates={"name": "concat(name, '-upd')", "amount": "amount * 2"}, predicate="y > 40")
    _pause()
    src = data.simple(50, 30, tag="m")
    (DeltaTable(path).merge(src, predicate="t.id = s.id", source_alias="s", target_alias="t")
        .when_matched_update(updates={"name": "s.name", "amount": "s.amount + 0.5"})
        .when_not_matched_insert_all()
        .when_not_matched_by_source_delete(predicate="t.id < 10")
        .execute())
    _pause()
    write_deltalake(path, data.simple(1000, 5), mode="append")


@scenario(REGISTRY, "drs_dml", "append, DELETE, UPDATE, MERGE (incl. not matched by source), copy-on-write")
def _dml_cow(peer, path):
    _dml(path, None)


@scenario(REGISTRY, "drs_dml_dv_table", "DELETE/UPDATE/MERGE on a table with deletion vectors enabled (delta-rs rewrites files)")
def _dml_dv(peer, path):
    _dml(path, {"delta.enableDeletionVectors": "true"})


@scenario(REGISTRY, "drs_dml_partitioned_cdf",
          "partitioned by int and bool: DELETE of a whole partition and of rows, UPDATE, MERGE (incl. not matched by source) "
          "with change data feed", cdf=True)
def _dml_partitioned_cdf(peer, path):
    write_deltalake(path, data.partitioned(0, 40), partition_by=["p_int", "p_bool"],
                    configuration={"delta.enableChangeDataFeed": "true"})
    _pause()
    DeltaTable(path).delete("p_int = 1")
    _pause()
    DeltaTable(path).delete("id % 3 = 0")
    _pause()
    DeltaTable(path).update(updates={"v": "concat(v, '-u')"}, predicate="p_date IS NULL OR p_str = 'a b'")
    _pause()
    (DeltaTable(path).merge(data.partitioned(30, 20), predicate="t.id = s.id", source_alias="s", target_alias="t")
        .when_matched_delete(predicate="s.p_bool = false")
        .when_matched_update(updates={"v": "concat(s.v, '-m')"})
        .when_not_matched_insert_all()
        .when_not_matched_by_source_delete(predicate="t.id < 10")
        .execute())


@scenario(REGISTRY, "drs_optimize", "many small appends, OPTIMIZE compact, Z-ORDER, VACUUM (old versions unreadable)")
def _optimize(peer, path):
    for k in range(5):
        write_deltalake(path, data.simple(k * 10, 10), mode="append")
        _pause()
    DeltaTable(path).optimize.compact()
    _pause()
    write_deltalake(path, data.simple(50, 10), mode="append")
    _pause()
    DeltaTable(path).optimize.z_order(["x", "y"])
    _pause()
    DeltaTable(path).vacuum(retention_hours=0, dry_run=False, enforce_retention_duration=False)


@scenario(REGISTRY, "drs_cdf", "change data feed through UPDATE, DELETE, MERGE", cdf=True)
def _cdf(peer, path):
    write_deltalake(path, data.simple(0, 20), configuration={"delta.enableChangeDataFeed": "true"})
    _pause()
    write_deltalake(path, data.simple(20, 5), mode="append")
    _pause()
    DeltaTable(path).update(updates={"name": "'changed'"}, predicate="id % 4 = 0")
    _pause()
    DeltaTable(path).delete("id > 21")
    _pause()
    src = data.simple(15, 10, tag="m")
    (DeltaTable(path).merge(src, predicate="t.id = s.id", source_alias="s", target_alias="t")
        .when_matched_update_all().when_not_matched_insert_all().execute())


@scenario(REGISTRY, "drs_schema_evolution", "append with schema_mode=merge (new column), overwrite with a new schema")
def _schema_evolution(peer, path):
    write_deltalake(path, data.simple(0, 10))
    _pause()
    extra = data.simple(10, 5).append_column("note", pa.array(["n%d" % i for i in range(5)]))
    write_deltalake(path, extra, mode="append", schema_mode="merge")
    _pause()
    write_deltalake(path, data.simple(20, 3), mode="append", schema_mode="merge")
    _pause()
    other = pa.table({"k": pa.array([1, 2, 3], pa.int64()), "label": ["a", "b", None]})
    write_deltalake(path, other, mode="overwrite", schema_mode="overwrite")


@scenario(REGISTRY, "drs_checkpoints", "checkpointInterval=3 and an explicit checkpoint between appends and an overwrite")
def _checkpoints(peer, path):
    write_deltalake(path, data.simple(0, 5), configuration={"delta.checkpointInterval": "3"})
    for k in range(1, 8):
        _pause()
        write_deltalake(path, data.simple(k * 5, 5), mode="overwrite" if k == 5 else "append")
        if k == 4:
            DeltaTable(path).create_checkpoint()


@scenario(REGISTRY, "drs_column_mapping", "column mapping mode=name set at creation")
def _column_mapping(peer, path):
    write_deltalake(path, data.simple(0, 10), configuration={"delta.columnMapping.mode": "name"})
    _pause()
    write_deltalake(path, data.simple(10, 5), mode="append")


@scenario(REGISTRY, "drs_constraints", "CHECK constraint and a generated column written by delta-rs")
def _constraints(peer, path):
    schema = Schema([
        Field("id", "long", nullable=False),
        Field("x", "integer"),
        Field("x2", "integer", metadata={"delta.generationExpression": "x * 2"}),
    ])
    DeltaTable.create(path, schema=schema)
    _pause()
    DeltaTable(path).alter.add_constraint({"x_nonneg": "x >= 0"})
    _pause()
    write_deltalake(path, pa.table({"id": pa.array([1, 2, 3], pa.int64()), "x": pa.array([0, 5, 7], pa.int32())}), mode="append")


def _between(path, version):
    """A UTC time halfway between a version's commit and the next one's, as delta-rs's history dates them."""
    ts = {h["version"]: h["timestamp"] for h in DeltaTable(path).history()}
    lo, hi = ts[version], ts[version + 1]
    if hi - lo < 2:
        raise ValueError("versions %d and %d of %s are too close in time to restore between them" % (version, version + 1, path))
    return _dt.datetime.fromtimestamp((lo + (hi - lo) // 2) / 1000.0, tz=_dt.timezone.utc)


@scenario(REGISTRY, "drs_restore", "restore to a version before a DELETE, UPDATE, restore to a datetime (copy-on-write)")
def _restore(peer, path):
    write_deltalake(path, data.simple(0, 40))
    _pause()
    write_deltalake(path, data.simple(40, 20), mode="append")
    _pause()
    DeltaTable(path).delete("x < 20")
    _pause()
    DeltaTable(path).update(updates={"name": "concat(name, '-u')"}, predicate="y > 40")
    _pause()
    DeltaTable(path).restore(1)
    _pause()
    write_deltalake(path, data.simple(1000, 5), mode="append")
    _pause()
    DeltaTable(path).restore(_between(path, 3))
    _pause()
    write_deltalake(path, data.simple(2000, 3), mode="append")
    return {"expect": [{"version": 4, "of": 1, "why": "restore(1)"},
                       {"version": 6, "of": 3, "why": "restore to a datetime between versions 3 and 4"}]}


@scenario(REGISTRY, "drs_vacuum",
          "vacuum at retention 0 (log-only, full=False), then full vacuum, after DELETE, UPDATE and overwrite "
          "(versions needing deleted files unreadable)")
def _vacuum(peer, path):
    write_deltalake(path, data.simple(0, 40))
    _pause()
    write_deltalake(path, data.simple(40, 20), mode="append")
    _pause()
    DeltaTable(path).delete("x < 20")
    _pause()
    DeltaTable(path).update(updates={"amount": "amount * 2"}, predicate="y > 40")
    _pause()
    DeltaTable(path).vacuum(retention_hours=0, enforce_retention_duration=False, dry_run=False)
    _pause()
    DeltaTable(path).delete("id >= 50 AND id < 56")
    _pause()
    write_deltalake(path, data.simple(1000, 5), mode="overwrite")
    _pause()
    DeltaTable(path).vacuum(retention_hours=0, enforce_retention_duration=False, dry_run=False, full=True)
    _pause()
    write_deltalake(path, data.simple(2000, 3), mode="append")
