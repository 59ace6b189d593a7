"""Spark's equivalent of stream.BenchmarkJSONFilesToDelta: the same 20 JSON-lines
files of 10,000 events, readStream.format('json') with maxFilesPerTrigger 5 into a
Delta table, Trigger.AvailableNow, three runs in one session (the first pays JVM
warm-up). Run with the interop venv: .cache/venv-interop/bin/python bench/stream/spark_autoloader.py
"""
import os, sys, time, shutil
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "interop", "peers"))
from spark_peer import spark_conf
os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
from pyspark.sql import SparkSession
conf = spark_conf()
conf["spark.driver.extraJavaOptions"] = "-Duser.timezone=UTC"
conf["spark.driver.memory"] = "2g"
b = SparkSession.builder
for k, v in conf.items():
    b = b.config(k, v)
spark = b.getOrCreate()
spark.sparkContext.setLogLevel("ERROR")
base = os.environ.get("BENCH_DIR", "/tmp/stream-bench")
inp = base + "/in"
if not os.path.exists(inp):
    os.makedirs(inp)
    for f in range(20):
        with open(f"{inp}/f{f:03d}.json", "w") as fh:
            for i in range(10000):
                id = f * 10000 + i
                fh.write('{"id":%d,"user":"u%d","amount":%d.5,"ts":"2026-01-01T10:%02d:%02dZ"}\n' % (id, id % 1000, id % 97, (id // 60) % 60, id % 60))
schema = "id bigint, user string, amount double, ts timestamp"
for run in range(3):
    out, ck = f"{base}/out{run}", f"{base}/ck{run}"
    shutil.rmtree(out, ignore_errors=True); shutil.rmtree(ck, ignore_errors=True)
    t = time.time()
    q = (spark.readStream.format("json").schema(schema).option("maxFilesPerTrigger", 5).load(inp)
         .writeStream.format("delta").option("checkpointLocation", ck).trigger(availableNow=True).start(out))
    q.awaitTermination()
    el = time.time() - t
    durs = [p["durationMs"]["triggerExecution"] for p in q.recentProgress if p["numInputRows"] > 0]
    n = spark.read.format("delta").load(out).count()
    print(f"run {run}: {n} rows in {el:.2f}s = {n/el:.0f} events/s; batches {len(durs)}, mean {sum(durs)/max(1,len(durs)):.0f} ms/batch", flush=True)
spark.stop()
