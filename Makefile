# The two README commands: `make demo` (main job) and `make test` (tests).
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: env demo test test-fast lint cuda-build-check gpu-check gpu-wheels clean

env:
	@bash tools/setup_env.sh

demo: env
	@PYTHON=$(PY) bash tools/demo.sh

# two pytest workers (pytest-xdist), one test module each at a time: the tests run on one
# thread, so two keep both cores of a small machine busy
test: env
	$(PY) -m pytest tests -q -p no:cacheprovider --durations=25 -n 2 --dist loadfile

test-fast: env
	$(PY) -m pytest tests -q -m "not slow" -p no:cacheprovider -n 2 --dist loadfile

# The lint gate (setup.cfg): what .ci/run and the pre-commit hook check.
lint: env
	$(VENV)/bin/flake8 mmlean projects tools tests setup.py
	$(VENV)/bin/isort --check-only --diff mmlean projects tools tests setup.py

# Shows that the CUDA sources of mmlean._ext compile here (nvcc, no GPU needed).
cuda-build-check: env
	@PYTHON=$(PY) bash tools/cuda_build_check.sh

# The GPU readiness check (tools/gpu_check.py): kernels, modules and training on one device;
# DEVICE=cpu runs it here. Report: work_dirs/gpu_check/gpu_check.{md,json}.
gpu-check:
	$(PY) tools/gpu_check.py --device $${DEVICE:-cuda} --out work_dirs/gpu_check

# The wheels gpu-check needs on a GPU machine without network (into .whl, at most 60 MiB).
gpu-wheels: env
	@PIP="$(PY) -m pip" bash tools/gpu_wheels.sh .whl

clean:
	rm -rf build work_dirs outputs
