#!/usr/bin/env bash
# Run a single-node Apache Kafka broker (KRaft, broker and controller in one process) on
# 127.0.0.1 for local runs and tests. No Kafka is packaged for npm or Debian, so the broker's jars
# come from Maven Central through Maven and are cached in .tools/ (ignored by git).
#
# Usage: scripts/kafka.sh COMMAND [options]
#   fetch                Download the broker's jars (start does this when they are missing).
#   start                Start the broker, wait until it accepts clients, print the bootstrap
#                        address (host:port) as the last line of standard output.
#   stop                 Stop the broker gracefully (SIGTERM, then SIGKILL after 30 s).
#   status               Print the bootstrap address and exit 0 when the broker runs, else exit 1.
#
# Options:
#   --dir DIR              Run folder: config, pid file, log and data (default: $KAFKA_RUN_DIR, or
#                          a per-user folder in $TMPDIR). A restart with the same folder keeps the
#                          topics and reuses the ports.
#   --port N               Client port (default: a free port, or the folder's previous port).
#   --controller-port N    KRaft controller port (default: as --port).
#   --purge                With stop: delete the run folder afterwards.
#
# Environment: KAFKA_VERSION (default 3.9.2), KAFKA_HEAP_OPTS (default -Xms128m -Xmx512m),
# KAFKA_START_TIMEOUT seconds (default 90).
set -euo pipefail

KAFKA_VERSION="${KAFKA_VERSION:-3.9.2}"
# The kafka_2.13 artifact leaves the logging backend to the application, so these add the log4j 1.x
# binding that Kafka's own binary distribution of that version ships.
SLF4J_VERSION="1.7.36"
RELOAD4J_VERSION="1.2.25"

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
home="$root/.tools/kafka-$KAFKA_VERSION"
libs="$home/libs"

die() {
  echo "kafka.sh: $*" >&2
  exit 1
}

