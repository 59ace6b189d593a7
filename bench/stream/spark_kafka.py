"""Spark's equivalent of stream.BenchmarkKafkaToDelta: the benchmark's topic of 200,000
JSON events (3 partitions), readStream.format('kafka') with maxOffsetsPerTrigger 50,000,
from_json into (id, user, amount, ts) plus partition and offset, into a Delta table,
Trigger.AvailableNow, three runs in one session (the first pays JVM warm-up).

Run in the same shell as the Go benchmark, after `source scripts/services.sh`, with the
topic the benchmark logged:
  BENCH_TOPIC=bench-… .cache/venv-interop/bin/python bench/stream/spark_kafka.py
The Kafka connector (spark-sql-kafka-0-10) is resolved into .cache/ivy-kafka; Delta's jars
come from the interop ivy cache.
"""
import glob, os, sys, time, shutil
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "interop", "peers"))
from spark_peer import spark_conf
os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
from pyspark.sql import SparkSession
from pyspark.sql.functions import col, from_json

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
conf = spark_conf()
conf["spark.driver.extraJavaOptions"] = "-Duser.timezone=UTC"
conf["spark.driver.memory"] = "2g"
# Delta from the interop cache by path; only the Kafka connector is resolved.
conf["spark.jars"] = ",".join(sorted(glob.glob(os.path.join(os.path.abspath(conf["spark.jars.ivy"]), "jars", "*.jar"))))
# Maven Central has no spark-sql-kafka-0-10 4.1.4 (the pyspark version); the
# newest 4.1 connector it has is 4.1.1, which runs on the same 4.1 line.
conf["spark.jars.packages"] = "org.apache.spark:spark-sql-kafka-0-10_2.13:" + os.environ.get("SPARK_KAFKA_VERSION", "4.1.1")
conf["spark.jars.ivy"] = os.path.abspath(os.path.join(root, ".cache", "ivy-kafka"))
b = SparkSession.builder
for k, v in conf.items():
    b = b.config(k, v)
spark = b.getOrCreate()
spark.sparkContext.setLogLevel("ERROR")
brokers, topic = os.environ["LAKEHOUSE_KAFKA_BROKERS"], os.environ["BENCH_TOPIC"]
base = os.environ.get("BENCH_DIR", "/tmp/stream-kafka-bench")
schema = "id bigint, user string, amount double, ts timestamp"
for run in range(3):
    out, ck = f"{base}/out{run}", f"{base}/ck{run}"
    shutil.rmtree(out, ignore_errors=True); shutil.rmtree(ck, ignore_errors=True)
    t = time.time()
    df = (spark.readStream.format("kafka").option("kafka.bootstrap.servers", brokers).option("subscribe", topic)
          .option("startingOffsets", "earliest").option("maxOffsetsPerTrigger", 50000).load()
          .select(from_json(col("value").cast("string"), schema).alias("v"), "partition", "offset")
          .select("v.*", "partition", "offset"))
    q = df.writeStream.format("delta").option("checkpointLocation", ck).trigger(availableNow=True).start(out)
    q.awaitTermination()
    el = time.time() - t
    durs = [p["durationMs"]["triggerExecution"] for p in q.recentProgress if p["numInputRows"] > 0]
    n = spark.read.format("delta").load(out).count()
    print(f"run {run}: {n} rows in {el:.2f}s = {n/el:.0f} events/s; batches {len(durs)}, mean {sum(durs)/max(1,len(durs)):.0f} ms/batch", flush=True)
spark.stop()
shutil.rmtree(base, ignore_errors=True)
