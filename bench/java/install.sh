#!/usr/bin/env bash
# Fetches Apache Kafka 4.1.1 (broker kafka_2.13 + kafka-tools, pinned in bench/java/pom.xml) and their runtime
# dependencies from Maven Central into bench/java/target/lib for `npm run bench:vs-kafka`.
# Skipped when the jars are already there.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
lib="$here/target/lib"
if compgen -G "$lib/kafka_2.13-4.1.1.jar" >/dev/null && compgen -G "$lib/kafka-tools-4.1.1.jar" >/dev/null \
  && compgen -G "$lib/slf4j-simple-*.jar" >/dev/null; then
  echo "bench/java: Kafka jars already in $lib"
  exit 0
fi
command -v mvn >/dev/null || { echo "bench/java/install.sh: mvn (Maven 3) is required" >&2; exit 1; }
command -v java >/dev/null || { echo "bench/java/install.sh: java (JDK 17+) is required" >&2; exit 1; }
rm -rf "$lib"
mvn -q -B -f "$here/pom.xml" dependency:copy-dependencies
ls "$lib"/kafka_2.13-4.1.1.jar "$lib"/kafka-tools-4.1.1.jar >/dev/null
echo "bench/java: Kafka jars installed in $lib"
