"""What both peers share: the scenario registry and the ops built on read/history.

A scenario is a function (peer, path) -> dict|None that writes one Delta table
with the peer's own writer. `build` runs it and then records the peer's own
reading of every version (and of the change feed when the scenario enables
it): those are the expected rows the other engines must reproduce. The dict
may carry "notes" (logged), "cdf_start" and "expect": versions a RESTORE or
CLONE made, each with the version ("of", of this table or of "path") whose
rows it must hold.
"""

import datetime as _dt
import shutil

import canon


def scenario(registry, name, covers, cdf=False):
    def register(fn):
        registry[name] = {"fn": fn, "covers": covers, "cdf": cdf}
        return fn
    return register


def parse_ts(text):
    """RFC 3339 text ("2026-01-02T03:04:05.678Z") to an aware UTC datetime."""
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    return _dt.datetime.fromisoformat(text).astimezone(_dt.timezone.utc)


class Base:
    engine = ""
    registry = {}

    def close(self):
        pass

    # --- what each engine implements -------------------------------------
    def read_arrow(self, path, version=None, timestamp=None, columns=None, where=None):
        raise NotImplementedError

    def history(self, path):
        raise NotImplementedError

    def cdf_arrow(self, path, start, end):
        raise NotImplementedError

    # --- ops -----------------------------------------------------------------
    def op_scenarios(self):
        return [{"name": k, "covers": v["covers"], "cdf": v["cdf"]} for k, v in self.registry.items()]

    def op_read(self, path, version=None, timestamp=None, columns=None, where=None):
        tbl = self.read_arrow(path, version=version, timestamp=timestamp, columns=columns, where=where)
        return {"rows": canon.rows(tbl), "schema": canon.schema_json(tbl.schema)}

    def op_history(self, path):
        return self.history(path)

    def op_cdf(self, path, start=0, end=None):
        tbl = self.cdf_arrow(path, start, end)
        return {"rows": canon.rows(tbl, drop=("_commit_timestamp",))}

    def op_export(self, dataset, start, n, path, format="parquet", tag=None):
        return export_dataset(dataset, start, n, path, format, tag)

    def op_shutdown(self):
        return {}

    def op_build(self, scenario, path):
        entry = self.registry[scenario]
        shutil.rmtree(path, ignore_errors=True)
        info = entry["fn"](self, path) or {}
        hist = sorted(self.history(path), key=lambda h: h["version"])
        versions = []
        for h in hist:
            v = dict(h)
            try:
                v.update(self.op_read(path, version=h["version"]))
            except Exception as exc:  # e.g. files removed by VACUUM
                v["error"] = "%s: %s" % (type(exc).__name__, str(exc).strip().splitlines()[0][:300] if str(exc).strip() else "")
            versions.append(v)
        out = {"path": path, "versions": versions, "notes": info.get("notes", [])}
        # A restore or a clone must hold the rows of the version it copies:
        # the writer's own reading of that version, which the other engines'
        # reading of the restored or cloned version must equal too.
        out["expect"] = [{"version": e["version"], "why": e["why"],
                          "rows": self.op_read(e.get("path") or path, version=e["of"])["rows"]}
                         for e in info.get("expect", [])]
        if entry["cdf"]:
            start = info.get("cdf_start", 0)
            out["cdf"] = {"start": start, "end": hist[-1]["version"], **self.op_cdf(path, start, hist[-1]["version"])}
        return out


def export_dataset(dataset, start, n, path, fmt="parquet", tag=None):
    """Writes rows of a data.py dataset to a file for `lakehouse write` or `lakehouse merge --source`;
    returns their canonical rows. tag is the name prefix of the simple dataset (a merge source's rows differ)."""
    import json

    import pyarrow.parquet as pq

    import data
    if tag is not None and dataset != "simple":
        raise ValueError("export: tag applies to the simple dataset only")
    if tag is not None:
        tbl = data.simple(start, n, tag=tag)
    else:
        tbl = {"all_types": data.all_types, "partitioned": data.partitioned, "simple": data.simple}[dataset](start, n)
    if fmt == "parquet":
        pq.write_table(tbl, path)
    elif fmt == "jsonl":
        with open(path, "w", encoding="utf-8") as f:
            for row in canon.rows(tbl):
                f.write(row + "\n")
    else:
        raise ValueError("export: unknown format %r" % fmt)
    return {"rows": canon.rows(tbl), "schema": canon.schema_json(tbl.schema)}
