# Two commands do all the set-up on a fresh Debian machine:
#   make run    build, simulate models/cuba.toml, write results/cuba.h5 and its plots
#   make test   the whole test suite (Rust tests and the notebook)

VENV ?= .venv
PYTHON ?= python3

.PHONY: run test deps venv check clean

deps:
	./scripts/system-deps.sh

run: deps
	cargo run --release -- run models/cuba.toml

$(VENV)/.ready: notebooks/requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -r notebooks/requirements.txt
	touch $@

venv: deps $(VENV)/.ready

test: deps venv
	SPIKESIM_PYTHON=$(abspath $(VENV))/bin/python cargo test --release -- --include-ignored

check:
	cargo fmt --all -- --check
	cargo clippy --all-targets -- -D warnings

clean:
	cargo clean
	rm -rf $(VENV) results
