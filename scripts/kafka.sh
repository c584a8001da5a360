#!/usr/bin/env bash
# Local single-node Apache Kafka (KRaft) on 127.0.0.1, from Apache Kafka's own jars.
#   scripts/kafka.sh fetch|start|stop|status
# Idempotent: `start` reuses fetched jars, formatted storage and a running broker.
source "$(dirname "$0")/lib.sh"

PORT="${SENFLOW_KAFKA_PORT:-9092}"
CONTROLLER_PORT="${SENFLOW_KAFKA_CONTROLLER_PORT:-9093}"
POM_DIR="$ROOT/infra/kafka"
JARS="$POM_DIR/target/dependency"
DATA="$STATE_DIR/kafka/data"
CONF="$STATE_DIR/kafka/server.properties"
CP="$JARS/*"

fetch() {
  if [[ -f "$JARS/.complete" ]]; then return 0; fi
  command -v mvn >/dev/null || { log "Maven is required (apt-get install maven)"; exit 1; }
  log "fetching Apache Kafka jars from Maven Central"
  (cd "$POM_DIR" && mvn -q -B dependency:copy-dependencies -DincludeScope=runtime)
  touch "$JARS/.complete"
}

write_config() {
  mkdir -p "$DATA"
  cat >"$CONF" <<CONF
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$PORT,CONTROLLER://127.0.0.1:$CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$DATA
num.partitions=4
offsets.topic.replication.factor=1
offsets.topic.num.partitions=8
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
group.initial.rebalance.delay.ms=0
# Services declare their own topics (senflow.common.topics); a typo must not create one.
auto.create.topics.enable=false
log.cleaner.min.compaction.lag.ms=0
CONF
  cat >"$STATE_DIR/kafka/log4j.properties" <<'L4J'
log4j.rootLogger=WARN, stdout
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka.server.KafkaServer=INFO
log4j.logger.kafka.server.BrokerServer=INFO
L4J
}

java_run() { java -Xms256m -Xmx768m -Dlog4j.configuration="file:$STATE_DIR/kafka/log4j.properties" -cp "$CP" "$@"; }

start() {
  fetch
  if pid_alive kafka; then log "Kafka already running on 127.0.0.1:$PORT"; return 0; fi
  if port_open 127.0.0.1 "$PORT"; then
    log "port $PORT is taken by a process this script did not start; set SENFLOW_KAFKA_PORT"; exit 1
  fi
  write_config
  if [[ ! -f "$DATA/meta.properties" ]]; then
    java_run kafka.tools.StorageTool format -t "$(java_run kafka.tools.StorageTool random-uuid)" -c "$CONF" >/dev/null
  fi
  nohup java -Xms256m -Xmx768m -Dlog4j.configuration="file:$STATE_DIR/kafka/log4j.properties" \
    -cp "$CP" kafka.Kafka "$CONF" >"$STATE_DIR/logs/kafka.log" 2>&1 &
  record_pid kafka $!
  if ! wait_port 127.0.0.1 "$PORT" 90; then
    log "Kafka did not open 127.0.0.1:$PORT; see $STATE_DIR/logs/kafka.log"; tail -20 "$STATE_DIR/logs/kafka.log" >&2; exit 1
  fi
  # The port opens before the broker has registered with the controller; wait for metadata.
  for _ in $(seq 1 60); do
    if java_run org.apache.kafka.tools.TopicCommand --bootstrap-server "127.0.0.1:$PORT" --list >/dev/null 2>&1; then
      log "Kafka ready on 127.0.0.1:$PORT"; return 0
    fi
    sleep 1
  done
  log "Kafka did not become ready"; exit 1
}

case "${1:-start}" in
  fetch) fetch ;;
  start) start ;;
  stop) stop_pid kafka; log "Kafka stopped" ;;
  status) pid_alive kafka && echo running || { echo stopped; exit 1; } ;;
  tool) shift; fetch; java_run "$@" ;;  # e.g. tool org.apache.kafka.tools.consumer.group.ConsumerGroupCommand ...
  *) echo "usage: $0 fetch|start|stop|status|tool CLASS ARGS" >&2; exit 2 ;;
esac
