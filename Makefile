# liveline: the two commands are `make run` and `make test`; both install what is missing first.
SHELL := /bin/bash
PYTHON := .venv/bin/python
PYTEST_ARGS ?=

.PHONY: help install run test unit dlq-replay clean

help:
	@echo "make run     install what is missing, start Kafka, FerretDB, MinIO and the five services"
	@echo "make test    install what is missing, start the servers, run the whole suite, stop them"
	@echo "make unit    only the tests that need no server"
	@echo "make clean   remove local state (.liveline/) and the virtualenv; the cache stays"

install:
	@bash deploy/local/install.sh

run: install
	@$(PYTHON) -m liveline_devstack run

test: install
	@$(PYTHON) -m pytest $(PYTEST_ARGS)

unit: install
	@$(PYTHON) -m pytest shared/tests services/*/tests/unit $(PYTEST_ARGS)

clean:
	rm -rf .liveline .venv
