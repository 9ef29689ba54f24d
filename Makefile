# Two commands on a fresh machine with Python 3.11 and pip: `make demo`, `make test`.
PYTHON ?= python3.11
VENV   := .venv
PY     := $(VENV)/bin/python

.PHONY: demo test bench fuzz clean

$(VENV)/.installed-base: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[plot,train]"
	touch $@

$(VENV)/.installed-test: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[test]"
	touch $(VENV)/.installed-base $@

$(VENV)/.installed-bench: $(VENV)/.installed-test
	$(PY) -m pip install -q -e ".[test,bench]"
	touch $@

demo: $(VENV)/.installed-base
	$(PY) -m dfdx tour --out demo-output

test: $(VENV)/.installed-test
	$(PY) -m pytest

# The differential fuzz for as long as asked (not in CI): random seed, every op
# family (FUZZ_KNOWN=0 leaves out the known failing classes); prints each distinct
# failing class with a runnable reproducer, also written to fuzz-failures.txt.
FUZZ_MINUTES ?= 5
fuzz: $(VENV)/.installed-test
	DFDX_FUZZ=1 FUZZ_MINUTES=$(FUZZ_MINUTES) $(PY) -m pytest -q -s -p no:cacheprovider \
		tests/test_fuzz.py -k random_programs

bench: $(VENV)/.installed-bench
	env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE $(PY) -m benchmarks

clean:
	rm -rf $(VENV) demo-output .pytest_cache fuzz-failures.txt
