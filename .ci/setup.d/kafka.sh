#!/usr/bin/env bash
# Installs Apache Kafka 4.4.0 (the broker jars and their runtime
# dependencies, from Maven Central) for the stream package's tests against a
# real broker. Idempotent: does nothing when the pinned version's jars are
# already under .cache/kafka/lib. scripts/kafka.sh starts a single-node KRaft
# broker from them; the tests find it through LAKEHOUSE_KAFKA_BROKERS.
#
# The slf4j binding is not a Kafka dependency, but without one the broker logs
# nothing, and "Kafka Server started" in its log is the readiness signal
# scripts/kafka.sh waits for. Needs java (17+) and mvn.
set -euo pipefail
cd "$(dirname "$0")/../.."

KAFKA_VERSION=4.4.0
dir=.cache/kafka
stamp="$dir/installed-$KAFKA_VERSION"

if [ -f "$stamp" ] && ls "$dir"/lib/kafka_2.13-"$KAFKA_VERSION".jar >/dev/null 2>&1; then
  echo "kafka $KAFKA_VERSION already installed in $dir"
  exit 0
fi
for tool in java mvn; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "kafka.sh: $tool not found; install a JDK 17+ and Maven to run the Kafka broker tests" >&2
    exit 1
  fi
done

rm -rf "$dir/lib" "$dir"/installed-*
mkdir -p "$dir"
cat >"$dir/pom.xml" <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>lakehouse</groupId>
  <artifactId>kafka-broker</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId><version>$KAFKA_VERSION</version></dependency>
    <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-api</artifactId><version>2.0.17</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-slf4j2-impl</artifactId><version>2.25.5</version></dependency>
  </dependencies>
</project>
POM
(cd "$dir" && mvn -B -q dependency:copy-dependencies -DoutputDirectory=lib -DincludeScope=runtime)
ls "$dir"/lib/kafka_2.13-"$KAFKA_VERSION".jar >/dev/null
echo "kafka $KAFKA_VERSION: $(ls "$dir"/lib | wc -l) jars in $dir/lib"
touch "$stamp"
