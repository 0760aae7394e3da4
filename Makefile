# The two README commands: `make demo` (main job) and `make test` (tests).
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: env demo test test-fast cuda-build-check clean

env:
	@bash tools/setup_env.sh

demo: env
	@PYTHON=$(PY) bash tools/demo.sh

test: env
	$(PY) -m pytest tests -q -p no:cacheprovider

test-fast: env
	$(PY) -m pytest tests -q -m "not slow" -p no:cacheprovider

# Shows that the CUDA sources of mmlean._ext compile here (nvcc, no GPU needed).
cuda-build-check: env
	@PYTHON=$(PY) bash tools/cuda_build_check.sh

clean:
	rm -rf build work_dirs outputs
