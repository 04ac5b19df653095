# mstransfer: the two commands a user needs are `make demo` and `make test`.
# Both install missing Debian packages (make deps), configure and build first.
#
#   make deps     install the Debian packages the project needs (idempotent, quiet when present)
#   make build    configure (CMake, Release, ccache when present) and build build/bin/*
#   make test     build, then run the fast tier of tests (every test without the ctest label
#                 `long`; installs Slurm for the cluster test)
#   make test-long  build, then run the long tier (ctest -L long: checks that train a model)
#   make demo     build, then run the three demo experiments on the built-in synthetic cohorts
#   make demo-repeats  the demo with three repeats per cell (experiments/demo/three_repeats/);
#                 after `make demo` only repeats 2 and 3 train
#   make sources  build, then retrain the demo's shipped source models (experiments/demo/sources/)
#                 from the built-in cohorts and update their files and hashes
#   make bench    build, then run mstransfer_bench
#   make slurm-up / slurm-down   a one-node Slurm on localhost (tools/local_slurm.sh)
#   make install  install the binary and its figure script under PREFIX (default /usr/local)
#   make clean    remove build/
#
# Variables: BUILD (build folder, default build), JOBS (parallel jobs, default nproc),
# BUILD_TYPE (default Release), Torch_DIR (another LibTorch, e.g. a CUDA build).

BUILD      ?= build
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
BUILD_TYPE ?= Release
CMAKE_ARGS ?=
ifdef Torch_DIR
CMAKE_ARGS += -DTorch_DIR=$(Torch_DIR)
endif

DEB_PACKAGES = cmake g++ make pkg-config git ccache \
  libtorch-dev libinsighttoolkit5-dev libhdf5-dev libeigen3-dev \
  libboost-program-options-dev libboost-math-dev libtomlplusplus-dev \
  libgtest-dev libgmock-dev libbenchmark-dev zlib1g-dev libdeflate-dev nlohmann-json3-dev \
  python3-matplotlib python3-numpy

# A one-node Slurm on localhost (tools/local_slurm.sh) for the cluster test in `make test`.
SLURM_PACKAGES = slurmctld slurmd slurm-client munge

# Only for the side-by-side scripts in bench/ (not needed to build or test).
BENCH_PACKAGES = python3-torch python3-nibabel python3-scipy python3-h5py

PREFIX     ?= /usr/local

.PHONY: deps deps-bench deps-slurm configure build test test-long demo demo-repeats sources bench install clean slurm-up slurm-down

deps:
	@bash tools/install_deps.sh $(DEB_PACKAGES)

deps-slurm:
	@bash tools/install_deps.sh $(SLURM_PACKAGES)

# Start/stop the local one-node cluster (see tools/local_slurm.sh).
slurm-up: deps-slurm
	@bash tools/local_slurm.sh up

slurm-down:
	@bash tools/local_slurm.sh down

deps-bench: deps
	@bash tools/install_deps.sh $(BENCH_PACKAGES)

$(BUILD)/CMakeCache.txt:
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) $(CMAKE_ARGS) >/dev/null

configure: deps $(BUILD)/CMakeCache.txt

build: configure
	@cmake --build $(BUILD) -j $(JOBS)

# The fast tier: every test without the ctest label `long` (minutes).
test: build deps-slurm
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS) -LE long

# The long tier: the checks that train a model to convergence (ctest label `long`).
test-long: build
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS) -L long

# The demo needs only the binary; `make test` builds the rest.
demo: configure
	@cmake --build $(BUILD) -j $(JOBS) --target mstransfer
	@bash tools/demo.sh $(BUILD)

demo-repeats: configure
	@cmake --build $(BUILD) -j $(JOBS) --target mstransfer
	@bash tools/demo.sh $(BUILD) experiments/demo/three_repeats

# The demo's source models, rebuilt by their recipe (experiments/demo/sources/recipe.toml).
sources: configure
	@cmake --build $(BUILD) -j $(JOBS) --target mstransfer
	@bash tools/build_sources.sh $(BUILD)

# PREFIX/bin/mstransfer and PREFIX/share/mstransfer/plot_results.py (found relative to the binary).
install: configure
	@cmake --build $(BUILD) -j $(JOBS) --target mstransfer
	@cmake --install $(BUILD) --prefix $(PREFIX)

bench: build
	@$(BUILD)/bin/mstransfer_bench

clean:
	rm -rf $(BUILD)
