"""delta-rs as the independent reader of the conformance corpus.

delta/oracle_test.go runs this once per test run of the delta package:

    python corpus_oracle.py JOBS.json OUTDIR

JOBS.json is a list of {"id", "path", "version"}, one Delta table version
each. For every job, in order, this writes OUTDIR/<id>.jsonl, the rows
delta-rs reads at that version as canonical JSON lines (canon.rows, the form
the Go side renders), or OUTDIR/<id>.error, one line saying why delta-rs could
not read it, and then prints the id on stdout, so the test can compare a
version while later ones are still being read. The first stdout line is a
JSON object with the package versions. Exit status 3 means the packages are
not installed.

Rows come from delta-rs's query engine (DataFusion over its Delta table
provider) because its pyarrow dataset path returns nulls for column-mapped
tables. One process serves the whole corpus, so the interpreter and the
engine start once, not once per table version.
"""

import json
import os
import sys
from importlib import metadata

try:
    import pyarrow as pa
    from deltalake import DeltaTable, QueryBuilder

    import canon
except ImportError as exc:
    print("corpus_oracle: %s" % exc, file=sys.stderr)
    sys.exit(3)


def read_rows(path, version):
    dt = DeltaTable(path, version=version)
    if dt.version() != version:
        raise RuntimeError("asked for version %d, loaded %d" % (version, dt.version()))
    reader = QueryBuilder().register("t", dt).execute("select * from t")
    return canon.rows(pa.table(reader.read_all()))


def first_line(exc):
    text = str(exc).strip()
    return "%s: %s" % (type(exc).__name__, text.splitlines()[0][:500] if text else "")


def main(jobs_path, out_dir):
    with open(jobs_path, encoding="utf-8") as f:
        jobs = json.load(f)
    print(json.dumps({"deltalake": metadata.version("deltalake"), "pyarrow": metadata.version("pyarrow")}), flush=True)
    for job in jobs:
        base = os.path.join(out_dir, job["id"])
        try:
            rows = read_rows(job["path"], job["version"])
        except Exception as exc:  # every failure is a finding the test reports
            with open(base + ".error", "w", encoding="utf-8") as f:
                f.write(first_line(exc) + "\n")
        else:
            with open(base + ".jsonl", "w", encoding="utf-8") as f:
                f.writelines(r + "\n" for r in rows)
        print(job["id"], flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
