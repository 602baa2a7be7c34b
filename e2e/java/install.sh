#!/usr/bin/env bash
# Fetches the Apache Kafka Java client (kafka-clients 4.1.1 + slf4j-nop, pinned in e2e/java/pom.xml) from Maven
# Central into e2e/java/target/lib for the e2e Java suite. Skipped when the jars are already there.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
lib="$here/target/lib"
if compgen -G "$lib/kafka-clients-4.1.1.jar" >/dev/null && compgen -G "$lib/slf4j-nop-*.jar" >/dev/null; then
  echo "e2e/java: client jars already in $lib"
  exit 0
fi
command -v mvn >/dev/null || { echo "e2e/java/install.sh: mvn (Maven 3) is required" >&2; exit 1; }
command -v java >/dev/null || { echo "e2e/java/install.sh: java (JDK 17+) is required" >&2; exit 1; }
mvn -q -B -f "$here/pom.xml" dependency:copy-dependencies -DoutputDirectory=target/lib
ls "$lib"/kafka-clients-4.1.1.jar >/dev/null
echo "e2e/java: client jars installed in $lib"
