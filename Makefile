# Two entry points: `make demo` and `make test`. Both create or refresh .venv themselves.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: demo test test-boundscheck lint-imports venv clean numba-cache

venv: $(STAMP)

# numba's cache follows a kernel's own file only: entries older than the shared scalar rules
# (hwsim/fixed/fast.py, inlined into other modules' kernels) are dropped so they recompile.
numba-cache:
	@find hwsim -name '*.nb[ic]' ! -newer hwsim/fixed/fast.py -delete

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

# The numba kernels' tests run a second time bounds-checked, compiled afresh (numba's on-disk cache
# ignores NUMBA_BOUNDSCHECK), with hwsim's own cache (FIFO sizings) fresh too so that every kernel runs:
# an index out of range then raises IndexError instead of corrupting memory.
# These files reach every kernel and every way its work is split between threads.
BOUNDSCHECKED := tests/test_split.py tests/test_sim_fast.py tests/test_simulate.py tests/test_fifo_depth.py tests/test_average.py

test: $(STAMP) numba-cache lint-imports test-boundscheck
	$(PY) -m pytest -n 2 -q

# the package layers (pyproject.toml, [tool.importlinter]): nothing imports a layer above it, no cycles
lint-imports: $(STAMP)
	$(VENV)/bin/lint-imports --no-cache

test-boundscheck: $(STAMP)
	@d=$$(mktemp -d) && trap 'rm -rf "$$d"' EXIT && \
	  echo "numba kernels bounds-checked, fresh cache in $$d:" && \
	  NUMBA_BOUNDSCHECK=1 NUMBA_CACHE_DIR=$$d HWSIM_CACHE_DIR=$$d/hwsim $(PY) -m pytest -n 2 -q -p no:cacheprovider $(BOUNDSCHECKED)

demo: $(STAMP) numba-cache
	$(VENV)/bin/hwsim demo

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
	find hwsim -name '*.nb[ic]' -delete
