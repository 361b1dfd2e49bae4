# liveline: the two commands are `make run` and `make test`; both install what is missing first.
SHELL := /bin/bash
PYTHON := .venv/bin/python
PYTEST_ARGS ?=

.PHONY: help install run test unit dlq-replay clean

help:
	@echo "make run     install what is missing, start Kafka, FerretDB, MinIO and the five services"
	@echo "make test    install what is missing, start the servers, run the whole suite, stop them"
	@echo "make unit    only the tests that need no server"
	@echo "make dlq-replay TOPIC=...  re-publish that topic's dead letters (CONSUMER=name for one consumer)"
	@echo "make clean   remove local state (.liveline/) and the virtualenv; the cache stays"

install:
	@bash deploy/local/install.sh

run: install
	@$(PYTHON) -m liveline_devstack run

test: install
	@$(PYTHON) -m pytest $(PYTEST_ARGS)

unit: install
	@$(PYTHON) -m pytest shared/tests services/*/tests/unit $(PYTEST_ARGS)

# Kafka of the running `make run` unless KAFKA=host:port says otherwise.
KAFKA ?= $(shell python3 -c "import json; print('127.0.0.1:%d' % json.load(open('.liveline/run/ports.json'))['kafka'])" 2>/dev/null)

dlq-replay: install
	@test -n "$(TOPIC)" || { echo "usage: make dlq-replay TOPIC=liveline.orders.v1 [CONSUMER=name] [KAFKA=host:port]"; exit 2; }
	@test -n "$(KAFKA)" || { echo "no Kafka: start 'make run' or pass KAFKA=host:port"; exit 2; }
	@$(PYTHON) -m liveline_shared.dead_letters replay --bootstrap $(KAFKA) --topic $(TOPIC) $(if $(CONSUMER),--consumer $(CONSUMER))

clean:
	rm -rf .liveline .venv

# Kafka's own command-line tools, installed beside the broker (deploy/local/bin has the same as
# scripts). Against `make run`'s Kafka unless KAFKA=host:port says otherwise, e.g.
#   make kafka-topics ARGS="--describe --topic liveline.orders.v1"
#   make kafka-consumer-groups ARGS="--describe --all-groups"
#   make kafka-console-consumer ARGS="--topic liveline.orders.v1 --from-beginning"
.PHONY: kafka-topics kafka-consumer-groups kafka-console-consumer kafka-console-producer asyncapi capacity k8s-render k8s-check

kafka-topics kafka-consumer-groups kafka-console-consumer kafka-console-producer: install
	@test -n "$(KAFKA)" || { echo "no Kafka: start 'make run' or pass KAFKA=host:port"; exit 2; }
	@deploy/local/bin/$@ --bootstrap-server $(KAFKA) $(ARGS)
