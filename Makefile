# The two commands: `make demo` runs the platform and a scenario; `make test` runs the tests.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install up down status demo test lint typecheck check bench clean

$(STAMP): requirements-dev.txt constraints.txt $(wildcard */*/pyproject.toml)
	scripts/system-deps.sh
	@test -x $(PY) || python3.11 -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -c constraints.txt -r requirements-dev.txt
	@touch $(STAMP)

install: $(STAMP)  ## the virtualenv with every component and dev tool, pinned

up: install  ## Kafka + PostgreSQL + Mosquitto + the services + Prometheus; returns when all are ready
	scripts/kafka.sh start
	scripts/postgres.sh start
	scripts/mosquitto.sh start
	scripts/services.sh start
	scripts/prometheus.sh start
	@echo "Senflow is up: registry API http://127.0.0.1:8080 (docs at /docs), Kafka 127.0.0.1:9092,"
	@echo "  device ingest http://127.0.0.1:8090/ingestion/{ip,m2m}/senml/v1, MQTT 127.0.0.1:1883,"
	@echo "  Prometheus http://127.0.0.1:9090; consumer lag: .venv/bin/senflow lag --watch 2"
	@echo "Admin token and platform key: $$(scripts/env.sh)"

down:  ## stop what `make up` started (data is kept in .senflow/)
	scripts/prometheus.sh stop
	scripts/services.sh stop
	scripts/mosquitto.sh stop
	scripts/postgres.sh stop
	scripts/kafka.sh stop

status:
	@scripts/services.sh status; scripts/kafka.sh status; scripts/postgres.sh status; scripts/mosquitto.sh status; scripts/prometheus.sh status

demo: up  ## `make up`, then the demo scenario
	set -a && source "$$(scripts/env.sh)" && set +a && $(VENV)/bin/senflow-demo

test: install  ## the whole suite; starts Kafka and PostgreSQL itself when none is given
	scripts/kafka.sh fetch
	$(VENV)/bin/pytest

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: install
	$(VENV)/bin/mypy libs/common/senflow libs/codecs/senflow services/registry/senflow services/router/senflow services/dispatcher/senflow tools/demo/senflow tools/cli/senflow

bench: install  ## benchmarks next to their baselines (not part of `make test`)
	$(VENV)/bin/python -m bench.pipeline --uplinks 5000 --devices 50 --runs 3
	$(VENV)/bin/python -m bench.router --uplinks 10000 --devices 50 --runs 3
	$(VENV)/bin/python -m bench.dispatcher --deliveries 5000 --runs 3
	$(VENV)/bin/python -m bench.registry --devices 2000 --updates 300 --runs 3
	@mkdir -p .senflow
	$(VENV)/bin/python -m bench.capacity --runs 3 --json .senflow/bench-capacity.json

check: lint typecheck test

clean: down
	rm -rf .senflow
