# Two commands do all the set-up on a fresh Debian machine:
#   make run    build, simulate models/cuba.toml, write results/cuba.h5 and its plots
#   make test   the test suite CI runs (Rust tests, MPI runs of 2 to 4 ranks,
#               the build without MPI, the Python package's wheel and its
#               pytest suite, the notebooks, and the manual: mdBook installed
#               by scripts/install-mdbook.sh, the book built, every example
#               in it run by tests/manual.rs), about 3 minutes of test time
#               on 2 cores (10 for .ci/run from a clean clone, 2 more the
#               first time for mdBook's install)
#   make book   the manual only: installs mdBook, writes target/book/
#   make experiments   the full experiments behind the README's tables (over an
#               hour on 2 cores); writes docs/src/experiments/*.md

VENV ?= .venv
PYTHON ?= python3

WHEELS := target/wheels

.PHONY: run test experiments deps venv wheel check clean book

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

# The Python package (python/, PyO3 + maturin) built as a wheel for the
# venv's Python and installed there; it shares the workspace's target/.
wheel: venv
	rm -f $(WHEELS)/spikesim-*.whl
	$(VENV)/bin/maturin build --release --quiet -m python/Cargo.toml -i $(VENV)/bin/python -o $(WHEELS)
	$(VENV)/bin/pip install -q --force-reinstall --no-deps $(WHEELS)/spikesim-*.whl

# The manual (docs/, mdBook): a warning or error of mdBook fails the build.
# Its examples are run by tests/manual.rs, part of every `cargo test`.
book:
	./scripts/install-mdbook.sh
	mkdir -p target
	PATH="$$HOME/.cargo/bin:$$PATH" mdbook build docs 2>&1 | tee target/mdbook.log
	! grep -E '^ *(ERROR|WARN)' target/mdbook.log

test: deps venv wheel book
	# Every test binary, the manual's examples (tests/manual.rs) among them.
	cargo test --release --features mpi
	# Alone, because its children are forked with copies of the HDF5 files
	# of the tests that would run beside it (see the test's comment).
	cargo test --release --features mpi --lib killed_writers -- --ignored --exact io::hdf5::stream::tests::killed_writers_resume_to_the_same_datasets
	# The build without MPI: launched by mpirun it says how to build with it.
	cargo test --release --test inputs without_mpi
	# The Python API against closed forms and the CLI's results files.
	SPIKESIM_BIN=$(abspath target/release/spikesim) $(VENV)/bin/python -m pytest -q python/tests
	SPIKESIM_PYTHON=$(abspath $(VENV))/bin/python cargo test --release --test notebook -- --ignored

experiments: deps venv
	cargo test --release --features experiments --test experiments -- --test-threads 1 --nocapture
	# The seed sweeps behind the marks of make test's reduced experiments
	# (ignored tests of the learn binary).
	cargo test --release --test learn -- --ignored --nocapture
	# The model-file fuzzer at 100 000 mutants (make test runs 5 000).
	SPIKESIM_FUZZ_CASES=100000 cargo test --release --test inputs fuzz_models -- --nocapture

check:
	# No import cycles among the modules of each of these folders and of
	# every folder in them, and the import rules of docs/src/architecture.md.
	$(PYTHON) scripts/test_module_cycles.py
	$(PYTHON) scripts/module_cycles.py -r src/learn src/model src/engine src/io src/cli src/plot src/synapse src/plasticity src/nir
	# A model's tests reach other models through the registry, as model
	# files do; its code never does.
	$(PYTHON) scripts/module_cycles.py -r --skip-tests src/neuron
	$(PYTHON) scripts/check_layers.py --self-test
	$(PYTHON) scripts/check_layers.py
	cargo fmt --all -- --check
	cargo clippy --all-targets --features experiments,mpi -- -D warnings
	cargo clippy -p spikesim-python --all-targets -- -D warnings
	# The plain build (no MPI) must keep building too.
	cargo check --all-targets
	# Every public item documented, every intra-doc link resolved.
	RUSTDOCFLAGS="-D warnings" cargo doc --no-deps

clean:
	cargo clean
	rm -rf $(VENV) results
