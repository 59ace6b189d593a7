"""Compatibility check between the Go mlflow package and the real MLflow.

Usage: python compat.py <go_store_dir> <expect.json> <py_store_dir> <out.json>

1. Reads the FileStore the Go code wrote (<go_store_dir>) with MlflowClient,
   mlflow.search_runs, mlflow.models.Model and the artifact APIs, and asserts
   every value listed in expect.json.
2. Migrates that store into SQLite with `mlflow migrate-filestore` (the click
   command, run in-process) and re-checks a few values from the database.
3. Writes a FileStore of its own with MlflowClient (<py_store_dir>) and dumps
   what it wrote to <out.json> for the Go side to assert.

Everything runs in one interpreter because importing mlflow is slow.
"""

import json
import math
import os
import sys
import tempfile

import mlflow
import pandas as pd
from mlflow import MlflowClient
from mlflow.entities import ViewType
from mlflow.models import Model, infer_signature

go_dir, expect_path, py_dir, out_path = sys.argv[1:5]
with open(expect_path) as f:
    want = json.load(f)
checks = 0


def check(got, exp, what):
    global checks
    assert got == exp, f"{what}: got {got!r}, want {exp!r}"
    checks += 1


def uri(path):
    return "file://" + os.path.abspath(path)


# ---- 1. read what Go wrote -------------------------------------------------
go_uri = uri(go_dir)
mlflow.set_tracking_uri(go_uri)
mlflow.set_registry_uri(go_uri)
c = MlflowClient(tracking_uri=go_uri, registry_uri=go_uri)

exp = c.get_experiment_by_name(want["experiment_name"])
check(exp.experiment_id, want["experiment_id"], "experiment id")
check(exp.tags.get("team"), "ml", "experiment tag")
check(exp.lifecycle_stage, "active", "experiment stage")
check(c.get_experiment("0").name, "Default", "default experiment")

run = c.get_run(want["run_id"])
check(run.info.run_name, want["run_name"], "run name")
check(run.info.status, "FINISHED", "run status")
check(run.info.start_time, want["start_time_ms"], "start time")
check(run.info.end_time is not None and run.info.end_time >= run.info.start_time, True, "end time")
check(run.info.artifact_uri, want["artifact_uri"], "artifact uri")
check(dict(run.data.params), want["params"], "params")
for k, v in want["tags"].items():
    check(run.data.tags.get(k), v, f"tag {k}")
check(run.data.metrics["rmse"], want["rmse_latest"], "latest rmse")
check(math.isnan(run.data.metrics["nan_metric"]), True, "NaN metric")
hist = sorted(c.get_metric_history(want["run_id"], "rmse"), key=lambda m: m.step)
check([[m.step, m.value, m.timestamp] for m in hist], want["rmse_history"], "rmse history")

child = c.get_run(want["child_run_id"])
check(child.data.tags.get("mlflow.parentRunId"), want["run_id"], "parent tag")
check(c.get_run(want["failed_run_id"]).info.status, "FAILED", "failed run")
deleted = c.search_runs([want["experiment_id"]], run_view_type=ViewType.DELETED_ONLY)
check([r.info.run_id for r in deleted], [want["deleted_run_id"]], "deleted runs")

tr = c.get_experiment(want["trashed_experiment_id"])
check(tr.lifecycle_stage, "deleted", "trashed experiment")
tr_runs = c.search_runs([tr.experiment_id], run_view_type=ViewType.ALL)
check([(r.info.run_name, r.info.lifecycle_stage) for r in tr_runs], [("in-trash", "deleted")], "runs of a trashed experiment")
check(want["trashed_experiment_id"] in [e.experiment_id for e in c.search_experiments(view_type=ViewType.DELETED_ONLY)], True, "search deleted experiments")

df = mlflow.search_runs(
    experiment_ids=[want["experiment_id"]],
    filter_string="metrics.rmse < 1 and params.max_depth = '6'",
    order_by=["metrics.rmse ASC"],
)
check(list(df["run_id"]), want["search_result"], "search_runs filter")

arts = c.list_artifacts(want["run_id"], "figs")
check(sorted((a.path, a.is_dir, a.file_size) for a in arts), [("figs/a.csv", False, 8), ("figs/sub", True, None)], "list_artifacts")
local = c.download_artifacts(want["run_id"], "report.txt", tempfile.mkdtemp())
with open(local) as f:
    check(f.read(), "hello from go", "artifact content")

model_dir = mlflow.artifacts.download_artifacts(f"runs:/{want['run_id']}/model", dst_path=tempfile.mkdtemp())
m = Model.load(model_dir)
check(m.flavors["go"]["data"], "weights.json", "go flavor")
check(m.run_id, want["run_id"], "MLmodel run_id")
check(m.signature.inputs.to_dict(), want["signature_inputs"], "signature inputs")
check(m.signature.outputs.to_dict(), want["signature_outputs"], "signature outputs")
ex = m.load_input_example(model_dir)
check(ex.to_dict(orient="list"), want["input_example"], "input example")
hist_tag = json.loads(run.data.tags["mlflow.log-model.history"])
check(hist_tag[0]["artifact_path"], "model", "log-model history")