usage() {
  sed -n '6,22p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

fetch() {
  if [ -f "$libs/.complete" ]; then
    return 0
  fi
  command -v mvn >/dev/null || die "Maven (mvn) is not on PATH; install it (apt-get install maven) to fetch the Kafka broker."
  mkdir -p "$home"
  cat >"$home/pom.xml" <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.auction-applications</groupId>
  <artifactId>kafka-broker</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId><version>$KAFKA_VERSION</version></dependency>
    <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-reload4j</artifactId><version>$SLF4J_VERSION</version></dependency>
    <dependency><groupId>ch.qos.reload4j</groupId><artifactId>reload4j</artifactId><version>$RELOAD4J_VERSION</version></dependency>
  </dependencies>
</project>
EOF
  echo "kafka.sh: fetching Apache Kafka $KAFKA_VERSION from Maven Central into $libs" >&2
  rm -rf "$libs"
  if ! mvn -q -B -f "$home/pom.xml" dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$libs" >"$home/fetch.log" 2>&1; then
    tail -n 20 "$home/fetch.log" >&2
    die "fetching Kafka $KAFKA_VERSION with Maven failed (full output in $home/fetch.log)."
  fi
  touch "$libs/.complete"
}

free_port() {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

# The value of KEY in a Java properties file, or nothing.
property() {
  if [ -f "$2" ]; then
    sed -n "s/^$1=//p" "$2" | tail -n 1
  fi
}

running_pid() {
  local pid
  pid="$(cat "$run_dir/kafka.pid" 2>/dev/null || true)"
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    echo "$pid"
  fi
}

bootstrap_address() {
  echo "127.0.0.1:$(property kafka.port "$run_dir/ports.properties")"
}

start() {
  command -v java >/dev/null || die "Java is not on PATH; Kafka $KAFKA_VERSION needs Java 11 or later (apt-get install openjdk-17-jre-headless)."
  if [ -n "$(running_pid)" ]; then
    echo "kafka.sh: the broker in $run_dir is already running." >&2
    bootstrap_address
    return 0
  fi
  fetch
  mkdir -p "$run_dir/data"
  run_dir="$(cd "$run_dir" && pwd)"

  # A restarted broker keeps its ports, so clients that know the old address reconnect.
  port="${port:-$(property kafka.port "$run_dir/ports.properties")}"
  controller_port="${controller_port:-$(property controller.port "$run_dir/ports.properties")}"
  port="${port:-$(free_port)}"
  controller_port="${controller_port:-$(free_port)}"
  [ "$port" != "$controller_port" ] || die "--port and --controller-port must differ (both are $port)."
  printf 'kafka.port=%s\ncontroller.port=%s\n' "$port" "$controller_port" >"$run_dir/ports.properties"

  cat >"$run_dir/server.properties" <<EOF
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$controller_port
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$controller_port
advertised.listeners=PLAINTEXT://127.0.0.1:$port
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$run_dir/data
num.partitions=3
# The service creates its topics itself; a typo in a topic name must fail, not create a topic.
auto.create.topics.enable=false
# A single node cannot hold more than one replica of the internal topics.
offsets.topic.replication.factor=1
offsets.topic.num.partitions=5
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
# Consumers in tests join a group once, so waiting 3 s for more members only slows them down.
group.initial.rebalance.delay.ms=0
EOF
  cat >"$run_dir/log4j.properties" <<EOF
log4j.rootLogger=INFO, file
log4j.appender.file=org.apache.log4j.FileAppender
log4j.appender.file.File=$run_dir/server.log
log4j.appender.file.layout=org.apache.log4j.PatternLayout
log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka=INFO
log4j.logger.org.apache.kafka=INFO
log4j.logger.state.change.logger=WARN
EOF

  local heap=(${KAFKA_HEAP_OPTS:--Xms128m -Xmx512m})
  local java_opts=("${heap[@]}" -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true
    "-Dlog4j.configuration=file:$run_dir/log4j.properties" -cp "$libs/*")

  if [ ! -f "$run_dir/data/meta.properties" ]; then
    local cluster_id
    cluster_id="$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')"
    java "${java_opts[@]}" kafka.tools.StorageTool format --ignore-formatted \
      "--cluster-id=$cluster_id" --config "$run_dir/server.properties" >"$run_dir/format.log" 2>&1 ||
      { cat "$run_dir/format.log" >&2; die "formatting the storage in $run_dir/data failed."; }
  fi

  : >"$run_dir/server.log"
  nohup java "${java_opts[@]}" kafka.Kafka "$run_dir/server.properties" >"$run_dir/stdout.log" 2>&1 &
  local pid=$!
  echo "$pid" >"$run_dir/kafka.pid"

  local deadline=$((SECONDS + ${KAFKA_START_TIMEOUT:-90}))
  until grep -q 'Kafka Server started' "$run_dir/server.log" 2>/dev/null; do
    if ! kill -0 "$pid" 2>/dev/null; then
      tail -n 30 "$run_dir/stdout.log" "$run_dir/server.log" >&2
      rm -f "$run_dir/kafka.pid"
      die "the broker exited during start (logs in $run_dir)."
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      tail -n 30 "$run_dir/server.log" >&2
      kill "$pid" 2>/dev/null || true
      die "the broker did not start within ${KAFKA_START_TIMEOUT:-90} s (logs in $run_dir)."
    fi
    sleep 0.2
  done
  echo "kafka.sh: Kafka $KAFKA_VERSION runs with pid $pid, data in $run_dir/data." >&2
  bootstrap_address
}

stop() {
  local pid
  pid="$(running_pid)"
  if [ -z "$pid" ]; then
    echo "kafka.sh: no broker runs from $run_dir." >&2
  else
    kill -TERM "$pid"
    local deadline=$((SECONDS + 30))
    while kill -0 "$pid" 2>/dev/null; do
      if [ "$SECONDS" -ge "$deadline" ]; then
        echo "kafka.sh: the broker (pid $pid) did not stop within 30 s; killing it." >&2
        kill -KILL "$pid" 2>/dev/null || true
        break
      fi
      sleep 0.2
    done
    echo "kafka.sh: stopped the broker (pid $pid)." >&2
  fi
  rm -f "$run_dir/kafka.pid"
  if [ "$purge" = true ]; then
    rm -rf "$run_dir"
  fi
}

status() {
  if [ -n "$(running_pid)" ]; then
    bootstrap_address
  else
    echo "kafka.sh: no broker runs from $run_dir." >&2
    return 1
  fi
}

command="${1:-}"
[ $# -gt 0 ] && shift
run_dir="${KAFKA_RUN_DIR:-${TMPDIR:-/tmp}/auction-applications-kafka-$(id -u)}"
port=""
controller_port=""
purge=false
while [ $# -gt 0 ]; do
  case "$1" in
    --dir) run_dir="${2:?--dir needs a folder}"; shift 2 ;;
    --port) port="${2:?--port needs a number}"; shift 2 ;;
    --controller-port) controller_port="${2:?--controller-port needs a number}"; shift 2 ;;
    --purge) purge=true; shift ;;
    *) die "unknown option '$1'; run 'scripts/kafka.sh help' for the options." ;;
  esac
done
for value in "$port" "$controller_port"; do
  [[ -z "$value" || ("$value" =~ ^[0-9]+$ && "$value" -ge 1 && "$value" -le 65535) ]] || die "port '$value' is invalid; expected a number from 1 to 65535."
done
case "$run_dir" in /*) ;; *) run_dir="$PWD/$run_dir" ;; esac

case "$command" in
  fetch) fetch ;;
  start) start ;;
  stop) stop ;;
  status) status ;;
  help | -h | --help) usage ;;
  *) usage >&2; exit 2 ;;
esac
