# Two entry points: `make demo` and `make test`. Both create or refresh .venv themselves.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: demo test venv clean numba-cache

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

test: $(STAMP) numba-cache
	$(PY) -m pytest -n 2 -q

demo: $(STAMP) numba-cache
	$(VENV)/bin/hwsim demo

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
	find hwsim -name '*.nb[ic]' -delete
