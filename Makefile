# Two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3.11
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test lint typecheck install bench clean

$(STAMP): pyproject.toml constraints.txt
	@# WeasyPrint subsets fonts with HarfBuzz when libharfbuzz-subset is there (a gate pack renders in about
	@# half the time) and falls back to fontTools otherwise: installed when this machine can (Debian, root).
	@ldconfig -p 2>/dev/null | grep -q libharfbuzz-subset || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null \
		&& apt-get install -y -q libharfbuzz-subset0 >/dev/null 2>&1 \
		|| echo "note: libharfbuzz-subset0 not installed; PDF packs render slower (fontTools subsetting)"; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade "pip==25.3"
	$(BIN)/pip install --quiet -c constraints.txt -e ".[test]"
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/governance demo

lint: $(STAMP)
	$(BIN)/ruff check models governance flows cli tests bench
	$(BIN)/ruff format --check models governance flows cli tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

test: $(STAMP) lint typecheck
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .governance governance.db out