name = want["model_name"]
rm = c.get_registered_model(name)
check(rm.description, "linear model", "registered model description")
check(rm.tags, {"domain": "pricing"}, "registered model tags")
check(rm.aliases, {"production": "1", "challenger": "2"}, "aliases")
mv = c.get_model_version_by_alias(name, "production")
check(str(mv.version), "1", "version by alias")
check(mv.run_id, want["run_id"], "version run id")
check(mv.source, f"runs:/{want['run_id']}/model", "version source")
check(mv.tags, {"validated": "true"}, "version tags")
check(mv.description, "first", "version description")
check(sorted(int(v.version) for v in c.search_model_versions(f"name='{name}'")), [1, 2], "search_model_versions")
aliased = mlflow.artifacts.download_artifacts(f"models:/{name}@production", dst_path=tempfile.mkdtemp())
check(Model.load(aliased).signature.inputs.to_dict(), want["signature_inputs"], "model loaded by alias")
check(c.get_registered_model(want["uc_model_name"]).name, want["uc_model_name"], "UC style name")

lm = c.get_logged_model(want["logged_model_id"])
check(lm.status.to_proto(), 2, "LoggedModel READY")
check(lm.source_run_id, want["logged_model_run_id"], "LoggedModel source run")
check(lm.name, "lm", "LoggedModel name")
lm_local = mlflow.artifacts.download_artifacts(f"models:/{lm.model_id}", dst_path=tempfile.mkdtemp())
check(Model.load(lm_local).model_id, lm.model_id, "MLmodel of LoggedModel")
check([m.model_id for m in c.search_logged_models(experiment_ids=[want["experiment_id"]])], [lm.model_id], "search_logged_models")
lmv = c.get_model_version("pricing_v3", 1)
check(lmv.model_id, lm.model_id, "version promotes the LoggedModel")
check(lmv.run_id, want["logged_model_run_id"], "version run from LoggedModel")

# ---- 2. migrate-filestore into SQLite -------------------------------------
from mlflow.store.fs2db.cli import migrate_filestore  # noqa: E402

db = os.path.join(tempfile.mkdtemp(), "migrated.db")
migrate_filestore.main(["--source", go_dir, "--target", f"sqlite:///{db}", "--no-progress"], standalone_mode=False)
sq = MlflowClient(tracking_uri=f"sqlite:///{db}", registry_uri=f"sqlite:///{db}")
mrun = sq.get_run(want["run_id"])
check(dict(mrun.data.params), want["params"], "migrated params")
check(mrun.data.metrics["rmse"], want["rmse_latest"], "migrated latest rmse")
check(len(sq.get_metric_history(want["run_id"], "rmse")), len(want["rmse_history"]), "migrated history")
check(str(sq.get_model_version_by_alias(name, "production").version), "1", "migrated alias")
check(sq.get_experiment_by_name(want["experiment_name"]).tags.get("team"), "ml", "migrated experiment tag")
check(sq.get_experiment(want["trashed_experiment_id"]).lifecycle_stage, "deleted", "migrated trashed experiment")

# ---- 3. write a store for the Go side to read ------------------------------
py_uri = uri(py_dir)
p = MlflowClient(tracking_uri=py_uri, registry_uri=py_uri)
pexp = p.create_experiment("py-exp", tags={"origin": "python"})
prun = p.create_run(pexp, run_name="py-run", tags={"k": "v"})
rid = prun.info.run_id
p.log_param(rid, "alpha", "0.5")
p.log_param(rid, "nested/key", "x")
for step, val in enumerate([0.9, 0.4, 0.25]):
    p.log_metric(rid, "loss", val, timestamp=1700000000000 + step, step=step)
p.log_metric(rid, "inf_metric", float("inf"), timestamp=1700000000000)
p.set_tag(rid, "note", "from python")
pchild = p.create_run(pexp, run_name="py-child", tags={"mlflow.parentRunId": rid})
p.set_terminated(pchild.info.run_id, "KILLED")
tmp = tempfile.mkdtemp()
with open(os.path.join(tmp, "data.txt"), "w") as f:
    f.write("python artifact")
p.log_artifact(rid, os.path.join(tmp, "data.txt"), "outputs")

mdir = tempfile.mkdtemp()
sig = infer_signature(pd.DataFrame({"a": [1.0, 2.0], "b": ["x", "y"]}), pd.DataFrame({"out": [1.5, 2.5]}))
pm = Model(artifact_path="model", run_id=rid, signature=sig)
pm.add_flavor("custom", data="blob.bin")
pm.save(os.path.join(mdir, "MLmodel"))
with open(os.path.join(mdir, "blob.bin"), "wb") as f:
    f.write(b"\x00\x01")
p.log_artifacts(rid, mdir, "model")
p.set_terminated(rid, "FINISHED")

p.create_registered_model("py-model", tags={"owner": "py"}, description="from python")
v = p.create_model_version("py-model", f"runs:/{rid}/model", run_id=rid, tags={"t": "1"})
p.set_registered_model_alias("py-model", "production", v.version)

with open(out_path, "w") as f:
    json.dump({
        "checks": checks,
        "experiment_id": pexp,
        "run_id": rid,
        "child_run_id": pchild.info.run_id,
        "run_start_ms": p.get_run(rid).info.start_time,
        "signature_inputs": sig.inputs.to_dict(),
    }, f)
print(f"compat: {checks} checks passed")
